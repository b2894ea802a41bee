"""Creating runs: the scheduler's pass over the mailings that are due, and "send now".

A run is made with a row per recipient in one statement, and reserved for the task that is
enqueued once the transaction commits.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mailing import queue, scheduling, states
from mailing.delivery.claims import MAY_SEND
from mailing.delivery.config import Config, Enqueue, on_commit_enqueue
from mailing.delivery.lifecycle import mailing_finish_if_done
from mailing.models import DeliveryAttempt, DeliveryStatus, Mailing, MailingRun, MailingStatus, RunStatus, RunTrigger


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


# Rows of a run still making their first attempt: never tried yet, or on the wire now. While a
# run has any, "send now" is refused; a run left with only retries to wait for is superseded.
FIRST_ATTEMPTS = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
SUPERSEDED = "Not retried: “Send now” started a new run. The last reply was: "


def _in_progress() -> ValidationError:
    return ValidationError(
        {
            "id": ValidationError(
                _(
                    "A run of this mailing is still making its first attempts. “Send now” can start a new run "
                    "once every recipient has been tried."
                ),
                code="run_in_progress",
            )
        }
    )


def _run_supersede(*, run: MailingRun, now: datetime) -> None:
    """Close an open run that only waits on retries: its waiting rows are SKIPPED (with the last
    reply kept), and it is FINISHED. Refused while it still makes first attempts."""
    rows = DeliveryAttempt.objects.filter(run_id=run.pk)
    if rows.filter(status__in=FIRST_ATTEMPTS).exists():
        raise _in_progress()
    states.move_deliveries(
        rows.filter(status=DeliveryStatus.DEFERRED),
        DeliveryStatus.SKIPPED,
        server_response=Concat(Value(SUPERSEDED), F("server_response"), output_field=TextField()),
        next_attempt_at=None,
        lease_until=None,
        lease_token="",
        updated_at=now,
    )
    finished = states.move_runs(
        MailingRun.objects.filter(pk=run.pk), RunStatus.FINISHED, finished_at=now, lease_until=None, updated_at=now
    )
    if not finished:
        # A worker claimed a retry that came due between the check and the move: it is on the
        # wire now (the transaction's rollback gives the other rows back their retries).
        raise _in_progress()


def mailing_send_now(*, mailing: Mailing, now: datetime | None = None, enqueue: Enqueue | None = queue.enqueue_run):
    """A run of the mailing now, outside its schedule (the owner asked for it).

    Refused while a run of it still makes first attempts. A run that only waits on retries
    (a 451 from one mailbox keeps a run open for up to MAILING_MAX_AGE) is closed first: the
    new run sends to those recipients again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The mailing's row lock makes two "send now" at once one after the other: the second
        # finds the first's new run making its first attempts.
        locked = Mailing.objects.select_for_update(of=("self",)).select_related("owner").get(pk=mailing.pk)
        if not locked.is_active:
            raise ValidationError({"id": ValidationError(_("The mailing is disabled."), code="disabled")})
        if locked.owner.blocked_at is not None or not locked.owner.is_active:
            raise ValidationError({"id": ValidationError(_("Your account is blocked from sending."), code="blocked")})
        if locked.end_at <= now:
            raise ValidationError({"id": ValidationError(_("The mailing's end has passed."), code="ended")})
        for open_run in locked.runs.filter(status__in=states.OPEN_RUN).order_by("id"):
            _run_supersede(run=open_run, now=now)
        run = _run_create(mailing=locked, scheduled_for=now, trigger=RunTrigger.MANUAL, now=now)
        if run is None:
            raise ValidationError(
                {"id": ValidationError(_("A run was started at this very moment."), code="duplicate")}
            )
        on_commit_enqueue(run.pk, enqueue)
    return run
