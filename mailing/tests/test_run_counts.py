"""A run's counts are taken as it closes; a mailing's stats add them to its open runs' rows."""

from datetime import timedelta

import pytest

from mailing import selectors, states
from mailing.delivery import lifecycle, runs
from mailing.models import DeliveryAttempt, DeliveryStatus, MailingRun, RunStatus
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def make_mailing(owner, clock, emails):
    clients = [ClientFactory(owner=owner, email=email) for email in emails]
    start = clock.now - timedelta(minutes=1)
    return MailingFactory(
        owner=owner, clients=clients, start_at=start, end_at=start + timedelta(days=30), periodicity="DAILY"
    )


def settle(run, **statuses):
    """Move the run's rows (by e-mail) through SENDING to their final status, as the engine does."""
    for email, status in statuses.items():
        row = DeliveryAttempt.objects.filter(run=run, email=email)
        assert states.move_deliveries(row, DeliveryStatus.SENDING) == 1
        assert states.move_deliveries(row, status) == 1


def counts(run):
    run.refresh_from_db()
    return (run.status, run.total_count, run.sent_count, run.failed_count, run.skipped_count)


def test_a_run_closes_with_its_counts(owner, clock):
    # given
    make_mailing(owner, clock, ["ann@example.org", "bob@example.org", "cat@example.org", "dan@example.org"])
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    settle(
        run,
        **{
            "ann@example.org": DeliveryStatus.SENT,
            "bob@example.org": DeliveryStatus.SENT,
            "cat@example.org": DeliveryStatus.FAILED,
            "dan@example.org": DeliveryStatus.SKIPPED,
        },
    )

    # when
    finished = lifecycle.run_finish_if_done(run_id=run.pk, now=clock())

    # then
    assert finished is True
    assert counts(run) == (RunStatus.FINISHED, 4, 2, 1, 1)


@pytest.mark.parametrize("target", [RunStatus.FINISHED, RunStatus.CANCELLED])
@pytest.mark.parametrize("open_status", [DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED])
def test_a_run_with_an_open_row_does_not_close(owner, clock, target, open_status):
    # given: one row sent, one still open
    make_mailing(owner, clock, ["ann@example.org", "bob@example.org"])
    (run,) = runs.run_due_mailings(now=clock(), enqueue=None)
    settle(run, **{"ann@example.org": DeliveryStatus.SENT})
    bob = DeliveryAttempt.objects.filter(run=run, email="bob@example.org")
    if open_status != DeliveryStatus.QUEUED:
        states.move_deliveries(bob, DeliveryStatus.SENDING)
    if open_status == DeliveryStatus.DEFERRED:
        states.move_deliveries(bob, DeliveryStatus.DEFERRED)

    # when
    moved = states.move_runs(MailingRun.objects.filter(pk=run.pk), target)

    # then
    assert moved == 0
    assert counts(run) == (RunStatus.PENDING, None, None, None, None)


def test_a_mailings_stats_add_its_closed_runs_counts_to_its_open_runs_rows(owner, clock):
    # given: a finished run, then a run of the next day that is half way
    mailing = make_mailing(owner, clock, ["ann@example.org", "bob@example.org", "cat@example.org"])
    (first,) = runs.run_due_mailings(now=clock(), enqueue=None)
    settle(
        first,
        **{
            "ann@example.org": DeliveryStatus.SENT,
            "bob@example.org": DeliveryStatus.FAILED,
            "cat@example.org": DeliveryStatus.SKIPPED,
        },
    )
    assert lifecycle.run_finish_if_done(run_id=first.pk, now=clock())
    (second,) = runs.run_due_mailings(now=clock.advance(days=1), enqueue=None)
    settle(second, **{"ann@example.org": DeliveryStatus.SENT, "bob@example.org": DeliveryStatus.DEFERRED})

    # when
    stats = selectors.mailing_stats(mailing=mailing)
    listed = selectors.mailing_list(viewer=owner).annotate(**selectors.MAILING_STATS).get(pk=mailing.pk)

    # then: the first run's counts, and the second's rows as they stand
    assert counts(first)[1:] == (3, 1, 1, 1)
    assert counts(second)[1:] == (None, None, None, None)
    assert stats == {
        "total": 6,
        "sent": 2,
        "deferred": 1,
        "failed": 1,
        "skipped": 1,
        "pending": 1,
        "bounced": 0,
        "complained": 0,
    }
    assert selectors.mailing_stats(mailing=listed) == stats
