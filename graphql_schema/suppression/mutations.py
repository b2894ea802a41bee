import strawberry
import strawberry_django
from strawberry import relay

from graphql_schema.context import Info, viewer
from graphql_schema.permissions import IsAuthenticated
from graphql_schema.relay import node_from
from graphql_schema.suppression.types import SuppressionType
from mailing.bounces import selectors, services


@strawberry.type
class SuppressionMutation:
    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()],
        description="Put an address on your suppression list by hand: your later runs skip it.",
    )
    def suppress_address(self, info: Info, email: str) -> SuppressionType:
        return services.suppression_create(owner=viewer(info), email=email)

    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Take an address off your suppression list: your later runs send to it again (a client who "
            "unsubscribed stays unsubscribed)."
        ),
    )
    def lift_suppression(self, info: Info, id: relay.GlobalID) -> SuppressionType:
        suppression = node_from(info, id, SuppressionType, selectors.suppression_get_owned)
        services.suppression_lift(suppression=suppression)
        suppression.pk = id.node_id
        return suppression
