"""When a mailing's runs are due: pure functions of its start, end, periodicity and a moment.

(The cluster's every-minute tasks that act on this are `mailing.periodic_tasks`.)

Slots fall at the start's wall-clock time of day on calendar days and months, in the start's
time zone: the zone `start.tzinfo` carries (a mailing loaded from the database carries its own
`time_zone` there, see `Mailing.from_db`). So a DAILY mailing at 09:00 Europe/Berlin sends at
09:00 CET in winter and 09:00 CEST in summer; a UTC start keeps fixed 24-hour steps.

Across a DST change a slot's wall-clock time may not exist or may come twice:
- in the spring gap (02:30 when clocks jump from 02:00 to 03:00) the slot is sent at the first
  instant after the gap (03:00 CEST);
- in the autumn fold (02:30 that comes in CEST and again in CET) it is sent at its first
  occurrence (02:30 CEST).
Either way each slot is one instant, so it is sent once.

A monthly slot is computed from the start each time (never from the previous, clamped, slot),
so a mailing that starts on the 31st runs on the last day of a short month and on the 31st again
after it. The end is exclusive. Slots are returned in UTC.
"""

import calendar
from datetime import UTC, datetime, timedelta, tzinfo

from mailing.models import Periodicity

STEP_DAYS = {Periodicity.DAILY: 1, Periodicity.WEEKLY: 7}


def wall_time_to_instant(wall: datetime, zone: tzinfo) -> datetime:
    """The instant (UTC) of a naive wall-clock time in `zone`, by the DST rules above."""
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant  # it exists; in a fold, fold=0 is its first occurrence
    # In a gap: the first instant after it is the transition, where the offset changes. It lies
    # between the two readings of the wall time (the offsets before and after the change).
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = instant
    low, high = min(low, high), max(low, high)
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0) if high.microsecond else high


def localize(value: datetime, zone: tzinfo) -> datetime:
    """An aware time as it is; a naive one read as wall-clock time in `zone`."""
    if value.tzinfo is None or value.utcoffset() is None:
        return wall_time_to_instant(value, zone)
    return value


def _zone(start: datetime) -> tzinfo:
    return start.tzinfo or UTC


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def nth_slot(start: datetime, periodicity: str, n: int) -> datetime | None:
    """The n-th slot (0 is the start); None past the last one of a ONCE mailing."""
    if periodicity == Periodicity.ONCE:
        return start.astimezone(UTC) if n == 0 else None
    if n == 0:
        return start.astimezone(UTC)
    zone = _zone(start)
    wall = start.astimezone(zone).replace(tzinfo=None)
    if periodicity == Periodicity.MONTHLY:
        wall = add_months(wall, n)
    else:
        wall = wall + timedelta(days=STEP_DAYS[periodicity] * n)
    return wall_time_to_instant(wall, zone)


def _index_at_or_before(start: datetime, periodicity: str, moment: datetime) -> int:
    """The index of the last slot at or before `moment` (-1 when the start is after it)."""
    if moment < start:
        return -1
    if periodicity == Periodicity.ONCE:
        return 0
    zone = _zone(start)
    wall_start = start.astimezone(zone).replace(tzinfo=None)
    wall_moment = moment.astimezone(zone).replace(tzinfo=None)
    if periodicity == Periodicity.MONTHLY:
        n = (wall_moment.year - wall_start.year) * 12 + wall_moment.month - wall_start.month
    else:
        n = (wall_moment - wall_start) // timedelta(days=STEP_DAYS[periodicity])
    # The wall-clock estimate is off by at most one either way (the slot of `moment`'s day or
    # month may be later in it, or a DST change moved it).
    n = max(n, 0)
    while n > 0 and nth_slot(start, periodicity, n) > moment:
        n -= 1
    while nth_slot(start, periodicity, n + 1) <= moment:
        n += 1
    return n


def due_slot(start: datetime, end: datetime, periodicity: str, now: datetime) -> datetime | None:
    """The slot to send at `now`: the latest one that has come and is before the end.

    After downtime this is the one slot that is due, sent late; the slots missed before it
    are not sent at all.
    """
    if now >= end:
        return None
    n = _index_at_or_before(start, periodicity, now)
    if n < 0:
        return None
    slot = nth_slot(start, periodicity, n)
    return slot if slot is not None and slot < end else None


def next_slot_after(start: datetime, end: datetime, periodicity: str, moment: datetime) -> datetime | None:
    """The first slot strictly after `moment` and before the end, or None when none is left."""
    slot = nth_slot(start, periodicity, _index_at_or_before(start, periodicity, moment) + 1)
    return slot if slot is not None and slot < end else None


def slots_between(start: datetime, end: datetime, periodicity: str) -> list[datetime]:
    """Every slot of a mailing, in order (for tests and for showing a schedule)."""
    slots, n = [], 0
    while (slot := nth_slot(start, periodicity, n)) is not None and slot < end:
        slots.append(slot)
        n += 1
    return slots
