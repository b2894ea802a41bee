import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import zones
from core.services import model_update
from mailing import queue, scheduling, selectors
from mailing.models import Client, Mailing, MailingStatus, Message, Periodicity
from mailing.stats import home_stats_invalidate

logger = logging.getLogger(__name__)

MAILING_FIELDS = ["message", "start_at", "end_at", "periodicity", "time_zone"]


class _Errors:
    """Collects field errors so that a client hears of every problem in one answer."""

    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def check(self, function: Callable, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except ValidationError as error:
            for field, errors in error.update_error_dict({}).items():
                self.errors.setdefault(field, []).extend(errors)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _message_for(*, owner, message_id) -> Message:
    message = selectors.message_get_owned(viewer=owner, pk=message_id)
    if message is None:
        raise ValidationError({"message": ValidationError(_("Message not found."), code="not_found")})
    return message


def _clients_for(*, owner, client_ids: Sequence) -> list[Client]:
    if not client_ids:
        raise ValidationError({"clients": ValidationError(_("Choose at least one client."), code="required")})
    pks = [selectors.as_pk(pk) for pk in client_ids]
    found = {
        client.pk: client
        for client in selectors.client_list(viewer=owner).filter(pk__in={pk for pk in pks if pk is not None})
    }
    missing = [str(position) for position, pk in enumerate(pks, start=1) if pk not in found]
    if missing:
        raise ValidationError(
            {
                "clients": ValidationError(
                    _("Client not found (at position %(positions)s of the list)."),
                    code="not_found",
                    params={"positions": ", ".join(missing)},
                )
            }
        )
    return list(found.values())


def _validate_periodicity(value: str) -> None:
    if value not in Periodicity.values:
        raise ValidationError(
            {
                "periodicity": ValidationError(
                    _("Unknown periodicity %(value)s; expected one of %(choices)s."),
                    code="invalid_choice",
                    params={"value": repr(value), "choices": ", ".join(Periodicity.values)},
                )
            }
        )


def _zone_of(name: str):
    """The zone of that name, or a field error on `timeZone` (None for a zone already refused)."""
    try:
        zones.validate_time_zone(name)
    except ValidationError as error:
        raise ValidationError({"time_zone": error.error_list}) from None
    return zones.zone(name)


def _aware(value: datetime | None, zone) -> datetime | None:
    # A time without an offset is wall-clock time in the mailing's zone (UTC by default); the
    # slot rules of `scheduling` apply to one that falls in a DST gap or fold.
    if value is None:
        return None
    return scheduling.localize(value, zone).astimezone(zone)


def _validate(mailing: Mailing, errors: _Errors) -> None:
    skip = ["clients", "owner", *(field for field in errors.errors if field in MAILING_FIELDS)]
    errors.check(mailing.full_clean, exclude=skip, validate_constraints=False)
    errors.raise_if_any()


def _next_run_at(mailing: Mailing, now: datetime) -> datetime | None:
    if mailing.status == MailingStatus.CREATED:
        # Until the engine starts it, the first run is simply the start.
        return mailing.start_at.astimezone(UTC)
    if mailing.status == MailingStatus.FINISHED:
        return None
    # A started mailing whose schedule changed: the slot due now if it has not been sent yet,
    # else the next one.
    slot = scheduling.due_slot(mailing.start_at, mailing.end_at, mailing.periodicity, now)
    if slot is not None and not mailing.runs.filter(scheduled_for=slot).exists():
        return slot
    return scheduling.next_slot_after(mailing.start_at, mailing.end_at, mailing.periodicity, now)


def _save(mailing: Mailing) -> Mailing:
    now = timezone.now()
    mailing.next_run_at = _next_run_at(mailing, now)
    mailing.save()
    if mailing.is_active and mailing.next_run_at is not None and mailing.next_run_at <= now < mailing.end_at:
        # Due now: the cluster runs it at once. The request itself never touches SMTP.
        transaction.on_commit(queue.enqueue_due_pass)
    return mailing


@transaction.atomic
def mailing_create(
    *,
    owner,
    message_id,
    client_ids: Sequence,
    start_at: datetime,
    end_at: datetime,
    periodicity: str,
    time_zone: str | None = None,
) -> Mailing:
    """A new mailing; its zone defaults to the owner's, and naive times are read in it."""
    errors = _Errors()
    errors.check(_validate_periodicity, periodicity)
    message = errors.check(_message_for, owner=owner, message_id=message_id)
    clients = errors.check(_clients_for, owner=owner, client_ids=client_ids)
    time_zone = time_zone or owner.time_zone
    zone = errors.check(_zone_of, time_zone) or zones.zone(zones.DEFAULT_TIME_ZONE)
    mailing = Mailing(
        owner=owner,
        message=message,
        start_at=_aware(start_at, zone),
        end_at=_aware(end_at, zone),
        periodicity=periodicity,
        time_zone=time_zone,
    )
    _validate(mailing, errors)
    _save(mailing)
    mailing.clients.set(clients)
    home_stats_invalidate()
    return mailing


@transaction.atomic
def mailing_update(*, mailing: Mailing, data: dict) -> Mailing:
    """Change what the client sent: `message_id`, `client_ids`, `start_at`, `end_at`, `periodicity`,
    `time_zone`. Naive times are read in the (new) zone; a new zone alone keeps the stored instants."""
    data = dict(data)
    errors = _Errors()
    if data.get("time_zone", "") is None:
        data.pop("time_zone")
    zone = zones.zone(mailing.time_zone) if mailing.time_zone in zones.available_time_zones() else None
    if "time_zone" in data:
        zone = errors.check(_zone_of, data["time_zone"])
        if zone is None:
            data.pop("time_zone")
    zone = zone or zones.zone(zones.DEFAULT_TIME_ZONE)
    if "periodicity" in data:
        errors.check(_validate_periodicity, data["periodicity"])
    if "message_id" in data:
        data["message"] = errors.check(_message_for, owner=mailing.owner, message_id=data.pop("message_id"))
    clients = None
    if "client_ids" in data:
        clients = errors.check(_clients_for, owner=mailing.owner, client_ids=data.pop("client_ids"))
    for field in ("start_at", "end_at"):
        if field in data:
            data[field] = _aware(data[field], zone)
    changed = model_update(instance=mailing, fields=MAILING_FIELDS, data=data)
    _validate(mailing, errors)
    mailing.localize_times()
    if changed:
        _save(mailing)
    if clients is not None:
        mailing.clients.set(clients)
    home_stats_invalidate()
    return mailing


@transaction.atomic
def mailing_delete(*, mailing: Mailing) -> None:
    mailing.delete()
    home_stats_invalidate()


@transaction.atomic
def mailing_set_active(*, mailing: Mailing, is_active: bool, actor) -> Mailing:
    """Disable or enable a mailing: a disabled one sends nothing more (the engine checks before
    each batch). The owner may do it, and a manager on any mailing. Idempotent."""
    if mailing.is_active != is_active:
        mailing.is_active = is_active
        mailing.save(update_fields=["is_active", "updated_at"])
        home_stats_invalidate()
        logger.info("mailing %s %s by user %s", mailing.pk, "enabled" if is_active else "disabled", actor.pk)
        if is_active:
            # The engine takes it up at once rather than at the next minute's schedules: a slot
            # that came while it was disabled, and a run it stopped midway.
            transaction.on_commit(queue.enqueue_resume)
    return mailing
