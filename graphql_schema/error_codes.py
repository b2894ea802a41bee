"""The codes a mutation's errors carry (`OperationInfo.messages[].code`), one enum per domain.

As in Saleor's `error_codes.py`, each domain lists its codes, so that a client can discover them
in the schema. `code` itself stays a String holding the value in lower case (`invalid_token`),
as it always has: the enum's names are the same words in capitals, and its descriptions say
when each one comes. Codes of Django's own validation (`invalid`, `max_length`, ...) are listed
where a domain's input can produce them. A test fails when the code raises one that is listed
nowhere.
"""

from enum import Enum

import strawberry

_VALUE_NOTE = " `OperationMessage.code` holds the value in lower case (INVALID_TOKEN comes as `invalid_token`)."

_INVALID = "A value is not valid for its field (an e-mail address, a date-time, a global id)."
_REQUIRED = "A required value is missing."
_BLANK = "A value is empty where text is needed."
_MAX_LENGTH = "A value is longer than its field allows."
_MULTILINE = "A value that must be a single line has a line break."
_NOT_FOUND = "The object an id names does not exist or is not yours."
_PROTECTED = "The object is protected: see the message for why."


@strawberry.enum(name="AccountErrorCode", description="Why an account mutation was refused." + _VALUE_NOTE)
class AccountErrorCode(Enum):
    BLANK = strawberry.enum_value("blank", description=_BLANK)
    BLOCKED = strawberry.enum_value("blocked", description="The account is blocked by a manager.")
    EMAIL_NOT_VERIFIED = strawberry.enum_value(
        "email_not_verified", description="The account's address is not verified yet (see `resendVerification`)."
    )
    EXPIRED_TOKEN = strawberry.enum_value("expired_token", description="The link's token has expired.")
    INACTIVE = strawberry.enum_value("inactive", description="The account is deactivated.")
    INVALID = strawberry.enum_value("invalid", description=_INVALID)
    INVALID_CREDENTIALS = strawberry.enum_value(
        "invalid_credentials", description="The e-mail address or the password is wrong."
    )
    INVALID_LANGUAGE = strawberry.enum_value(
        "invalid_language", description="The language is not one the service speaks."
    )
    INVALID_TIME_ZONE = strawberry.enum_value(
        "invalid_time_zone", description="The time zone is not an IANA zone name."
    )
    INVALID_TOKEN = strawberry.enum_value(
        "invalid_token", description="The link's token is not valid, or the account's address changed since."
    )
    MAX_LENGTH = strawberry.enum_value("max_length", description=_MAX_LENGTH)
    MULTILINE = strawberry.enum_value("multiline", description=_MULTILINE)
    NULL = strawberry.enum_value("null", description="A value that may be left out was sent as null.")
    OTHER_ACCOUNT = strawberry.enum_value(
        "other_account", description="The link is for another account than the one logged in."
    )
    PASSWORD_ENTIRELY_NUMERIC = strawberry.enum_value(
        "password_entirely_numeric", description="The new password is made of digits only."
    )
    PASSWORD_INCORRECT = strawberry.enum_value("password_incorrect", description="The old password is wrong.")
    PASSWORD_TOO_COMMON = strawberry.enum_value(
        "password_too_common", description="The new password is a commonly used one."
    )
    PASSWORD_TOO_LONG = strawberry.enum_value("password_too_long", description="The new password is too long.")
    PASSWORD_TOO_SHORT = strawberry.enum_value("password_too_short", description="The new password is too short.")
    PASSWORD_TOO_SIMILAR = strawberry.enum_value(
        "password_too_similar", description="The new password is too like the account's e-mail address or name."
    )
    REQUIRED = strawberry.enum_value("required", description=_REQUIRED)
    THROTTLED = strawberry.enum_value(
        "throttled", description="Too many failed attempts; the message says how many seconds to wait."
    )
    USED_TOKEN = strawberry.enum_value("used_token", description="The link's token was used already.")


@strawberry.enum(
    name="ModerationErrorCode",
    description="Why a manager's mutation (block, unblock, disable, enable) was refused." + _VALUE_NOTE,
)
class ModerationErrorCode(Enum):
    MAX_LENGTH = strawberry.enum_value("max_length", description=_MAX_LENGTH)
    MULTILINE = strawberry.enum_value("multiline", description=_MULTILINE)
    NOT_FOUND = strawberry.enum_value("not_found", description=_NOT_FOUND)
    PROTECTED = strawberry.enum_value("protected", description="Managers and administrators cannot be blocked.")
    REQUIRED = strawberry.enum_value("required", description="The reason for blocking is missing.")
    SELF = strawberry.enum_value("self", description="A manager cannot block themselves.")


@strawberry.enum(
    name="MailingErrorCode",
    description="Why a mutation of clients, messages or mailings was refused." + _VALUE_NOTE,
)
class MailingErrorCode(Enum):
    BLANK = strawberry.enum_value("blank", description=_BLANK)
    END_BEFORE_START = strawberry.enum_value("end_before_start", description="A mailing's end is not after its start.")
    INVALID = strawberry.enum_value("invalid", description=_INVALID)
    INVALID_CHOICE = strawberry.enum_value(
        "invalid_choice", description="A value is not one of its field's choices (a periodicity)."
    )
    INVALID_TIME_ZONE = strawberry.enum_value(
        "invalid_time_zone", description="A mailing's time zone is not an IANA zone name."
    )
    MAX_LENGTH = strawberry.enum_value("max_length", description=_MAX_LENGTH)
    MULTILINE = strawberry.enum_value("multiline", description=_MULTILINE)
    NOT_FOUND = strawberry.enum_value("not_found", description=_NOT_FOUND)
    PROTECTED = strawberry.enum_value("protected", description="A message that mailings use cannot be deleted.")
    REFUSED = strawberry.enum_value("refused", description="The mail server refused the test message.")
    REQUIRED = strawberry.enum_value("required", description=_REQUIRED + " A mailing needs at least one client.")
    TOO_LONG = strawberry.enum_value("too_long", description="A search text is longer than its limit.")
    UNIQUE = strawberry.enum_value("unique", description="You already have a client with this e-mail address.")
    UNREACHABLE = strawberry.enum_value("unreachable", description="The mail server could not be reached.")
    UNVERIFIED = strawberry.enum_value(
        "unverified", description="The message's sender identity is not verified yet (see `verifySenderIdentity`)."
    )


@strawberry.enum(
    name="DeliveryErrorCode", description="Why `sendMailingNow` or `retryFailed` was refused." + _VALUE_NOTE
)
class DeliveryErrorCode(Enum):
    BLOCKED = strawberry.enum_value("blocked", description="The mailing's owner is blocked from sending.")
    DISABLED = strawberry.enum_value("disabled", description="The mailing is disabled.")
    DUPLICATE = strawberry.enum_value("duplicate", description="Another run was started at the same moment.")
    ENDED = strawberry.enum_value("ended", description="The mailing's end has passed.")
    NOT_FOUND = strawberry.enum_value("not_found", description=_NOT_FOUND)
    RUN_IN_PROGRESS = strawberry.enum_value(
        "run_in_progress",
        description="A run of the mailing is still making its first attempts (a recipient not tried yet, or "
        "being sent to now).",
    )
    RUN_OPEN = strawberry.enum_value(
        "run_open", description="`retryFailed`: the run is still open (pending, running or paused)."
    )
    HELD = strawberry.enum_value(
        "held", description="`retryFailed`: the mailing is disabled, or its owner is blocked from sending."
    )
    NOTHING = strawberry.enum_value("nothing", description="`retryFailed`: the run has no failed or deferred row.")


@strawberry.enum(
    name="SenderErrorCode",
    description="Why a sender identity mutation (create, verify, delete) was refused." + _VALUE_NOTE,
)
class SenderErrorCode(Enum):
    BLANK = strawberry.enum_value("blank", description=_BLANK)
    EXPIRED_TOKEN = strawberry.enum_value("expired_token", description="The verification link's token has expired.")
    INVALID = strawberry.enum_value("invalid", description=_INVALID)
    INVALID_TOKEN = strawberry.enum_value(
        "invalid_token", description="The link's token is not valid, or its identity was deleted since."
    )
    MAX_LENGTH = strawberry.enum_value("max_length", description=_MAX_LENGTH)
    MULTILINE = strawberry.enum_value("multiline", description=_MULTILINE)
    NOT_FOUND = strawberry.enum_value("not_found", description=_NOT_FOUND)
    OTHER_ACCOUNT = strawberry.enum_value(
        "other_account", description="The link is for an identity of another account than the one logged in."
    )
    PROTECTED = strawberry.enum_value(
        "protected", description="A sender identity that messages send as cannot be deleted."
    )
    UNIQUE = strawberry.enum_value("unique", description="You already have a sender identity with this address.")
    USED_TOKEN = strawberry.enum_value("used_token", description="The link's token was used already.")


@strawberry.enum(
    name="SuppressionErrorCode", description="Why `suppressAddress` or `liftSuppression` was refused." + _VALUE_NOTE
)
class SuppressionErrorCode(Enum):
    BLANK = strawberry.enum_value("blank", description=_BLANK)
    INVALID = strawberry.enum_value("invalid", description=_INVALID)
    MAX_LENGTH = strawberry.enum_value("max_length", description=_MAX_LENGTH)
    NOT_FOUND = strawberry.enum_value("not_found", description=_NOT_FOUND)
    UNIQUE = strawberry.enum_value("unique", description="The address is on your suppression list already.")


ERROR_CODES = (
    AccountErrorCode,
    ModerationErrorCode,
    MailingErrorCode,
    DeliveryErrorCode,
    SenderErrorCode,
    SuppressionErrorCode,
)
