"""The schema: each domain's queries and mutations merged into one, with the request limits."""

from typing import ClassVar

import strawberry
import strawberry_django
from django.conf import settings
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
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
)
from graphql_schema.errors import mask_errors
from graphql_schema.execution import Executor
from graphql_schema.home.queries import HomeQuery
from graphql_schema.mailing.inputs import SCALARS as MAILING_SCALARS
from graphql_schema.mailing.mutations import MailingMutation
from graphql_schema.mailing.queries import MailingQuery
from graphql_schema.moderation.mutations import ModerationMutation
from graphql_schema.moderation.queries import ModerationQuery
from graphql_schema.monitoring.queries import MonitoringQuery


class ValidationCache(SchemaExtension):
    """Validate each query text once per set of limits, then answer from memory.

    Validation walks the whole document with every rule: a few milliseconds a request. Its
    result depends on the query text (the schema is fixed) and on the rules, which our
    settings make; the rule classes themselves are made afresh for every request, so
    strawberry's own ValidationCache, keyed by them, would never hit.
    """

    MAX_ENTRIES = 256
    _results: ClassVar[dict[tuple, list]] = {}

    def on_validate(self):
        context = self.execution_context
        if context.query is not None and context.graphql_document is not None:
            key = (
                context.query,
                settings.GRAPHQL_INTROSPECTION,
                settings.GRAPHQL_MAX_DEPTH,
                settings.GRAPHQL_MAX_ALIASES,
                settings.GRAPHQL_MAX_TOKENS,
            )
            errors = self._results.get(key)
            if errors is None:
                errors = validate_document(context.schema._schema, context.graphql_document, context.validation_rules)
                if len(self._results) >= self.MAX_ENTRIES:
                    self._results.clear()
                self._results[key] = errors
            context.pre_execution_errors = errors
        yield


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
    execution_context_class=Executor,
    types=ERROR_CODES,
    extensions=[
        QuerySetOptimizer,
        introspection_rules,
        lambda: QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        # After the token limit, which sets the parser's options: a cached document is one
        # parsed under the same limit.
        lambda: ParserCache(maxsize=256),
        # Last: it sees the rules that the extensions above add.
        ValidationCache,
        lambda: MaxAliasesLimiter(max_alias_count=settings.GRAPHQL_MAX_ALIASES),
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
    },
)
