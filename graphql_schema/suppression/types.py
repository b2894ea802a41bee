import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay

from graphql_schema.context import Info, viewer
from graphql_schema.delivery.types import DeliveryAttemptType
from graphql_schema.fields import django_type
from mailing import models
from mailing.bounces import selectors

SuppressionReason = strawberry.enum(
    models.SuppressionReason,
    name="SuppressionReason",
    description="Why an address is on the suppression list.",
)


@strawberry_django.filter_type(models.Suppression, description="Filters for the suppression list.")
class SuppressionFilter:
    reason: SuppressionReason | None = strawberry_django.filter_field(description="Only this reason.")

    @strawberry_django.filter_field(
        description=f"Text search in the address (at most {selectors.SEARCH_MAX} characters are used)."
    )
    def search(self, value: str, prefix: str) -> Q:
        return selectors.suppression_search(value=value, prefix=prefix)


@strawberry_django.order_type(models.Suppression, description="Orderings for the suppression list.")
class SuppressionOrder:
    email: auto
    created_at: auto


@django_type(
    models.Suppression,
    name="Suppression",
    filters=SuppressionFilter,
    ordering=SuppressionOrder,
    description=(
        "An address your runs no longer send to: each later run marks it SKIPPED, with the reason. Lift it "
        "with `liftSuppression`."
    ),
)
class SuppressionType(relay.Node):
    email: auto
    reason: SuppressionReason = strawberry_django.field(description="Why the address is suppressed.")
    detail: auto
    delivery: DeliveryAttemptType | None = strawberry_django.field(
        description="The delivery row whose bounce or complaint caused it; null when added by hand."
    )
    created_at: auto

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return selectors.suppression_list(viewer=viewer(info), base=queryset)
