from functools import cached_property

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.validators import validate_single_line
from core.zones import DEFAULT_TIME_ZONE, validate_language, validate_time_zone

MANAGERS_GROUP = "Managers"
CONTENT_MANAGERS_GROUP = "Content managers"
ROLE_ANNOTATIONS = {MANAGERS_GROUP: "in_managers_group", CONTENT_MANAGERS_GROUP: "in_content_managers_group"}


def role_annotation(attribute: str) -> models.Exists:
    """Membership of one group, as a boolean expression named by ROLE_ANNOTATIONS' `attribute`."""
    (group,) = [group for group, named in ROLE_ANNOTATIONS.items() if named == attribute]
    return models.Exists(User.groups.through.objects.filter(user_id=models.OuterRef("pk"), group__name=group))


def role_annotations() -> dict[str, models.Exists]:
    """Group membership as boolean expressions, named as ROLE_ANNOTATIONS says."""
    return {attribute: role_annotation(attribute) for attribute in ROLE_ANNOTATIONS.values()}


class UserQuerySet(models.QuerySet):
    def with_roles(self):
        """Annotate group membership, so that `is_manager` and friends cost no query per user."""
        return self.annotate(**role_annotations())


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    """Users log in with their e-mail; it is stored lower-cased so lookups are exact."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        return (email or "").strip().lower()

    def get_by_natural_key(self, email):
        return self.get(email=self.normalize_email(email))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        # Whoever runs createsuperuser vouches for the address.
        extra_fields.setdefault("email_verified_at", timezone.now())
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff and is_superuser set")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who uses the service: an owner of clients, messages and mailings."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True, help_text="The login; unique, case-insensitive.")
    full_name = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text="The user's name as they want it shown.",
    )
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the user proved they own the address; null until then."
    )
    blocked_at = models.DateTimeField(
        null=True, blank=True, help_text="When a manager blocked the user; null when not blocked."
    )
    blocked_reason = models.CharField(max_length=500, blank=True, help_text="Why a manager blocked the user.")
    sessions_revoked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Sessions started before this moment no longer work (set when the user is blocked).",
    )
    time_zone = models.CharField(
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text="The user's IANA time zone: where their dates are shown and new mailings are scheduled.",
    )
    language = models.CharField(
        max_length=8,
        default="en",
        validators=[validate_language],
        help_text="The language of the pages, e-mails and API messages for this user (ru or en).",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def can_log_in(self) -> bool:
        """Whether a session may belong to this user: active, verified and not blocked."""
        return self.is_active and self.is_verified and not self.is_blocked

    def in_group(self, name: str) -> bool:
        # Loaded `with_roles()` (as the session's user is), the answer is already on the row.
        annotated = self.__dict__.get(ROLE_ANNOTATIONS.get(name, ""))
        if annotated is not None:
            return annotated
        return self.groups.filter(name=name).exists()

    @cached_property
    def is_manager(self) -> bool:
        """A member of the Managers group, or a superuser."""
        return self.is_superuser or self.in_group(MANAGERS_GROUP)

    @cached_property
    def is_content_manager(self) -> bool:
        return self.in_group(CONTENT_MANAGERS_GROUP)

    def _get_session_auth_hash(self, secret=None):
        # Django 5.2 derives the session hash (and its SECRET_KEY_FALLBACKS variants) here from
        # the password hash alone. Mixing in the revocation time ends every session started
        # before a block for good: unblocking does not bring an old (perhaps stolen) session back.
        if self.sessions_revoked_at is None:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "accounts.User.session_auth_hash"
        value = f"{self.password}|{self.sessions_revoked_at.isoformat()}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name or self.email


class TokenPurpose(models.TextChoices):
    VERIFY_EMAIL = "verify_email", "Verify the e-mail address"
    RESET_PASSWORD = "reset_password", "Reset the password"
    VERIFY_SENDER = "verify_sender", "Verify a sender identity's address"


# Purposes whose link goes to another address than the account's (a sender identity's): the
# token names that address, and stays good while the account's own address changes.
OTHER_ADDRESS_PURPOSES = (TokenPurpose.VERIFY_SENDER,)


class AccountToken(models.Model):
    """A single-use secret sent by e-mail. Only its hash is kept: the link is the one copy."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=20, choices=TokenPurpose.choices)
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the random key, in hex.")
    email = models.EmailField(help_text="The address the link was sent to; the link is void once it changes.")
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True, help_text="When it was used (or voided); null until then.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "used_at"], name="accounts_token_user_idx")]

    def __str__(self):
        return f"{self.get_purpose_display()} for {self.email}"
