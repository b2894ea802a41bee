"""Whether the sending rate holds across processes: 2 qclusters x 2 workers (4 workers, as on two
machines) send one run against MAILING_RATE_PER_SECOND=50, and the rate the SMTP sink receives is
measured over a minute.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/rate_limit.py \
        [--rate 50] [--seconds 60] [--port 8170]

The buckets live in Redis when REDIS_URL is set, else in the database (then run it on PostgreSQL
or SQLite, without REDIS_URL, to measure that path). Needs Postfix's `smtp-sink` as the loopback
server (`apt-get install -y postfix`). Runs on a throw-away test database. Prints the messages
received in the measured minute (which starts 5 s after the first message, past the bucket's
first second of burst), the rate, and its deviation from the limit (goal: within 5 %), and the
largest count the sink received in any one second.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from _django import test_database

from core.processes import stop_process_group

BASE_DIR = Path(__file__).resolve().parent.parent
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
CLUSTERS, WORKERS = 2, 2
WARM_UP = 5.0


def start_sink(port: int, counter: Path) -> subprocess.Popen:
    import socket

    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with counter.open("wb") as output:
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
    raise SystemExit(f"smtp-sink did not start on port {port}")


def sink_messages(counter: Path) -> int:
    # -c: running counters ("sess=.. quit=.. mesg=N"), rewritten at each message's end.
    tail = counter.read_bytes()[-4096:]
    counts = re.findall(rb"mesg=(\d+)", tail)
    return int(counts[-1]) if counts else 0


def start_cluster(name: str, port: int, db_name: str, queue_name: str, rate: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings_cluster_test",
        "CLUSTER_TEST_DB_NAME": db_name,
        "Q_CLUSTER_NAME": queue_name,
        "Q_NODE_NAME": name,
        "Q_WORKERS": str(WORKERS),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "DEFAULT_FROM_EMAIL": "Shop <news@shop.example>",
        "MAILING_RATE_PER_SECOND": str(rate),
        "MAILING_RUN_WORKERS": str(CLUSTERS * WORKERS),
        "MAILING_BATCH_SIZE": "50",
        # Short tasks: the run is handed from task to task, and so between the clusters.
        "MAILING_TASK_SECONDS": "5",
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


def main(rate: int, seconds: float, port: int) -> int:
    if not Path(SMTP_SINK).exists():
        print("smtp-sink is missing: install Postfix's tools with `apt-get install -y postfix` (run as root).")
        return 2
    count = int(rate * (seconds + WARM_UP) * 1.3) + 200
    var = BASE_DIR / "var"
    var.mkdir(exist_ok=True)
    counter = var / "bench-rate-limit-sink.out"
    sink = start_sink(port, counter)
    processes: list[subprocess.Popen] = []
    try:
        with test_database() as connection:
            from django.conf import settings
            from django.utils import timezone

            from accounts.models import User
            from mailing import queue
            from mailing.delivery import rate as rate_module
            from mailing.delivery import runs
            from mailing.models import Client, DeliveryAttempt, DeliveryStatus, Mailing, Message

            rate_module.reset(f"127.0.0.1:{port}")
            owner = User.objects.create_user(email="bench@example.com", password="bench password 123")
            Client.objects.bulk_create(
                (Client(owner=owner, email=f"r{n}@example.org", full_name=f"Recipient {n}") for n in range(count)),
                batch_size=5000,
            )
            message = Message.objects.create(owner=owner, subject="News for {name}", body="Dear {name},\nnews.\n")
            now = timezone.now()
            mailing = Mailing.objects.create(
                owner=owner,
                message=message,
                start_at=now - timedelta(minutes=1),
                end_at=now + timedelta(days=1),
                next_run_at=now - timedelta(minutes=1),
            )
            Mailing.clients.through.objects.bulk_create(
                (
                    Mailing.clients.through(mailing_id=mailing.pk, client_id=pk)
                    for pk in Client.objects.values_list("pk", flat=True)
                ),
                batch_size=5000,
            )
            logs = [var / f"bench-rate-limit-qcluster-{n}.log" for n in range(1, CLUSTERS + 1)]
            for n, log in enumerate(logs, start=1):
                processes.append(
                    start_cluster(
                        f"rate-{n}", port, connection.settings_dict["NAME"], settings.Q_CLUSTER["name"], rate, log
                    )
                )
            time.sleep(5)  # the clusters' start-up is not part of sending
            before = sink_messages(counter)
            (run,) = runs.run_due_mailings(enqueue=lambda run_id: queue.enqueue_run(run_id, workers=CLUSTERS * WORKERS))

            samples: list[tuple[float, int]] = []
            deadline = time.monotonic() + 60
            while sink_messages(counter) == before:
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    print(f"nothing was sent; see {', '.join(map(str, logs))}")
                    return 1
                time.sleep(0.01)
            first = time.monotonic()
            end = first + WARM_UP + seconds
            while (now_ := time.monotonic()) < end + 0.05:
                samples.append((now_ - first, sink_messages(counter) - before))
                time.sleep(0.05)

            def at(moment: float) -> int:
                return max(n for t, n in samples if t <= moment)

            measured = at(WARM_UP + seconds) - at(WARM_UP)
            per_second = measured / seconds
            deviation = (per_second - rate) / rate
            busiest = max(at(t + 1) - at(t) for t, _ in samples if WARM_UP <= t <= WARM_UP + seconds - 1)
            workers = DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENT).values_list(
                "sent_by_cluster", "sent_by_worker"
            )
            clusters_seen = {cluster for cluster, _ in workers}
            workers_seen = {worker for _, worker in workers}
            verdict = "held" if abs(deviation) <= 0.05 else "NOT held"
            where = "Redis" if settings.REDIS_URL else f"the database ({connection.vendor})"
            print(
                f"{len(workers_seen)} workers in {len(clusters_seen)} clusters ({', '.join(sorted(clusters_seen))}), "
                f"buckets in {where}, MAILING_RATE_PER_SECOND={rate}"
            )
            print(
                f"received over {seconds:.0f} s (after {WARM_UP:.0f} s): {measured:,} messages = {per_second:.2f}/s, "
                f"{deviation:+.1%} against the limit (goal: within 5 %): {verdict}"
            )
            print(f"the busiest single second of the minute: {busiest} messages")
            for process in processes:
                stop_process_group(process)
            rate_module.reset(f"127.0.0.1:{port}")
            return 0 if abs(deviation) <= 0.05 else 1
    finally:
        for process in processes:
            stop_process_group(process)
        stop_process_group(sink, deadline=5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=50, help="MAILING_RATE_PER_SECOND (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="how long to measure (default 60)")
    parser.add_argument("--port", type=int, default=8170, help="the sink's port (default 8170)")
    arguments = parser.parse_args()
    sys.exit(main(arguments.rate, arguments.seconds, arguments.port))
