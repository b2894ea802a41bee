from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

MANAGERS_GROUP = "Managers"
CONTENT_MANAGERS_GROUP = "Content managers"


class UserManager(BaseUserManager):
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
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff and is_superuser set")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who uses the service: an owner of clients, messages and mailings."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True, help_text="The login; unique, case-insensitive.")
    full_name = models.CharField(max_length=200, blank=True, help_text="The user's name as they want it shown.")
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the user proved they own the address; null until then."
    )
    blocked_at = models.DateTimeField(
        null=True, blank=True, help_text="When a manager blocked the user; null when not blocked."
    )
    blocked_reason = models.CharField(max_length=500, blank=True, help_text="Why a manager blocked the user.")

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

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name or self.email
