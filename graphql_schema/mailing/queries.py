from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from graphql_schema.context import Info, viewer
from graphql_schema.mailing.types import ClientType, MailingType, MessageType
from graphql_schema.permissions import IsAuthenticated
from mailing import models, selectors


@strawberry.type
class MailingQuery:
    clients: DjangoListConnection[ClientType] = strawberry_django.connection(
        extensions=[IsAuthenticated()], description="Your clients."
    )

    @strawberry_django.connection(
        DjangoListConnection[MessageType],
        extensions=[IsAuthenticated()],
        description="Your messages (a manager reads other owners' messages only through their mailings).",
    )
    def messages(self, info: Info) -> Iterable[models.Message]:
        return selectors.message_owned_list(viewer=viewer(info))

    mailings: DjangoListConnection[MailingType] = strawberry_django.connection(
        extensions=[IsAuthenticated()],
        description="Your mailings; for a manager, every owner's (see `owner`, and the `mine` filter).",
    )
