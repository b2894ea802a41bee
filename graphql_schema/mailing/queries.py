import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from graphql_schema.mailing.types import ClientType, MailingType, MessageType
from graphql_schema.permissions import IsAuthenticated


@strawberry.type
class MailingQuery:
    clients: DjangoListConnection[ClientType] = strawberry_django.connection(
        extensions=[IsAuthenticated()], description="Your clients."
    )
    messages: DjangoListConnection[MessageType] = strawberry_django.connection(
        extensions=[IsAuthenticated()], description="Your messages."
    )
    mailings: DjangoListConnection[MailingType] = strawberry_django.connection(
        extensions=[IsAuthenticated()], description="Your mailings."
    )
