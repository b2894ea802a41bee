"""Permission extensions, declared on fields; resolvers never decide access with an `if`.

Who is who: a session belongs only to a verified, active, unblocked user (the auth backend
refuses the others on every request), so `is_authenticated` already means "may use the service".
"""

from collections.abc import Callable
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from strawberry_django import permissions as django_permissions
from strawberry_django.permissions import DjangoNoPermission, DjangoPermissionExtension
from strawberry_django.resolvers import django_resolver

from core import roles

__all__ = ["IsAuthenticated", "IsManager", "IsSelfOrManager", "ViewerPermission"]

_FALLBACK = """

When the condition fails, a mutation answers with an `OperationInfo` of kind PERMISSION; a
query field answers with an error."""


class IsAuthenticated(django_permissions.IsAuthenticated):
    """Only for a signed-in user (strawberry-django's, with its refusal in the request's language)."""

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = _("User is not authenticated.")


def _everyone(row) -> bool:
    return True


def _nobody(row) -> bool:
    return False


class ViewerPermission(DjangoPermissionExtension):
    """A permission decided by the viewer, or by the viewer and an attribute of the row.

    `row_rule(user)` gives, for one viewer, the test of a row; the extension applies it to each
    row, and graphql_schema.execution asks for it once per request, so that a field of a hundred
    rows is not a hundred trips through strawberry's extension chain. A row the rule refuses
    always takes the extension's own path (its error, its null).
    """

    def row_rule(self, user) -> Callable[[Any], bool]:
        raise NotImplementedError

    @django_resolver(qs_hook=None)
    def resolve_for_user(self, resolver: Callable, user, *, info, source: Any):
        if not self.row_rule(user)(source):
            raise DjangoNoPermission
        return resolver()


class IsManager(ViewerPermission):
    """Only for managers (the `Managers` group) and superusers."""

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = _("User is not a manager.")
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = "Can only be resolved by managers." + _FALLBACK

    def row_rule(self, user) -> Callable[[Any], bool]:
        return _everyone if roles.is_manager(user) else _nobody


class IsSelfOrManager(ViewerPermission):
    """Only for the user a value belongs to, and for managers.

    `owner_attribute` names the attribute of the source object that holds its user's id:
    `pk` on a user, `owner_id` on a mailing.
    """

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = _("Only its owner and managers may see this.")
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = (
        "Can only be resolved by the user the value belongs to, and by managers." + _FALLBACK
    )

    def __init__(self, *, owner_attribute: str = "pk", **kwargs):
        super().__init__(**kwargs)
        self.owner_attribute = owner_attribute

    def row_rule(self, user) -> Callable[[Any], bool]:
        if not roles.is_signed_in(user):
            return _nobody
        if roles.is_manager(user):
            return _everyone
        attribute, pk = self.owner_attribute, user.pk
        return lambda row: getattr(row, attribute, None) == pk
