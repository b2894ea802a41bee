"""Who a mailing's e-mail comes from: an owner's verified sender identities, and the DKIM keys
that sign mail of a domain."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from core.models import TimeStampedModel
from mailing.addresses import EmailAddressField
from mailing.models import validate_single_line


class SenderIdentity(TimeStampedModel):
    """A From name and address (and an optional Reply-To) an owner sends as, once verified."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sender_identities")
    name = models.CharField(max_length=200, validators=[validate_single_line], help_text="The From display name.")
    email = EmailAddressField("e-mail", max_length=254, help_text="The From address.")
    reply_to = EmailAddressField(
        "Reply-To", max_length=254, blank=True, help_text="Where replies go; empty: to the From address."
    )
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the link sent to the address was opened; unusable until then."
    )
    email_key = models.GeneratedField(
        expression=Lower("email"), output_field=models.CharField(max_length=254), db_persist=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "sender identities"
        constraints = [
            models.UniqueConstraint(fields=["owner", "email_key"], name="identities_sender_owner_email_unique"),
        ]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="identities_sender_owner_idx")]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


class DkimKey(TimeStampedModel):
    """A domain's DKIM signing key (RSA 2048). The private key is kept here, in the database:
    whoever reads the database can sign mail as the domain (see README, DKIM)."""

    domain = models.CharField(max_length=253, help_text="The domain whose mail it signs (d=), in lower case.")
    selector = models.CharField(max_length=63, help_text="The selector (s=): the DNS name is <s>._domainkey.<d>.")
    private_key = models.TextField(help_text="The PEM of the RSA private key.")
    public_key = models.TextField(help_text="The base64 DER of the public key, as the TXT record's p= holds it.")

    class Meta:
        ordering = ["domain", "-created_at", "-id"]
        verbose_name = "DKIM key"
        constraints = [
            models.UniqueConstraint(fields=["domain", "selector"], name="identities_dkim_domain_selector_unique"),
        ]

    def __str__(self):
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def dns_value(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_key}"


class ServerThrottle(models.Model):
    """The sending rate of one SMTP server (host:port) when there is no Redis: its token buckets
    (one a window, all refilled at the same moment) and its pause, in one row that every worker
    locks (`SELECT ... FOR UPDATE`) to take tokens. See `mailing.delivery.rate`."""

    server = models.CharField(max_length=300, unique=True, help_text="host:port of the SMTP server.")
    tokens = models.JSONField(default=dict, help_text="Tokens left per window (seconds), as of `refilled_at`.")
    refilled_at = models.FloatField(default=0, help_text="When the buckets were last refilled (Unix time).")
    paused_until = models.FloatField(default=0, help_text="Nothing is sent to the server before then (Unix time).")
    pause_reason = models.TextField(blank=True, help_text="The reply that paused it.")

    class Meta:
        verbose_name = "server throttle"

    def __str__(self):
        return self.server
