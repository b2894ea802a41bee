"""Accounts: registration, verification, sessions, passwords, roles and blocking.

Answers about an e-mail address never say whether it has an account, except to someone who
also gave that account's right password.
"""

import logging

from django.conf import settings
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts import mail, throttles, tokens
from accounts.models import CONTENT_MANAGERS_GROUP, MANAGERS_GROUP, ROLE_ANNOTATIONS, TokenPurpose, User, UserManager
from core.zones import DEFAULT_TIME_ZONE

logger = logging.getLogger(__name__)

BACKEND = "accounts.backends.AccountBackend"

REGISTERED = _("We sent a link to %(email)s. Open it to verify your address, then log in.")
VERIFICATION_RESENT = _("If an account with this address is waiting for verification, we sent it a new link.")
PASSWORD_RESET_REQUESTED = _("If an account with this address exists, we sent it a link to choose a new password.")
EMAIL_VERIFIED = _("Your e-mail address is verified. You can now log in.")
PASSWORD_RESET_DONE = _("Your password has been changed. You can now log in with it.")

ROLE_GROUPS = {"manager": MANAGERS_GROUP, "content_manager": CONTENT_MANAGERS_GROUP}


def invalid_credentials() -> ValidationError:
    return ValidationError(_("Incorrect e-mail or password."), code="invalid_credentials")


def _login_refusal(user: User) -> ValidationError | None:
    """Why a user who gave the right password still may not log in, or None."""
    if not user.is_active:
        return ValidationError(_("This account is deactivated."), code="inactive")
    if user.is_blocked:
        reason = f" ({user.blocked_reason})" if user.blocked_reason else ""
        return ValidationError(
            _("This account is blocked%(reason)s. Contact the service's managers."),
            code="blocked",
            params={"reason": reason},
        )
    if not user.is_verified:
        return ValidationError(
            _(
                "Verify your e-mail address first: open the link we sent you (or ask for a new one with "
                "resendVerification)."
            ),
            code="email_not_verified",
        )
    return None


def _check_password(email: str, password: str) -> User | None:
    user = User.objects.filter(email=email).first()
    if user is None:
        # Hash anyway, so that an unknown address takes as long to refuse as a wrong password.
        User().set_password(password)
        return None
    return user if user.check_password(password) else None


def _login_checks(email: str, ip: str) -> list:
    by_email, by_ip = throttles.login_limits()
    return [(by_email, email), (by_ip, ip)]


def _count_login_failure(email: str, ip: str) -> None:
    for limit, value in _login_checks(email, ip):
        throttles.hit(limit, value)


def user_login(*, request: HttpRequest, email: str, password: str) -> User:
    """Start a session, or say why not (throttled, wrong credentials, unverified, blocked)."""
    email = UserManager.normalize_email(email)
    ip = throttles.client_ip(request)
    throttles.check(_login_checks(email, ip))
    user = _check_password(email, password)
    if user is None:
        _count_login_failure(email, ip)
        raise invalid_credentials()
    refusal = _login_refusal(user)
    if refusal is not None:
        raise refusal
    throttles.reset(throttles.login_limits()[0], email)
    login(request, user, backend=BACKEND)
    return user


def user_logout(*, request: HttpRequest) -> None:
    logout(request)


def _mail_checks(email: str, request: HttpRequest) -> list:
    by_email, by_ip = throttles.mail_limits()
    return [(by_email, email), (by_ip, throttles.client_ip(request))]


def _count_mail_request(email: str, request: HttpRequest) -> None:
    checks = _mail_checks(email, request)
    throttles.check(checks)
    for limit, value in checks:
        throttles.hit(limit, value)


def _validate_new_user(user: User, password: str) -> None:
    errors: dict = {}
    try:
        # Uniqueness is not checked here: the answer must not say whether the address is taken.
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors.setdefault("password", []).extend(error.error_list)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def user_register(
    *,
    request: HttpRequest,
    email: str,
    password: str,
    full_name: str,
    time_zone: str | None = None,
    language: str | None = None,
) -> str:
    """Create an account that may log in once its address is verified; return the address.

    The answer is the same whether or not the address has an account: a new account gets a
    verification link, an unverified one a fresh link, a verified one a note that it exists.
    The zone defaults to UTC and the language to the request's.
    """
    user = User(
        email=UserManager.normalize_email(email),
        full_name=(full_name or "").strip(),
        time_zone=time_zone or DEFAULT_TIME_ZONE,
        language=language or request_language(),
    )
    _validate_new_user(user, password)
    _count_mail_request(user.email, request)
    user.set_password(password)
    existing = User.objects.filter(email=user.email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # A concurrent registration of the same address won; it sends the e-mail.
            return user.email
        mail.account_mail_enqueue(kind=mail.AccountMail.VERIFY, user=user)
    elif existing.is_verified:
        mail.account_mail_enqueue(kind=mail.AccountMail.ALREADY_REGISTERED, user=existing)
    else:
        mail.account_mail_enqueue(kind=mail.AccountMail.VERIFY, user=existing)
    return user.email


def request_language() -> str:
    """The language the current request is answered in (one of LANGUAGES)."""
    codes = [code for code, _name in settings.LANGUAGES]
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in codes else settings.LANGUAGE_CODE


PROFILE_FIELDS = ["full_name", "language", "time_zone"]


@transaction.atomic
def user_update_profile(*, user: User, data: dict) -> User:
    """Change what the user sent of their name, language and time zone; each field is checked."""
    data = {name: value for name, value in data.items() if name in PROFILE_FIELDS}
    if "full_name" in data:
        data["full_name"] = (data["full_name"] or "").strip()
    for name in ("language", "time_zone"):
        if name in data and data[name] is None:
            raise ValidationError({name: ValidationError(_("This field cannot be null."), code="null")})
    changed = [name for name, value in data.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, data[name])
    errors = {}
    for name in changed:
        try:
            user.clean_fields(exclude=[field.name for field in User._meta.fields if field.name != name])
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    if changed:
        user.save(update_fields=changed)
    if "language" in changed:
        translation.activate(user.language)
    return user


def _normalized_email(email: str) -> str:
    email = UserManager.normalize_email(email)
    field = User._meta.get_field("email")
    try:
        field.clean(email, None)
    except ValidationError as error:
        raise ValidationError({"email": error.error_list}) from None
    return email


def _account_mail_request(*, request: HttpRequest, email: str, kind, **lookup) -> str:
    """Mail `kind` to the account at `email` that matches `lookup`, if there is one. Counted and
    answered alike whether there is or not, so that the answer tells nobody which accounts exist."""
    email = _normalized_email(email)
    _count_mail_request(email, request)
    user = User.objects.filter(email=email, **lookup).first()
    if user is not None:
        mail.account_mail_enqueue(kind=kind, user=user)
    return email


@transaction.atomic
def verification_resend(*, request: HttpRequest, email: str) -> str:
    """Send a new verification link to an unverified account; the same answer for any address."""
    return _account_mail_request(
        request=request, email=email, kind=mail.AccountMail.VERIFY, email_verified_at__isnull=True
    )


@transaction.atomic
def user_verify_email(*, token: str, viewer=None) -> User:
    row = tokens.token_find(token=token, purpose=TokenPurpose.VERIFY_EMAIL, viewer=viewer)
    tokens.token_use(row=row)
    user = row.user
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def password_reset_request(*, request: HttpRequest, email: str) -> str:
    """Send a password reset link to an active account; the same answer for any address."""
    return _account_mail_request(request=request, email=email, kind=mail.AccountMail.RESET_PASSWORD, is_active=True)


def _validate_new_password(user: User, password: str, field: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({field: error.error_list}) from None


@transaction.atomic
def password_reset(*, token: str, new_password: str, viewer=None) -> User:
    """Set a new password from a reset link. Every session of the user ends (the hash changes).

    A bad new password leaves the link usable, so the user can try another one.
    """
    row = tokens.token_find(token=token, purpose=TokenPurpose.RESET_PASSWORD, viewer=viewer)
    user = row.user
    _validate_new_password(user, new_password, "new_password")
    tokens.token_use(row=row)
    user.set_password(new_password)
    fields = ["password"]
    if user.email_verified_at is None:
        # The link came through the mailbox: that proves the address as well as a verification.
        user.email_verified_at = timezone.now()
        fields.append("email_verified_at")
    user.save(update_fields=fields)
    throttles.reset(throttles.login_limits()[0], user.email)
    return user


def password_change(*, request: HttpRequest, user: User, old_password: str, new_password: str) -> User:
    """Change the password; this session stays, the user's other sessions end."""
    ip = throttles.client_ip(request)
    # A wrong old password counts as a failed login: a stolen session must not be a way to
    # guess the password without limit. Counted outside a transaction: the database cache's
    # count would be rolled back with the refusal.
    throttles.check(_login_checks(user.email, ip))
    if not user.check_password(old_password):
        _count_login_failure(user.email, ip)
        raise ValidationError(
            {
                "old_password": ValidationError(
                    _("Your old password was entered incorrectly."), code="password_incorrect"
                )
            }
        )
    with transaction.atomic():
        _validate_new_password(user, new_password, "new_password")
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        tokens.token_void(user=user, purpose=TokenPurpose.RESET_PASSWORD)
    return user


def _id_error(message: str, code: str) -> ValidationError:
    return ValidationError({"id": ValidationError(message, code=code)})


@transaction.atomic
def user_block(*, user: User, reason: str, actor: User) -> User:
    """Block a user: no login, every open session ends now, their mailings stop sending.

    Managers and administrators are not blocked here: an administrator removes the role first.
    Blocking a blocked user updates the reason.
    """
    reason = (reason or "").strip()
    if user.pk == actor.pk:
        raise _id_error(_("You cannot block yourself."), "self")
    if user.is_manager:
        raise _id_error(
            _("Managers and administrators cannot be blocked; an administrator must remove the role first."),
            "protected",
        )
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Say why the user is blocked."), code="required")})
    try:
        User._meta.get_field("blocked_reason").run_validators(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error.error_list}) from None
    now = timezone.now()
    if user.blocked_at is None:
        user.blocked_at = now
    user.blocked_reason = reason
    user.sessions_revoked_at = now
    user.save(update_fields=["blocked_at", "blocked_reason", "sessions_revoked_at"])
    logger.info("user %s blocked by %s: %s", user.pk, actor.pk, reason)
    return user


@transaction.atomic
def user_unblock(*, user: User, actor: User) -> User:
    """Lift a block. Sessions from before the block stay void: the user logs in again."""
    if user.blocked_at is not None:
        user.blocked_at = None
        user.blocked_reason = ""
        user.save(update_fields=["blocked_at", "blocked_reason"])
        logger.info("user %s unblocked by %s", user.pk, actor.pk)
    return user


@transaction.atomic
def user_create(*, email: str, password: str | None, full_name: str = "", verified: bool = False) -> User:
    """An account made by an operator (commands, admin): verified when they vouch for it."""
    user = User(email=UserManager.normalize_email(email), full_name=(full_name or "").strip())
    if verified:
        user.email_verified_at = timezone.now()
    if password is None:
        user.set_unusable_password()
    else:
        _validate_new_user(user, password)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_grant_role(*, user: User, role: str) -> bool:
    """Put `user` in the role's group (content managers also get into the admin, for the blog).

    Returns False when the user had the role already.
    """
    group = Group.objects.get(name=ROLE_GROUPS[role])
    had_it = user.groups.filter(pk=group.pk).exists()
    user.groups.add(group)
    if role == "content_manager" and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    for cached in ("is_manager", "is_content_manager", *ROLE_ANNOTATIONS.values()):
        user.__dict__.pop(cached, None)
    return not had_it


def account_mail_send(*, kind: str, user_id: int) -> str:
    """Send one account e-mail (the django-q task calls this); return what happened, no secrets."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return f"{kind}: skipped, user {user_id} no longer exists"
    if kind == mail.AccountMail.VERIFY and user.is_verified:
        return f"{kind}: skipped, user {user_id} is verified already"
    with transaction.atomic():
        # The token is made here, in the worker, so that it never sits in the task queue.
        mail.account_mail_build(kind=kind, user=user).send()
    return f"{kind}: sent to user {user_id}"
