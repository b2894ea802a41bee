"""Permission extensions, declared on fields; resolvers never decide access with an `if`."""

from collections.abc import Callable
from typing import Any, ClassVar

from strawberry.types.info import Info
from strawberry_django.permissions import DjangoNoPermission, DjangoPermissionExtension, IsAuthenticated
from strawberry_django.resolvers import django_resolver

from core.roles import is_manager

__all__ = ["IsAuthenticated", "IsManager"]


class IsManager(DjangoPermissionExtension):
    """Only members of the "Managers" group (and superusers) resolve the field."""

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = "Only managers may see this."
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = "Can only be resolved by managers."

    @django_resolver(qs_hook=None)
    def resolve_for_user(self, resolver: Callable, user, *, info: Info, source: Any):
        if not is_manager(user):
            raise DjangoNoPermission
        return resolver()
