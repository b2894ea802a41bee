from django.db.models import QuerySet

from accounts.models import User
from core import roles
from mailing.selectors import as_pk


def user_list(*, viewer, base: QuerySet[User] | None = None) -> QuerySet[User]:
    """The users a viewer may see: themselves; a manager sees every user."""
    queryset = User.objects.all() if base is None else base
    if not roles.is_signed_in(viewer):
        return queryset.none()
    if roles.is_manager(viewer):
        return queryset
    return queryset.filter(pk=viewer.pk)


def user_get(*, viewer, pk) -> User | None:
    pk = as_pk(pk)
    return user_list(viewer=viewer).filter(pk=pk).first() if pk is not None else None


def user_roles(user: User) -> list[str]:
    """OWNER for everyone; MANAGER (superusers too) and CONTENT_MANAGER by group."""
    roles = ["OWNER"]
    if user.is_manager:
        roles.append("MANAGER")
    if user.is_content_manager:
        roles.append("CONTENT_MANAGER")
    return roles
