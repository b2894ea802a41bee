"""How fast the engine sends, end to end, against a bare smtplib loop on the same sink.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/send_throughput.py \
        [RECIPIENTS] [--clusters N] [--port PORT]

Needs PostgreSQL and Redis (the production setup) and Postfix's `smtp-sink` as the loopback SMTP
server (`apt-get install -y postfix`; the postfix daemon itself is not needed). Runs on a
throw-away test database. Prints:
- the bare loop: one reused smtplib connection, each message built with EmailMessage;
- end to end: from the scheduler pass that creates the run and its rows, through a real
  qcluster (Q_WORKERS processes) claiming batches, sending and settling every row with the
  server's reply, until the last row is SENT;
- their ratio (the figure that counts on a noisy machine), and the cluster workers' peak RSS;
- how many messages the sink received (each recipient once: no duplicates, none lost).

With `--clusters N`, N qcluster processes with their own names (Q_NODE_NAME bench-1 ... bench-N,
as on N machines) share the one queue and the run; it prints how the rows split between them.
"""

import argparse
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from _django import test_database

from core.processes import start_qcluster, stop_process_group

BASE_DIR = Path(__file__).resolve().parent.parent
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
SUBJECT = "Spring news for {name}"
BODY = "Dear {name},\n\n" + "Our spring collection is here, with something for everyone. " * 12 + "\n\nSee you soon.\n"
FROM = "Shop <news@shop.example>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int, counter: Path) -> subprocess.Popen:
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with counter.open("wb") as output:
        # -c: running counters on stdout ("sess=.. quit=.. mesg=N"), updated at each message's end.
        sink = subprocess.Popen(
            [SMTP_SINK, "-c", *user, f"127.0.0.1:{port}", "1024"], stdout=output, start_new_session=True
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.05)
    raise SystemExit("smtp-sink did not start")


def sink_messages(counter: Path) -> int:
    counts = re.findall(rb"mesg=(\d+)", counter.read_bytes())
    return int(counts[-1]) if counts else 0


def bare_loop(port: int, count: int) -> float:
    """The baseline: EmailMessage per recipient, sent on one reused connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        for n in range(count):
            name, address = f"Recipient {n}", f"r{n}@example.org"
            message = EmailMessage()
            message["From"] = FROM
            message["To"] = f"{name} <{address}>"
            message["Subject"] = SUBJECT.replace("{name}", name)
            message["Date"] = formatdate(localtime=False)
            message["Message-ID"] = make_msgid(domain="shop.example")
            message.set_content(BODY.replace("{name}", name))
            smtp.send_message(message)
    return count / (time.perf_counter() - started)


def start_cluster(port: int, db_name: str, queue_name: str, log: Path, **extra_env: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings_cluster_test",
        "CLUSTER_TEST_DB_NAME": db_name,
        "Q_CLUSTER_NAME": queue_name,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "DEFAULT_FROM_EMAIL": FROM,
        **extra_env,
    }
    return start_qcluster(env, log)


def group_peak_rss_mib(pgid: int) -> tuple[float, int]:
    """The largest peak RSS (VmHWM) among the cluster's processes, and how many there are."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except (OSError, ProcessLookupError):
            continue
    return (max(peaks) if peaks else 0.0), len(peaks)


def main(count: int, clusters: int, port: int | None = None) -> int:
    if not Path(SMTP_SINK).exists():
        print("smtp-sink is missing: install Postfix's tools with `apt-get install -y postfix` (run as root).")
        return 2
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must name a PostgreSQL database (the benchmark measures the production setup).")
        return 2
    if not os.environ.get("REDIS_URL"):
        print("REDIS_URL must name a Redis database (the task broker of the production setup).")
        return 2

    port = port or free_port()
    var = BASE_DIR / "var"
    var.mkdir(exist_ok=True)
    counter = var / "bench-send-throughput-sink.out"
    sink = start_sink(port, counter)
    processes: dict[str, subprocess.Popen] = {}
    try:
        with test_database() as connection:
            from django.conf import settings
            from django.utils import timezone

            from accounts.models import User
            from mailing import queue
            from mailing.delivery import runs
            from mailing.models import Client, DeliveryAttempt, DeliveryStatus, Mailing, Message

            bare = bare_loop(port, count)
            print(f"bare smtplib loop: {count:,} messages in one connection, {bare:,.0f} e-mails/s")

            owner = User.objects.create_user(email="bench@example.com", password="bench password 123")
            Client.objects.bulk_create(
                (Client(owner=owner, email=f"r{n}@example.org", full_name=f"Recipient {n}") for n in range(count)),
                batch_size=5000,
            )
            message = Message.objects.create(owner=owner, subject=SUBJECT, body=BODY)
            now = timezone.now()
            mailing = Mailing.objects.create(
                owner=owner,
                message=message,
                start_at=now + timedelta(days=1),
                end_at=now + timedelta(days=2),
                next_run_at=now + timedelta(days=1),
            )
            Mailing.clients.through.objects.bulk_create(
                (
                    Mailing.clients.through(mailing_id=mailing.pk, client_id=pk)
                    for pk in Client.objects.filter(owner=owner).values_list("pk", flat=True).iterator()
                ),
                batch_size=5000,
            )

            workers = settings.Q_CLUSTER_WORKERS
            # Several clusters: the run fans out into a task for every worker of every cluster,
            # and each task hands the rest on after a few seconds to whichever cluster is free.
            extra = (
                {"MAILING_RUN_WORKERS": str(workers * clusters), "MAILING_TASK_SECONDS": "2"} if clusters > 1 else {}
            )
            logs = {}
            for n in range(1, clusters + 1):
                name = f"bench-{n}" if clusters > 1 else settings.Q_NODE_NAME
                logs[name] = var / f"bench-send-throughput-qcluster-{n}.log"
                processes[name] = start_cluster(
                    port,
                    connection.settings_dict["NAME"],
                    settings.Q_CLUSTER["name"],
                    logs[name],
                    Q_NODE_NAME=name,
                    **extra,
                )
            time.sleep(5)  # the clusters' start-up is not part of sending
            received_before = sink_messages(counter)

            started = time.perf_counter()
            Mailing.objects.filter(pk=mailing.pk).update(start_at=now, next_run_at=now)
            (run,) = runs.run_due_mailings(enqueue=lambda run_id: queue.enqueue_run(run_id, workers=workers * clusters))
            # Polled with a cheap indexed look-up (counting 100,000 rows five times a second would
            # take CPU from the workers); every row is counted once at the end.
            unsettled = DeliveryAttempt.objects.filter(
                run=run, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED]
            )
            deadline = time.monotonic() + max(120, count / 50)
            while unsettled.exists():
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes.values()):
                    sent = DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENT).count()
                    print(f"gave up: {sent:,} of {count:,} sent; see {', '.join(map(str, logs.values()))}")
                    return 1
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            sent = DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENT).count()
            if sent != count:
                print(f"only {sent:,} of {count:,} rows SENT; see {', '.join(map(str, logs.values()))}")
                return 1
            engine = count / elapsed
            peaks = {name: group_peak_rss_mib(process.pid) for name, process in processes.items()}
            time.sleep(0.5)  # the sink's counter is written at each message's end
            received = sink_messages(counter) - received_before

            replies = DeliveryAttempt.objects.filter(run=run).values_list("smtp_code", "server_response").distinct()
            where = (
                f"{clusters} clusters x {workers} workers" if clusters > 1 else f"a real cluster ({workers} workers)"
            )
            print(
                f"end to end: {count:,} recipients through {where}, PostgreSQL and Redis, every row SENT with the "
                f"server's reply {sorted(set(replies))[:3]}: {elapsed:.2f} s, {engine:,.0f} e-mails/s"
            )
            print(f"ratio end to end / bare loop: {engine / bare:.2f}x (goal >= 3.5x)")
            print(f"the sink received {received:,} messages for {count:,} recipients (each once: {received == count})")
            for name, (peak, count_processes) in peaks.items():
                print(f"cluster {name} peak RSS: {peak:.0f} MiB (the largest of its {count_processes} processes)")
            if clusters > 1:
                split = DeliveryAttempt.objects.filter(run=run).values_list("sent_by_cluster", "sent_by_worker")
                by_cluster: dict[str, set] = {}
                rows: dict[str, int] = {}
                for cluster, worker in split.iterator():
                    by_cluster.setdefault(cluster, set()).add(worker)
                    rows[cluster] = rows.get(cluster, 0) + 1
                print(
                    "split between the clusters: "
                    + ", ".join(
                        f"{name} {rows.get(name, 0):,} rows ({rows.get(name, 0) / count:.0%}, "
                        f"{len(by_cluster.get(name, ()))} workers)"
                        for name in processes
                    )
                )
            # Stopped before the test database is dropped: their workers hold connections to it.
            for process in processes.values():
                stop_process_group(process)
    finally:
        for process in processes.values():
            stop_process_group(process)
        stop_process_group(sink, deadline=5)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipients", nargs="?", type=int, default=10_000, help="recipients of the run (10,000)")
    parser.add_argument("--clusters", type=int, default=1, help="qcluster processes sharing the run (1)")
    parser.add_argument("--port", type=int, help="the sink's loopback port (default: a free one)")
    arguments = parser.parse_args()
    sys.exit(main(arguments.recipients, max(1, arguments.clusters), arguments.port))
