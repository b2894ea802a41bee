"""Finishing runs and mailings, and the sweeper that hands on runs nobody is sending."""

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from mailing import queue, states
from mailing.delivery import claims
from mailing.delivery.config import Config, Enqueue, on_commit_enqueue
from mailing.models import DeliveryAttempt, DeliveryStatus, Mailing, MailingRun, MailingStatus, RunStatus

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


# --- The sweeper ------------------------------------------------------------------------------


@dataclass
class SweepResult:
    enqueued: list[int] = field(default_factory=list)
    finished_runs: list[int] = field(default_factory=list)
    finished_mailings: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


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
            if claims.run_reserve(run_id=run.pk, now=now, config=config):
                result.enqueued.append(run.pk)
                on_commit_enqueue(run.pk, enqueue)

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
