"""Turning client-supplied relay ids into primary keys, without trusting them."""

from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from strawberry import relay
from strawberry.types.base import get_object_definition


def _type_name(type_: type) -> str:
    return get_object_definition(type_, strict=True).name


def node_pk(global_id: relay.GlobalID, type_: type) -> str | None:
    """The id's node part when it names `type_`, else None (which no selector will find)."""
    return global_id.node_id if global_id.type_name == _type_name(type_) else None


def node_pks(global_ids: Iterable[relay.GlobalID], type_: type) -> list[str | None]:
    return [node_pk(global_id, type_) for global_id in global_ids]


# Written out, so that each is one message to translate.
NOT_FOUND = {
    "Client": _("Client not found."),
    "Message": _("Message not found."),
    "Mailing": _("Mailing not found."),
    "User": _("User not found."),
    "MailingRun": _("Run not found."),
    "Suppression": _("Suppression not found."),
}


def not_found(field: str, what: str) -> ValidationError:
    message = NOT_FOUND.get(what) or _("%(what)s not found.") % {"what": what}
    return ValidationError({field: ValidationError(message, code="not_found")})


def node_from(info, global_id: relay.GlobalID, type_: type, get: Callable):
    """The row `global_id` names, found by the selector `get(viewer=..., pk=...)` for the viewer.

    A row the selector does not give the viewer answers exactly as a missing one: a validation
    error on `id` ("Client not found.").
    """
    row = get(viewer=info.context.request.user, pk=node_pk(global_id, type_))
    if row is None:
        raise not_found("id", _type_name(type_))
    return row
