"""The engine against a real SMTP server on loopback, well-behaved and not."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from mailing.delivery import claims, lifecycle, runs
from mailing.delivery.config import Config
from mailing.delivery.worker import run_process
from mailing.models import DeliveryAttempt, DeliveryStatus, Mailing, MailingStatus, RunStatus
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory
from mailing.tests.smtp_server import SmtpServer, free_port

pytestmark = pytest.mark.django_db


def make_run(owner, clock, emails, *, subject="Hello {name}", body="Dear {name},\nnews for {email}.\n", **mailing):
    clients = [ClientFactory(owner=owner, email=email, full_name=f"Name {email.split('@')[0]}") for email in emails]
    message = MessageFactory(owner=owner, subject=subject, body=body)
    start = clock.now - timedelta(minutes=1)
    mailing = MailingFactory(
        owner=owner, message=message, clients=clients, start_at=start, end_at=start + timedelta(days=30), **mailing
    )
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    return mailing, run


def process(run, clock):
    return run_process(run_id=run.pk, clock=clock, handover=None)


def rows(run):
    return {
        row.email: (row.status, row.attempts, row.smtp_code, row.server_response)
        for row in DeliveryAttempt.objects.filter(run=run)
    }


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_run_sends_one_personal_message_per_recipient(owner, clock, smtp_server, pipelining):
    # given
    smtp_server.behaviour.pipelining = pipelining
    mailing, run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])

    # when
    result = process(run, clock)

    # then
    assert (result.sent, result.deferred, result.failed, result.stopped) == (2, 0, 0, "done")
    assert rows(run) == {
        "ann@example.org": (DeliveryStatus.SENT, 1, 250, "250 2.0.0 Ok: queued as Q00001"),
        "bob@example.org": (DeliveryStatus.SENT, 1, 250, "250 2.0.0 Ok: queued as Q00002"),
    }
    assert [(m.mail_from, m.rcpt_tos) for m in smtp_server.messages] == [
        ("news@shop.example", ("ann@example.org",)),
        ("news@shop.example", ("bob@example.org",)),
    ]
    ann = smtp_server.messages[0].message
    attempt = DeliveryAttempt.objects.get(email="ann@example.org")
    assert ann["To"] == "Name ann <ann@example.org>"
    assert ann["From"] == "Shop <news@shop.example>"
    assert ann["Subject"] == "Hello Name ann"
    assert ann["Message-ID"] == attempt.message_id
    assert ann["Date"] is not None
    assert ann["List-Unsubscribe"].startswith("<https://mail.example.net/unsubscribe/")
    assert ann["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ann.get_content() == "Dear Name ann,\nnews for ann@example.org.\n"
    run.refresh_from_db()
    mailing.refresh_from_db()
    assert (run.status, run.finished_at, run.started_at) == (RunStatus.FINISHED, clock.now, clock.now)
    assert (mailing.status, mailing.next_run_at) == (MailingStatus.FINISHED, None)


@pytest.mark.parametrize("pipelining", [True, False])
def test_each_kind_of_refusal_is_logged_and_only_accepted_mail_is_kept(owner, clock, smtp_server, pipelining):
    # given: a busy mailbox, a server that hangs up after the data, an unknown user, a good one
    smtp_server.behaviour.pipelining = pipelining
    smtp_server.behaviour.rcpt_replies = {
        "busy@example.org": "451 4.2.1 Mailbox busy, try later",
        "nobody@example.org": "550 5.1.1 <nobody@example.org>: Recipient address rejected",
    }
    smtp_server.behaviour.data_replies = {"bye@example.org": "421 4.3.2 Service shutting down"}
    _, run = make_run(owner, clock, ["busy@example.org", "bye@example.org", "nobody@example.org", "ok@example.org"])

    # when
    result = process(run, clock)

    # then: 4xx deferred, a 5xx to RCPT bounced (a hard bounce) at once, and the rest sent on a
    # new connection after the 421, on which the server hung up
    assert (result.sent, result.deferred, result.failed, result.bounced, result.stopped) == (1, 2, 0, 1, "done")
    assert rows(run) == {
        "busy@example.org": (DeliveryStatus.DEFERRED, 1, 451, "451 4.2.1 Mailbox busy, try later"),
        "bye@example.org": (DeliveryStatus.DEFERRED, 1, 421, "421 4.3.2 Service shutting down"),
        "nobody@example.org": (
            DeliveryStatus.BOUNCED,
            1,
            550,
            "550 5.1.1 <nobody@example.org>: Recipient address rejected",
        ),
        "ok@example.org": (DeliveryStatus.SENT, 1, 250, "250 2.0.0 Ok: queued as Q00001"),
    }
    assert smtp_server.recipients() == ["ok@example.org"]
    assert smtp_server.connections == 2
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # retries are pending


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_batch_that_fails_half_way_settles_each_row_by_its_own_reply(owner, clock, smtp_server, pipelining):
    # given: ten recipients in one batch; the server refuses the 3rd's data, and hangs up in the
    # middle of the 6th's (with PIPELINING the 7th's envelope is already on the wire by then)
    smtp_server.behaviour.pipelining = pipelining
    smtp_server.behaviour.data_replies = {"r2@example.org": "554 5.7.1 Message rejected"}
    smtp_server.behaviour.drop_in_data_for = {"r5@example.org"}
    emails = [f"r{n}@example.org" for n in range(10)]
    _, run = make_run(owner, clock, emails)

    # when
    result = process(run, clock)

    # then: each row holds the reply to its own message: the queue id the server gave it, the
    # refusal, the hang-up; the rest went out once on a new connection
    queue_ids = {received.rcpt_tos[0]: received.queue_id for received in smtp_server.messages}
    sent = [email for email in emails if email not in ("r2@example.org", "r5@example.org")]
    assert smtp_server.recipients() == sent
    assert (result.sent, result.deferred, result.failed, result.stopped) == (8, 1, 1, "done")
    assert rows(run) == {
        **{email: (DeliveryStatus.SENT, 1, 250, f"250 2.0.0 Ok: queued as {queue_ids[email]}") for email in sent},
        "r2@example.org": (DeliveryStatus.FAILED, 1, 554, "554 5.7.1 Message rejected"),
        "r5@example.org": (
            DeliveryStatus.DEFERRED,
            1,
            None,
            "The mail server closed the connection (Connection unexpectedly closed).",
        ),
    }
    assert [queue_ids[email] for email in sent] == [f"Q{n:05d}" for n in range(1, 9)]


def test_a_deferred_row_is_retried_with_growing_delays_then_fails(owner, clock, smtp_server):
    # given
    smtp_server.behaviour.rcpt_replies = {"busy@example.org": "451 4.2.1 Mailbox busy"}
    _, run = make_run(owner, clock, ["busy@example.org"])

    # when: each retry is run as soon as it is due
    delays = []
    for _ in range(5):
        process(run, clock)
        row = DeliveryAttempt.objects.get(run=run)
        if row.next_attempt_at is not None:
            delays.append((row.next_attempt_at - clock.now).total_seconds())
            clock.now = row.next_attempt_at

    # then: about 60, 120, 240, 480 s (+-20 %), then FAILED on the 5th attempt
    assert len(delays) == 4
    for n, delay in enumerate(delays):
        assert 60 * 2**n * 0.8 <= delay <= 60 * 2**n * 1.2
    assert rows(run) == {"busy@example.org": (DeliveryStatus.FAILED, 5, 451, "451 4.2.1 Mailbox busy")}
    assert smtp_server.messages == []
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED


def test_a_retry_is_not_sent_before_it_is_due(owner, clock, smtp_server):
    # given
    smtp_server.behaviour.rcpt_replies = {"busy@example.org": "451 4.2.1 Mailbox busy"}
    _, run = make_run(owner, clock, ["busy@example.org"])
    process(run, clock)
    smtp_server.behaviour.rcpt_replies = {}

    # when
    clock.advance(seconds=30)
    early = process(run, clock)
    clock.advance(seconds=60)
    due = process(run, clock)

    # then
    assert (early.sent, due.sent) == (0, 1)
    assert rows(run) == {"busy@example.org": (DeliveryStatus.SENT, 2, 250, "250 2.0.0 Ok: queued as Q00001")}


@pytest.mark.parametrize(
    ("misbehave", "response"),
    [
        (
            lambda behaviour: setattr(behaviour, "mail_delay", 2),
            "Timed out after 1 s waiting for the mail server.",
        ),
        (
            lambda behaviour: setattr(behaviour, "mail_reply", "HELLO? this is not SMTP"),
            "Unreadable reply from the mail server: O? this is not SMTP",
        ),
        (
            lambda behaviour: setattr(behaviour, "drop_in_data", True),
            "The mail server closed the connection (Connection unexpectedly closed).",
        ),
    ],
    ids=["slow reply", "garbage reply", "dropped in DATA"],
)
@pytest.mark.parametrize("pipelining", [True, False])
def test_a_broken_transaction_is_deferred_and_sent_once_when_the_server_recovers(
    owner, clock, smtp_server, engine_settings, misbehave, response, pipelining
):
    # given: a timeout of 1 s, which the slow reply (2 s) outlasts
    engine_settings.EMAIL_TIMEOUT = 1
    smtp_server.behaviour.pipelining = pipelining
    misbehave(smtp_server.behaviour)
    _, run = make_run(owner, clock, ["ann@example.org"])

    # when
    first = process(run, clock)

    # then
    assert (first.sent, first.deferred, first.stopped) == (0, 1, "done")
    assert rows(run) == {"ann@example.org": (DeliveryStatus.DEFERRED, 1, None, response)}
    assert smtp_server.messages == []

    # when: the server behaves again and the retry comes due
    smtp_server.behaviour = type(smtp_server.behaviour)(pipelining=pipelining)
    clock.now = DeliveryAttempt.objects.get(run=run).next_attempt_at
    second = process(run, clock)

    # then
    assert second.sent == 1
    assert rows(run)["ann@example.org"][:2] == (DeliveryStatus.SENT, 2)
    assert smtp_server.recipients() == ["ann@example.org"]


def test_a_row_older_than_the_max_age_fails_on_its_next_deferral(owner, clock, smtp_server, settings):
    # given
    settings.MAILING_MAX_AGE = 3600
    smtp_server.behaviour.rcpt_replies = {"busy@example.org": "451 4.2.1 Mailbox busy"}
    _, run = make_run(owner, clock, ["busy@example.org"])
    process(run, clock)

    # when
    clock.advance(hours=2)
    process(run, clock)

    # then
    assert rows(run) == {"busy@example.org": (DeliveryStatus.FAILED, 2, 451, "451 4.2.1 Mailbox busy")}


def test_unsubscribed_and_deleted_clients_are_skipped(owner, clock, smtp_server):
    # given
    mailing, run = make_run(owner, clock, ["ann@example.org", "bob@example.org", "cat@example.org"])
    ann = mailing.clients.get(email="ann@example.org")
    ann.unsubscribed_at = clock.now
    ann.save()
    mailing.clients.get(email="bob@example.org").delete()

    # when
    result = process(run, clock)

    # then
    assert (result.sent, result.skipped) == (1, 2)
    assert rows(run) == {
        "ann@example.org": (DeliveryStatus.SKIPPED, 0, None, "Not sent: the client has unsubscribed."),
        "bob@example.org": (DeliveryStatus.SKIPPED, 0, None, "Not sent: the client was deleted."),
        "cat@example.org": (DeliveryStatus.SENT, 1, 250, "250 2.0.0 Ok: queued as Q00001"),
    }


def test_a_client_unsubscribed_before_the_run_is_logged_as_skipped(owner, clock):
    # given
    client = ClientFactory(owner=owner, email="gone@example.org", unsubscribed_at=clock.now)
    MailingFactory(owner=owner, clients=[client], start_at=clock.now, end_at=clock.now + timedelta(days=1))

    # when
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)

    # then
    assert rows(run) == {
        "gone@example.org": (DeliveryStatus.SKIPPED, 0, None, "Not sent: the client has unsubscribed.")
    }


# --- The circuit breaker ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outage", "error"),
    [
        ("refused", "Connection refused by the mail server."),
        ("421 greeting", "The mail server refused the session: 421 4.3.2 Too busy, come back later"),
        ("slow greeting", "Timed out after 1 s waiting for the mail server."),
    ],
)
def test_an_outage_pauses_the_run_fails_nothing_and_the_run_resumes_by_itself(
    owner, clock, engine_settings, outage, error
):
    # given: a server that cannot be reached (a timeout of 1 s, which the slow greeting outlasts)
    engine_settings.EMAIL_TIMEOUT = 1
    port = free_port()
    engine_settings.EMAIL_HOST, engine_settings.EMAIL_PORT = "127.0.0.1", port
    broken = None
    if outage != "refused":
        broken = SmtpServer(port).start()
        if outage == "421 greeting":
            broken.behaviour.greeting = "421 4.3.2 Too busy, come back later"
        else:
            broken.behaviour.greeting_delay = 2
    _, run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])

    # when
    result = process(run, clock)

    # then: three failures in a row open the breaker; no row was tried, none failed, and each
    # says why it waits
    run.refresh_from_db()
    assert (result.connection_failures, result.stopped) == (3, "paused")
    assert result.paused_until == clock.now + timedelta(seconds=60)
    assert (run.status, run.paused_until, run.consecutive_failures, run.last_error) == (
        RunStatus.PAUSED,
        clock.now + timedelta(seconds=60),
        3,
        error,
    )
    assert set(rows(run).values()) == {(DeliveryStatus.QUEUED, 0, None, f"Waiting: the run is paused: {error}")}

    # when: the pause is not over yet, then it is but the server is still away
    clock.advance(seconds=30)
    assert process(run, clock).stopped == "paused"
    clock.advance(seconds=30)
    assert lifecycle.runs_sweep(now=clock(), enqueue=None).enqueued == [run.pk]
    again = process(run, clock)

    # then: one more failure pauses it again, for twice as long
    run.refresh_from_db()
    assert (again.connection_failures, again.stopped) == (1, "paused")
    assert (run.status, run.paused_until) == (RunStatus.PAUSED, clock.now + timedelta(seconds=120))

    # when: the server is back and the pause is over
    if broken is not None:
        broken.stop()
    server = SmtpServer(port).start()
    try:
        clock.advance(seconds=120)
        assert lifecycle.runs_sweep(now=clock(), enqueue=None).enqueued == [run.pk]
        resumed = process(run, clock)
    finally:
        server.stop()

    # then
    run.refresh_from_db()
    assert (resumed.sent, resumed.stopped) == (2, "done")
    assert (run.status, run.consecutive_failures, run.pauses) == (RunStatus.FINISHED, 0, 0)
    assert sorted(server.recipients()) == ["ann@example.org", "bob@example.org"]


# --- Stopping and resuming --------------------------------------------------------------------


def _mailing(m):
    return Mailing.objects.filter(pk=m.pk)


def _owner(m):
    return type(m.owner).objects.filter(pk=m.owner_id)


@pytest.mark.parametrize(
    ("stop", "resume"),
    [
        (lambda m: _mailing(m).update(is_active=False), lambda m: _mailing(m).update(is_active=True)),
        (lambda m: _owner(m).update(blocked_at=m.start_at), lambda m: _owner(m).update(blocked_at=None)),
        (lambda m: _owner(m).update(is_active=False), lambda m: _owner(m).update(is_active=True)),
    ],
    ids=["mailing disabled", "owner blocked", "owner deactivated"],
)
def test_a_stopped_mailing_sends_nothing_more_mid_run_and_resumes_when_allowed(
    owner, clock, smtp_server, engine_settings, stop, resume
):
    # given: batches of two, and the mailing stopped after the first batch
    engine_settings.MAILING_BATCH_SIZE = 2
    emails = [f"c{n}@example.org" for n in range(5)]
    mailing, run = make_run(owner, clock, emails)

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None, on_batch=lambda _: stop(mailing))

    # then
    assert (result.sent, result.stopped) == (2, "held")
    assert sorted(status for status, *_ in rows(run).values()) == ["QUEUED"] * 3 + ["SENT"] * 2
    assert lifecycle.runs_sweep(now=clock.advance(minutes=5), enqueue=None).enqueued == []
    assert runs.run_due_mailings(now=clock(), enqueue=None) == []

    # when: allowed again, the sweeper picks the run up
    resume(mailing)
    enqueued = lifecycle.runs_sweep(now=clock(), enqueue=None).enqueued
    rest = process(run, clock)

    # then
    assert enqueued == [run.pk]
    assert rest.sent == 3
    assert sorted(smtp_server.recipients()) == emails


def test_a_run_stops_when_the_end_passes_and_the_rest_is_skipped(owner, clock, smtp_server, engine_settings):
    # given
    engine_settings.MAILING_BATCH_SIZE = 2
    mailing, run = make_run(owner, clock, [f"c{n}@example.org" for n in range(5)])

    def end_passes(_):
        clock.now = mailing.end_at

    # when
    result = run_process(run_id=run.pk, clock=clock, handover=None, on_batch=end_passes)

    # then
    assert (result.sent, result.stopped) == (2, "ended")
    assert sorted(row[0] for row in rows(run).values()) == ["SENT"] * 2 + ["SKIPPED"] * 3
    assert {row[3] for row in rows(run).values() if row[0] == "SKIPPED"} == {
        "Not sent: the mailing's end passed first."
    }
    run.refresh_from_db()
    mailing.refresh_from_db()
    assert (run.status, mailing.status) == (RunStatus.FINISHED, MailingStatus.FINISHED)
    assert len(smtp_server.messages) == 2


# --- Claims, leases and the sweeper -----------------------------------------------------------


def test_claims_never_share_a_row_and_an_expired_lease_is_taken_over(owner, clock, engine_settings):
    # given
    engine_settings.MAILING_BATCH_SIZE = 3
    _, run = make_run(owner, clock, [f"c{n}@example.org" for n in range(5)])
    config = Config.from_settings()

    # when
    first = claims.claim(run_id=run.pk, now=clock(), config=config)
    second = claims.claim(run_id=run.pk, now=clock(), config=config)
    third = claims.claim(run_id=run.pk, now=clock(), config=config)
    after_lease = claims.claim(
        run_id=run.pk, now=clock.advance(seconds=config.lease.total_seconds() + 1), config=config
    )

    # then
    ids = sorted(DeliveryAttempt.objects.filter(run=run).values_list("pk", flat=True))
    assert [row[0] for row in first.rows] == ids[:3]
    assert [row[0] for row in second.rows] == ids[3:]
    assert third.rows == []
    assert [row[0] for row in after_lease.rows] == ids[:3]
    assert DeliveryAttempt.objects.filter(lease_token=first.token).count() == 0


def test_the_sweeper_finishes_the_run_of_a_dead_worker(owner, clock, smtp_server):
    # given: a worker claimed the rows and died before sending them
    _, run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])
    config = Config.from_settings()
    claims.run_take(run_id=run.pk, now=clock(), config=config, worker="dead-worker")
    claims.claim(run_id=run.pk, now=clock(), config=config)

    # when: while the lease lives nobody takes over; after it the sweeper hands the run on
    live = lifecycle.runs_sweep(now=clock.advance(seconds=10), enqueue=None)
    expired = lifecycle.runs_sweep(now=clock.advance(seconds=config.lease.total_seconds()), enqueue=None)
    again = lifecycle.runs_sweep(now=clock.advance(seconds=1), enqueue=None)
    result = process(run, clock)

    # then
    assert (live.enqueued, expired.enqueued, again.enqueued) == ([], [run.pk], [])
    assert result.sent == 2
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert sorted(smtp_server.recipients()) == ["ann@example.org", "bob@example.org"]


def test_the_sweeper_enqueues_a_run_whose_retries_came_due(owner, clock, smtp_server):
    # given
    smtp_server.behaviour.rcpt_replies = {"busy@example.org": "451 4.2.1 Mailbox busy"}
    _, run = make_run(owner, clock, ["busy@example.org"])
    process(run, clock)
    due_at = DeliveryAttempt.objects.get(run=run).next_attempt_at

    # when
    before = lifecycle.runs_sweep(now=due_at - timedelta(seconds=1), enqueue=None)
    after = lifecycle.runs_sweep(now=due_at, enqueue=None)

    # then
    assert (before.enqueued, after.enqueued) == ([], [run.pk])


def test_one_row_per_run_and_client_is_a_database_constraint(owner, clock):
    # given
    _, run = make_run(owner, clock, ["ann@example.org"])
    row = DeliveryAttempt.objects.get(run=run)

    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryAttempt.objects.create(run=run, client_id=row.client_id, email=row.email)


def test_nothing_raises_out_of_the_worker(owner, clock, smtp_server, engine_settings):
    # given: a setting that makes the engine itself fail
    _, run = make_run(owner, clock, ["ann@example.org"])
    engine_settings.MAILING_BATCH_SIZE = "not a number"

    # when
    result = process(run, clock)

    # then
    assert result.stopped == "error"
    assert smtp_server.messages == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_workers_claim_disjoint_batches(owner, clock, engine_settings):
    # given: 300 rows, and four workers claiming batches of 10 at the same time (row locks with
    # SKIP LOCKED on PostgreSQL; SQLite's single writer serialises the claims)
    engine_settings.MAILING_BATCH_SIZE = 10
    _, run = make_run(owner, clock, [f"c{n}@example.org" for n in range(300)])
    config = Config.from_settings()
    claimed: list[list[int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker():
        try:
            start.wait()
            while rows := claims.claim(run_id=run.pk, now=clock(), config=config).rows:
                claimed.append([row[0] for row in rows])
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then: every row claimed exactly once
    assert errors == []
    ids = [pk for batch in claimed for pk in batch]
    assert len(ids) == len(set(ids)) == 300
    assert all(len(batch) <= 10 for batch in claimed)
    assert DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENDING).count() == 300


def test_an_address_that_would_inject_smtp_commands_is_never_sent(owner, clock, smtp_server):
    # given: a row whose address got a line break past validation
    _, run = make_run(owner, clock, ["ann@example.org", "bob@example.org"])
    DeliveryAttempt.objects.filter(email="ann@example.org").update(
        email="ann@example.org>\r\nRCPT TO:<evil@example.org"
    )

    # when
    result = process(run, clock)

    # then
    assert (result.sent, result.failed) == (1, 1)
    assert smtp_server.recipients() == ["bob@example.org"]
    assert DeliveryAttempt.objects.get(client__email="ann@example.org").server_response == (
        "Not sent: the address cannot be used in SMTP."
    )
