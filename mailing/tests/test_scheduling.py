from datetime import UTC, datetime, timedelta

import pytest

from mailing import states
from mailing.delivery import lifecycle, runs
from mailing.models import DeliveryAttempt, DeliveryStatus, Mailing, MailingRun, MailingStatus, Periodicity
from mailing.scheduling import due_slot, next_slot_after, slots_between
from mailing.tests.factories import ClientFactory, MailingFactory


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- Pure functions ---------------------------------------------------------------------------


def test_once_has_the_start_as_its_only_slot():
    # when
    slots = slots_between(at("2028-01-31 09:30"), at("2029-01-01 00:00"), Periodicity.ONCE)

    # then
    assert slots == [at("2028-01-31 09:30")]


def test_daily_runs_every_calendar_day_at_the_start_time_across_the_leap_day():
    # when
    slots = slots_between(at("2028-02-27 09:30"), at("2028-03-02 09:30"), Periodicity.DAILY)

    # then: the end is exclusive
    assert slots == [at("2028-02-27 09:30"), at("2028-02-28 09:30"), at("2028-02-29 09:30"), at("2028-03-01 09:30")]


def test_weekly_runs_every_seven_days_for_a_year():
    # when
    slots = slots_between(at("2028-01-03 08:00"), at("2029-01-01 08:00"), Periodicity.WEEKLY)

    # then
    assert len(slots) == 52
    assert {slot.weekday() for slot in slots} == {0}
    assert {(slot.hour, slot.minute) for slot in slots} == {(8, 0)}
    assert slots[-1] == at("2028-12-25 08:00")


def test_monthly_from_the_31st_clamps_to_short_months_and_comes_back_to_the_31st():
    # when
    slots = slots_between(at("2028-01-31 18:45"), at("2029-01-01 00:00"), Periodicity.MONTHLY)

    # then: the leap year's February 29th, then the 31st again in March
    assert [slot.date().isoformat() for slot in slots] == [
        "2028-01-31",
        "2028-02-29",
        "2028-03-31",
        "2028-04-30",
        "2028-05-31",
        "2028-06-30",
        "2028-07-31",
        "2028-08-31",
        "2028-09-30",
        "2028-10-31",
        "2028-11-30",
        "2028-12-31",
    ]
    assert {(slot.hour, slot.minute) for slot in slots} == {(18, 45)}


def test_monthly_from_the_leap_day_runs_on_the_29th_and_february_28th_in_a_common_year():
    # when
    slots = slots_between(at("2028-02-29 07:00"), at("2029-03-30 00:00"), Periodicity.MONTHLY)

    # then
    assert slots[:2] == [at("2028-02-29 07:00"), at("2028-03-29 07:00")]
    assert slots[-2:] == [at("2029-02-28 07:00"), at("2029-03-29 07:00")]


@pytest.mark.parametrize(
    ("periodicity", "now", "expected"),
    [
        (Periodicity.ONCE, "2028-01-31 09:29", None),
        (Periodicity.ONCE, "2028-01-31 09:30", "2028-01-31 09:30"),
        (Periodicity.ONCE, "2028-03-01 00:00", "2028-01-31 09:30"),
        (Periodicity.DAILY, "2028-02-29 09:29", "2028-02-28 09:30"),
        (Periodicity.DAILY, "2028-02-29 09:30", "2028-02-29 09:30"),
        (Periodicity.WEEKLY, "2028-02-20 12:00", "2028-02-14 09:30"),
        (Periodicity.MONTHLY, "2028-02-29 09:30", "2028-02-29 09:30"),
        (Periodicity.MONTHLY, "2028-03-30 23:00", "2028-02-29 09:30"),
        (Periodicity.MONTHLY, "2028-03-31 09:30", "2028-03-31 09:30"),
        # At or after the end nothing is due, however late.
        (Periodicity.DAILY, "2028-06-30 09:30", None),
        (Periodicity.DAILY, "2030-01-01 00:00", None),
    ],
)
def test_due_slot_is_the_latest_slot_that_has_come_before_the_end(periodicity, now, expected):
    # when
    slot = due_slot(at("2028-01-31 09:30"), at("2028-06-30 09:30"), periodicity, at(now))

    # then
    assert slot == (at(expected) if expected else None)


@pytest.mark.parametrize(
    ("periodicity", "moment", "expected"),
    [
        (Periodicity.ONCE, "2028-01-01 00:00", "2028-01-31 09:30"),
        (Periodicity.ONCE, "2028-01-31 09:30", None),
        (Periodicity.DAILY, "2028-02-28 09:30", "2028-02-29 09:30"),
        (Periodicity.MONTHLY, "2028-01-31 09:30", "2028-02-29 09:30"),
        (Periodicity.MONTHLY, "2028-02-29 09:30", "2028-03-31 09:30"),
        (Periodicity.DAILY, "2028-06-29 09:30", None),
    ],
)
def test_next_slot_after_a_moment(periodicity, moment, expected):
    # when
    slot = next_slot_after(at("2028-01-31 09:30"), at("2028-06-30 09:30"), periodicity, at(moment))

    # then
    assert slot == (at(expected) if expected else None)


# --- The scheduler pass -----------------------------------------------------------------------


@pytest.fixture
def recipients(owner):
    return [ClientFactory(owner=owner, email="ann@example.org"), ClientFactory(owner=owner, email="bob@example.org")]


def make_mailing(owner, recipients, start, end, periodicity):
    return MailingFactory(owner=owner, clients=recipients, start_at=start, end_at=end, periodicity=periodicity)


def runs_of(mailing):
    return list(
        MailingRun.objects.filter(mailing=mailing).order_by("scheduled_for").values_list("scheduled_for", flat=True)
    )


@pytest.mark.django_db
def test_a_mailing_starting_now_gets_its_run_and_starts(owner, recipients):
    # given
    now = at("2028-02-01 09:30")
    mailing = make_mailing(owner, recipients, now, at("2028-03-01 00:00"), Periodicity.DAILY)

    # when
    (run,) = runs.run_due_mailings(now=now, enqueue=None)

    # then
    mailing.refresh_from_db()
    assert (run.scheduled_for, run.mailing_id) == (now, mailing.pk)
    assert sorted(DeliveryAttempt.objects.filter(run=run).values_list("email", "status")) == [
        ("ann@example.org", "QUEUED"),
        ("bob@example.org", "QUEUED"),
    ]
    assert (mailing.status, mailing.next_run_at) == (MailingStatus.STARTED, at("2028-02-02 09:30"))


@pytest.mark.django_db
def test_a_mailing_starting_later_runs_by_itself_at_its_start(owner, recipients):
    # given
    mailing = make_mailing(owner, recipients, at("2028-02-01 09:30"), at("2028-03-01 00:00"), Periodicity.ONCE)

    # when
    before = runs.run_due_mailings(now=at("2028-02-01 09:29"), enqueue=None)
    on_time = runs.run_due_mailings(now=at("2028-02-01 09:30"), enqueue=None)
    later = runs.run_due_mailings(now=at("2028-02-01 09:31"), enqueue=None)

    # then
    assert (len(before), len(on_time), len(later)) == (0, 1, 0)
    mailing.refresh_from_db()
    assert (mailing.status, mailing.next_run_at) == (MailingStatus.STARTED, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("periodicity", "start", "expected_runs"),
    [
        (Periodicity.DAILY, "2028-01-01 06:00", 366),
        (Periodicity.WEEKLY, "2028-01-01 06:00", 53),
        (Periodicity.MONTHLY, "2028-01-31 06:00", 12),
    ],
)
def test_a_year_of_minutely_scheduler_passes_makes_one_run_per_slot(
    owner, recipients, periodicity, start, expected_runs
):
    # given: a mailing over the leap year 2028, and the scheduler woken every hour
    mailing = make_mailing(owner, recipients, at(start), at("2029-01-01 00:00"), periodicity)

    # when
    now = at("2028-01-01 00:00")
    while now < at("2029-01-02 00:00"):
        next_due = Mailing.objects.get(pk=mailing.pk).next_run_at
        if next_due is None:
            break
        # Jump to the next due moment instead of ticking every minute (same result, fewer passes).
        now = max(now, next_due)
        runs.run_due_mailings(now=now, enqueue=None)
        now += timedelta(minutes=1)

    # then
    slots = runs_of(mailing)
    assert slots == slots_between(at(start), at("2029-01-01 00:00"), periodicity)
    assert len(slots) == expected_runs
    if periodicity == Periodicity.DAILY:
        assert at("2028-02-29 06:00") in slots
    mailing.refresh_from_db()
    assert mailing.next_run_at is None


@pytest.mark.django_db
def test_after_downtime_a_missed_run_is_sent_once_late(owner, recipients):
    # given: a daily mailing whose scheduler was down for three days
    mailing = make_mailing(owner, recipients, at("2028-02-01 09:30"), at("2028-03-01 00:00"), Periodicity.DAILY)
    runs.run_due_mailings(now=at("2028-02-01 09:30"), enqueue=None)

    # when
    late = runs.run_due_mailings(now=at("2028-02-04 15:00"), enqueue=None)
    again = runs.run_due_mailings(now=at("2028-02-04 15:01"), enqueue=None)

    # then: one run for the slot that is due, none for the slots missed before it
    assert [run.scheduled_for for run in late] == [at("2028-02-04 09:30")]
    assert again == []
    assert runs_of(mailing) == [at("2028-02-01 09:30"), at("2028-02-04 09:30")]
    mailing.refresh_from_db()
    assert mailing.next_run_at == at("2028-02-05 09:30")


@pytest.mark.django_db
def test_after_downtime_past_the_end_nothing_is_sent_and_the_mailing_finishes(owner, recipients):
    # given
    mailing = make_mailing(owner, recipients, at("2028-02-01 09:30"), at("2028-02-10 00:00"), Periodicity.DAILY)
    (run,) = runs.run_due_mailings(now=at("2028-02-01 09:30"), enqueue=None)
    states.move_deliveries(run.attempts.all(), DeliveryStatus.SKIPPED)
    assert lifecycle.run_finish_if_done(run_id=run.pk, now=at("2028-02-01 09:40"))

    # when
    late = runs.run_due_mailings(now=at("2028-02-12 00:00"), enqueue=None)

    # then
    assert late == []
    assert runs_of(mailing) == [at("2028-02-01 09:30")]
    mailing.refresh_from_db()
    assert (mailing.status, mailing.next_run_at) == (MailingStatus.FINISHED, None)


@pytest.mark.django_db
def test_the_end_passing_between_runs_finishes_the_mailing_when_its_last_run_is_done(owner, recipients):
    # given: a weekly mailing whose end falls before its second slot
    mailing = make_mailing(owner, recipients, at("2028-02-01 09:30"), at("2028-02-05 00:00"), Periodicity.WEEKLY)
    (run,) = runs.run_due_mailings(now=at("2028-02-01 09:30"), enqueue=None)

    # when: the run is still sending when the sweeper passes, then it is done
    still_open = lifecycle.runs_sweep(now=at("2028-02-01 09:35"), enqueue=None)
    DeliveryAttempt.objects.filter(run=run).update(status="SENT")
    done = lifecycle.runs_sweep(now=at("2028-02-01 09:40"), enqueue=None)

    # then
    assert (still_open.finished_mailings, done.finished_runs, done.finished_mailings) == ([], [run.pk], [mailing.pk])
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.FINISHED


@pytest.mark.django_db
def test_a_mailing_whose_end_passed_before_it_ever_ran_finishes_without_sending(owner, recipients):
    # given
    mailing = make_mailing(owner, recipients, at("2028-02-01 09:30"), at("2028-02-01 10:00"), Periodicity.ONCE)

    # when
    created = runs.run_due_mailings(now=at("2028-02-01 10:00"), enqueue=None)

    # then
    assert created == []
    mailing.refresh_from_db()
    assert (mailing.status, mailing.next_run_at) == (MailingStatus.FINISHED, None)


@pytest.mark.django_db
def test_a_disabled_mailing_or_a_blocked_owner_gets_no_run(owner, recipients, other_owner):
    # given
    now = at("2028-02-01 09:30")
    disabled = make_mailing(owner, recipients, now, at("2028-03-01 00:00"), Periodicity.ONCE)
    Mailing.objects.filter(pk=disabled.pk).update(is_active=False)
    other_owner.blocked_at = now
    other_owner.save()
    blocked = make_mailing(other_owner, [ClientFactory(owner=other_owner)], now, at("2028-03-01"), Periodicity.ONCE)

    # when
    created = runs.run_due_mailings(now=now, enqueue=None)

    # then
    assert created == []
    assert runs_of(disabled) == runs_of(blocked) == []


@pytest.mark.django_db
def test_the_scheduler_enqueues_each_new_run_once_its_transaction_commits(
    owner, recipients, django_capture_on_commit_callbacks
):
    # given
    now = at("2028-02-01 09:30")
    make_mailing(owner, recipients, now, at("2028-03-01 00:00"), Periodicity.ONCE)
    enqueued = []

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        (run,) = runs.run_due_mailings(now=now, enqueue=enqueued.append)

    # then: the run was enqueued by the callback, not before
    assert len(callbacks) >= 1
    assert enqueued == [run.pk]
