"""What a bounce or a complaint does, the owner's suppression list, and resending a run's
failed rows.

A report names its row by a VERP token (`verp`); it is believed only when the token is this
service's and the address the report names (when it names one) is the row's. Anything else is
ignored with a log line and changes nothing.
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mailing import queue, states
from mailing.bounces import verp
from mailing.bounces.reports import Kind, Report
from mailing.delivery.claims import MAY_SEND
from mailing.delivery.config import Config, Enqueue, on_commit_enqueue
from mailing.models import (
    BounceEvent,
    BounceKind,
    Client,
    DeliveryAttempt,
    DeliveryStatus,
    Mailing,
    MailingRun,
    MailingStatus,
    RunTrigger,
    Suppression,
    SuppressionReason,
)
from mailing.services.clients import normalize_email

logger = logging.getLogger(__name__)


class Applied(StrEnum):
    """What a report did."""

    BOUNCED = "bounced"  # a hard bounce: the row BOUNCED, the address suppressed
    SOFT = "soft"  # a soft bounce counted (and the address suppressed at the limit)
    COMPLAINT = "complaint"  # the client unsubscribed and the address suppressed
    DUPLICATE = "duplicate"  # the same report was read before
    IGNORED = "ignored"  # forged, about no row, or about another address: nothing changed


def _row(report: Report) -> DeliveryAttempt | None:
    """The row the report's tokens name, or None (logged)."""
    if not report.tokens:
        logger.warning("Bounce ignored: no VERP token in the %s report (%s)", report.kind, report.reply())
        return None
    delivery_id = next((pk for pk in map(verp.delivery_id_from, report.tokens) if pk is not None), None)
    if delivery_id is None:
        logger.warning("Bounce ignored: forged VERP token %s", ", ".join(report.tokens))
        return None
    row = DeliveryAttempt.objects.select_related("mailing").filter(pk=delivery_id).first()
    if row is None:
        logger.warning("Bounce ignored: delivery row %s does not exist (any more)", delivery_id)
        return None
    named = {address.lower() for address in report.recipients}
    if named and row.email.lower() not in named:
        logger.warning(
            "Bounce ignored: the report names %s, but delivery row %s went to another address",
            ", ".join(sorted(named)),
            delivery_id,
        )
        return None
    return row


def _event(row: DeliveryAttempt, kind: str, report: Report, now: datetime) -> bool:
    """Log the row's bounce of this kind; False when it was logged before."""
    try:
        with transaction.atomic():
            BounceEvent.objects.create(
                delivery=row,
                mailing_id=row.mailing_id,
                run_id=row.run_id,
                kind=kind,
                status_code=report.status[:16],
                diagnostic=report.diagnostic[:2000],
                received_at=now,
            )
    except IntegrityError:
        return False
    return True


def suppression_add(
    *, owner_id: int, email: str, reason: str, delivery: DeliveryAttempt | None = None, detail: str = ""
) -> Suppression:
    """Suppress an address for an owner; an address suppressed already keeps its first reason."""
    existing = Suppression.objects.filter(owner_id=owner_id, email_key=email.lower()).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Suppression.objects.create(
                owner_id=owner_id, email=email, reason=reason, delivery=delivery, detail=detail[:2000]
            )
    except IntegrityError:
        return Suppression.objects.get(owner_id=owner_id, email_key=email.lower())


def _soft_streak(row: DeliveryAttempt) -> bool:
    """Whether the last BOUNCE_SOFT_LIMIT messages to the row's client all bounced softly."""
    limit = settings.BOUNCE_SOFT_LIMIT
    if row.client_id is None or limit < 1:
        return False
    sent = (DeliveryStatus.SENT, DeliveryStatus.BOUNCED)
    last = list(
        DeliveryAttempt.objects.filter(client_id=row.client_id, status__in=sent)
        .order_by("-id")
        .values_list("pk", flat=True)[:limit]
    )
    if len(last) < limit:
        return False
    soft = BounceEvent.objects.filter(delivery_id__in=last, kind=BounceKind.SOFT).count()
    return soft == limit


def report_apply(*, report: Report, now: datetime | None = None) -> Applied:
    """Do what one report says, if it is about a row of ours (see the module's docstring)."""
    now = now or timezone.now()
    row = _row(report)
    if row is None:
        return Applied.IGNORED
    owner_id = row.mailing.owner_id
    with transaction.atomic():
        if report.kind == Kind.COMPLAINT:
            if not _event(row, BounceKind.COMPLAINT, report, now):
                return Applied.DUPLICATE
            Client.objects.filter(pk=row.client_id, unsubscribed_at__isnull=True).update(
                unsubscribed_at=now, updated_at=now
            )
            suppression_add(
                owner_id=owner_id, email=row.email, reason=SuppressionReason.COMPLAINT, delivery=row,
                detail=report.diagnostic,
            )  # fmt: skip
            logger.info("Complaint (%s) about delivery row %s: client unsubscribed", report.feedback_type, row.pk)
            return Applied.COMPLAINT
        if report.kind == Kind.HARD:
            if not _event(row, BounceKind.HARD, report, now):
                return Applied.DUPLICATE
            states.bounce_deliveries(
                DeliveryAttempt.objects.filter(pk=row.pk),
                smtp_code=report.smtp_code,
                server_response=report.reply(),
                updated_at=now,
            )
            suppression_add(
                owner_id=owner_id, email=row.email, reason=SuppressionReason.HARD_BOUNCE, delivery=row,
                detail=report.reply(),
            )  # fmt: skip
            logger.info("Hard bounce %s for delivery row %s", report.status, row.pk)
            return Applied.BOUNCED
        if not _event(row, BounceKind.SOFT, report, now):
            return Applied.DUPLICATE
        if _soft_streak(row):
            suppression_add(
                owner_id=owner_id, email=row.email, reason=SuppressionReason.SOFT_BOUNCES, delivery=row,
                detail=report.reply(),
            )  # fmt: skip
        logger.info("Soft bounce %s for delivery row %s", report.status, row.pk)
        return Applied.SOFT


def refusals_record(*, settlements: Sequence[states.Settlement], now: datetime) -> None:
    """Suppress the addresses the mail server refused at RCPT with a 5xx (their rows BOUNCED as
    they settled): a hard bounce at send time. Called by the worker after it settles a batch."""
    ids = [settlement.pk for settlement in settlements if settlement.status == DeliveryStatus.BOUNCED]
    if not ids:
        return
    rows = DeliveryAttempt.objects.filter(pk__in=ids, status=DeliveryStatus.BOUNCED).select_related("mailing")
    for row in rows:
        report = Report(kind=Kind.HARD, diagnostic=row.server_response, smtp_code=row.smtp_code)
        _event(row, BounceKind.HARD, report, now)
        suppression_add(
            owner_id=row.mailing.owner_id, email=row.email, reason=SuppressionReason.HARD_BOUNCE, delivery=row,
            detail=row.server_response,
        )  # fmt: skip


def status_at_send(*, status: str, code: int | None, refused_at_rcpt: bool) -> str:
    """A row's status after its SMTP transaction: a 5xx to RCPT is a hard bounce (BOUNCED)."""
    if status == DeliveryStatus.FAILED and refused_at_rcpt and code is not None and 500 <= code < 600:
        return DeliveryStatus.BOUNCED
    return status


# --- The owner's list -------------------------------------------------------------------------


def suppression_create(*, owner, email: str) -> Suppression:
    """An address the owner suppresses by hand."""
    suppression = Suppression(owner=owner, email=normalize_email(email), reason=SuppressionReason.MANUAL)
    suppression.full_clean(exclude=["owner", "delivery"], validate_constraints=False)
    if Suppression.objects.filter(owner=owner, email_key=suppression.email.lower()).exists():
        raise ValidationError(
            {"email": ValidationError(_("This address is on your suppression list already."), code="unique")}
        )
    try:
        with transaction.atomic():
            suppression.save()
    except IntegrityError:
        raise ValidationError(
            {"email": ValidationError(_("This address is on your suppression list already."), code="unique")}
        ) from None
    return suppression


def suppression_lift(*, suppression: Suppression) -> None:
    """Send to the address again. A client who unsubscribed (or complained) stays unsubscribed."""
    suppression.delete()


# --- Resending a run's failed rows ------------------------------------------------------------


def run_retry_failed(
    *, run: MailingRun, now: datetime | None = None, enqueue: Enqueue | None = queue.enqueue_run
) -> MailingRun:
    """A new run of the FAILED and DEFERRED rows of a closed run; suppressed addresses SKIPPED."""
    now = now or timezone.now()
    with transaction.atomic():
        source = MailingRun.objects.select_for_update().get(pk=run.pk)
        mailing = Mailing.objects.select_for_update(of=("self",)).select_related("owner").get(pk=source.mailing_id)
        if source.status in states.OPEN_RUN:
            raise ValidationError(
                {"runId": ValidationError(_("The run is still sending; retry it once it is closed."), code="run_open")}
            )
        if not Mailing.objects.filter(MAY_SEND, pk=mailing.pk).exists():
            raise ValidationError(
                {"runId": ValidationError(_("The mailing is disabled, or you are blocked from sending."), code="held")}
            )
        if mailing.end_at <= now:
            raise ValidationError({"runId": ValidationError(_("The mailing's end has passed."), code="ended")})
        if mailing.runs.filter(status__in=states.OPEN_RUN).exists():
            raise ValidationError(
                {"runId": ValidationError(_("A run of this mailing is still sending."), code="run_in_progress")}
            )
        if not source.attempts.filter(status__in=states.RETRIED, client__isnull=False).exists():
            raise ValidationError(
                {"runId": ValidationError(_("The run has no failed or deferred rows to send again."), code="nothing")}
            )
        retry = MailingRun(
            mailing=mailing,
            scheduled_for=now,
            trigger=RunTrigger.RETRY,
            retry_of=source,
            lease_until=now + Config.from_settings().lease,
            claimed_by="queue",
        )
        try:
            with transaction.atomic():
                retry.save()
        except IntegrityError:
            raise ValidationError(
                {"runId": ValidationError(_("A run was started at this very moment."), code="duplicate")}
            ) from None
        states.create_retry_deliveries(run=retry, source=source, now=now)
        states.move_mailings(Mailing.objects.filter(pk=mailing.pk), MailingStatus.STARTED, updated_at=now)
        on_commit_enqueue(retry.pk, enqueue)
    return retry
