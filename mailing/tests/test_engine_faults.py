"""The engine when something breaks under it: one message that raises, the database going away
while the server's replies are in hand, an orderly stop, two workers pausing at once, a pause
the rows must explain. Against a real SMTP server on loopback (and PostgreSQL where named)."""

import email
import email.policy
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, connections

from mailing.delivery import claims
from mailing.delivery.config import Config
from mailing.delivery.worker import Breaker, run_process
from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, RunStatus
from mailing.rendering import PreparedMessage
from mailing.smtp import AuthenticationFailed, Session
from mailing.tests.certificates import self_signed
from mailing.tests.smtp_server import STARTTLS, SmtpServer
from mailing.tests.test_delivery import make_run, process, rows

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="terminates the worker's PostgreSQL backend (DATABASE_URL names no PostgreSQL)",
)


def delivered_without_defects(server: SmtpServer) -> list[str]:
    """The recipients of what the server took, each message parsed as a mail client would."""
    for received in server.messages:
        message = email.message_from_bytes(received.data, policy=email.policy.default)
        assert message.defects == []
        assert all(getattr(value, "defects", ()) == () for value in message.values())
    return server.recipients()


# --- One message cannot stop a batch --------------------------------------------------------


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_message_that_cannot_be_built_fails_alone_and_the_batch_goes_on(
    owner, clock, smtp_server, monkeypatch, pipelining
):
    # given: building the message for one recipient raises (a bug, data nobody foresaw)
    smtp_server.behaviour.pipelining = pipelining
    render = PreparedMessage.render

    def render_or_raise(self, **fields):
        if fields["email"] == "bad@example.org":
            raise RuntimeError("cannot encode this one")
        return render(self, **fields)

    monkeypatch.setattr(PreparedMessage, "render", render_or_raise)
    _, run = make_run(owner, clock, ["ann@example.org", "bad@example.org", "bob@example.org"])

    # when
    result = process(run, clock)

    # then: that row failed with the error in its reply, the others went out once
    assert (result.sent, result.failed, result.stopped) == (2, 1, "done")
    assert rows(run) == {
        "ann@example.org": (DeliveryStatus.SENT, 1, 250, "250 2.0.0 Ok: queued as Q00001"),
        "bad@example.org": (
            DeliveryStatus.FAILED,
            1,
            None,
            "Not sent: the message could not be built (RuntimeError: cannot encode this one)",
        ),
        "bob@example.org": (DeliveryStatus.SENT, 1, 250, "250 2.0.0 Ok: queued as Q00002"),
    }
    assert delivered_without_defects(smtp_server) == ["ann@example.org", "bob@example.org"]
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_message_that_raises_while_it_is_sent_fails_alone_and_the_batch_goes_on(
    owner, clock, smtp_server, monkeypatch, pipelining
):
    # given: the SMTP conversation raises an error nobody foresaw for one recipient
    smtp_server.behaviour.pipelining = pipelining
    envelope = Session._envelope

    def envelope_or_raise(self, sender, recipient):
        if recipient == "bad@example.org":
            raise KeyError("no such thing")
        return envelope(self, sender, recipient)

    monkeypatch.setattr(Session, "_envelope", envelope_or_raise)
    emails = ["ann@example.org", "bad@example.org", "bob@example.org", "cat@example.org"]
    _, run = make_run(owner, clock, emails)

    # when
    result = process(run, clock)

    # then
    assert (result.sent, result.failed, result.stopped) == (3, 1, "done")
    assert rows(run)["bad@example.org"] == (
        DeliveryStatus.FAILED,
        1,
        None,
        "Not sent: unexpected error (KeyError: 'no such thing')",
    )
    assert {email for email, row in rows(run).items() if row[0] == DeliveryStatus.SENT} == {
        "ann@example.org",
        "bob@example.org",
        "cat@example.org",
    }
    assert delivered_without_defects(smtp_server) == ["ann@example.org", "bob@example.org", "cat@example.org"]


# --- Settling in steps, and riding out a database outage -------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("pipelining", [True, False])
def test_replies_are_written_every_settle_every_messages(owner, clock, smtp_server, engine_settings, pipelining):
    # given: one batch of ten, settled every three; the server looks at the log as each message arrives
    engine_settings.MAILING_SETTLE_EVERY = 3
    engine_settings.MAILING_BATCH_SIZE = 10
    smtp_server.behaviour.pipelining = pipelining
    seen: list[int] = []

    def count_sent(received):
        seen.append(DeliveryAttempt.objects.filter(status=DeliveryStatus.SENT).count())
        connection.close()  # the server thread's own connection

    smtp_server.behaviour.on_message = count_sent
    _, run = make_run(owner, clock, [f"r{n}@example.org" for n in range(10)])

    # when
    result = process(run, clock)

    # then: a worker killed at any moment would have sent at most three messages unrecorded
    assert (result.sent, result.stopped) == (10, "done")
    assert seen == [0, 0, 0, 3, 3, 3, 6, 6, 6, 9]
    assert len(delivered_without_defects(smtp_server)) == 10


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("pipelining", [True, False])
def test_the_database_going_away_while_replies_are_in_hand_loses_none_and_repeats_none(
    owner, clock, smtp_server, engine_settings, caplog, pipelining
):
    # given: 30 recipients in batches of 20, settled every 5; at three moments the server, before
    # it answers, has PostgreSQL end the worker's connection (as a restart would)
    engine_settings.MAILING_SETTLE_EVERY = 5
    engine_settings.MAILING_BATCH_SIZE = 20
    smtp_server.behaviour.pipelining = pipelining
    emails = [f"r{n:02d}@example.org" for n in range(30)]
    terminated: list[bool] = []
    # The worker runs in this thread; the server calls back in its own, with its own connection.
    # Only the worker's backend is ended: connections that earlier tests left open are not this
    # test's to count.
    worker = connections["default"]

    def terminate_the_worker(received):
        if received.rcpt_tos[0] in ("r03@example.org", "r12@example.org", "r21@example.org"):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [worker.connection.get_backend_pid()])
                terminated.extend(row[0] for row in cursor.fetchall())
            connection.close()

    smtp_server.behaviour.on_message = terminate_the_worker
    _, run = make_run(owner, clock, emails)

    # when
    with caplog.at_level(logging.WARNING, logger="mailing.delivery.claims"):
        result = process(run, clock)

    # then: the worker reconnected and wrote every reply: each recipient SENT once, in the log and at the server
    assert terminated == [True, True, True]
    assert any("the database is away" in record.getMessage() for record in caplog.records)
    assert (result.sent, result.stopped) == (30, "done")
    assert {row[:2] for row in rows(run).values()} == {(DeliveryStatus.SENT, 1)}
    assert sorted(delivered_without_defects(smtp_server)) == emails


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_patiently_backs_off_then_gives_up_with_the_error():
    # given: a statement that fails as a lost connection does, every time
    # (a clock that moves only when the retry sleeps, so the load of the machine cannot matter)
    calls, sleeps = [], []
    now = [1000.0]

    def lost():
        calls.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    # when / then: 0.1 s, 0.2 s, and the next wait (0.4 s) would end past the half second
    with pytest.raises(OperationalError, match="closed the connection"):
        claims.patiently(lost, patience=0.5, sleep=sleep, monotonic=lambda: now[0])
    assert (len(calls), sleeps) == (3, [0.1, 0.2])


# --- An orderly stop -------------------------------------------------------------------------


@pytest.mark.parametrize("pipelining", [True, False])
def test_an_orderly_stop_settles_what_was_sent_and_the_rest_goes_out_once_later(
    owner, clock, smtp_server, engine_settings, pipelining
):
    # given: batches of ten, and a stop asked for once the server has taken seven messages
    engine_settings.MAILING_BATCH_SIZE = 10
    engine_settings.MAILING_SETTLE_EVERY = 4
    smtp_server.behaviour.pipelining = pipelining
    emails = [f"r{n:02d}@example.org" for n in range(25)]
    _, run = make_run(owner, clock, emails)

    # when
    result = run_process(
        run_id=run.pk, clock=clock, handover=None, stop_requested=lambda: len(smtp_server.messages) >= 7
    )

    # then: exactly what the server took is SENT; the rest is back in the queue, untried, and
    # the run is let go at once (no lease to wait out)
    assert (result.sent, result.stopped) == (7, "stopping")
    assert delivered_without_defects(smtp_server) == emails[:7]
    statuses = DeliveryAttempt.objects.filter(run=run).order_by("email")
    statuses = statuses.values_list("status", "attempts", "lease_until")
    assert list(statuses) == [(DeliveryStatus.SENT, 1, None)] * 7 + [(DeliveryStatus.QUEUED, 0, None)] * 18
    run.refresh_from_db()
    assert (run.status, run.lease_until) == (RunStatus.RUNNING, None)

    # when: the process comes back
    rest = process(run, clock)

    # then: every recipient once
    assert (rest.sent, rest.stopped) == (18, "done")
    assert delivered_without_defects(smtp_server) == emails


def test_a_task_that_starts_after_the_stop_sends_nothing_and_frees_its_reservation(owner, clock, smtp_server):
    # given: the sweeper reserved the run for a queued task
    _, run = make_run(owner, clock, ["ann@example.org"])
    MailingRun.objects.filter(pk=run.pk).update(lease_until=clock.now + timedelta(minutes=2), claimed_by=claims.SWEEPER)

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None, stop_requested=lambda: True)

    # then
    run.refresh_from_db()
    assert (result.stopped, run.lease_until) == ("stopping", None)
    assert smtp_server.messages == []


# A worker process as django-q starts one: the stop handlers installed, a run's task in hand
# that goes on until the engine is asked to stop, then settles for half a second.
WORKER_PROCESS = """
import time
from mailing.delivery import stopping
stopping.on_worker_spawn(sender="django_q", proc_name="Worker-1")
with stopping.task():
    print("sending", flush=True)
    while not stopping.requested():
        time.sleep(0.01)
    print("asked to stop", flush=True)
    time.sleep(0.5)
    print("settled", flush=True)
time.sleep(30)
print("still alive", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_asks_the_engine_to_stop_then_ends_the_worker_process_once_idle(signum):
    # given: a worker process in the middle of a run's task
    from django.conf import settings

    process = subprocess.Popen(
        [sys.executable, "-c", WORKER_PROCESS], cwd=settings.BASE_DIR, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline() == "sending\n"

        # when
        asked = time.monotonic()
        process.send_signal(signum)
        code = process.wait(timeout=20)
        ended_in = time.monotonic() - asked
    finally:
        process.kill()

    # then: the task settled first; then the process ended by itself (the cluster replaces a
    # worker that has exited), not 30 s later
    assert (code, process.stdout.read()) == (0, "asked to stop\nsettled\n")
    assert ended_in < 10


# --- Pauses ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_pausing_in_the_same_millisecond_report_the_pause_the_database_keeps(owner, clock, engine_settings):
    # given: a run paused once before (its next pause is 120 s, the one after 240 s), and two
    # workers whose logins are refused at the same moment
    _, run = make_run(owner, clock, ["ann@example.org"])
    config = Config.from_settings()
    claims.run_take(run_id=run.pk, now=clock(), config=config, worker="w1")
    MailingRun.objects.filter(pk=run.pk).update(pauses=1)
    refused = AuthenticationFailed("535 5.7.8 Authentication credentials invalid", 535)
    breakers = [Breaker(run.pk, config), Breaker(run.pk, config)]
    start = threading.Barrier(2)
    errors = []

    def fail(breaker):
        try:
            start.wait()
            breaker.failure(refused, clock())
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=fail, args=(breaker,)) for breaker in breakers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then: one pause, at once (below the breaker's threshold), and both workers name it
    assert errors == []
    run.refresh_from_db()
    assert (run.status, run.pauses, run.paused_until) == (RunStatus.PAUSED, 2, clock.now + timedelta(seconds=120))
    assert [(breaker.tripped, breaker.paused_until) for breaker in breakers] == [(True, run.paused_until)] * 2
    assert run.last_error == "Authentication failed: 535 5.7.8 Authentication credentials invalid"


def test_while_a_tls_failure_pauses_the_run_its_rows_say_why(owner, clock, engine_settings, tmp_path):
    # given: a server whose certificate nobody signed
    server = SmtpServer(tls=STARTTLS, certificate=self_signed(tmp_path)).start()
    engine_settings.EMAIL_HOST, engine_settings.EMAIL_PORT, engine_settings.EMAIL_USE_TLS = (
        server.host,
        server.port,
        True,
    )
    _, run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])
    try:
        # when
        result = process(run, clock)
    finally:
        server.stop()

    # then: the rows wait, and their reply is the run's reason
    assert result.stopped == "paused"
    reason = "Waiting: the run is paused: The mail server's certificate was refused: self-signed certificate."
    assert rows(run) == {
        "ann@example.org": (DeliveryStatus.QUEUED, 0, None, reason),
        "bob@example.org": (DeliveryStatus.QUEUED, 0, None, reason),
    }
