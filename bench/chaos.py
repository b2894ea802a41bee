"""The outages of issue 14 against a real deployment on loopback, and what each one cost.

    .venv/bin/python bench/chaos.py [--recipients 2000] [--faults redis,postgres,smtp,sigterm,sigkill]

Starts its own throw-away servers, never the shared ones: PostgreSQL (initdb/pg_ctl, as the
`postgres` user when run as root) on 127.0.0.1:8160, Redis on 8161, an aiosmtpd sink that offers
PIPELINING on 8162, and `make run` (gunicorn on 8163, a qcluster of Q_WORKERS=2). For each fault a
fresh mailing of RECIPIENTS clients is sent, and once a quarter of it is at the sink:

- redis: Redis is stopped for 20 s, then started again (empty: no persistence);
- postgres: PostgreSQL is restarted (`pg_ctl restart -m fast`: every connection is cut);
- smtp: the SMTP server is down for 60 s;
- sigterm: SIGTERM to `manage.py serve`, which must stop within SERVE_STOP_TIMEOUT with `make`
  exiting 0; then `make run` again;
- sigkill: SIGKILL of the cluster worker that is sending.

It prints a table: recipients, rows SENT, messages at the sink, duplicates (messages beyond one
per recipient), seconds from the end of the fault until the last row was SENT, and what was left
stuck. The goal: 0 duplicates except SIGKILL, which may repeat up to MAILING_SETTLE_EVERY.

The engine's settings are the defaults but for shorter waits, so that a recovery takes seconds:
MAILING_LEASE_SECONDS=10 (a lease is at least 6 x EMAIL_TIMEOUT=2, so 12 s),
MAILING_BREAKER_COOLDOWN=10, and this script sweeps every 5 s (the cluster's own sweep runs
every minute).
"""

import argparse
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PG_PORT, REDIS_PORT, SMTP_PORT, WEB_PORT = 8160, 8161, 8162, 8163
HOST = "127.0.0.1"
STOP_TIMEOUT = 15
FAULTS = ("redis", "postgres", "smtp", "sigterm", "sigkill")
ENGINE_ENV = {
    "EMAIL_HOST": HOST,
    "EMAIL_PORT": str(SMTP_PORT),
    "EMAIL_TIMEOUT": "2",
    "MAILING_LEASE_SECONDS": "10",
    "MAILING_BREAKER_COOLDOWN": "10",
    "MAILING_BATCH_SIZE": "200",
    "Q_WORKERS": "2",
    "Q_CLUSTER_NAME": "chaos",
    "SERVE_STOP_TIMEOUT": str(STOP_TIMEOUT),
}

os.environ.update(
    DATABASE_URL=f"postgres://postgres@{HOST}:{PG_PORT}/chaos",
    REDIS_URL=f"redis://{HOST}:{REDIS_PORT}/1",
    DJANGO_SETTINGS_MODULE="core.settings_test",
    **ENGINE_ENV,
)
sys.path.insert(0, str(BASE_DIR))
# aiosmtpd logs every command at INFO: thousands of lines a second that slow the sink down.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        sys.exit(f"chaos: {name} not found (apt-get install postgresql)")
    return str(candidates[-1])


class Postgres:
    def __init__(self, directory: Path):
        self.data = directory / "pg"
        self.socket_dir = directory / "pg-socket"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *argv: str) -> None:
        # Never a pipe: the postmaster pg_ctl starts would hold it open, and the wait never end.
        with (self.data.parent / "pg_ctl.log").open("ab") as log:
            subprocess.run([*self.as_user, *argv], check=True, stdout=log, stderr=subprocess.STDOUT, timeout=120)

    def start(self) -> None:
        if not self.data.exists():
            for path in (self.data, self.socket_dir):
                path.mkdir(parents=True)
                if self.as_user:
                    shutil.chown(path, "postgres", "postgres")
            self._run(pg_tool("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {PG_PORT} -c listen_addresses={HOST} -k {self.socket_dir} -c fsync=off"
        self._run(pg_tool("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.data / "log"), "-w", "start")

    def restart(self) -> None:
        self._run(pg_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.data / "log"), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run(pg_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


class Redis:
    def __init__(self):
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(REDIS_PORT), "--bind", HOST, "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: _port_open(REDIS_PORT), 20, "Redis")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


class Sink:
    """The SMTP server, possibly restarted: every message it ever took."""

    def __init__(self):
        self.server = None
        self.taken: list = []

    def start(self) -> None:
        from mailing.tests.smtp_server import SmtpServer

        self.server = SmtpServer(SMTP_PORT).start()
        self.server.behaviour.pipelining = True
        self.server.behaviour.mail_delay = 0.003

    def stop(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            server.stop()  # fails on any malformed message (see smtp_server.defects_of)
            self.taken += server.messages

    def recipients(self, prefix: str) -> list[str]:
        messages = self.taken + (self.server.messages if self.server else [])
        return [to for message in messages for to in message.rcpt_tos if to.startswith(prefix)]


class App:
    """`make run` (migrate, collectstatic, setup_schedules, then `manage.py serve`)."""

    def __init__(self, directory: Path, database: str):
        self.log_path = directory / "serve.log"
        # SECRET_KEY stays: django-q signs tasks with it, and this script enqueues runs too.
        self.env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
        self.env.update(
            DEBUG="1",
            DATABASE_URL=f"postgres://postgres@{HOST}:{PG_PORT}/{database}",
            PORT=str(WEB_PORT),
            HOST=HOST,
            WEB_WORKERS="1",
            WEB_THREADS="2",
        )
        self.make: subprocess.Popen | None = None

    def start(self) -> None:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.make = subprocess.Popen(
                ["make", "run"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def started() -> bool:
            text = self.log_path.read_bytes()[offset:].decode(errors="replace")
            return "serve: listening" in text and "running." in text

        wait_for(started, 120, "make run and its cluster")

    def serve_pid(self) -> int:
        [pid] = [pid for pid, line in descendants(self.make.pid).items() if "manage.py serve" in line]
        return pid

    def stop(self, signum: int = signal.SIGTERM) -> tuple[float, int | None]:
        """Signal `serve`; how long until `make` exited, and its exit code (None: killed at 60 s)."""
        started = time.monotonic()
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(self.serve_pid(), signum)
        try:
            code = self.make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = None
        took = time.monotonic() - started
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.make.pid, signal.SIGKILL)
        self.make.wait()
        for pid in descendants_in_session(self.make.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return took, code


def descendants(root: int) -> dict[int, str]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            todo.append(child)
    return found


def descendants_in_session(session: int) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[4]) == session:
                    pids.append(int(name))
    return pids


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if condition():
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"chaos: timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


@dataclass
class Outcome:
    fault: str
    recipients: int
    sent: int = 0
    at_sink: int = 0
    duplicates: int = 0
    resumed_in: float | None = None
    recovered_in: float | None = None
    stuck: dict = field(default_factory=dict)
    note: str = ""


def db(operation):
    """A query of this script's own, through a PostgreSQL restart."""
    from mailing.delivery.claims import patiently

    return patiently(operation, patience=60, sleep=time.sleep)


def make_run(owner, prefix: str, recipients: int):
    from django.utils import timezone

    from mailing import queue
    from mailing.delivery import runs
    from mailing.models import Client, Mailing
    from mailing.tests.factories import MailingFactory, MessageFactory

    now = timezone.now()
    clients = Client.objects.bulk_create(
        Client(owner=owner, email=f"{prefix}{n:05d}@example.org", full_name=f"Получатель {n}")
        for n in range(recipients)
    )
    message = MessageFactory(owner=owner, subject="Новости для {name}", body="Здравствуйте, {name}!\n")
    mailing = MailingFactory(
        owner=owner, message=message, start_at=now - timedelta(minutes=1), end_at=now + timedelta(days=1)
    )
    Mailing.clients.through.objects.bulk_create(
        Mailing.clients.through(mailing_id=mailing.pk, client_id=client.pk) for client in clients
    )
    (run,) = runs.run_due_mailings(now=now, enqueue=queue.enqueue_run)
    return run


def sweep() -> None:
    from mailing import queue
    from mailing.delivery import lifecycle

    with contextlib.suppress(Exception):
        lifecycle.runs_sweep(enqueue=queue.enqueue_run)


def one_fault(name: str, recipients: int, owner, sink: Sink, inject) -> Outcome:
    from django.db import connection

    from mailing.models import DeliveryAttempt, DeliveryStatus

    prefix = f"{name}-"
    outcome = Outcome(name, recipients)
    run = db(lambda: make_run(owner, prefix, recipients))
    say(f"{name}: run {run.pk} of {recipients} recipients started")
    wait_for(lambda: len(sink.recipients(prefix)) >= recipients // 4, 120, f"{name}: a quarter of the run")
    say(f"{name}: {len(sink.recipients(prefix))} at the sink, injecting the fault")
    outcome.note = inject() or ""
    restored = time.monotonic()
    say(f"{name}: fault over {outcome.note}")

    def sent() -> int:
        try:
            return DeliveryAttempt.objects.filter(run_id=run.pk, status=DeliveryStatus.SENT).count()
        except Exception:
            with contextlib.suppress(Exception):
                connection.close()
            return -1

    deadline = restored + 240
    last_sweep = 0.0
    at_restore = len(sink.recipients(prefix))
    while time.monotonic() < deadline:
        if outcome.resumed_in is None and len(sink.recipients(prefix)) > at_restore:
            outcome.resumed_in = time.monotonic() - restored
        if sent() == recipients:
            outcome.recovered_in = time.monotonic() - restored
            break
        if time.monotonic() - last_sweep >= 5:
            sweep()
            last_sweep = time.monotonic()
        time.sleep(0.5)
    time.sleep(1)  # anything still on its way to the sink
    statuses = Counter(db(lambda: list(DeliveryAttempt.objects.filter(run_id=run.pk).values_list("status", flat=True))))
    outcome.sent = statuses.pop(DeliveryStatus.SENT, 0)
    outcome.stuck = dict(statuses)
    received = Counter(sink.recipients(prefix))
    outcome.at_sink = sum(received.values())
    outcome.duplicates = outcome.at_sink - len(received)
    say(f"{name}: {outcome}")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--faults", default=",".join(FAULTS))
    args = parser.parse_args()
    faults = [name for name in args.faults.split(",") if name]

    directory = Path(tempfile.mkdtemp(prefix="mailing-chaos-"))
    directory.chmod(0o755)
    postgres, redis, sink = Postgres(directory), Redis(), Sink()
    app = None
    outcomes: list[Outcome] = []
    try:
        postgres.start()
        redis.start()
        sink.start()
        say(f"PostgreSQL on {PG_PORT}, Redis on {REDIS_PORT}, the SMTP sink on {SMTP_PORT}; logs in {directory}")

        from _django import test_database

        with test_database() as connection, contextlib.ExitStack() as stopping:
            from accounts.tests.factories import UserFactory

            app = App(directory, connection.settings_dict["NAME"])
            # Stopped before the test database is dropped, whatever happens.
            stopping.callback(lambda: app is not None and app.make.poll() is None and app.stop(signal.SIGTERM))
            app.start()
            owner = UserFactory()

            def redis_down():
                redis.stop()
                time.sleep(20)
                redis.start()

            def postgres_restart():
                started = time.monotonic()
                postgres.restart()
                return f"(PostgreSQL restarted in {time.monotonic() - started:.1f} s)"

            def smtp_down():
                sink.stop()
                time.sleep(60)
                sink.start()

            def sigterm_restart():
                took, code = app.stop(signal.SIGTERM)
                app.start()
                return f"(serve stopped in {took:.1f} s, make exited {code})"

            def sigkill_worker():
                from mailing.models import DeliveryAttempt, DeliveryStatus

                latest = (
                    DeliveryAttempt.objects.filter(status=DeliveryStatus.SENT)
                    .order_by("-last_attempt_at")
                    .values_list("sent_by_worker", flat=True)
                    .first()
                )
                pid = int(latest.rsplit(":", 1)[1])
                os.kill(pid, signal.SIGKILL)
                return f"(killed worker {pid})"

            injections = {
                "redis": redis_down,
                "postgres": postgres_restart,
                "smtp": smtp_down,
                "sigterm": sigterm_restart,
                "sigkill": sigkill_worker,
            }
            for name in faults:
                outcomes.append(one_fault(name, args.recipients, owner, sink, injections[name]))
            took, code = app.stop(signal.SIGTERM)
            say(f"serve stopped in {took:.1f} s, make exited {code}")
            app = None
    finally:
        with contextlib.suppress(Exception):
            sink.stop()
        redis.stop()
        postgres.stop()

    print()
    print(
        "| fault | recipients | rows SENT | messages at the sink | duplicates "
        "| seconds to recover (sending again / all SENT) | stuck |"
    )
    print("|---|---|---|---|---|---|---|")
    for outcome in outcomes:
        resumed = "-" if outcome.resumed_in is None else f"{outcome.resumed_in:.1f}"
        recovered = "not recovered" if outcome.recovered_in is None else f"{outcome.recovered_in:.1f}"
        stuck = ", ".join(f"{count} {status}" for status, count in outcome.stuck.items()) or "none"
        fault = f"{outcome.fault} {outcome.note}".strip()
        print(
            f"| {fault} | {outcome.recipients} | {outcome.sent} | {outcome.at_sink} | {outcome.duplicates} "
            f"| {resumed} / {recovered} | {stuck} |"
        )
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
