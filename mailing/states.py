"""The one place that moves a delivery's, a run's and a mailing's status.

The allowed transitions are written down once, here. Writes that move many rows at once filter
on the allowed source statuses, so a row that is not where the caller believed is left alone
(and the caller learns it from the count), instead of being moved along an edge that does not
exist.
"""

from django.db.models import Exists, OuterRef, QuerySet

from mailing.models import (
    CLOSED_RUN,
    OPEN_DELIVERY,
    OPEN_RUN,  # noqa: F401 (the engine reads the groups from here)
    DeliveryAttempt,
    DeliveryStatus,
    MailingStatus,
    RunStatus,
)
from mailing.selectors import run_row_count
from mailing.stats import mailing_stats_invalidate

D = DeliveryStatus
DELIVERY_TRANSITIONS: dict[str, frozenset[str]] = {
    # A claim marks the row before the SMTP transaction...
    D.QUEUED: frozenset({D.SENDING, D.SKIPPED}),
    D.DEFERRED: frozenset({D.SENDING, D.SKIPPED, D.FAILED}),
    # ...and the transaction settles it. A claim that could not even reach the server (or whose
    # worker was told to stop) is released to QUEUED/DEFERRED, uncounted; an expired lease (a
    # dead worker) lets another claim take it again.
    D.SENDING: frozenset({D.SENT, D.DEFERRED, D.FAILED, D.SKIPPED, D.QUEUED, D.SENDING}),
    D.SENT: frozenset(),
    D.FAILED: frozenset(),
    D.SKIPPED: frozenset(),
}

R = RunStatus
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING: frozenset({R.RUNNING, R.PAUSED, R.FINISHED, R.CANCELLED}),
    R.RUNNING: frozenset({R.PAUSED, R.FINISHED, R.CANCELLED}),
    # The circuit breaker pauses a run; a worker that reaches the server again resumes it.
    R.PAUSED: frozenset({R.RUNNING, R.FINISHED, R.CANCELLED}),
    R.FINISHED: frozenset(),
    R.CANCELLED: frozenset(),
}

M = MailingStatus
MAILING_TRANSITIONS: dict[str, frozenset[str]] = {
    M.CREATED: frozenset({M.STARTED, M.FINISHED}),
    M.STARTED: frozenset({M.FINISHED}),
    M.FINISHED: frozenset(),
}


class TransitionError(ValueError):
    pass


def sources(transitions: dict[str, frozenset[str]], target: str) -> list[str]:
    """The statuses from which `target` may be reached."""
    return [source for source, targets in transitions.items() if target in targets]


def check(transitions: dict[str, frozenset[str]], source: str, target: str) -> None:
    if target not in transitions[source]:
        raise TransitionError(f"{source} -> {target} is not an allowed transition")


def move_deliveries(queryset: QuerySet, target: str, **fields) -> int:
    """Move the rows of `queryset` that may go to `target`; return how many moved."""
    return queryset.filter(status__in=sources(DELIVERY_TRANSITIONS, target)).update(status=target, **fields)


def move_runs(queryset: QuerySet, target: str, **fields) -> int:
    """Move the runs of `queryset` that may go to `target`; return how many moved.

    A run closes (FINISHED, CANCELLED) only once none of its rows is open, and its counts are
    taken in the same statement: its rows cannot change any more, so the counts stay true.
    """
    queryset = queryset.filter(status__in=sources(RUN_TRANSITIONS, target))
    if target in CLOSED_RUN:
        queryset = queryset.filter(
            ~Exists(DeliveryAttempt.objects.filter(run_id=OuterRef("pk"), status__in=OPEN_DELIVERY))
        )
        fields.update(
            total_count=run_row_count(),
            sent_count=run_row_count(D.SENT),
            failed_count=run_row_count(D.FAILED),
            skipped_count=run_row_count(D.SKIPPED),
        )
    return queryset.update(status=target, **fields)


def move_mailings(queryset: QuerySet, target: str, **fields) -> int:
    moved = queryset.filter(status__in=sources(MAILING_TRANSITIONS, target)).update(status=target, **fields)
    if moved:
        # The home page counts active (started) mailings.
        mailing_stats_invalidate()
    return moved
