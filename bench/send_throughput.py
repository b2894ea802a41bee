"""How fast the engine sends, end to end, against a bare smtplib loop on the same sink.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/send_throughput.py [RECIPIENTS]

Needs PostgreSQL and Redis (the production setup) and Postfix's `smtp-sink` as the loopback SMTP
server (`apt-get install -y postfix`; the postfix daemon itself is not needed). Runs on a
throw-away test database. Prints:
- the bare loop: one reused smtplib connection, each message built with EmailMessage;
- end to end: from the scheduler pass that creates the run and its rows, through a real
  qcluster (Q_WORKERS processes) claiming batches, sending and settling every row with the
  server's reply, until the last row is SENT;
- their ratio (the figure that counts on a noisy machine), and the cluster workers' peak RSS.
"""

import contextlib
import os
import shutil
import signal
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

BASE_DIR = Path(__file__).resolve().parent.parent
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
SUBJECT = "Spring news for {name}"
BODY = "Dear {name},\n\n" + "Our spring collection is here, with something for everyone. " * 12 + "\n\nSee you soon.\n"
FROM = "Shop <news@shop.example>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen([SMTP_SINK, *user, f"127.0.0.1:{port}", "1024"], start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.05)
    raise SystemExit("smtp-sink did not start")


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


def start_cluster(port: int, db_name: str, queue_name: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings_cluster_test",
        "CLUSTER_TEST_DB_NAME": db_name,
        "Q_CLUSTER_NAME": queue_name,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "DEFAULT_FROM_EMAIL": FROM,
    }
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


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


def stop_group(process: subprocess.Popen, deadline: float = 20) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=deadline)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def main(count: int) -> int:
    if not Path(SMTP_SINK).exists():
        print("smtp-sink is missing: install Postfix's tools with `apt-get install -y postfix` (run as root).")
        return 2
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must name a PostgreSQL database (the benchmark measures the production setup).")
        return 2
    if not os.environ.get("REDIS_URL"):
        print("REDIS_URL must name a Redis database (the task broker of the production setup).")
        return 2

    port = free_port()
    sink = start_sink(port)
    cluster = None
    try:
        with test_database() as connection:
            from django.conf import settings
            from django.utils import timezone

            from accounts.models import User
            from mailing import queue
            from mailing.models import Client, DeliveryAttempt, DeliveryStatus, Mailing, Message
            from mailing.services import delivery

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

            log = BASE_DIR / "var" / "bench-send-throughput-qcluster.log"
            log.parent.mkdir(exist_ok=True)
            cluster = start_cluster(port, connection.settings_dict["NAME"], settings.Q_CLUSTER["name"], log)
            time.sleep(5)  # the cluster's start-up is not part of sending

            started = time.perf_counter()
            Mailing.objects.filter(pk=mailing.pk).update(start_at=now, next_run_at=now)
            (run,) = delivery.run_due_mailings(enqueue=queue.enqueue_run)
            sent = 0
            deadline = time.monotonic() + max(120, count / 50)
            while sent < count:
                if time.monotonic() > deadline or cluster.poll() is not None:
                    print(f"gave up: {sent:,} of {count:,} sent; see {log}")
                    return 1
                time.sleep(0.2)
                sent = DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENT).count()
            elapsed = time.perf_counter() - started
            engine = count / elapsed
            peak, processes = group_peak_rss_mib(cluster.pid)

            replies = DeliveryAttempt.objects.filter(run=run).values_list("smtp_code", "server_response").distinct()
            print(
                f"end to end: {count:,} recipients through a real cluster ({settings.Q_CLUSTER_WORKERS} workers), "
                f"PostgreSQL and Redis, every row SENT with the server's reply {sorted(set(replies))[:3]}: "
                f"{elapsed:.2f} s, {engine:,.0f} e-mails/s"
            )
            print(f"ratio end to end / bare loop: {engine / bare:.2f}x (goal >= 2x)")
            print(f"cluster peak RSS: {peak:.0f} MiB (the largest of its {processes} processes)")
            # Stopped before the test database is dropped: its workers hold connections to it.
            stop_group(cluster)
    finally:
        if cluster is not None:
            stop_group(cluster)
        stop_group(sink, deadline=5)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
