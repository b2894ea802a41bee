"""Holding a run and its rows.

A run is held (leased) by the worker sending it, or reserved for a task waiting in the queue,
and only while its mailing may send. Its rows are claimed in batches: marked SENDING with a
lease and a token before any SMTP transaction, settled by that token after it. A row whose lease
ran out (its worker died) may be claimed again, and is then the new claim's to settle.

A worker rides out a database that went away (a restart, a failover): `patiently` reconnects
with backoff and tries the statement again, so that replies in hand are written, not lost.
"""

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, TypeVar

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q

from mailing import states
from mailing.delivery.config import Config
from mailing.models import DeliveryAttempt, DeliveryStatus, Mailing, MailingRun, RunStatus
from mailing.states import Settlement

logger = logging.getLogger(__name__)
T = TypeVar("T")

# --- Riding out a database outage -------------------------------------------------------------

# What a lost connection raises: the server restarted (OperationalError), or the connection
# Django holds is already closed (InterfaceError).
DATABASE_AWAY = (OperationalError, InterfaceError)
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 2.0


def patiently(
    operation: Callable[[], T],
    *,
    patience: float,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    what: str = "the database",
) -> T:
    """`operation()`, tried again on a new connection, with backoff, while the database is away,
    for up to `patience` seconds; then its error is raised.

    Only outside a transaction: inside one, the work before the error is lost with the
    connection, and trying the last statement alone would be wrong.
    """
    deadline = monotonic() + patience
    delay = BACKOFF_FIRST
    while True:
        try:
            return operation()
        except DATABASE_AWAY as error:
            if connection.in_atomic_block or monotonic() + delay > deadline:
                raise
            logger.warning("%s failed, the database is away (%s); trying again in %.1f s", what, error, delay)
            with contextlib.suppress(*DATABASE_AWAY):
                connection.close()
            sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)


# --- Who may send -----------------------------------------------------------------------------

# A disabled mailing, or one whose owner is blocked or deactivated, sends nothing.
MAY_SEND = Q(is_active=True, owner__is_active=True, owner__blocked_at__isnull=True)


class Verdict(StrEnum):
    SEND = "send"
    HOLD = "hold"  # disabled or blocked: keep the rows for later
    ENDED = "ended"  # the mailing's end has passed


def may_send(mailing_id: int, now: datetime) -> Verdict:
    row = Mailing.objects.filter(pk=mailing_id).values("end_at").first()
    if row is None:
        return Verdict.HOLD
    if row["end_at"] <= now:
        return Verdict.ENDED
    return Verdict.SEND if Mailing.objects.filter(MAY_SEND, pk=mailing_id).exists() else Verdict.HOLD


# --- Holding a run ----------------------------------------------------------------------------


class Taken(StrEnum):
    TAKEN = "taken"
    CLOSED = "closed"  # finished or cancelled
    PAUSED = "paused"  # still paused by the circuit breaker


def run_take(*, run_id: int, now: datetime, config: Config, worker: str) -> Taken:
    """Hold the run for another batch: start it, resume it after a pause, renew its lease."""
    with transaction.atomic():
        run = MailingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in states.OPEN_RUN:
            return Taken.CLOSED
        if run.status == RunStatus.PAUSED and run.paused_until and run.paused_until > now:
            return Taken.PAUSED
        held = MailingRun.objects.filter(pk=run_id)
        lease = {"lease_until": now + config.lease, "claimed_by": worker, "updated_at": now}
        if run.status == RunStatus.RUNNING:
            held.update(**lease)
        else:
            # Half-open: the breaker's count stays until a connection succeeds, so one more
            # failure pauses the run again at once.
            started = {"started_at": now} if run.started_at is None else {}
            states.move_runs(held, RunStatus.RUNNING, paused_until=None, **started, **lease)
            if run.status == RunStatus.PAUSED:
                rows_waiting_cleared(run_id=run_id)
    return Taken.TAKEN


# Who holds a run reserved for a task that waits in the queue.
SWEEPER = "sweeper"


def run_let_go(*, run_id: int, worker: str) -> None:
    """Give up the run's lease (its rows are done, or its mailing may not send now)."""
    MailingRun.objects.filter(pk=run_id, claimed_by=worker).update(lease_until=None)


def run_reserve(*, run_id: int, now: datetime, config: Config) -> bool:
    """Reserve an unattended run with due work for a task about to be enqueued, so that the next
    sweep does not enqueue it again while the task waits in the queue."""
    return bool(
        MailingRun.objects.filter(pk=run_id, mailing__in=Mailing.objects.filter(MAY_SEND))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(due_work(now))
        .update(lease_until=now + config.lease, claimed_by=SWEEPER)
    )


# --- Why rows wait ----------------------------------------------------------------------------

WAITING_PREFIX = "Waiting: the run is paused: "


def rows_waiting(*, run_id: int, reason: str, now: datetime) -> int:
    """While the run is paused, its rows that were never tried say why, in their reply (the log,
    the API and the CSV export show it): the run's connection-level error."""
    text = (WAITING_PREFIX + reason)[:2000]
    return (
        DeliveryAttempt.objects.filter(run_id=run_id, status=DeliveryStatus.QUEUED, attempts=0)
        .exclude(server_response=text)
        .update(server_response=text, updated_at=now)
    )


def rows_waiting_cleared(*, run_id: int) -> int:
    """The run goes on: its untried rows wait for nothing but their turn."""
    return DeliveryAttempt.objects.filter(
        run_id=run_id, status=DeliveryStatus.QUEUED, attempts=0, server_response__startswith=WAITING_PREFIX
    ).update(server_response="")


# --- Claiming rows ----------------------------------------------------------------------------


class ClaimedRow(NamedTuple):
    pk: int
    client_id: int | None  # None: the client was deleted since the run began
    email: str
    full_name: str
    attempts: int
    created_at: datetime
    unsubscribed_at: datetime | None


@dataclass
class Claim:
    token: str
    rows: list[ClaimedRow] = field(default_factory=list)


def claimable(now: datetime) -> list[Q]:
    # Leases of dead workers first, then retries that are due, then new rows; each in id order.
    return [
        Q(status=DeliveryStatus.SENDING, lease_until__lt=now),
        Q(status=DeliveryStatus.DEFERRED, next_attempt_at__lte=now),
        Q(status=DeliveryStatus.QUEUED),
    ]


def _any_claimable(now: datetime) -> Q:
    condition = Q()
    for each in claimable(now):
        condition |= each
    return condition


def due_work(now: datetime) -> Exists:
    """Runs that have a row to claim now, as a condition on runs."""
    return Exists(DeliveryAttempt.objects.filter(_any_claimable(now), run_id=OuterRef("pk")))


def claim(*, run_id: int, now: datetime, config: Config) -> Claim:
    """Take up to a batch of the run's rows: SKIP LOCKED where the database has it; the
    conditional UPDATE on status (and SQLite's one writer) makes the claim exclusive everywhere."""
    taken = Claim(token=uuid.uuid4().hex)
    with transaction.atomic():
        ids: list[int] = []
        for condition in claimable(now):
            if len(ids) >= config.batch_size:
                break
            ids += (
                DeliveryAttempt.objects.filter(condition, run_id=run_id)
                .order_by("id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[: config.batch_size - len(ids)]
            )
        if not ids:
            return taken
        states.move_deliveries(
            DeliveryAttempt.objects.filter(_any_claimable(now), pk__in=ids),
            DeliveryStatus.SENDING,
            lease_until=now + config.lease,
            lease_token=taken.token,
            updated_at=now,
        )
    rows = (
        DeliveryAttempt.objects.filter(pk__in=ids, lease_token=taken.token, status=DeliveryStatus.SENDING)
        .order_by("id")
        .values_list("pk", "client_id", "email", "full_name", "attempts", "created_at", "client__unsubscribed_at")
    )
    taken.rows = [ClaimedRow(*row) for row in rows]
    return taken


def release(*, claim: Claim, ids: list[int], now: datetime) -> None:
    """Give claimed rows back untouched: nothing was tried (no server, or the mailing stopped)."""
    if not ids:
        return
    mine = DeliveryAttempt.objects.filter(pk__in=ids, lease_token=claim.token)
    fields = {"lease_until": None, "lease_token": "", "updated_at": now}
    states.move_deliveries(mine.filter(attempts=0), DeliveryStatus.QUEUED, **fields)
    states.move_deliveries(mine.filter(attempts__gt=0), DeliveryStatus.DEFERRED, next_attempt_at=now, **fields)


def renew(*, run_id: int, claim: Claim, now: datetime, config: Config, worker: str) -> None:
    """Extend the leases of the run and of the claim's rows while a batch is being sent."""
    until = now + config.lease
    DeliveryAttempt.objects.filter(
        pk__in=[row.pk for row in claim.rows], lease_token=claim.token, status=DeliveryStatus.SENDING
    ).update(lease_until=until)
    MailingRun.objects.filter(pk=run_id).update(lease_until=until, claimed_by=worker)


# --- Settling rows ----------------------------------------------------------------------------


def settle(*, claim: Claim, settlements: list[Settlement], now: datetime) -> None:
    """Write the outcomes of the claim's rows (those it still holds) in one go."""
    states.settle_deliveries(token=claim.token, settlements=settlements, now=now)
