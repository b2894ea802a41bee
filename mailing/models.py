from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from core.models import TimeStampedModel

MESSAGE_BODY_MAX_LENGTH = 100_000


def validate_single_line(value: str) -> None:
    # A line break in a header value would let a user inject headers of their own.
    if "\n" in value or "\r" in value:
        raise ValidationError("Must be a single line.", code="multiline")


class Client(TimeStampedModel):
    """A recipient in an owner's client list."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clients")
    email = models.EmailField("e-mail", max_length=254, help_text="The client's e-mail address.")
    full_name = models.CharField(max_length=200, validators=[validate_single_line], help_text="The client's full name.")
    comment = models.TextField(blank=True, max_length=2000, help_text="A free note about the client.")
    # The address as it is compared: one client per address and owner, whatever its case.
    email_key = models.GeneratedField(
        expression=Lower("email"), output_field=models.CharField(max_length=254), db_persist=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "email_key"], name="mailing_client_owner_email_unique"),
        ]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="mailing_client_owner_idx")]

    def __str__(self):
        return f"{self.full_name} <{self.email}>"


class Message(TimeStampedModel):
    """The subject and body that a mailing sends."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    subject = models.CharField(
        max_length=255, validators=[validate_single_line], help_text="The e-mail's subject line."
    )
    body = models.TextField(max_length=MESSAGE_BODY_MAX_LENGTH, help_text="The plain-text body.")
    html_body = models.TextField(
        blank=True, max_length=MESSAGE_BODY_MAX_LENGTH, help_text="An optional HTML body, sent as an alternative."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="mailing_message_owner_idx")]

    def __str__(self):
        return self.subject


class Periodicity(models.TextChoices):
    ONCE = "ONCE", "Once"
    DAILY = "DAILY", "Daily"
    WEEKLY = "WEEKLY", "Weekly"
    MONTHLY = "MONTHLY", "Monthly"


class MailingStatus(models.TextChoices):
    CREATED = "CREATED", "Created"
    STARTED = "STARTED", "Started"
    FINISHED = "FINISHED", "Finished"


class Mailing(TimeStampedModel):
    """A message sent to a set of clients, once or repeatedly between a start and an end."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailings")
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, related_name="mailings", help_text="The message this mailing sends."
    )
    clients = models.ManyToManyField(Client, related_name="mailings", help_text="The recipients.")
    start_at = models.DateTimeField(help_text="When the first run is due.")
    end_at = models.DateTimeField(help_text="After this moment the mailing sends nothing more.")
    periodicity = models.CharField(
        max_length=10, choices=Periodicity.choices, default=Periodicity.ONCE, help_text="How often it runs."
    )
    status = models.CharField(
        max_length=10,
        choices=MailingStatus.choices,
        default=MailingStatus.CREATED,
        help_text="Moved by the delivery engine only.",
    )
    is_active = models.BooleanField(default=True, help_text="A disabled mailing never sends.")
    next_run_at = models.DateTimeField(null=True, blank=True, help_text="When the next run is due; null when none.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="mailing_mailing_owner_idx"),
            models.Index(fields=["status", "next_run_at"], name="mailing_mailing_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_at__gt=models.F("start_at")), name="mailing_mailing_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.message} ({self.get_periodicity_display()})"

    def clean(self):
        super().clean()
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValidationError(
                {"end_at": ValidationError("The end must be after the start.", code="end_before_start")}
            )
        if self.message_id and self.owner_id and self.message.owner_id != self.owner_id:
            raise ValidationError({"message": ValidationError("Message not found.", code="not_found")})
