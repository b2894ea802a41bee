"""Keyset pagination for connections over long lists (the delivery log).

strawberry-django's `DjangoListConnection` pages by OFFSET, so page 800 of a list reads and drops
the 79,900 rows before it, and its `totalCount` is a window function that makes the database
build the whole filtered list before it returns one page. A `KeysetConnection` lists a queryset
ordered by its primary key (`-id` or `id`): a cursor holds its row's key, so the next page is a
range read in an index, as fast deep in the list as at its start, and `totalCount` is a separate
COUNT run only when it is asked for.

A page is read in two statements: the keys of the page, then its rows by key. The first is
answered from an index alone (say the (mailing, status, id) index of the delivery log), where a
single statement would let PostgreSQL walk the primary key backwards, row by row, hoping to meet
the page's rows early: a mailing whose rows are old would cost a read of most of the table.
"""

import re
from typing import Any

import strawberry
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    StringValueNode,
    VariableNode,
)
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.relay import NodeType, PageInfo, from_base64, to_base64
from strawberry.relay.types import PREFIX as LIST_CURSOR_PREFIX
from strawberry.relay.utils import should_resolve_list_connection_edges

from graphql_schema.errors import argument_error
from mailing.selectors import as_pk

CURSOR_PREFIX = "keyset"
CURSOR_ARGUMENTS = ("after", "before")
_CURSOR_VALUE = re.compile(r"[0-9]{1,18}")


def is_cursor(value: str) -> bool:
    """Whether `value` is a cursor of some list of ours: a keyset one, or strawberry's offset one.
    Which list it belongs to each connection checks itself."""
    try:
        prefix, key = from_base64(value)
    except ValueError:
        return False
    return prefix in (CURSOR_PREFIX, LIST_CURSOR_PREFIX) and _CURSOR_VALUE.fullmatch(key) is not None


def not_a_cursor(argument: str, nodes=None):
    return argument_error(
        argument, _("Argument '%(argument)s' is not a cursor of this list.") % {"argument": argument},
        code="invalid", nodes=nodes,
    )  # fmt: skip


def _fields(document) -> list[FieldNode]:
    fields, pending = (
        [],
        [
            definition.selection_set
            for definition in document.definitions
            if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode))
        ],
    )
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                fields.append(selection)
            if isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set is not None:
                pending.append(selection.selection_set)
    return fields


class CursorArguments(SchemaExtension):
    """Refuse a request whose `after` or `before` is no cursor at all, naming the argument, before
    anything runs.

    strawberry's offset connections decode a cursor where the query optimizer plans a nested
    list (inside its parent's resolver) and again where the list is made, and report a bad one
    as whatever base64 or int() raised ("Incorrect padding"), which is masked as a server error.
    """

    def on_execute(self):
        context = self.execution_context
        variables = context.variables or {}
        for field in _fields(context.graphql_document) if context.graphql_document else ():
            for argument in field.arguments or ():
                if argument.name.value not in CURSOR_ARGUMENTS:
                    continue
                value = argument.value
                if isinstance(value, VariableNode):
                    value = variables.get(value.name.value)
                elif isinstance(value, StringValueNode):
                    value = value.value
                else:
                    continue  # null, or a literal of another type that validation refuses
                if isinstance(value, str) and not is_cursor(value):
                    # Raised before execution: strawberry answers it as the request's only error.
                    raise not_a_cursor(argument.name.value, [argument])
        yield


def cursor_for(pk: int) -> str:
    """The cursor of the row whose primary key is `pk`."""
    return to_base64(CURSOR_PREFIX, pk)


def _key(cursor: str | None, argument: str) -> int | None:
    if cursor is None:
        return None
    try:
        prefix, value = from_base64(cursor)
    except (ValueError, TypeError):
        prefix, value = None, None
    key = as_pk(value) if prefix == CURSOR_PREFIX else None
    if key is None:
        raise not_a_cursor(argument)
    return key


def _size(value: int | None, argument: str, max_results: int) -> int | None:
    if value is None:
        return None
    if value < 0:
        raise ValueError(f"Argument '{argument}' must be a non-negative integer.")
    if value > max_results:
        raise ValueError(f"Argument '{argument}' cannot be higher than {max_results}.")
    return value


def _descending(queryset: QuerySet) -> bool:
    ordering = list(queryset.query.order_by)
    if ordering in (["-id"], ["-pk"]):
        return True
    if ordering in (["id"], ["pk"]):
        return False
    raise TypeError(f"A keyset connection lists a queryset ordered by its primary key, not by {ordering}.")


@strawberry.type(name="Edge", description="An edge in a connection.")
class KeysetEdge(relay.Edge[NodeType]):
    pass


@strawberry.type(
    name="Connection",
    description=(
        "A connection to a list of items, paged by keyset: pass a page's `pageInfo.endCursor` as `after` "
        "for the next one; a cursor stays valid when rows are added."
    ),
)
class KeysetConnection(relay.Connection[NodeType]):
    edges: list[KeysetEdge[NodeType]] = strawberry.field(description="Contains the nodes in this connection")
    total_count_qs: strawberry.Private[QuerySet | None] = None

    @strawberry.field(description="Total quantity of existing nodes.")
    def total_count(self) -> int:
        # No queryset: a permission extension answered with its empty list.
        return 0 if self.total_count_qs is None else self.total_count_qs.count()

    @classmethod
    def resolve_connection(
        cls,
        nodes,
        *,
        info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        max_results: int | None = None,
        **kwargs: Any,
    ):
        empty = PageInfo(start_cursor=None, end_cursor=None, has_previous_page=False, has_next_page=False)
        if not isinstance(nodes, QuerySet):
            if nodes:
                raise TypeError("A keyset connection lists a queryset")
            return cls(edges=[], total_count_qs=None, page_info=empty)
        max_results = info.schema.config.relay_max_results if max_results is None else max_results
        first, last = _size(first, "first", max_results), _size(last, "last", max_results)
        after_key, before_key = _key(after, "after"), _key(before, "before")
        descending = _descending(nodes)
        if not should_resolve_list_connection_edges(info):
            return cls(edges=[], total_count_qs=nodes, page_info=empty)

        # The keys of the page, from the ends that `after` and `before` set.
        keys = nodes.prefetch_related(None)
        if after_key is not None:
            keys = keys.filter(pk__lt=after_key) if descending else keys.filter(pk__gt=after_key)
        if before_key is not None:
            keys = keys.filter(pk__gt=before_key) if descending else keys.filter(pk__lt=before_key)
        backwards = last is not None and first is None
        if backwards:
            keys = keys.reverse()
        size = first if first is not None else last if last is not None else max_results
        page = list(keys.values_list("pk", flat=True)[: size + 1])
        more = len(page) > size
        page = page[:size]
        if backwards:
            page.reverse()
        elif last is not None and len(page) > last:  # first and last: the last of the first
            page = page[len(page) - last :]

        rows = {row.pk: row for row in nodes.filter(pk__in=page)} if page else {}
        edges = [
            KeysetEdge(cursor=cursor_for(pk), node=cls.resolve_node(rows[pk], info=info, **kwargs))
            for pk in page
            if pk in rows
        ]
        return cls(
            edges=edges,
            total_count_qs=nodes,
            page_info=PageInfo(
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
                has_previous_page=backwards and more,
                has_next_page=not backwards and more,
            ),
        )
