from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

MASKED_MESSAGE = "Internal server error."


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
