"""Turning client-supplied relay ids into primary keys, without trusting them."""

import inspect
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.relay.types import GlobalIDValueError
from strawberry.types.base import get_object_definition

from mailing.selectors import as_pk


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
    "SenderIdentity": _("Sender identity not found."),
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


class ExistingNode(FieldExtension):
    """`node(id)`: null for an id that names no node type, or whose key is no key (`Client:x`),
    as for a row that does not exist, instead of the error strawberry raises (masked as a server
    error)."""

    def resolve(self, next_, source, info, **kwargs):
        return next_(source, info, **kwargs) if _may_exist(info, kwargs["id"]) else None

    async def resolve_async(self, next_, source, info, **kwargs):
        if not _may_exist(info, kwargs["id"]):
            return None
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result


def _may_exist(info, global_id: relay.GlobalID) -> bool:
    try:
        global_id.resolve_type(info)
    except GlobalIDValueError:
        return False
    return as_pk(global_id.node_id) is not None
