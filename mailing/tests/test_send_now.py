""" "Send now" on a mailing whose last run only waits on retries: the old run is closed and a new
one sends to everyone again; while a run still makes first attempts, it is refused."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mailing.delivery import runs
from mailing.delivery.worker import run_process
from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, RunStatus, RunTrigger
from mailing.tests.factories import ClientFactory, MailingFactory

IN_PROGRESS = (
    "A run of this mailing is still making its first attempts. “Send now” can start a new run once every "
    "recipient has been tried."
)


def _mailing(owner, clock, emails):
    clients = [ClientFactory(owner=owner, email=email) for email in emails]
    start = clock.now - timedelta(minutes=1)
    return MailingFactory(owner=owner, clients=clients, start_at=start, end_at=start + timedelta(days=30))


def _rows(run):
    return {
        row.email: (row.status, row.attempts, row.server_response, row.next_attempt_at)
        for row in DeliveryAttempt.objects.filter(run=run)
    }


@pytest.mark.django_db
def test_send_now_after_a_451_closes_the_waiting_run_and_sends_to_everyone_again(owner, clock, smtp_server):
    # given: a run that sent to one mailbox and only waits to retry the other after a 451
    smtp_server.behaviour.rcpt_replies = {"busy@example.org": "451 4.2.1 Mailbox busy"}
    mailing = _mailing(owner, clock, ["busy@example.org", "ok@example.org"])
    (old,) = runs.run_due_mailings(now=clock(), enqueue=None)
    run_process(run_id=old.pk, clock=clock, handover=None)
    old.refresh_from_db()
    assert old.status == RunStatus.RUNNING
    smtp_server.behaviour.rcpt_replies = {}

    # when: the owner sends now, long before the retry is due
    clock.advance(seconds=5)
    new = runs.mailing_send_now(mailing=mailing, now=clock(), enqueue=None)

    # then: the waiting row is SKIPPED with its last reply kept, the old run is FINISHED with its
    # counts, and the new run has a row per recipient
    old.refresh_from_db()
    assert (old.status, old.finished_at, old.lease_until) == (RunStatus.FINISHED, clock.now, None)
    assert (old.total_count, old.sent_count, old.failed_count, old.skipped_count) == (2, 1, 0, 1)
    assert _rows(old) == {
        "busy@example.org": (
            DeliveryStatus.SKIPPED,
            1,
            "Not retried: “Send now” started a new run. The last reply was: 451 4.2.1 Mailbox busy",
            None,
        ),
        "ok@example.org": (DeliveryStatus.SENT, 1, "250 2.0.0 Ok: queued as Q00001", None),
    }
    assert (new.trigger, new.status, new.scheduled_for) == (RunTrigger.MANUAL, RunStatus.PENDING, clock.now)
    assert _rows(new) == {
        "busy@example.org": (DeliveryStatus.QUEUED, 0, "", None),
        "ok@example.org": (DeliveryStatus.QUEUED, 0, "", None),
    }

    # when: the new run is sent
    result = run_process(run_id=new.pk, clock=clock, handover=None)

    # then: both recipients got it this time
    assert (result.sent, result.deferred) == (2, 0)
    assert sorted(smtp_server.recipients()) == ["busy@example.org", "ok@example.org", "ok@example.org"]
    assert list(MailingRun.objects.filter(mailing=mailing).order_by("id").values_list("trigger", "status")) == [
        (RunTrigger.SCHEDULE, RunStatus.FINISHED),
        (RunTrigger.MANUAL, RunStatus.FINISHED),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("first_attempt", [DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
def test_send_now_is_refused_while_a_row_makes_its_first_attempt(owner, clock, first_attempt):
    # given: a run with a retry waiting, and a row never tried (or being sent now)
    mailing = _mailing(owner, clock, ["busy@example.org", "new@example.org"])
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    retry_at = clock.now + timedelta(minutes=10)
    DeliveryAttempt.objects.filter(run=run, email="busy@example.org").update(
        status=DeliveryStatus.DEFERRED, attempts=1, server_response="451 4.2.1 Mailbox busy", next_attempt_at=retry_at
    )
    DeliveryAttempt.objects.filter(run=run, email="new@example.org").update(status=first_attempt)
    before = _rows(run)

    # when
    with pytest.raises(ValidationError) as refusal:
        runs.mailing_send_now(mailing=mailing, now=clock.advance(seconds=5), enqueue=None)

    # then: nothing moved
    assert refusal.value.message_dict == {"id": [IN_PROGRESS]}
    assert refusal.value.error_dict["id"][0].code == "run_in_progress"
    assert _rows(run) == before
    assert list(MailingRun.objects.values_list("pk", "status")) == [(run.pk, RunStatus.PENDING)]


@pytest.mark.django_db
def test_send_now_closes_a_paused_run_that_only_waits_on_retries(owner, clock):
    # given: the circuit breaker paused a run whose rows were all tried once
    mailing = _mailing(owner, clock, ["a@example.org", "b@example.org"])
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    DeliveryAttempt.objects.filter(run=run).update(
        status=DeliveryStatus.DEFERRED, attempts=1, server_response="Connection refused", next_attempt_at=clock.now
    )
    MailingRun.objects.filter(pk=run.pk).update(status=RunStatus.PAUSED, paused_until=clock.now + timedelta(hours=1))

    # when
    new = runs.mailing_send_now(mailing=mailing, now=clock.advance(seconds=5), enqueue=None)

    # then
    run.refresh_from_db()
    assert (run.status, run.skipped_count) == (RunStatus.FINISHED, 2)
    assert sorted(_rows(new).values()) == [(DeliveryStatus.QUEUED, 0, "", None)] * 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("last_run", ["waits on retries", "none"])
def test_two_send_now_at_once_start_one_run(owner, clock, last_run):
    """Which guard each case checks. `[none]` checks the mailing's row lock in
    `runs.mailing_send_now` (the `select_for_update`): without it, this case starts two runs on
    PostgreSQL. `[waits on retries]` passes without that lock: the second caller's UPDATE of the
    old run's DEFERRED rows waits for the first's row locks, then the conditional move of the run
    (`_run_supersede`, `states.move_runs`) finds it FINISHED and refuses. On SQLite the one
    writer orders the two in both cases, so neither can fail there."""
    # given
    mailing = _mailing(owner, clock, ["busy@example.org", "ok@example.org"])
    old = None
    if last_run == "waits on retries":
        (old,) = runs.run_due_mailings(now=clock(), enqueue=None)
        DeliveryAttempt.objects.filter(run=old).update(
            status=DeliveryStatus.DEFERRED, attempts=1, next_attempt_at=clock.now + timedelta(minutes=10)
        )
    start = threading.Barrier(2)
    started: list[int] = []
    refused: list[list[str]] = []
    errors: list[BaseException] = []

    def send_now(offset):
        try:
            start.wait()
            started.append(runs.mailing_send_now(mailing=mailing, now=clock.now + offset, enqueue=None).pk)
        except ValidationError as error:
            refused.append(error.message_dict["id"])
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    # when: each asks at its own moment, so that the slot's unique key cannot be what refuses one
    threads = [threading.Thread(target=send_now, args=(timedelta(seconds=n + 1),)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then
    assert errors == []
    assert len(started) == 1
    assert refused == [[IN_PROGRESS]]
    manual = MailingRun.objects.get(trigger=RunTrigger.MANUAL)
    assert manual.pk == started[0]
    assert sorted(DeliveryAttempt.objects.filter(run=manual).values_list("email", "status")) == [
        ("busy@example.org", DeliveryStatus.QUEUED),
        ("ok@example.org", DeliveryStatus.QUEUED),
    ]
    if old is not None:
        old.refresh_from_db()
        assert (old.status, old.skipped_count) == (RunStatus.FINISHED, 2)
    assert MailingRun.objects.filter(status__in=[RunStatus.PENDING, RunStatus.RUNNING]).count() == 1
