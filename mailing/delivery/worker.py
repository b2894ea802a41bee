"""Sending one run: a worker takes the run, claims a batch, sends it on one SMTP session
(pipelined when the server allows it), settles every row by its own replies, and goes on until
no row is left or sending must stop.
"""

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
from mailing.delivery import claims, lifecycle
from mailing.delivery.claims import Claim, ClaimedRow, Taken, Verdict
from mailing.delivery.config import Clock, Config, Enqueue
from mailing.models import DeliveryStatus, MailingRun, RunStatus
from mailing.rendering import PreparedMessage
from mailing.smtp import ConnectError, Outcome, Result, ServerConfig, Session
from mailing.states import Settlement

logger = logging.getLogger(__name__)


class Stopped(StrEnum):
    """Why a worker stopped sending a run."""

    DONE = "done"  # no row is left to send
    CLOSED = "closed"  # the run was finished or cancelled
    PAUSED = "paused"  # the circuit breaker paused the run: the server cannot be reached
    HELD = "held"  # the mailing may not send now (disabled, or its owner blocked)
    ENDED = "ended"  # the mailing's end passed: the rest is skipped
    HANDED_OVER = "handed over"  # a fresh task sends the rest
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

    def as_dict(self) -> dict:
        return asdict(self) | {"stopped": str(self.stopped or "")}

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
        ).run()
    except Exception:
        logger.exception("Run %s: the worker stopped on an unexpected error", run_id)
        result.stopped = Stopped.ERROR
    return result


class Breaker:
    """A run's circuit breaker: failures to reach the server in a row pause the run (no row is
    charged for an outage), for a cooldown that doubles while the server stays away. Its counts
    live on the run, shared by the run's workers."""

    def __init__(self, run_id: int, config: Config):
        self.run_id = run_id
        self.config = config
        self.tripped = False

    def failure(self, error: ConnectError, now: datetime) -> bool:
        """Count a failure to reach the server; open the breaker (pause the run) at the threshold."""
        run = MailingRun.objects.filter(pk=self.run_id)
        with transaction.atomic():
            run.update(consecutive_failures=F("consecutive_failures") + 1, last_error=str(error)[:2000], updated_at=now)
            counts = run.select_for_update().values("consecutive_failures", "pauses").get()
            if counts["consecutive_failures"] < self.config.breaker_threshold:
                return False
            cooldown = self.config.breaker_pause(counts["pauses"])
            states.move_runs(
                run,
                RunStatus.PAUSED,
                paused_until=now + timedelta(seconds=cooldown),
                pauses=counts["pauses"] + 1,
                lease_until=None,
                updated_at=now,
            )
        logger.warning("Run %s paused for %ss: %s", self.run_id, cooldown, error)
        self.tripped = True
        return True

    def success(self) -> None:
        MailingRun.objects.filter(pk=self.run_id).filter(Q(consecutive_failures__gt=0) | Q(pauses__gt=0)).update(
            consecutive_failures=0, pauses=0
        )


class _Outgoing(NamedTuple):
    row: ClaimedRow
    message_id: str
    data: bytes


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
    ):
        self.run_id = run_id
        self.clock = clock
        self.name = name
        self.server = server
        self.on_batch = on_batch
        self.handover = handover
        self.result = result
        self.config = Config.from_settings()
        self.breaker = Breaker(run_id, self.config)
        self.sender = Sender.current()
        self.session: Session | None = None

    def run(self) -> Stopped:
        run = MailingRun.objects.select_related("mailing__message").filter(pk=self.run_id).first()
        if run is None or run.status not in states.OPEN_RUN:
            return Stopped.CLOSED
        self.mailing_id = run.mailing_id
        self.prepared = _prepare(run)
        try:
            return self._send_until_stopped()
        finally:
            if self.session is not None:
                self.session.close()

    def _send_until_stopped(self) -> Stopped:
        started = time.monotonic()
        while True:
            now = self.clock()
            verdict = claims.may_send(self.mailing_id, now)
            if verdict == Verdict.ENDED:
                lifecycle.run_close_ended(run_id=self.run_id, now=now)
                return Stopped.ENDED
            if verdict == Verdict.HOLD:
                claims.run_let_go(run_id=self.run_id, worker=self.name)
                return Stopped.HELD
            taken = claims.run_take(run_id=self.run_id, now=now, config=self.config, worker=self.name)
            if taken != Taken.TAKEN:
                return Stopped(taken.value)
            if not self._connect():
                if self.breaker.tripped:
                    return Stopped.PAUSED
                continue
            claim = claims.claim(run_id=self.run_id, now=now, config=self.config)
            if not claim.rows:
                claims.run_let_go(run_id=self.run_id, worker=self.name)
                lifecycle.run_finish_if_done(run_id=self.run_id, now=now)
                return Stopped.DONE
            self._send_batch(claim)
            if self.on_batch is not None:
                self.on_batch(self.result)
            if MailingRun.objects.filter(pk=self.run_id, status=RunStatus.PAUSED).exists():
                return Stopped.PAUSED
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
            self.breaker.failure(error, self.clock())
            return False
        self.breaker.success()
        return True

    def _send_batch(self, claim: Claim) -> None:
        """Send one claimed batch on one session (reopened when the server drops it); settle it.

        The batch's messages are rendered first, then pipelined; each row is settled by its own
        replies. A message the lost session never offered to the server goes out on the next one.
        """
        settled: list[Settlement] = []
        now = self.clock()
        to_send: list[_Outgoing] = []
        for row in claim.rows:
            if row.client_id is None:
                settled.append(_skipped(row, "Not sent: the client was deleted."))
            elif row.unsubscribed_at is not None:
                settled.append(_skipped(row, states.UNSUBSCRIBED))
            else:
                message_id = self.prepared.message_id(run_id=self.run_id, attempt_id=row.pk)
                data = self.prepared.render(
                    email=row.email, name=row.full_name, client_id=row.client_id, message_id=message_id, now=now
                )
                to_send.append(_Outgoing(row, message_id, data))
        renew_at = now + self.config.lease / 3
        while to_send:
            if not self._connect():
                claims.settle(claim=claim, settlements=settled, now=self.clock())
                bounce_services.refusals_record(settlements=settled, now=self.clock())
                claims.release(claim=claim, ids=[item.row.pk for item in to_send], now=self.clock())
                self.result.count(settled)
                return
            done: set[int] = set()
            messages = [
                (item.row.email, item.data, verp.envelope_sender(item.row.pk, self.prepared.envelope_from))
                for item in to_send
            ]
            for index, outcome in self.session.send_all(self.prepared.envelope_from, messages):
                item = to_send[index]
                now = self.clock()
                settled.append(self._settled(item, outcome, now))
                done.add(index)
                if now >= renew_at:
                    claims.renew(run_id=self.run_id, claim=claim, now=now, config=self.config, worker=self.name)
                    renew_at = now + self.config.lease / 3
            to_send = [item for index, item in enumerate(to_send) if index not in done]
        claims.settle(claim=claim, settlements=settled, now=self.clock())
        bounce_services.refusals_record(settlements=settled, now=self.clock())
        self.result.count(settled)

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
    message = run.mailing.message
    return PreparedMessage(
        subject=message.subject,
        body=message.body,
        html_body=message.html_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        site_url=settings.SITE_URL,
    )
