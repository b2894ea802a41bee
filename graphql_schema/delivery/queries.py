from collections.abc import Iterable

import strawberry
import strawberry_django

from graphql_schema.context import Info, viewer
from graphql_schema.delivery.types import DeliveryAttemptType
from graphql_schema.pagination import KeysetConnection
from graphql_schema.permissions import IsAuthenticated
from mailing import models, selectors


@strawberry.type
class DeliveryQuery:
    @strawberry_django.connection(
        KeysetConnection[DeliveryAttemptType],
        extensions=[IsAuthenticated()],
        description=(
            "The delivery log of your mailings, newest first (a run's rows are made as it starts, so newest run "
            "first); filter by mailing, run, status or client. Paged by keyset: deep pages are as fast as the first."
        ),
    )
    def delivery_attempts(self, info: Info) -> Iterable[models.DeliveryAttempt]:
        return selectors.delivery_log(viewer=viewer(info))
