from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

MASKED_MESSAGE = "Internal server error."


def argument_error(argument: str, message: str, *, code: str, nodes=None) -> GraphQLError:
    """An argument the client got wrong: shown as it is (never masked), naming the argument in its
    message and in `extensions.field`, with a code of graphql_schema/error_codes.py."""
    return GraphQLError(message, nodes, extensions={"field": argument, "code": code})


SEARCH_MAX = 200


def search_text(value: str) -> str:
    """A `search` filter's text, stripped; refused, by name, beyond SEARCH_MAX characters (a
    database makes a pattern of it)."""
    if len(value) > SEARCH_MAX:
        message = _("Argument 'search' must be at most %(max)d characters.") % {"max": SEARCH_MAX}
        raise argument_error("search", message, code="too_long")
    return value.strip()


def should_mask_error(error: GraphQLError) -> bool:
    """Mask what may carry internals (stack traces, SQL); let the client's own mistakes through."""
    if settings.DEBUG:
        return False
    # Errors without a path come from parsing, validating and coercing the request: the
    # client's mistakes, worded by graphql-core, and safe to show.
    if error.path is None:
        return False
    original = error.original_error
    if original is None or isinstance(original, (GraphQLError, PermissionDenied, ValidationError)):
        return False
    # Strawberry's pagination reports a bad `first`/`after` as a ValueError or TypeError.
    return not (isinstance(original, (ValueError, TypeError)) and str(original).startswith("Argument '"))


def mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE)
