"""Single-use links sent by e-mail.

A token is `<random key>.<timestamp>.<signature>`: the key is 256 random bits, the timestamp
and signature come from Django's TimestampSigner (salted per purpose, so a link made for one
purpose is void for another). The database keeps only the key's SHA-256 with the user, the
purpose, the address it went to and when it was used: a token names no user id, cannot be
guessed, and a database leak holds no usable link.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OTHER_ADDRESS_PURPOSES, AccountToken, TokenPurpose, User

SEPARATOR = "."
# Long enough for any token we make; a longer value is refused before any work.
MAX_TOKEN_LENGTH = 200


def _signer(purpose: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"accounts.tokens.{purpose}", sep=SEPARATOR)


def _max_age(purpose: str) -> int:
    if purpose in (TokenPurpose.VERIFY_EMAIL, TokenPurpose.VERIFY_SENDER):
        return settings.EMAIL_VERIFICATION_TIMEOUT
    return settings.PASSWORD_RESET_TIMEOUT


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_error(message: str, code: str) -> ValidationError:
    return ValidationError({"token": ValidationError(message, code=code)})


def invalid_token() -> ValidationError:
    return token_error(
        _("This link is not valid. Check that you copied all of it, or ask for a new one."), "invalid_token"
    )


@transaction.atomic
def token_issue(*, user: User, purpose: str, email: str | None = None) -> str:
    """Make a token for `user`; return it (the only copy: it goes into an e-mail).

    `email` is where the link goes when that is not the account's address (OTHER_ADDRESS_PURPOSES).
    """
    # Spent and expired tokens of this user and purpose are of no further use.
    horizon = timezone.now() - timedelta(seconds=_max_age(purpose))
    AccountToken.objects.filter(user=user, purpose=purpose).exclude(
        used_at__isnull=True, created_at__gt=horizon
    ).delete()
    key = secrets.token_urlsafe(32)
    AccountToken.objects.create(user=user, purpose=purpose, key_hash=_hash(key), email=email or user.email)
    return _signer(purpose).sign(key)


def token_find(*, token: str, purpose: str, viewer=None) -> AccountToken:
    """The live token row for `token`, or a ValidationError on `token` saying why not.

    `viewer` is whoever holds the session: a link belongs to one account, and a session of
    another account may not use it (log out first).
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise invalid_token()
    try:
        key = _signer(purpose).unsign(token.strip(), max_age=_max_age(purpose))
    except signing.SignatureExpired:
        raise token_error(_("This link has expired. Ask for a new one."), "expired_token") from None
    except signing.BadSignature:
        raise invalid_token() from None
    row = AccountToken.objects.select_related("user").filter(key_hash=_hash(key), purpose=purpose).first()
    if row is None:
        raise invalid_token()
    if viewer is not None and viewer.is_authenticated and viewer.pk != row.user_id:
        raise token_error(
            _(
                "This link was sent for another account than the one you are logged in with. Log out, then open it "
                "again."
            ),
            "other_account",
        )
    if row.used_at is not None:
        raise token_error(_("This link has already been used."), "used_token")
    if row.purpose not in OTHER_ADDRESS_PURPOSES and row.email != row.user.email:
        raise token_error(_("This link was sent to an address that is no longer the account's."), "invalid_token")
    return row


def token_use(*, row: AccountToken) -> None:
    """Spend `row` and every other live token of its user and purpose (older links die too).

    A conditional update, so that of two requests racing with one link only one wins.
    """
    now = timezone.now()
    spent = AccountToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    if spent != 1:
        raise token_error(_("This link has already been used."), "used_token")
    # A link for another address (one sender identity) voids only that address's older links.
    email = row.email if row.purpose in OTHER_ADDRESS_PURPOSES else None
    token_void(user=row.user, purpose=row.purpose, now=now, email=email)


def token_void(*, user: User, purpose: str, now=None, email: str | None = None) -> None:
    live = AccountToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True)
    if email is not None:
        live = live.filter(email=email)
    live.update(used_at=now or timezone.now())
