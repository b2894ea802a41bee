"""Keyset pagination for connections over long lists (the delivery log).

strawberry-django's `DjangoListConnection` pages by OFFSET, so page 800 of a list reads and drops
the 79,900 rows before it, and its `totalCount` is a window function that makes the database
build the whole filtered list before it returns one page. `KeysetConnection` is its
`DjangoCursorConnection` under the API's usual names (`XConnection`, `XEdge`): a cursor holds the
ordering values of its row, so the next page is a range read in an index, as fast deep in the
list as at its start, and `totalCount` is a separate COUNT run only when it is asked for.
"""

from typing import Any

import strawberry
from django.db.models import QuerySet
from strawberry.relay import NodeType, PageInfo
from strawberry_django.relay import DjangoCursorConnection, DjangoCursorEdge


@strawberry.type(name="Edge", description="An edge in a connection.")
class KeysetEdge(DjangoCursorEdge[NodeType]):
    pass


@strawberry.type(
    name="Connection",
    description=(
        "A connection to a list of items, paged by keyset: pass a page's `pageInfo.endCursor` as `after` "
        "for the next one; a cursor stays valid when rows are added."
    ),
)
class KeysetConnection(DjangoCursorConnection[NodeType]):
    edges: list[KeysetEdge[NodeType]] = strawberry.field(description="Contains the nodes in this connection")

    @strawberry.field(description="Total quantity of existing nodes.")
    def total_count(self) -> int:
        # No queryset: a permission extension answered with its empty list.
        return 0 if self.total_count_qs is None else DjangoCursorConnection.total_count(self)

    @classmethod
    def resolve_connection(cls, nodes, **kwargs: Any):
        if not isinstance(nodes, QuerySet) and not nodes:
            page_info = PageInfo(start_cursor=None, end_cursor=None, has_previous_page=False, has_next_page=False)
            return cls(edges=[], total_count_qs=None, page_info=page_info)
        return super().resolve_connection(nodes, **kwargs)
