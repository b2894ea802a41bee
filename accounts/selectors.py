from django.db.models import QuerySet

from accounts.models import User


def user_list(*, viewer, base: QuerySet[User] | None = None) -> QuerySet[User]:
    """The users a viewer may see: for now, only themselves."""
    queryset = User.objects.all() if base is None else base
    if viewer is None or not viewer.is_authenticated:
        return queryset.none()
    return queryset.filter(pk=viewer.pk)
