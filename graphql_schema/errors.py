import logging

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


def is_client_mistake(error: GraphQLError) -> bool:
    """Whether the error is the client's own (worded for it, safe to show), not a fault of ours."""
    # Errors without a path come from parsing, validating and coercing the request: the
    # client's mistakes, worded by graphql-core.
    if error.path is None:
        return True
    original = error.original_error
    if original is None or isinstance(original, (GraphQLError, PermissionDenied, ValidationError)):
        return True
    # Strawberry's pagination reports a bad `first`/`after` as a ValueError or TypeError.
    return isinstance(original, (ValueError, TypeError)) and str(original).startswith("Argument '")


def should_mask_error(error: GraphQLError) -> bool:
    """Mask what may carry internals (stack traces, SQL); let the client's own mistakes through."""
    return not settings.DEBUG and not is_client_mistake(error)


logger = logging.getLogger("strawberry.execution")


def _raised_outside_the_fields(error: GraphQLError) -> bool:
    """An exception of ours raised outside every field (in an extension): strawberry wraps it with
    its own text as the message, where graphql-core words a client's mistake itself."""
    original = error.original_error
    return (
        error.path is None
        and original is not None
        and not isinstance(original, GraphQLError)
        and error.message == str(original)
    )


def log_errors(errors: list[GraphQLError], operation_name: str | None) -> None:
    """A client's mistake at INFO in one line without a traceback (a fuzzer's thousand requests
    are a thousand short lines); anything else at ERROR with its traceback. Each line names the
    operation; LOGGING's format adds the request's id."""
    operation = operation_name or "anonymous"
    for error in errors:
        where = f" (at {'.'.join(str(key) for key in error.path)})" if error.path else ""
        if is_client_mistake(error) and not _raised_outside_the_fields(error):
            logger.info("%s: %s%s", operation, " ".join(error.message.split()), where)
        else:
            logger.error("%s: %s%s", operation, error.message, where, exc_info=error.original_error)


def mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE)
