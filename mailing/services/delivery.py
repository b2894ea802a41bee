"""The delivery engine: runs due mailings, sends runs in claimed batches, and sweeps up after
workers that died.

The database is the truth. A run is a row, and each of its recipients a row (a
`DeliveryAttempt`, unique per run and client). A worker claims a batch of rows (marking them
SENDING with a lease) before any SMTP transaction and settles them after it; a worker that dies
leaves rows whose lease expires, and the sweeper hands them to another worker. The duplicates a
crash can cause are the messages of the batches in flight, no more.
"""

import functools
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from mailing import queue, scheduling, states
from mailing.models import (
    Client,
    DeliveryAttempt,
    DeliveryStatus,
    Mailing,
    MailingRun,
    MailingStatus,
    RunStatus,
    RunTrigger,
)
from mailing.rendering import PreparedMessage
from mailing.smtp import ConnectError, Outcome, Result, ServerConfig, Session

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Enqueue = Callable[[int], None]


@dataclass(frozen=True)
class Config:
    batch_size: int
    lease: timedelta
    max_attempts: int
    max_age: timedelta
    retry_base: float
    retry_max: float
    breaker_threshold: int
    breaker_cooldown: float
    breaker_cooldown_max: float
    task_seconds: float

    @classmethod
    def from_settings(cls) -> "Config":
        timeout = settings.EMAIL_TIMEOUT or 10
        return cls(
            batch_size=max(1, settings.MAILING_BATCH_SIZE),
            # A lease outlives the slowest single message (a few timeouts), and is renewed
            # while a batch is sent, so a live worker never loses its rows.
            lease=timedelta(seconds=max(settings.MAILING_LEASE_SECONDS, 6 * timeout)),
            max_attempts=max(1, settings.MAILING_MAX_ATTEMPTS),
            max_age=timedelta(seconds=settings.MAILING_MAX_AGE),
            retry_base=settings.MAILING_RETRY_BASE,
            retry_max=settings.MAILING_RETRY_MAX,
            breaker_threshold=max(1, settings.MAILING_BREAKER_THRESHOLD),
            breaker_cooldown=settings.MAILING_BREAKER_COOLDOWN,
            breaker_cooldown_max=settings.MAILING_BREAKER_COOLDOWN_MAX,
            task_seconds=settings.MAILING_TASK_SECONDS,
        )


def retry_delay(attempts: int, config: Config, rng: random.Random = random) -> timedelta:
    """Exponential backoff with +-20 % jitter: each retry waits about twice the one before."""
    base = min(config.retry_base * 2 ** max(0, attempts - 1), config.retry_max)
    return timedelta(seconds=base * rng.uniform(0.8, 1.2))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Sender(NamedTuple):
    """Who makes an attempt, as the delivery log records it: the cluster and its worker process."""

    cluster: str
    worker: str

    @classmethod
    def current(cls) -> "Sender":
        return cls(settings.Q_NODE_NAME[:100], f"{socket.gethostname()}:{os.getpid()}"[:100])


# --- Who may send -----------------------------------------------------------------------------

# A disabled mailing, or one whose owner is blocked or deactivated, sends nothing.
MAY_SEND = Q(is_active=True, owner__is_active=True, owner__blocked_at__isnull=True)


def _may_send(mailing_id: int, now: datetime) -> str:
    """ "send", "hold" (disabled or blocked: keep the rows for later) or "ended"."""
    row = Mailing.objects.filter(pk=mailing_id).values("end_at").first()
    if row is None:
        return "hold"
    if row["end_at"] <= now:
        return "ended"
    return "send" if Mailing.objects.filter(MAY_SEND, pk=mailing_id).exists() else "hold"


# --- Creating runs ----------------------------------------------------------------------------

_INSERT_ATTEMPTS = """
INSERT INTO {attempt} (run_id, mailing_id, client_id, email, full_name, status, attempts, server_response,
                       lease_token, message_id, created_at, updated_at)
SELECT %s, mc.mailing_id, c.id, c.email, c.full_name,
       CASE WHEN c.unsubscribed_at IS NULL THEN %s ELSE %s END, 0,
       CASE WHEN c.unsubscribed_at IS NULL THEN '' ELSE %s END,
       '', '', %s, %s
FROM {client} c JOIN {through} mc ON mc.client_id = c.id
WHERE mc.mailing_id = %s
ON CONFLICT DO NOTHING
"""


def _insert_attempts(run: MailingRun, now: datetime) -> int:
    # One statement, however many recipients: the rows never pass through Python.
    sql = _INSERT_ATTEMPTS.format(
        attempt=DeliveryAttempt._meta.db_table,
        client=Client._meta.db_table,
        through=Mailing.clients.through._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                run.pk,
                DeliveryStatus.QUEUED,
                DeliveryStatus.SKIPPED,
                "Not sent: the client has unsubscribed.",
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(now),
                run.mailing_id,
            ],
        )
        return cursor.rowcount


def _run_create(*, mailing: Mailing, scheduled_for: datetime, trigger: str, now: datetime) -> MailingRun | None:
    """The run of one slot with a row per recipient; None when that slot already has its run."""
    # Created reserved (leased) for the task about to be enqueued; should that task be lost,
    # the sweeper hands the run on when the lease runs out.
    run = MailingRun(
        mailing=mailing,
        scheduled_for=scheduled_for,
        trigger=trigger,
        lease_until=now + Config.from_settings().lease,
        claimed_by="queue",
    )
    run.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        return None
    _insert_attempts(run, now)
    states.move_mailings(Mailing.objects.filter(pk=mailing.pk), MailingStatus.STARTED, updated_at=now)
    return run


def _on_commit_enqueue(run_id: int, enqueue: Enqueue | None) -> None:
    if enqueue is not None:
        transaction.on_commit(functools.partial(enqueue, run_id))


def run_due_mailings(*, now: datetime | None = None, enqueue: Enqueue | None = queue.enqueue_run) -> list[MailingRun]:
    """One scheduler pass: a run for every mailing whose slot has come, then its next slot.

    A mailing found late (downtime) gets one run, for the latest slot that has come; the
    slots missed before it are not sent. Nothing is sent at or after the end.
    """
    now = now or timezone.now()
    due = (
        Mailing.objects.filter(MAY_SEND, next_run_at__lte=now)
        .exclude(status=MailingStatus.FINISHED)
        .order_by("next_run_at")
        .values_list("pk", flat=True)
    )
    created = []
    for mailing_id in list(due):
        with transaction.atomic():
            # Two scheduler passes at once: the second skips the mailing the first holds.
            mailing = (
                Mailing.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(MAY_SEND, pk=mailing_id, next_run_at__lte=now)
                .exclude(status=MailingStatus.FINISHED)
                .first()
            )
            if mailing is None:
                continue
            slot = scheduling.due_slot(mailing.start_at, mailing.end_at, mailing.periodicity, now)
            if slot is not None:
                run = _run_create(mailing=mailing, scheduled_for=slot, trigger=RunTrigger.SCHEDULE, now=now)
                if run is not None:
                    created.append(run)
                    _on_commit_enqueue(run.pk, enqueue)
            next_run_at = scheduling.next_slot_after(mailing.start_at, mailing.end_at, mailing.periodicity, now)
            Mailing.objects.filter(pk=mailing.pk).update(next_run_at=next_run_at, updated_at=now)
            if next_run_at is None:
                mailing_finish_if_done(mailing_id=mailing.pk, now=now)
    return created


def mailing_send_now(*, mailing: Mailing, now: datetime | None = None, enqueue: Enqueue | None = queue.enqueue_run):
    """A run of the mailing now, outside its schedule (the owner asked for it)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Mailing.objects.select_for_update(of=("self",)).select_related("owner").get(pk=mailing.pk)
        if not locked.is_active:
            raise ValidationError({"id": ValidationError("The mailing is disabled.", code="disabled")})
        if locked.owner.blocked_at is not None or not locked.owner.is_active:
            raise ValidationError({"id": ValidationError("Your account is blocked from sending.", code="blocked")})
        if locked.end_at <= now:
            raise ValidationError({"id": ValidationError("The mailing's end has passed.", code="ended")})
        if locked.runs.filter(status__in=states.OPEN_RUN).exists():
            raise ValidationError(
                {"id": ValidationError("A run of this mailing is still sending.", code="run_in_progress")}
            )
        run = _run_create(mailing=locked, scheduled_for=now, trigger=RunTrigger.MANUAL, now=now)
        if run is None:
            raise ValidationError({"id": ValidationError("A run was started at this very moment.", code="duplicate")})
        _on_commit_enqueue(run.pk, enqueue)
    return run


# --- Finishing --------------------------------------------------------------------------------


def _open_attempts(run_id: int):
    return DeliveryAttempt.objects.filter(run_id=run_id, status__in=states.OPEN_DELIVERY)


def run_finish_if_done(*, run_id: int, now: datetime) -> bool:
    """FINISHED once no recipient is left to send to (rows only ever leave the open statuses)."""
    if _open_attempts(run_id).exists():
        return False
    moved = states.move_runs(
        MailingRun.objects.filter(pk=run_id), RunStatus.FINISHED, finished_at=now, lease_until=None, updated_at=now
    )
    if moved:
        mailing_id = MailingRun.objects.filter(pk=run_id).values_list("mailing_id", flat=True).first()
        mailing_finish_if_done(mailing_id=mailing_id, now=now)
    return bool(moved)


def mailing_finish_if_done(*, mailing_id: int, now: datetime) -> bool:
    """FINISHED when no run is left (the schedule has no next slot) and its last run is done."""
    open_runs = MailingRun.objects.filter(mailing_id=mailing_id, status__in=states.OPEN_RUN)
    ended = Mailing.objects.filter(pk=mailing_id).filter(Q(next_run_at__isnull=True) | Q(end_at__lte=now))
    if open_runs.exists() or not ended.exists():
        return False
    return bool(
        states.move_mailings(
            Mailing.objects.filter(pk=mailing_id), MailingStatus.FINISHED, next_run_at=None, updated_at=now
        )
    )


def run_close_ended(*, run_id: int, now: datetime) -> None:
    """The mailing's end passed during the run: what was not sent is not sent any more."""
    with transaction.atomic():
        claimable = _open_attempts(run_id).filter(
            Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED]) | Q(lease_until__lt=now)
        )
        states.move_deliveries(
            claimable,
            DeliveryStatus.SKIPPED,
            server_response="Not sent: the mailing's end passed first.",
            lease_until=None,
            lease_token="",
            next_attempt_at=None,
            updated_at=now,
        )
        Mailing.objects.filter(pk=MailingRun.objects.filter(pk=run_id).values("mailing_id")[:1]).update(
            next_run_at=None
        )
        run_finish_if_done(run_id=run_id, now=now)


# --- Sending a run ----------------------------------------------------------------------------


@dataclass
class ProcessResult:
    run_id: int
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    stopped: str = ""
    connection_failures: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Claim:
    token: str
    rows: list[tuple] = field(default_factory=list)


def _claimable(now: datetime) -> list[Q]:
    # Leases of dead workers first, then retries that are due, then new rows; each in id order.
    return [
        Q(status=DeliveryStatus.SENDING, lease_until__lt=now),
        Q(status=DeliveryStatus.DEFERRED, next_attempt_at__lte=now),
        Q(status=DeliveryStatus.QUEUED),
    ]


def _claim(run_id: int, now: datetime, config: Config) -> _Claim:
    """Take up to a batch of the run's rows: SKIP LOCKED where the database has it; the
    conditional UPDATE on status (and SQLite's one writer) makes the claim exclusive everywhere."""
    claim = _Claim(token=uuid.uuid4().hex)
    with transaction.atomic():
        ids: list[int] = []
        for condition in _claimable(now):
            if len(ids) >= config.batch_size:
                break
            ids += (
                DeliveryAttempt.objects.filter(condition, run_id=run_id)
                .order_by("id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[: config.batch_size - len(ids)]
            )
        if not ids:
            return claim
        still_claimable = Q()
        for condition in _claimable(now):
            still_claimable |= condition
        states.move_deliveries(
            DeliveryAttempt.objects.filter(still_claimable, pk__in=ids),
            DeliveryStatus.SENDING,
            lease_until=now + config.lease,
            lease_token=claim.token,
            updated_at=now,
        )
    claim.rows = list(
        DeliveryAttempt.objects.filter(pk__in=ids, lease_token=claim.token, status=DeliveryStatus.SENDING)
        .order_by("id")
        .values_list("pk", "client_id", "email", "full_name", "attempts", "created_at", "client__unsubscribed_at")
    )
    return claim


def _release(claim: _Claim, ids: list[int], now: datetime) -> None:
    """Give claimed rows back untouched: nothing was tried (no server, or the mailing stopped)."""
    if not ids:
        return
    mine = DeliveryAttempt.objects.filter(pk__in=ids, lease_token=claim.token)
    release = {"lease_until": None, "lease_token": "", "updated_at": now}
    states.move_deliveries(mine.filter(attempts=0), DeliveryStatus.QUEUED, **release)
    states.move_deliveries(mine.filter(attempts__gt=0), DeliveryStatus.DEFERRED, next_attempt_at=now, **release)


def _renew(run_id: int, claim: _Claim, now: datetime, config: Config, worker: str) -> None:
    until = now + config.lease
    DeliveryAttempt.objects.filter(
        pk__in=[row[0] for row in claim.rows], lease_token=claim.token, status=DeliveryStatus.SENDING
    ).update(lease_until=until)
    MailingRun.objects.filter(pk=run_id).update(lease_until=until, claimed_by=worker)


class Settlement(NamedTuple):
    pk: int
    status: str
    attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    smtp_code: int | None
    server_response: str
    message_id: str
    sent_by_cluster: str
    sent_by_worker: str


_SETTLE_PG = """
UPDATE {table} AS d SET status = v.status, attempts = v.attempts, last_attempt_at = v.last_attempt_at,
       next_attempt_at = v.next_attempt_at, smtp_code = v.smtp_code, server_response = v.server_response,
       message_id = v.message_id, sent_by_cluster = v.sent_by_cluster, sent_by_worker = v.sent_by_worker,
       lease_until = NULL, lease_token = '', updated_at = %s
FROM (VALUES {values})
     AS v(id, status, attempts, last_attempt_at, next_attempt_at, smtp_code, server_response, message_id,
          sent_by_cluster, sent_by_worker)
WHERE d.id = v.id AND d.lease_token = %s AND d.status = %s
"""
_SETTLE_PG_ROW = "(%s, %s, %s::smallint, %s::timestamptz, %s::timestamptz, %s::smallint, %s, %s, %s, %s)"
_SETTLE_ONE = """
UPDATE {table} SET status = %s, attempts = %s, last_attempt_at = %s, next_attempt_at = %s, smtp_code = %s,
       server_response = %s, message_id = %s, sent_by_cluster = %s, sent_by_worker = %s, lease_until = NULL,
       lease_token = '', updated_at = %s
WHERE id = %s AND lease_token = %s AND status = %s
"""


def _settle(claim: _Claim, settlements: list[Settlement], now: datetime) -> None:
    """Write a batch's outcomes in one statement (PostgreSQL) or one prepared loop (SQLite).

    Only rows still held by this claim are written: a row whose lease ran out and was taken by
    another worker is that worker's to settle.
    """
    if not settlements:
        return
    for settlement in settlements:
        states.check(states.DELIVERY_TRANSITIONS, DeliveryStatus.SENDING, settlement.status)
    table = DeliveryAttempt._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows' values are quoted by the driver; a literal % in them must not be
            # taken for a placeholder of the statement around them.
            values = ",".join(cursor.cursor.mogrify(_SETTLE_PG_ROW, row).decode() for row in settlements)
            cursor.execute(
                _SETTLE_PG.format(table=table, values=values.replace("%", "%%")),
                [now, claim.token, DeliveryStatus.SENDING],
            )
        else:
            cursor.executemany(
                _SETTLE_ONE.format(table=table),
                [
                    (
                        s.status,
                        s.attempts,
                        adapt(s.last_attempt_at),
                        adapt(s.next_attempt_at),
                        s.smtp_code,
                        s.server_response,
                        s.message_id,
                        s.sent_by_cluster,
                        s.sent_by_worker,
                        adapt(now),
                        s.pk,
                        claim.token,
                        DeliveryStatus.SENDING,
                    )
                    for s in settlements
                ],
            )


def _settled(row: tuple, result: Result, message_id: str, now: datetime, config: Config, sender: Sender) -> Settlement:
    pk, _client_id, _email, _name, attempts, created_at, _unsubscribed = row
    attempts += 1
    status, next_attempt_at = result.outcome.value, None
    if result.outcome == Outcome.DEFERRED:
        if attempts >= config.max_attempts or now - created_at >= config.max_age:
            status = DeliveryStatus.FAILED
        else:
            next_attempt_at = now + retry_delay(attempts, config)
    return Settlement(
        pk, status, attempts, now, next_attempt_at, result.code, result.response[:2000], message_id, *sender
    )


def _skipped(row: tuple, reason: str) -> Settlement:
    return Settlement(row[0], DeliveryStatus.SKIPPED, row[4], None, None, None, reason, "", "", "")


def _take_run(run_id: int, now: datetime, config: Config, worker: str) -> str:
    """Hold the run for another batch: start it, resume it after a pause, renew its lease.

    Returns "taken", or why not: "closed" (finished or cancelled) or "paused" (still paused).
    """
    with transaction.atomic():
        run = MailingRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in states.OPEN_RUN:
            return "closed"
        if run.status == RunStatus.PAUSED and run.paused_until and run.paused_until > now:
            return "paused"
        fields = {"lease_until": now + config.lease, "claimed_by": worker, "updated_at": now}
        if run.status != RunStatus.RUNNING:
            # Half-open: the breaker's count stays until a connection succeeds, so one more
            # failure pauses the run again at once.
            states.check(states.RUN_TRANSITIONS, run.status, RunStatus.RUNNING)
            fields.update(status=RunStatus.RUNNING, paused_until=None)
            if run.started_at is None:
                fields["started_at"] = now
        MailingRun.objects.filter(pk=run_id).update(**fields)
    return "taken"


def _connection_failed(run_id: int, error: ConnectError, now: datetime, config: Config) -> bool:
    """Count a failure to reach the server; open the breaker (pause the run) at the threshold."""
    with transaction.atomic():
        MailingRun.objects.filter(pk=run_id).update(
            consecutive_failures=F("consecutive_failures") + 1, last_error=str(error)[:2000], updated_at=now
        )
        run = MailingRun.objects.select_for_update().get(pk=run_id)
        if run.consecutive_failures < config.breaker_threshold:
            return False
        cooldown = min(config.breaker_cooldown * 2**run.pauses, config.breaker_cooldown_max)
        states.move_runs(
            MailingRun.objects.filter(pk=run_id),
            RunStatus.PAUSED,
            paused_until=now + timedelta(seconds=cooldown),
            pauses=run.pauses + 1,
            lease_until=None,
            updated_at=now,
        )
    logger.warning("Run %s paused for %ss: %s", run_id, cooldown, error)
    return True


def _connection_ok(run_id: int) -> None:
    MailingRun.objects.filter(pk=run_id).filter(Q(consecutive_failures__gt=0) | Q(pauses__gt=0)).update(
        consecutive_failures=0, pauses=0
    )


def _prepare(run: MailingRun) -> PreparedMessage:
    message = run.mailing.message
    return PreparedMessage(
        subject=message.subject,
        body=message.body,
        html_body=message.html_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        site_url=settings.SITE_URL,
    )


def run_process(
    *,
    run_id: int,
    clock: Clock = timezone.now,
    worker: str | None = None,
    server: ServerConfig | None = None,
    on_batch: Callable[[ProcessResult], None] | None = None,
    handover: Enqueue | None = queue.enqueue_run_once,
) -> ProcessResult:
    """Send a run's due rows, batch after batch, until none is left or sending must stop.

    Never raises: an unexpected error is logged, and the rows it held come back to the
    sweeper when their lease runs out.
    """
    result = ProcessResult(run_id=run_id)
    try:
        _process(
            run_id, clock, worker or worker_name(), server or ServerConfig.from_settings(), on_batch, handover, result
        )
    except Exception:
        logger.exception("Run %s: the worker stopped on an unexpected error", run_id)
        result.stopped = "error"
    return result


def _process(run_id, clock, worker, server, on_batch, handover, result) -> None:
    config = Config.from_settings()
    run = MailingRun.objects.select_related("mailing__message").filter(pk=run_id).first()
    if run is None or run.status not in states.OPEN_RUN:
        result.stopped = "closed"
        return
    prepared = _prepare(run)
    started = time.monotonic()
    session: Session | None = None
    try:
        while True:
            now = clock()
            verdict = _may_send(run.mailing_id, now)
            if verdict == "ended":
                run_close_ended(run_id=run_id, now=now)
                result.stopped = "ended"
                return
            if verdict == "hold":
                MailingRun.objects.filter(pk=run_id, claimed_by=worker).update(lease_until=None)
                result.stopped = "held"
                return
            taken = _take_run(run_id, now, config, worker)
            if taken != "taken":
                result.stopped = taken
                return
            if session is None or not session.alive:
                try:
                    session = Session.open(server)
                except ConnectError as error:
                    session = None
                    result.connection_failures += 1
                    if _connection_failed(run_id, error, clock(), config):
                        result.stopped = "paused"
                        return
                    continue
                _connection_ok(run_id)
            claim = _claim(run_id, now, config)
            if not claim.rows:
                MailingRun.objects.filter(pk=run_id, claimed_by=worker).update(lease_until=None)
                run_finish_if_done(run_id=run_id, now=now)
                result.stopped = "done"
                return
            session = _send_batch(run, prepared, claim, session, server, clock, config, worker, result)
            if on_batch is not None:
                on_batch(result)
            if MailingRun.objects.filter(pk=run_id, status=RunStatus.PAUSED).exists():
                result.stopped = "paused"
                return
            if time.monotonic() - started >= config.task_seconds:
                # Long runs are sent by a chain of tasks, each well within the cluster's timeout.
                if handover is not None:
                    handover(run_id)
                result.stopped = "handed over"
                return
    finally:
        if session is not None:
            session.close()


def _send_batch(run, prepared, claim, session, server, clock, config, worker, result):
    """Send one claimed batch on one session (reopened when the server drops it); settle it.

    The batch's messages are rendered first, then pipelined; each row is settled by its own
    replies. A message the lost session never offered to the server goes out on the next one.
    """
    settled: list[Settlement] = []
    counts: Counter = Counter()
    sender = Sender.current()
    now = clock()
    to_send: list[tuple[tuple, str, bytes]] = []
    for row in claim.rows:
        pk, client_id, email, name, _attempts, _created, unsubscribed_at = row
        if client_id is None:
            settled.append(_skipped(row, "Not sent: the client was deleted."))
            counts["skipped"] += 1
        elif unsubscribed_at is not None:
            settled.append(_skipped(row, "Not sent: the client has unsubscribed."))
            counts["skipped"] += 1
        else:
            message_id = prepared.message_id(run_id=run.pk, attempt_id=pk)
            data = prepared.render(email=email, name=name, client_id=client_id, message_id=message_id, now=now)
            to_send.append((row, message_id, data))
    renew_at = now + config.lease / 3
    while to_send:
        if session is None or not session.alive:
            try:
                session = Session.open(server)
                _connection_ok(run.pk)
            except ConnectError as error:
                session = None
                result.connection_failures += 1
                _settle(claim, settled, clock())
                _release(claim, [row[0] for row, _, _ in to_send], clock())
                _connection_failed(run.pk, error, clock(), config)
                _count(result, counts)
                return None
        done: set[int] = set()
        for index, outcome in session.send_all(prepared.envelope_from, [(row[2], data) for row, _, data in to_send]):
            row, message_id, _ = to_send[index]
            now = clock()
            attempt = _settled(row, outcome, message_id, now, config, sender)
            settled.append(attempt)
            counts[attempt.status.lower()] += 1
            done.add(index)
            if now >= renew_at:
                _renew(run.pk, claim, now, config, worker)
                renew_at = now + config.lease / 3
        to_send = [item for index, item in enumerate(to_send) if index not in done]
    _settle(claim, settled, clock())
    _count(result, counts)
    return session


def _count(result: ProcessResult, counts: Counter) -> None:
    result.sent += counts["sent"]
    result.deferred += counts["deferred"]
    result.failed += counts["failed"]
    result.skipped += counts["skipped"]


# --- The sweeper ------------------------------------------------------------------------------


@dataclass
class SweepResult:
    enqueued: list[int] = field(default_factory=list)
    finished_runs: list[int] = field(default_factory=list)
    finished_mailings: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _due_work(now: datetime):
    due = Q()
    for condition in _claimable(now):
        due |= condition
    return Exists(DeliveryAttempt.objects.filter(due, run_id=OuterRef("pk")))


def runs_sweep(*, now: datetime | None = None, enqueue: Enqueue | None = queue.enqueue_run) -> SweepResult:
    """Every minute: hand runs with due work and no live worker to the cluster (a dead worker,
    retries that came due, a pause that is over, a mailing enabled again); finish runs and
    mailings that are done."""
    now = now or timezone.now()
    result = SweepResult()
    config = Config.from_settings()
    unattended = MailingRun.objects.filter(status__in=states.OPEN_RUN).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    for run in unattended.select_related("mailing").order_by("id"):
        if run.mailing.end_at <= now:
            run_close_ended(run_id=run.pk, now=now)
            if MailingRun.objects.filter(pk=run.pk, status=RunStatus.FINISHED).exists():
                result.finished_runs.append(run.pk)
            continue
        if run_finish_if_done(run_id=run.pk, now=now):
            result.finished_runs.append(run.pk)
            if Mailing.objects.filter(pk=run.mailing_id, status=MailingStatus.FINISHED).exists():
                result.finished_mailings.append(run.mailing_id)
            continue
        if run.status == RunStatus.PAUSED and run.paused_until and run.paused_until > now:
            continue
        with transaction.atomic():
            # Reserve the run (a lease) so that the next sweep does not enqueue it again
            # while the task waits in the queue.
            reserved = (
                MailingRun.objects.filter(pk=run.pk, mailing__in=Mailing.objects.filter(MAY_SEND))
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                .filter(_due_work(now))
                .update(lease_until=now + config.lease, claimed_by="sweeper")
            )
            if reserved:
                result.enqueued.append(run.pk)
                _on_commit_enqueue(run.pk, enqueue)

    ended = Mailing.objects.filter(end_at__lte=now, next_run_at__isnull=False).exclude(status=MailingStatus.FINISHED)
    ended.update(next_run_at=None, updated_at=now)
    finishable = Mailing.objects.filter(status=MailingStatus.STARTED).filter(
        Q(next_run_at__isnull=True) | Q(end_at__lte=now)
    )
    open_runs = MailingRun.objects.filter(mailing=OuterRef("pk"), status__in=states.OPEN_RUN)
    finishable = finishable.exclude(Exists(open_runs))
    for mailing_id in finishable.values_list("pk", flat=True):
        if mailing_finish_if_done(mailing_id=mailing_id, now=now):
            result.finished_mailings.append(mailing_id)
    # A CREATED mailing whose end passed before it ever ran will never run.
    for mailing_id in Mailing.objects.filter(status=MailingStatus.CREATED, end_at__lte=now).values_list(
        "pk", flat=True
    ):
        if mailing_finish_if_done(mailing_id=mailing_id, now=now):
            result.finished_mailings.append(mailing_id)
    return result
