"""The schema: each domain's queries and mutations merged into one, with the request limits."""

import strawberry
import strawberry_django
from django.conf import settings
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from graphql_schema.accounts.mutations import AccountsMutation
from graphql_schema.accounts.queries import AccountsQuery
from graphql_schema.blog.queries import BlogQuery
from graphql_schema.delivery.mutations import DeliveryMutation
from graphql_schema.delivery.queries import DeliveryQuery
from graphql_schema.errors import mask_errors
from graphql_schema.home.queries import HomeQuery
from graphql_schema.mailing.inputs import SCALARS as MAILING_SCALARS
from graphql_schema.mailing.mutations import MailingMutation
from graphql_schema.mailing.queries import MailingQuery
from graphql_schema.moderation.mutations import ModerationMutation
from graphql_schema.moderation.queries import ModerationQuery
from graphql_schema.monitoring.queries import MonitoringQuery


def introspection_rules() -> AddValidationRules:
    """Refuse `__schema` and `__type` unless GRAPHQL_INTROSPECTION (read on each request)."""
    return AddValidationRules([] if settings.GRAPHQL_INTROSPECTION else [NoSchemaIntrospectionCustomRule])


@strawberry.type
class NodeQuery:
    node: relay.Node | None = strawberry_django.node(
        description="Any object by its global id; null when it does not exist or is not yours."
    )


Query = merge_types(
    "Query",
    (NodeQuery, AccountsQuery, MailingQuery, ModerationQuery, BlogQuery, HomeQuery, MonitoringQuery, DeliveryQuery),
)
Mutation = merge_types("Mutation", (AccountsMutation, MailingMutation, ModerationMutation, DeliveryMutation))

# Extensions are passed as classes or factories: an instance would be shared by all requests.
schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(relay_max_results=settings.GRAPHQL_PAGE_SIZE_MAX, scalar_map={**MAILING_SCALARS}),
    extensions=[
        DjangoOptimizerExtension,
        introspection_rules,
        lambda: QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=settings.GRAPHQL_MAX_ALIASES),
        mask_errors,
    ],
)
