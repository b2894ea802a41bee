from django.db import transaction
from django.utils import timezone

from mailing.bounces.services import suppression_add
from mailing.models import Client, SuppressionReason
from mailing.rendering import client_id_from_token


def unsubscribe_client_get(*, token: str) -> Client | None:
    """The client of a signed unsubscribe token, changing nothing; None when it is not valid."""
    client_id = client_id_from_token(token)
    return Client.objects.filter(pk=client_id).first() if client_id else None


@transaction.atomic
def client_unsubscribe_by_token(*, token: str) -> Client | None:
    """Mark the client of a signed unsubscribe token; None when the token is not valid.

    Idempotent: the first moment of unsubscribing is kept.
    """
    client_id = client_id_from_token(token)
    client = Client.objects.select_for_update().filter(pk=client_id).first() if client_id else None
    if client is not None and client.unsubscribed_at is None:
        client.unsubscribed_at = timezone.now()
        client.save(update_fields=["unsubscribed_at", "updated_at"])
        suppression_add(owner_id=client.owner_id, email=client.email, reason=SuppressionReason.UNSUBSCRIBED)
    return client
