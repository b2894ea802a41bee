import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from graphql_schema.delivery.types import DeliveryAttemptType
from graphql_schema.permissions import IsAuthenticated


@strawberry.type
class DeliveryQuery:
    delivery_attempts: DjangoListConnection[DeliveryAttemptType] = strawberry_django.connection(
        extensions=[IsAuthenticated()],
        description="The delivery log of your mailings, newest first; filter by mailing, run, status or client.",
    )
