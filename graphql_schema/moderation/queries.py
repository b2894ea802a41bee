import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from graphql_schema.accounts.types import UserType
from graphql_schema.permissions import IsAuthenticated, IsManager


@strawberry.type
class ModerationQuery:
    users: DjangoListConnection[UserType] = strawberry_django.connection(
        extensions=[IsAuthenticated(fail_silently=False), IsManager(fail_silently=False)],
        description="Every user of the service, with what they own. Managers only.",
    )
