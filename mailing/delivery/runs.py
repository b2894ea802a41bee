"""Creating runs: the scheduler's pass over the mailings that are due, and "send now".

A run is made with a row per recipient in one statement, and reserved for the task that is
enqueued once the transaction commits.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mailing import queue, scheduling, states
from mailing.delivery.claims import MAY_SEND
from mailing.delivery.config import Config, Enqueue, on_commit_enqueue
from mailing.delivery.lifecycle import mailing_finish_if_done
from mailing.models import Mailing, MailingRun, MailingStatus, RunTrigger


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
    states.create_deliveries(run=run, now=now)
    states.move_mailings(Mailing.objects.filter(pk=mailing.pk), MailingStatus.STARTED, updated_at=now)
    return run


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
                    on_commit_enqueue(run.pk, enqueue)
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
            raise ValidationError({"id": ValidationError(_("The mailing is disabled."), code="disabled")})
        if locked.owner.blocked_at is not None or not locked.owner.is_active:
            raise ValidationError({"id": ValidationError(_("Your account is blocked from sending."), code="blocked")})
        if locked.end_at <= now:
            raise ValidationError({"id": ValidationError(_("The mailing's end has passed."), code="ended")})
        if locked.runs.filter(status__in=states.OPEN_RUN).exists():
            raise ValidationError(
                {"id": ValidationError(_("A run of this mailing is still sending."), code="run_in_progress")}
            )
        run = _run_create(mailing=locked, scheduled_for=now, trigger=RunTrigger.MANUAL, now=now)
        if run is None:
            raise ValidationError(
                {"id": ValidationError(_("A run was started at this very moment."), code="duplicate")}
            )
        on_commit_enqueue(run.pk, enqueue)
    return run
