"""When a mailing's runs are due: pure functions of its start, end, periodicity and a moment.

Slots fall at the start's time of day on calendar days and months. A monthly slot is computed
from the start each time (never from the previous, clamped, slot), so a mailing that starts on
the 31st runs on the last day of a short month and on the 31st again after it. The end is
exclusive.
"""

import calendar
from datetime import datetime, timedelta

from mailing.models import Periodicity

STEP_DAYS = {Periodicity.DAILY: 1, Periodicity.WEEKLY: 7}


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def nth_slot(start: datetime, periodicity: str, n: int) -> datetime | None:
    """The n-th slot (0 is the start); None past the last one of a ONCE mailing."""
    if periodicity == Periodicity.ONCE:
        return start if n == 0 else None
    if periodicity == Periodicity.MONTHLY:
        return add_months(start, n)
    return start + timedelta(days=STEP_DAYS[periodicity] * n)


def _index_at_or_before(start: datetime, periodicity: str, moment: datetime) -> int:
    """The index of the last slot at or before `moment` (-1 when the start is after it)."""
    if moment < start:
        return -1
    if periodicity == Periodicity.ONCE:
        return 0
    if periodicity == Periodicity.MONTHLY:
        n = (moment.year - start.year) * 12 + moment.month - start.month
        # The estimate is at most one too high: the slot of `moment`'s month may be later in it.
        while n > 0 and add_months(start, n) > moment:
            n -= 1
        return n
    return (moment - start) // timedelta(days=STEP_DAYS[periodicity])


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
