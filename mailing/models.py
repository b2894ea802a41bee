from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from core.zones import DEFAULT_TIME_ZONE, validate_time_zone, zone
from mailing.addresses import EmailAddressField

MESSAGE_BODY_MAX_LENGTH = 100_000


def validate_single_line(value: str) -> None:
    # A line break in a header value would let a user inject headers of their own.
    if "\n" in value or "\r" in value:
        raise ValidationError(_("Must be a single line."), code="multiline")


class Client(TimeStampedModel):
    """A recipient in an owner's client list."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clients")
    email = EmailAddressField("e-mail", max_length=254, help_text="The client's e-mail address.")
    full_name = models.CharField(max_length=200, validators=[validate_single_line], help_text="The client's full name.")
    comment = models.TextField(blank=True, max_length=2000, help_text="A free note about the client.")
    unsubscribed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client unsubscribed; mailings skip them from then on."
    )
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
    sender = models.ForeignKey(
        "identities.SenderIdentity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        help_text="The verified identity it is sent as; null: the service's own address (DEFAULT_FROM_EMAIL).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="mailing_message_owner_idx")]

    def __str__(self):
        return self.subject

    def clean(self):
        super().clean()
        # Only one of the owner's own identities, and only once its address is verified.
        if self.sender_id is not None:
            sender = self.sender
            if sender.owner_id != self.owner_id:
                raise ValidationError({"sender": ValidationError(_("Sender identity not found."), code="not_found")})
            if sender.verified_at is None:
                raise ValidationError(
                    {
                        "sender": ValidationError(
                            _("This sender's address is not verified yet: open the link we sent to it."),
                            code="unverified",
                        )
                    }
                )


class Periodicity(models.TextChoices):
    ONCE = "ONCE", _("Once")
    DAILY = "DAILY", _("Daily")
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")


class MailingStatus(models.TextChoices):
    CREATED = "CREATED", pgettext_lazy("mailing", "Created")
    STARTED = "STARTED", pgettext_lazy("mailing", "Started")
    FINISHED = "FINISHED", pgettext_lazy("mailing", "Finished")


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
    time_zone = models.CharField(
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text="The IANA zone its schedule keeps wall-clock time in (the owner's when it was created).",
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

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The start and end carry the mailing's zone, so that the schedule computed from them
        # (`mailing.scheduling`) keeps its wall-clock time there. Same instants as in the database.
        if "time_zone" in instance.__dict__ and instance.time_zone != DEFAULT_TIME_ZONE:
            instance.localize_times()
        return instance

    def localize_times(self) -> None:
        """Read the loaded start and end in the mailing's own zone (the instants stay the same)."""
        try:
            mailing_zone = zone(self.time_zone)
        except (ValueError, KeyError):
            return
        for name in ("start_at", "end_at"):
            value = self.__dict__.get(name)
            if value is not None:
                self.__dict__[name] = value.astimezone(mailing_zone)

    def clean(self):
        super().clean()
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValidationError(
                {"end_at": ValidationError(_("The end must be after the start."), code="end_before_start")}
            )
        if self.message_id and self.owner_id and self.message.owner_id != self.owner_id:
            raise ValidationError({"message": ValidationError(_("Message not found."), code="not_found")})


class RunStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    RUNNING = "RUNNING", "Running"
    PAUSED = "PAUSED", "Paused"
    FINISHED = "FINISHED", "Finished"
    CANCELLED = "CANCELLED", "Cancelled"


# A run is open until it closes; then its rows can no longer change.
OPEN_RUN = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.PAUSED)
CLOSED_RUN = (RunStatus.FINISHED, RunStatus.CANCELLED)


class RunTrigger(models.TextChoices):
    SCHEDULE = "SCHEDULE", "Schedule"
    MANUAL = "MANUAL", "Manual"
    RETRY = "RETRY", "Retry"


class MailingRun(TimeStampedModel):
    """One sending of a mailing to its clients, for one slot of its schedule (or sent by hand)."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="runs")
    scheduled_for = models.DateTimeField(help_text="The schedule's slot this run sends, or when it was asked for.")
    trigger = models.CharField(
        max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE, help_text="What started the run."
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker first sent for this run.")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="When no recipient was left to send to.")
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker holds the run until then; after it, the sweeper takes it over."
    )
    claimed_by = models.CharField(max_length=100, blank=True, help_text="The worker that last held the run.")
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="While the mail server is unreachable: when to try it again."
    )
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Connection-level failures in a row; the circuit breaker opens at a threshold."
    )
    pauses = models.PositiveIntegerField(default=0, help_text="How often the breaker opened in a row (backoff).")
    last_error = models.TextField(blank=True, help_text="The last connection-level error, for the owner to read.")
    # Counted once, as the run closes: its rows can no longer change then, so a mailing's stats add
    # these up instead of counting every row of every finished run. Null while the run is open.
    total_count = models.PositiveIntegerField(null=True, blank=True, help_text="Recipient rows; set when it closes.")
    sent_count = models.PositiveIntegerField(null=True, blank=True, help_text="Rows SENT; set when it closes.")
    failed_count = models.PositiveIntegerField(null=True, blank=True, help_text="Rows FAILED; set when it closes.")
    skipped_count = models.PositiveIntegerField(null=True, blank=True, help_text="Rows SKIPPED; set when it closes.")
    # A bounce report can come days after the run closed: it moves the row, and this count with it.
    bounced_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rows BOUNCED; set when it closes, kept up as late bounces come in."
    )
    retry_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retries",
        help_text="The closed run whose failed and deferred rows this run sends again (`retryFailed`).",
    )

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "scheduled_for"], name="mailing_run_slot_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "lease_until"], name="mailing_run_status_idx"),
            models.Index(fields=["mailing", "status"], name="mailing_run_mailing_status_idx"),
        ]

    def __str__(self):
        return f"{self.mailing} @ {self.scheduled_for:%Y-%m-%d %H:%M}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    SENDING = "SENDING", "Sending"
    SENT = "SENT", "Sent"
    DEFERRED = "DEFERRED", "Deferred"
    FAILED = "FAILED", "Failed"
    SKIPPED = "SKIPPED", "Skipped"
    BOUNCED = "BOUNCED", "Bounced"


# The delivery statuses that still have work: a run with none of them left is finished.
OPEN_DELIVERY = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED)


class DeliveryAttempt(TimeStampedModel):
    """The log of one recipient of one run: its status, its attempts and the mail server's last reply."""

    run = models.ForeignKey(MailingRun, on_delete=models.CASCADE, related_name="attempts")
    # The run's mailing, copied: a page of one mailing's log is then one range of one index.
    mailing = models.ForeignKey(
        Mailing, on_delete=models.CASCADE, related_name="delivery_attempts", db_index=False, editable=False
    )
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="delivery_attempts"
    )
    email = EmailAddressField("e-mail", max_length=254, help_text="The address it was sent to.")
    full_name = models.CharField(max_length=200, blank=True, help_text="The recipient's name when the run began.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="SMTP transactions tried for this recipient.")
    last_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When it was last tried.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When a deferred send is retried.")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A worker is sending it until then.")
    lease_token = models.CharField(max_length=32, blank=True, help_text="The claim that holds the row.")
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The mail server's last reply code.")
    server_response = models.TextField(blank=True, help_text="The mail server's last reply, or the error.")
    message_id = models.CharField(max_length=255, blank=True, help_text="The Message-ID header of the last send.")
    sent_by_cluster = models.CharField(
        max_length=100,
        blank=True,
        default="",
        db_default="",
        help_text="The cluster (its Q_NODE_NAME) that made the last attempt.",
    )
    sent_by_worker = models.CharField(
        max_length=100,
        blank=True,
        default="",
        db_default="",
        help_text="The worker process (host:pid) that made the last attempt.",
    )
    dkim_domain = models.CharField(
        max_length=253,
        blank=True,
        default="",
        db_default="",
        help_text="The domain whose DKIM key signed the last attempt; empty when it went unsigned or was never sent.",
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "client"], name="mailing_delivery_run_client_unique"),
        ]
        indexes = [
            # Claims take a run's rows of one status in id order; the sweeper looks for retries
            # that came due across all runs.
            models.Index(fields=["run", "status", "id"], name="mailing_delivery_claim_idx"),
            # The delivery log of a mailing, of one status or all, newest first (keyset on id).
            models.Index(fields=["mailing", "status", "-id"], name="mailing_delivery_log_idx"),
            models.Index(fields=["mailing", "-id"], name="mailing_delivery_log_all_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="mailing_delivery_due_idx"),
            # The per-day counts (dashboard, a mailing's page): a range of last attempts of each
            # of the viewer's mailings, not every row of a years-old mailing.
            models.Index(fields=["mailing", "last_attempt_at"], name="mailing_delivery_daily_idx"),
        ]

    def __str__(self):
        return f"{self.email}: {self.status}"

    def save(self, *args, **kwargs):
        if self.mailing_id is None and self.run_id is not None:
            self.mailing_id = self.run.mailing_id
        super().save(*args, **kwargs)


# --- Bounces, complaints and the suppression list (issue 12) ------------------------------------


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "HARD_BOUNCE", _("Hard bounce")
    SOFT_BOUNCES = "SOFT_BOUNCES", _("Soft bounces in a row")
    COMPLAINT = "COMPLAINT", _("Complaint")
    UNSUBSCRIBED = "UNSUBSCRIBED", _("Unsubscribed")
    MANUAL = "MANUAL", _("Added by hand")


class Suppression(TimeStampedModel):
    """An address an owner's runs no longer send to, and why."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suppressions")
    email = EmailAddressField("e-mail", max_length=254, help_text="The suppressed address.")
    email_key = models.GeneratedField(
        expression=Lower("email"), output_field=models.CharField(max_length=254), db_persist=True
    )
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices, help_text="Why it is suppressed.")
    delivery = models.ForeignKey(
        "DeliveryAttempt",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The delivery row whose bounce or complaint caused it; null when added by hand.",
    )
    detail = models.TextField(blank=True, max_length=2000, help_text="The report's status and diagnostic text.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "email_key"], name="mailing_suppression_owner_email_unique"),
        ]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="mailing_suppression_owner_idx")]

    def __str__(self):
        return f"{self.email} ({self.reason})"


class BounceKind(models.TextChoices):
    HARD = "HARD", "Hard bounce"
    SOFT = "SOFT", "Soft bounce"
    COMPLAINT = "COMPLAINT", "Complaint"


class BounceEvent(models.Model):
    """One bounce or complaint that named a delivery row: the log that rates and soft-bounce
    streaks are counted from. One of each kind a row: a report read twice counts once."""

    delivery = models.ForeignKey(DeliveryAttempt, on_delete=models.CASCADE, related_name="bounce_events")
    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="bounce_events", db_index=False)
    run = models.ForeignKey(MailingRun, on_delete=models.CASCADE, related_name="bounce_events", db_index=False)
    kind = models.CharField(max_length=10, choices=BounceKind.choices)
    status_code = models.CharField(max_length=16, blank=True, help_text="The enhanced status code (5.1.1).")
    diagnostic = models.TextField(blank=True, help_text="The report's diagnostic text.")
    received_at = models.DateTimeField(help_text="When the report was read.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["delivery", "kind"], name="mailing_bounce_event_unique"),
        ]
        indexes = [
            models.Index(fields=["mailing", "kind"], name="mailing_bounce_mailing_idx"),
            models.Index(fields=["run", "kind"], name="mailing_bounce_run_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.status_code} (row {self.delivery_id})"


class BounceMailbox(models.Model):
    """How far the bounce mailbox has been read: the highest UID seen, per UIDVALIDITY. Mail
    below it is never fetched again, so other mail in the mailbox is read once and left alone."""

    account = models.CharField(max_length=400, unique=True, help_text="user@host:port/folder.")
    uid_validity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.account} (UID {self.last_uid})"
