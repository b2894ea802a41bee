"""Schedules in a mailing's own zone: the same wall-clock time across DST, each slot sent once."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailing.delivery import runs
from mailing.models import Mailing, MailingRun, Periodicity
from mailing.scheduling import due_slot, next_slot_after, slots_between, wall_time_to_instant
from mailing.services.mailings import mailing_create
from mailing.tests.factories import ClientFactory, MessageFactory

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


# --- Pure functions (2027: clocks go forward on 28 March and back on 31 October) --------------


def test_daily_keeps_nine_o_clock_in_berlin_across_the_spring_change():
    # when
    slots = slots_between(local("2027-03-26 09:00", BERLIN), local("2027-03-30 00:00", BERLIN), Periodicity.DAILY)

    # then: 09:00 CET is 08:00 UTC, 09:00 CEST is 07:00 UTC
    assert slots == [utc("2027-03-26 08:00"), utc("2027-03-27 08:00"), utc("2027-03-28 07:00"), utc("2027-03-29 07:00")]


def test_daily_keeps_nine_o_clock_in_berlin_across_the_autumn_change():
    # when
    slots = slots_between(local("2027-10-30 09:00", BERLIN), local("2027-11-02 00:00", BERLIN), Periodicity.DAILY)

    # then
    assert slots == [utc("2027-10-30 07:00"), utc("2027-10-31 08:00"), utc("2027-11-01 08:00")]


@pytest.mark.parametrize(
    ("periodicity", "start", "expected"),
    [
        (Periodicity.WEEKLY, "2027-03-21 09:00", ["2027-03-21 08:00", "2027-03-28 07:00", "2027-04-04 07:00"]),
        (Periodicity.WEEKLY, "2027-10-24 09:00", ["2027-10-24 07:00", "2027-10-31 08:00", "2027-11-07 08:00"]),
        (Periodicity.MONTHLY, "2027-02-28 09:00", ["2027-02-28 08:00", "2027-03-28 07:00", "2027-04-28 07:00"]),
        (Periodicity.MONTHLY, "2027-09-30 09:00", ["2027-09-30 07:00", "2027-10-30 07:00", "2027-11-30 08:00"]),
    ],
)
def test_weekly_and_monthly_keep_the_wall_clock_time_in_berlin(periodicity, start, expected):
    # when
    slots = slots_between(local(start, BERLIN), local(start, BERLIN) + timedelta(days=62), periodicity)

    # then
    assert slots[:3] == [utc(text) for text in expected]
    assert {slot.astimezone(BERLIN).strftime("%H:%M") for slot in slots} == {"09:00"}


def test_moscow_at_nine_is_six_utc_all_year():
    # when
    slots = slots_between(local("2027-01-01 09:00", MOSCOW), local("2028-01-01 09:00", MOSCOW), Periodicity.DAILY)

    # then
    assert len(slots) == 365
    assert {(slot.hour, slot.minute) for slot in slots} == {(6, 0)}


def test_a_slot_in_the_spring_gap_goes_at_the_first_instant_after_it_once():
    # given: 02:30 does not exist on 28 March 2027 in Berlin (02:00 CET jumps to 03:00 CEST)
    start = local("2027-03-27 02:30", BERLIN)
    end = local("2027-03-30 00:00", BERLIN)

    # when
    slots = slots_between(start, end, Periodicity.DAILY)
    due = {due_slot(start, end, Periodicity.DAILY, utc("2027-03-28 00:00") + timedelta(minutes=m)) for m in range(180)}

    # then: 03:00 CEST is 01:00 UTC
    assert slots == [utc("2027-03-27 01:30"), utc("2027-03-28 01:00"), utc("2027-03-29 00:30")]
    assert slots[1].astimezone(BERLIN).isoformat() == "2027-03-28T03:00:00+02:00"
    assert due == {utc("2027-03-27 01:30"), utc("2027-03-28 01:00")}
    assert next_slot_after(start, end, Periodicity.DAILY, utc("2027-03-28 01:00")) == utc("2027-03-29 00:30")


def test_a_slot_in_the_autumn_fold_goes_at_its_first_occurrence_once():
    # given: 02:30 comes twice on 31 October 2027 in Berlin (CEST, then CET)
    start = local("2027-10-30 02:30", BERLIN)
    end = local("2027-11-02 00:00", BERLIN)

    # when
    slots = slots_between(start, end, Periodicity.DAILY)
    due = [due_slot(start, end, Periodicity.DAILY, utc("2027-10-30 23:00") + timedelta(minutes=m)) for m in range(240)]

    # then: the first 02:30 is 00:30 UTC; the second (01:30 UTC) is no slot of its own
    assert slots == [utc("2027-10-30 00:30"), utc("2027-10-31 00:30"), utc("2027-11-01 01:30")]
    assert set(due) == {utc("2027-10-30 00:30"), utc("2027-10-31 00:30")}
    assert next_slot_after(start, end, Periodicity.DAILY, utc("2027-10-31 01:45")) == utc("2027-11-01 01:30")


def test_wall_times_that_exist_once_are_exact():
    # then
    assert wall_time_to_instant(datetime(2027, 7, 1, 9, 0), BERLIN) == utc("2027-07-01 07:00")
    assert wall_time_to_instant(datetime(2027, 3, 28, 2, 0), BERLIN) == utc("2027-03-28 01:00")
    assert wall_time_to_instant(datetime(2027, 3, 28, 3, 0), BERLIN) == utc("2027-03-28 01:00")
    assert wall_time_to_instant(datetime(2027, 10, 31, 2, 0), BERLIN) == utc("2027-10-31 00:00")


# --- Through the service and the engine ------------------------------------------------------


@pytest.mark.django_db
def test_a_berlin_daily_mailing_runs_at_nine_local_across_the_spring_change(owner):
    # given: naive times are read in the mailing's zone
    owner.time_zone = "Europe/Berlin"
    owner.save()
    message = MessageFactory(owner=owner)
    client = ClientFactory(owner=owner)
    with_zone = mailing_create(
        owner=owner,
        message_id=message.pk,
        client_ids=[client.pk],
        start_at=datetime(2027, 3, 26, 9, 0),
        end_at=datetime(2027, 3, 30, 0, 0),
        periodicity=Periodicity.DAILY,
    )

    # when: the scheduler passes every quarter hour for four days
    now = utc("2027-03-26 00:00")
    while now < utc("2027-03-30 00:00"):
        runs.run_due_mailings(now=now, enqueue=None)
        now += timedelta(minutes=15)

    # then
    mailing = Mailing.objects.get(pk=with_zone.pk)
    assert mailing.time_zone == "Europe/Berlin"
    assert mailing.start_at == utc("2027-03-26 08:00")
    slots = sorted(MailingRun.objects.filter(mailing=mailing).values_list("scheduled_for", flat=True))
    assert slots == [utc("2027-03-26 08:00"), utc("2027-03-27 08:00"), utc("2027-03-28 07:00"), utc("2027-03-29 07:00")]


@pytest.mark.django_db
def test_a_utc_mailing_keeps_fixed_24_hour_steps(owner):
    # given
    message = MessageFactory(owner=owner)
    client = ClientFactory(owner=owner)
    mailing = mailing_create(
        owner=owner,
        message_id=message.pk,
        client_ids=[client.pk],
        start_at=datetime(2027, 3, 27, 9, 0),
        end_at=datetime(2027, 3, 29, 10, 0),
        periodicity=Periodicity.DAILY,
    )

    # when
    for now in (utc("2027-03-27 09:00"), utc("2027-03-28 09:00"), utc("2027-03-29 09:00")):
        runs.run_due_mailings(now=now, enqueue=None)

    # then
    assert mailing.time_zone == "UTC"
    assert sorted(MailingRun.objects.filter(mailing=mailing).values_list("scheduled_for", flat=True)) == [
        utc("2027-03-27 09:00"),
        utc("2027-03-28 09:00"),
        utc("2027-03-29 09:00"),
    ]
