"""Reading sender identities and DKIM keys, always through the viewer."""

from django.db.models import QuerySet

from core import roles
from mailing.identities.models import DkimKey, SenderIdentity
from mailing.selectors import as_pk


def sender_identity_list(*, viewer, base: QuerySet[SenderIdentity] | None = None) -> QuerySet[SenderIdentity]:
    """The viewer's identities; a manager sees every owner's (to read, not to change)."""
    queryset = SenderIdentity.objects.all() if base is None else base
    if not roles.is_signed_in(viewer):
        return queryset.none()
    if roles.is_manager(viewer):
        return queryset
    return queryset.filter(owner_id=viewer.pk)


def sender_identity_owned_list(*, viewer) -> QuerySet[SenderIdentity]:
    if not roles.is_signed_in(viewer):
        return SenderIdentity.objects.none()
    return SenderIdentity.objects.filter(owner_id=viewer.pk)


def sender_identity_get_owned(*, viewer, pk) -> SenderIdentity | None:
    pk = as_pk(pk)
    if pk is None:
        return None
    return sender_identity_owned_list(viewer=viewer).filter(pk=pk).first()


def dkim_key_for(*, domain: str) -> DkimKey | None:
    """The newest key of `domain` (an ASCII or punycode domain, any case), or None."""
    return DkimKey.objects.filter(domain=domain.lower()).order_by("-created_at", "-id").first()
