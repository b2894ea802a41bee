"""Sending one run: a worker takes the run, claims a batch, sends it on one SMTP session
(pipelined when the server allows it), settles every row by its own replies, and goes on until
no row is left or sending must stop.

What the server answered is kept until it is written: a batch is settled every
MAILING_SETTLE_EVERY messages (`_Ledger`), and a database that went away is waited for
(`claims.patiently`). One message that cannot be built or sent fails alone. On an orderly stop
(`stopping.requested()`) the worker claims nothing more, abandons its pipelined window and
settles what it has.
"""

import functools
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from mailing import queue, states
from mailing.bounces import services as bounce_services
from mailing.bounces import verp
from mailing.delivery import claims, lifecycle, rate, stopping
from mailing.delivery.claims import Claim, ClaimedRow, Taken, Verdict
from mailing.delivery.config import Clock, Config, Enqueue
from mailing.identities import dkim
from mailing.models import DeliveryStatus, MailingRun, RunStatus
from mailing.rendering import PreparedMessage
from mailing.smtp import AuthenticationFailed, ConnectError, Outcome, Result, ServerConfig, Session
from mailing.states import Settlement

logger = logging.getLogger(__name__)


class Stopped(StrEnum):
    """Why a worker stopped sending a run."""

    DONE = "done"  # no row is left to send
    CLOSED = "closed"  # the run was finished or cancelled
    PAUSED = "paused"  # the circuit breaker paused the run: the server cannot be reached (or refused the login)
    HELD = "held"  # the mailing may not send now (disabled, or its owner blocked)
    ENDED = "ended"  # the mailing's end passed: the rest is skipped
    HANDED_OVER = "handed over"  # a fresh task sends the rest
    STOPPING = "stopping"  # an orderly stop of the process: what was sent is settled, the rest waits
    ERROR = "error"  # an unexpected error; the rows it held come back when their lease runs out


@dataclass
class ProcessResult:
    run_id: int
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    bounced: int = 0
    stopped: Stopped | None = None
    connection_failures: int = 0
    paused_until: datetime | None = None  # the run's pause, as the database keeps it

    def as_dict(self) -> dict:
        paused_until = self.paused_until.isoformat() if self.paused_until else None
        return asdict(self) | {"stopped": str(self.stopped or ""), "paused_until": paused_until}

    def count(self, settlements: list[Settlement]) -> None:
        counts = Counter(settlement.status for settlement in settlements)
        self.sent += counts[DeliveryStatus.SENT]
        self.deferred += counts[DeliveryStatus.DEFERRED]
        self.failed += counts[DeliveryStatus.FAILED]
        self.skipped += counts[DeliveryStatus.SKIPPED]
        self.bounced += counts[DeliveryStatus.BOUNCED]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Sender(NamedTuple):
    """Who makes an attempt, as the delivery log records it: the cluster and its worker process."""

    cluster: str
    worker: str

    @classmethod
    def current(cls) -> "Sender":
        return cls(settings.Q_NODE_NAME[:100], f"{socket.gethostname()}:{os.getpid()}"[:100])


def run_process(
    *,
    run_id: int,
    clock: Clock = timezone.now,
    worker: str | None = None,
    server: ServerConfig | None = None,
    on_batch: Callable[["ProcessResult"], None] | None = None,
    handover: Enqueue | None = queue.enqueue_run_once,
    stop_requested: Callable[[], bool] = stopping.requested,
) -> ProcessResult:
    """Send a run's due rows, batch after batch, until none is left or sending must stop.

    Never raises: an unexpected error is logged, and the rows it held come back to the
    sweeper when their lease runs out.
    """
    result = ProcessResult(run_id=run_id)
    try:
        result.stopped = Worker(
            run_id=run_id,
            clock=clock,
            name=worker or worker_name(),
            server=server or ServerConfig.from_settings(),
            on_batch=on_batch,
            handover=handover,
            result=result,
            stop_requested=stop_requested,
        ).run()
    except Exception:
        logger.exception("Run %s: the worker stopped on an unexpected error", run_id)
        result.stopped = Stopped.ERROR
    return result


class Breaker:
    """A run's circuit breaker: failures to reach the server in a row pause the run (no row is
    charged for an outage), for a cooldown that doubles while the server stays away. A refused
    login pauses it at once: trying again only brings a provider's lockout closer. Its counts
    live on the run, shared by the run's workers; the pause is the one the database keeps."""

    def __init__(self, run_id: int, config: Config):
        self.run_id = run_id
        self.config = config
        self.tripped = False
        self.paused_until: datetime | None = None

    def failure(self, error: ConnectError, now: datetime) -> bool:
        """Count a failure to reach the server; open the breaker (pause the run) at the threshold."""
        run = MailingRun.objects.filter(pk=self.run_id)
        at_once = isinstance(error, AuthenticationFailed)
        with transaction.atomic():
            # The write comes first: it takes the run's row lock (SQLite: the write lock), so two
            # workers failing in the same millisecond count one after the other.
            counted = run.exclude(status=RunStatus.PAUSED).update(
                consecutive_failures=F("consecutive_failures") + 1, last_error=str(error)[:2000], updated_at=now
            )
            counts = run.select_for_update().values("consecutive_failures", "pauses", "paused_until").get()
            if not counted:
                # Another worker of the run paused it first, for this outage: its pause stands.
                return self._trip(counts["paused_until"], error, adopted=True)
            if counts["consecutive_failures"] < self.config.breaker_threshold and not at_once:
                return False
            paused_until = now + timedelta(seconds=self.config.breaker_pause(counts["pauses"]))
            moved = states.move_runs(
                run,
                RunStatus.PAUSED,
                paused_until=paused_until,
                pauses=counts["pauses"] + 1,
                lease_until=None,
                updated_at=now,
            )
            if not moved:
                return False  # closed meanwhile: the next take says so
            claims.rows_waiting(run_id=self.run_id, reason=str(error), now=now)
        return self._trip(paused_until, error, adopted=False)

    def _trip(self, paused_until: datetime | None, error: ConnectError, *, adopted: bool) -> bool:
        self.tripped = True
        self.paused_until = paused_until
        how = "is paused (by another worker)" if adopted else "paused"
        logger.warning("Run %s %s until %s: %s", self.run_id, how, paused_until, error)
        return True

    def success(self) -> None:
        MailingRun.objects.filter(pk=self.run_id).filter(Q(consecutive_failures__gt=0) | Q(pauses__gt=0)).update(
            consecutive_failures=0, pauses=0
        )


class _Outgoing(NamedTuple):
    row: ClaimedRow
    message_id: str
    data: bytes


class _Ledger:
    """The settlements of one claim that are not written yet: every `settle_every` of them are
    written (so a worker killed outright repeats at most those), through a database outage if
    need be; the claim's leases are renewed on the way."""

    def __init__(self, worker: "Worker", claim: Claim):
        self.worker = worker
        self.claim = claim
        self.pending: list[Settlement] = []
        self.renew_at = worker.clock() + worker.config.lease / 3

    def add(self, settlement: Settlement) -> None:
        self.pending.append(settlement)
        if len(self.pending) >= self.worker.config.settle_every:
            self.write()
        now = self.worker.clock()
        if now >= self.renew_at:
            worker = self.worker
            worker.db(
                claims.renew, run_id=worker.run_id, claim=self.claim, now=now, config=worker.config, worker=worker.name
            )
            self.renew_at = now + worker.config.lease / 3

    def write(self) -> None:
        if not self.pending:
            return
        settlements, now = list(self.pending), self.worker.clock()
        self.worker.db(claims.settle, claim=self.claim, settlements=settlements, now=now)
        self.pending.clear()
        self.worker.db(bounce_services.refusals_record, settlements=settlements, now=now)
        self.worker.result.count(settlements)

    def release(self, ids: list[int]) -> None:
        """Give back the rows that were never offered to the server."""
        if ids:
            now = self.worker.clock()
            self.worker.db(claims.release, claim=self.claim, ids=ids, now=now)


class Worker:
    """One task's sending of one run: its clock, settings, SMTP session, breaker and result."""

    def __init__(
        self,
        *,
        run_id: int,
        clock: Clock,
        name: str,
        server: ServerConfig,
        on_batch: Callable[[ProcessResult], None] | None,
        handover: Enqueue | None,
        result: ProcessResult,
        stop_requested: Callable[[], bool] = stopping.requested,
    ):
        self.run_id = run_id
        self.clock = clock
        self.name = name
        self.server = server
        self.on_batch = on_batch
        self.handover = handover
        self.result = result
        self.stop_requested = stop_requested
        self.config = Config.from_settings()
        self.breaker = Breaker(run_id, self.config)
        self.sender = Sender.current()
        self.session: Session | None = None

    def db(self, operation: Callable, /, *args, **kwargs):
        """`operation(*args, **kwargs)`, a database step that outlives an outage of up to
        `db_patience` seconds."""
        return claims.patiently(
            functools.partial(operation, *args, **kwargs),
            patience=self.config.db_patience,
            what=f"Run {self.run_id}: {operation.__qualname__}",
        )

    def run(self) -> Stopped:
        run = self.db(_load_run, self.run_id)
        if run is None or run.status not in states.OPEN_RUN:
            return Stopped.CLOSED
        self.mailing_id = run.mailing_id
        self.prepared = _prepare(run)
        try:
            return self._send_until_stopped()
        finally:
            if self.session is not None:
                self.session.close()

    def _stopping(self) -> Stopped:
        # The run is handed back at once: after the restart the sweeper gives it to a worker
        # without waiting for the lease to run out.
        self.db(claims.run_let_go, run_id=self.run_id, worker=self.name)
        # A task taken from the queue after the stop began ends here, and so must its reservation.
        self.db(claims.run_let_go, run_id=self.run_id, worker=claims.SWEEPER)
        logger.info("Run %s: stopping (the process is asked to stop)", self.run_id)
        return Stopped.STOPPING

    def _paused(self) -> Stopped:
        self.result.paused_until = self.breaker.paused_until or self.db(_paused_until, self.run_id)
        return Stopped.PAUSED

    def _send_until_stopped(self) -> Stopped:
        started = time.monotonic()
        while True:
            if self.stop_requested():
                return self._stopping()
            now = self.clock()
            verdict = self.db(claims.may_send, self.mailing_id, now)
            if verdict == Verdict.ENDED:
                self.db(lifecycle.run_close_ended, run_id=self.run_id, now=now)
                return Stopped.ENDED
            if verdict == Verdict.HOLD:
                self.db(claims.run_let_go, run_id=self.run_id, worker=self.name)
                return Stopped.HELD
            taken = self.db(claims.run_take, run_id=self.run_id, now=now, config=self.config, worker=self.name)
            if taken == Taken.PAUSED:
                return self._paused()
            if taken != Taken.TAKEN:
                return Stopped(taken.value)
            if not self._connect():
                if self.breaker.tripped:
                    return self._paused()
                continue
            if self.stop_requested():
                return self._stopping()
            claim = self.db(claims.claim, run_id=self.run_id, now=now, config=self.config)
            if not claim.rows:
                self.db(claims.run_let_go, run_id=self.run_id, worker=self.name)
                self.db(lifecycle.run_finish_if_done, run_id=self.run_id, now=now)
                return Stopped.DONE
            self._send_batch(claim)
            if self.on_batch is not None:
                self.on_batch(self.result)
            if self.breaker.tripped or self.db(_is_paused, self.run_id):
                return self._paused()
            if time.monotonic() - started >= self.config.task_seconds:
                # Long runs are sent by a chain of tasks, each well within the cluster's timeout.
                if self.handover is not None:
                    self.handover(self.run_id)
                return Stopped.HANDED_OVER

    def _connect(self) -> bool:
        """An open session: the one in hand, or a new one. False when the server cannot be
        reached; the breaker counts that, and may pause the run."""
        if self.session is not None and self.session.alive:
            return True
        try:
            self.session = Session.open(self.server)
        except ConnectError as error:
            self.session = None
            self.result.connection_failures += 1
            self.db(self.breaker.failure, error, self.clock())
            return False
        self.db(self.breaker.success)
        return True

    def _send_batch(self, claim: Claim) -> None:
        """Send one claimed batch on one session (reopened when the server drops it); settle it.

        The batch's messages are rendered first, then pipelined; each row is settled by its own
        replies, written every `settle_every` messages. A message the lost session never offered
        to the server goes out on the next one; on a stop, or when the server cannot be reached,
        it is released. Whatever happens, the replies in hand are written.
        """
        ledger = _Ledger(self, claim)
        to_send: list[_Outgoing] = []
        try:
            now = self.clock()
            for row in claim.rows:
                if row.client_id is None:
                    ledger.add(_skipped(row, "Not sent: the client was deleted."))
                elif row.unsubscribed_at is not None:
                    ledger.add(_skipped(row, states.UNSUBSCRIBED))
                else:
                    outgoing = self._render(row, now)
                    if isinstance(outgoing, Settlement):
                        ledger.add(outgoing)
                    else:
                        to_send.append(outgoing)
            dkim.record_signing(ids=[item.row.pk for item in to_send], domain=self.prepared.dkim_domain)
            pace = rate.Pace(self.server, run_id=self.run_id)
            while to_send and not self.stop_requested() and not pace.stopped and self._connect():
                done = self._send_window(ledger, to_send, pace)
                if not done and pace.halted:
                    break  # the server's rate is used up or paused: the rest is released
                if not done:
                    # Never expected (a live session settles at least one message a pass): the
                    # first one fails rather than the batch going round for ever.
                    ledger.add(self._settled(to_send[0], unexpected_stall(), self.clock()))
                    done = {0}
                to_send = [item for index, item in enumerate(to_send) if index not in done]
        finally:
            ledger.write()
            ledger.release([item.row.pk for item in to_send])

    def _send_window(self, ledger: _Ledger, to_send: list[_Outgoing], pace: rate.Pace) -> set[int]:
        """One session's pass over the messages left, each at the server's pace; the indexes it
        settled."""
        done: set[int] = set()
        messages = [
            (item.row.email, item.data, verp.envelope_sender(item.row.pk, self.prepared.envelope_from))
            for item in to_send
        ]
        outcomes = pace.send(self.session, self.prepared.envelope_from, messages)
        try:
            for index, outcome in outcomes:
                done.add(index)
                ledger.add(self._settled(to_send[index], outcome, self.clock()))
                if self.stop_requested():
                    break  # the rest of the window is abandoned: the server never got its data
        finally:
            outcomes.close()
        return done

    def _render(self, row: ClaimedRow, now: datetime) -> "_Outgoing | Settlement":
        message_id = self.prepared.message_id(run_id=self.run_id, attempt_id=row.pk)
        try:
            data = self.prepared.render(
                email=row.email, name=row.full_name, client_id=row.client_id, message_id=message_id, now=now
            )
        except Exception as error:
            # This one message cannot be built (a bug, data nobody foresaw): it fails alone.
            logger.exception("Run %s: the message to row %s could not be built", self.run_id, row.pk)
            reason = f"Not sent: the message could not be built ({type(error).__name__}: {error})"
            return self._settled(_Outgoing(row, message_id, b""), Result(Outcome.FAILED, None, reason), now)
        return _Outgoing(row, message_id, data)

    def _settled(self, item: _Outgoing, result: Result, now: datetime) -> Settlement:
        attempts = item.row.attempts + 1
        status, next_attempt_at = result.outcome.value, None
        if result.outcome == Outcome.DEFERRED:
            if attempts >= self.config.max_attempts or now - item.row.created_at >= self.config.max_age:
                status = DeliveryStatus.FAILED
            else:
                next_attempt_at = now + self.config.retry_delay(attempts)
        status = bounce_services.status_at_send(status=status, code=result.code, refused_at_rcpt=result.refused_at_rcpt)
        return Settlement(
            pk=item.row.pk,
            status=status,
            attempts=attempts,
            last_attempt_at=now,
            next_attempt_at=next_attempt_at,
            smtp_code=result.code,
            server_response=result.response[:2000],
            message_id=item.message_id,
            sent_by_cluster=self.sender.cluster,
            sent_by_worker=self.sender.worker,
        )


def _load_run(run_id: int) -> MailingRun | None:
    return MailingRun.objects.select_related("mailing__message__sender").filter(pk=run_id).first()


def _paused_until(run_id: int) -> datetime | None:
    return MailingRun.objects.filter(pk=run_id).values_list("paused_until", flat=True).first()


def _is_paused(run_id: int) -> bool:
    return MailingRun.objects.filter(pk=run_id, status=RunStatus.PAUSED).exists()


def unexpected_stall() -> Result:
    return Result(Outcome.FAILED, None, "Not sent: the session ended before this message could be offered.")


def _skipped(row: ClaimedRow, reason: str) -> Settlement:
    return Settlement(
        pk=row.pk,
        status=DeliveryStatus.SKIPPED,
        attempts=row.attempts,
        last_attempt_at=None,
        next_attempt_at=None,
        smtp_code=None,
        server_response=reason,
        message_id="",
        sent_by_cluster="",
        sent_by_worker="",
    )


def _prepare(run: MailingRun) -> PreparedMessage:
    return PreparedMessage.for_message(run.mailing.message, site_url=settings.SITE_URL)
