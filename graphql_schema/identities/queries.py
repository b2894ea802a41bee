import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from graphql_schema.identities.types import SenderIdentityType
from graphql_schema.permissions import IsAuthenticated


@strawberry.type
class IdentitiesQuery:
    sender_identities: DjangoListConnection[SenderIdentityType] = strawberry_django.connection(
        extensions=[IsAuthenticated()],
        description=(
            "Your sender identities, newest first; for a manager, every owner's (read-only). A message sends as "
            "one of yours once it is verified (see `Message.sender`)."
        ),
    )
