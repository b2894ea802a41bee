"""Reads, always through the viewer: another owner's row is indistinguishable from a missing one."""

from django.db.models import Q, QuerySet

from mailing.models import Client, Mailing, MailingStatus, Message

# "Active" is defined once: started by the engine and not disabled.
ACTIVE_MAILING = Q(status=MailingStatus.STARTED, is_active=True)


def _owned(queryset: QuerySet, viewer) -> QuerySet:
    if viewer is None or not viewer.is_authenticated:
        return queryset.none()
    return queryset.filter(owner_id=viewer.pk)


def client_list(*, viewer, base: QuerySet[Client] | None = None) -> QuerySet[Client]:
    return _owned(Client.objects.all() if base is None else base, viewer)


def message_list(*, viewer, base: QuerySet[Message] | None = None) -> QuerySet[Message]:
    return _owned(Message.objects.all() if base is None else base, viewer)


def mailing_list(*, viewer, base: QuerySet[Mailing] | None = None) -> QuerySet[Mailing]:
    return _owned(Mailing.objects.all() if base is None else base, viewer)


def as_pk(value) -> int | None:
    """A primary key from client input, or None when it cannot be one."""
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None


def _get(queryset: QuerySet, pk):
    pk = as_pk(pk)
    return queryset.filter(pk=pk).first() if pk is not None else None


def client_get(*, viewer, pk) -> Client | None:
    return _get(client_list(viewer=viewer), pk)


def message_get(*, viewer, pk) -> Message | None:
    return _get(message_list(viewer=viewer), pk)


def mailing_get(*, viewer, pk) -> Mailing | None:
    return _get(mailing_list(viewer=viewer), pk)
