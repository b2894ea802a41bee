from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.services import model_update
from mailing.models import Client
from mailing.stats import home_stats_invalidate

CLIENT_FIELDS = ["email", "full_name", "comment"]


def normalize_email(email: str) -> str:
    """Trim, and lower-case the domain (the local part is the mailbox owner's to case)."""
    email = (email or "").strip()
    local, sep, domain = email.rpartition("@")
    return f"{local}{sep}{domain.lower()}" if sep else email


def duplicate_email_error() -> ValidationError:
    return ValidationError(
        {"email": ValidationError(_("You already have a client with this e-mail address."), code="unique")}
    )


def _ensure_email_free(client: Client) -> None:
    taken = Client.objects.filter(owner_id=client.owner_id, email_key=client.email.lower()).exclude(pk=client.pk)
    if taken.exists():
        raise duplicate_email_error()


def _save(client: Client) -> Client:
    client.full_clean(validate_constraints=False)
    _ensure_email_free(client)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        # A concurrent request took the address between the check and the insert.
        raise duplicate_email_error() from None
    return client


@transaction.atomic
def client_create(*, owner, email: str, full_name: str, comment: str = "") -> Client:
    return _save(Client(owner=owner, email=normalize_email(email), full_name=full_name.strip(), comment=comment))


@transaction.atomic
def client_update(*, client: Client, data: dict) -> Client:
    data = dict(data)
    if "email" in data:
        data["email"] = normalize_email(data["email"])
    if "full_name" in data:
        data["full_name"] = data["full_name"].strip()
    if model_update(instance=client, fields=CLIENT_FIELDS, data=data):
        _save(client)
        home_stats_invalidate()
    return client


@transaction.atomic
def client_delete(*, client: Client) -> None:
    client.delete()
    home_stats_invalidate()
