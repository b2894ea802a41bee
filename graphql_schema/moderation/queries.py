import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from graphql_schema.accounts.types import UserType
from graphql_schema.permissions import IsAuthenticated, IsManager


@strawberry.type
class ModerationQuery:
    users: DjangoListConnection[UserType] = strawberry_django.connection(
        # The last extension runs first: the anonymous hear that they are not logged in.
        extensions=[IsManager(fail_silently=False), IsAuthenticated(fail_silently=False)],
        description="Every user of the service, with what they own. Managers only.",
    )
