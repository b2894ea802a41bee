import strawberry
import strawberry_django
from strawberry_django.relay import DjangoListConnection

from graphql_schema.permissions import IsAuthenticated
from graphql_schema.suppression.types import SuppressionType


@strawberry.type
class SuppressionQuery:
    suppressions: DjangoListConnection[SuppressionType] = strawberry_django.connection(
        extensions=[IsAuthenticated()],
        description=(
            "Your suppression list, newest first: the addresses your runs skip (hard bounces, soft bounces in "
            "a row, complaints, unsubscribes, and the ones you added). Yours alone, managers included."
        ),
    )
