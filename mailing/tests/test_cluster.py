"""The real django-q cluster, killed with SIGKILL in the middle of a run, then restarted.

It runs on the configured database and broker: PostgreSQL and Redis when DATABASE_URL and
REDIS_URL name them (claims with SELECT ... FOR UPDATE SKIP LOCKED, a broker without delivery
receipts), else SQLite and the ORM broker (claims by conditional UPDATE under SQLite's single
writer). Either way the database alone must carry the run to its end.
"""

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker

from core.processes import kill_process_group, start_qcluster, stop_process_group
from mailing import queue
from mailing.delivery import lifecycle, runs
from mailing.models import Client, DeliveryAttempt, DeliveryStatus, MailingRun
from mailing.tests.factories import MailingFactory
from mailing.tests.smtp_server import SmtpServer

RECIPIENTS = 2000
BATCH = 50
SETTLE_EVERY = 10
WORKERS = 2
STOP_TIMEOUT = 15  # SERVE_STOP_TIMEOUT's default


def start_cluster(server: SmtpServer, log: Path, **extra_env: str) -> subprocess.Popen:
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings_cluster_test",
        "CLUSTER_TEST_DB_NAME": connection.settings_dict["NAME"],
        "Q_CLUSTER_NAME": settings.Q_CLUSTER["name"],
        "Q_WORKERS": str(WORKERS),
        "EMAIL_HOST": server.host,
        "EMAIL_PORT": str(server.port),
        # Not 1 s: a loaded machine can keep a worker from reading a reply that long. A lease is
        # at least 6 timeouts (30 s), which the killed cluster's restart waits out.
        "EMAIL_TIMEOUT": "5",
        "MAILING_BATCH_SIZE": str(BATCH),
        "MAILING_LEASE_SECONDS": "5",
        "MAILING_RUN_WORKERS": str(WORKERS),
        "MAILING_SETTLE_EVERY": str(SETTLE_EVERY),
        **extra_env,
    }
    return start_qcluster(env, log, append=True)  # the same log across a restart


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def due_run(owner) -> MailingRun:
    """The run of a mailing to RECIPIENTS clients that is due now, handed to the cluster."""
    now = timezone.now()
    Client.objects.bulk_create(
        Client(owner=owner, email=f"r{n:04d}@example.org", full_name=f"Recipient {n}") for n in range(RECIPIENTS)
    )
    MailingFactory(
        owner=owner,
        clients=list(Client.objects.filter(owner=owner)),
        start_at=now - timedelta(minutes=1),
        end_at=now + timedelta(days=1),
    )
    (run,) = runs.run_due_mailings(enqueue=queue.enqueue_run)
    return run


def sent_count() -> int:
    return DeliveryAttempt.objects.filter(status=DeliveryStatus.SENT).count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cluster_killed_mid_run_finishes_every_recipient_after_restart(owner, tmp_path):
    # given: a 2,000-recipient mailing due now, and a sink that takes a few ms a message
    server = SmtpServer().start()
    server.behaviour.mail_delay = 0.002
    log = tmp_path / "qcluster.log"
    run = due_run(owner)

    cluster = start_cluster(server, log)
    try:
        # when: SIGKILL the cluster, workers and all, in the middle of the run
        wait_for(lambda: len(server.messages) >= 400, 120, "the first 400 messages")
        kill_process_group(cluster)
        at_kill = len(server.messages)
        in_flight = DeliveryAttempt.objects.filter(status=DeliveryStatus.SENDING).count()
        assert 0 < at_kill < RECIPIENTS
        assert sent_count() < RECIPIENTS

        # when: it comes back, and the sweeper hands the run on once the dead workers' leases end
        cluster = start_cluster(server, log)

        def swept_and_done():
            lifecycle.runs_sweep(enqueue=queue.enqueue_run)
            return sent_count() == RECIPIENTS

        wait_for(swept_and_done, 180, "every recipient to be sent")
    finally:
        stop_process_group(cluster)
        server.stop()
        # Tasks the sweeper enqueued for the run after it was done: no later cluster should see them.
        get_broker().purge_queue()

    # then: every recipient SENT once in the log; the sink's duplicates are at most the replies
    # each worker held unwritten (MAILING_SETTLE_EVERY), not its batch
    statuses = Counter(DeliveryAttempt.objects.filter(run=run).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT: RECIPIENTS}
    received = Counter(server.recipients())
    assert set(received) == {f"r{n:04d}@example.org" for n in range(RECIPIENTS)}
    duplicates = sum(received.values()) - RECIPIENTS
    print(f"killed after {at_kill} messages, {in_flight} rows in flight, {duplicates} duplicates")
    assert duplicates <= WORKERS * SETTLE_EVERY
    assert in_flight <= WORKERS * BATCH
    assert max(received.values()) <= 2
    run.refresh_from_db()
    assert run.status == "FINISHED"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cluster_stopped_mid_run_settles_what_it_sent_and_the_restart_sends_the_rest_once(owner, tmp_path):
    # given: a 2,000-recipient run being sent by a cluster
    server = SmtpServer().start()
    server.behaviour.mail_delay = 0.002
    log = tmp_path / "qcluster.log"
    run = due_run(owner)
    # A lease no starved worker outlives on a loaded machine: the restart must not need one to end.
    cluster = start_cluster(server, log, MAILING_LEASE_SECONDS="60")
    try:
        wait_for(lambda: len(server.messages) >= 400, 120, "the first 400 messages")

        # when: SIGINT to the cluster's process group, as `manage.py serve` stops it
        asked = time.monotonic()
        os.killpg(cluster.pid, signal.SIGINT)
        code = cluster.wait(timeout=STOP_TIMEOUT)
        stopped_in = time.monotonic() - asked

        # then: it stopped by itself, well within the timeout, and every message the server took
        # is SENT in the log; nothing is left SENDING
        at_stop = len(server.messages)
        assert code == 0, log.read_text()[-3000:]
        assert stopped_in < STOP_TIMEOUT
        assert 0 < at_stop < RECIPIENTS
        assert sent_count() == at_stop
        assert DeliveryAttempt.objects.filter(status=DeliveryStatus.SENDING).count() == 0

        # when: it comes back; the run was let go, so the first sweep hands it on
        cluster = start_cluster(server, log, MAILING_LEASE_SECONDS="60")
        assert lifecycle.runs_sweep(enqueue=queue.enqueue_run).enqueued == [run.pk]
        wait_for(lambda: sent_count() == RECIPIENTS, 180, "every recipient to be sent")
    finally:
        stop_process_group(cluster)
        server.stop()
        get_broker().purge_queue()

    # then: every recipient exactly once, at the server and in the log
    print(f"stopped in {stopped_in:.1f} s after {at_stop} messages")
    assert sorted(server.recipients()) == [f"r{n:04d}@example.org" for n in range(RECIPIENTS)]
    assert DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENT, attempts=1).count() == RECIPIENTS


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; its parent has not reaped it yet


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_signalled_alone_ends_and_its_cluster_sends_the_rest_once(owner, tmp_path):
    # given: a 2,000-recipient run being sent by a cluster
    server = SmtpServer().start()
    server.behaviour.mail_delay = 0.002
    log = tmp_path / "qcluster.log"
    run = due_run(owner)
    cluster = start_cluster(server, log, MAILING_LEASE_SECONDS="60")
    try:
        wait_for(lambda: sent_count() >= 200, 120, "the first 200 rows SENT")
        sender = DeliveryAttempt.objects.filter(status=DeliveryStatus.SENT).values_list("sent_by_worker", flat=True)[0]
        pid = int(sender.rsplit(":", 1)[1])

        # when: SIGTERM to that one worker process, as an administrator or a supervisor might
        os.kill(pid, signal.SIGTERM)

        # then: it ends by itself, the cluster goes on, and the run is sent to the end
        wait_for(lambda: not _alive(pid), 30, f"worker {pid} to end")
        assert cluster.poll() is None, log.read_text()[-3000:]
        lifecycle.runs_sweep(enqueue=queue.enqueue_run)  # hands on what the worker let go, if anything
        wait_for(lambda: sent_count() == RECIPIENTS, 180, "every recipient to be sent")
        assert cluster.poll() is None
    finally:
        stop_process_group(cluster)
        server.stop()
        get_broker().purge_queue()

    # then: every recipient exactly once, at the server and in the log
    assert sorted(server.recipients()) == [f"r{n:04d}@example.org" for n in range(RECIPIENTS)]
    assert DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENT, attempts=1).count() == RECIPIENTS
