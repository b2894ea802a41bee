"""The schema: each domain's queries and mutations merged into one, with the request limits."""

import strawberry
import strawberry_django
from django.conf import settings
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from graphql_schema.accounts.mutations import AccountsMutation
from graphql_schema.accounts.queries import AccountsQuery
from graphql_schema.blog.queries import BlogQuery
from graphql_schema.delivery.mutations import DeliveryMutation
from graphql_schema.delivery.queries import DeliveryQuery
from graphql_schema.descriptions import describe
from graphql_schema.error_codes import (
    ERROR_CODES,
    AccountErrorCode,
    DeliveryErrorCode,
    MailingErrorCode,
    ModerationErrorCode,
    SenderErrorCode,
    SuppressionErrorCode,
)
from graphql_schema.errors import log_errors, mask_errors
from graphql_schema.execution import Executor
from graphql_schema.home.queries import HomeQuery
from graphql_schema.identities.mutations import IdentitiesMutation
from graphql_schema.identities.queries import IdentitiesQuery
from graphql_schema.mailing.inputs import SCALARS as MAILING_SCALARS
from graphql_schema.mailing.mutations import MailingMutation
from graphql_schema.mailing.queries import MailingQuery
from graphql_schema.moderation.mutations import ModerationMutation
from graphql_schema.moderation.queries import ModerationQuery
from graphql_schema.monitoring.queries import MonitoringQuery
from graphql_schema.pagination import CursorArguments
from graphql_schema.relay import ExistingNode
from graphql_schema.suppression.mutations import SuppressionMutation
from graphql_schema.suppression.queries import SuppressionQuery
from graphql_schema.validation import RequestLimits, ValidationCache


def introspection_rules() -> AddValidationRules:
    """Refuse `__schema` and `__type` unless GRAPHQL_INTROSPECTION (read on each request)."""
    return AddValidationRules([] if settings.GRAPHQL_INTROSPECTION else [NoSchemaIntrospectionCustomRule])


class QuerySetOptimizer(DjangoOptimizerExtension):
    """strawberry-django's optimizer without its hook around every field.

    strawberry-django's fields optimize the querysets they fetch themselves while the extension
    is active. The hook would also optimize a queryset that some other resolver returns, at the
    cost of a middleware call around every field of every row. All our lists are
    strawberry-django fields, and the SQL-count tests hold each of them to its few queries.
    """

    resolve = SchemaExtension.resolve


@strawberry.type
class NodeQuery:
    node: relay.Node | None = strawberry_django.node(
        description="Any object by its global id; null when it does not exist or is not yours.",
        extensions=[ExistingNode()],
    )


Query = merge_types(
    "Query",
    (
        NodeQuery,
        AccountsQuery,
        MailingQuery,
        ModerationQuery,
        BlogQuery,
        HomeQuery,
        MonitoringQuery,
        DeliveryQuery,
        IdentitiesQuery,
        SuppressionQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (AccountsMutation, MailingMutation, ModerationMutation, DeliveryMutation, IdentitiesMutation, SuppressionMutation),
)


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Log a client's mistakes at INFO in one line, our faults at ERROR with a traceback."""
        log_errors(errors, execution_context.operation_name if execution_context is not None else None)


# Extensions are passed as classes or factories: an instance would be shared by all requests.
schema = Schema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(relay_max_results=settings.GRAPHQL_PAGE_SIZE_MAX, scalar_map={**MAILING_SCALARS}),
    execution_context_class=Executor,
    types=ERROR_CODES,
    extensions=[
        QuerySetOptimizer,
        introspection_rules,
        # Depth, aliases and repetition, each fragment measured once (graphql_schema/validation.py).
        RequestLimits,
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        # After the token limit, which sets the parser's options: a cached document is one
        # parsed under the same limit.
        lambda: ParserCache(maxsize=256),
        # After them: it validates with the rules that the extensions above set.
        ValidationCache,
        CursorArguments,
        mask_errors,
    ],
)
describe(
    schema,
    error_codes={
        AccountsMutation: AccountErrorCode,
        MailingMutation: MailingErrorCode,
        ModerationMutation: ModerationErrorCode,
        DeliveryMutation: DeliveryErrorCode,
        IdentitiesMutation: SenderErrorCode,
        SuppressionMutation: SuppressionErrorCode,
    },
)
