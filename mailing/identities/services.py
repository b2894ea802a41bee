"""Sender identities: added by an owner, verified by a link sent to their address, picked by a
message; and DKIM keys made for a domain."""

import base64
import functools
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django_q.tasks import async_task

from accounts import tokens
from accounts.models import TokenPurpose
from mailing.identities.models import DkimKey, SenderIdentity

TASK = "mailing.identities.tasks.send_sender_verification"
SENDER_VERIFIED = _("The sender address is verified: your messages can now be sent from it.")
DKIM_KEY_BITS = 2048


def _clean_save(identity: SenderIdentity) -> SenderIdentity:
    identity.name = identity.name.strip()
    identity.email = identity.email.strip()
    identity.reply_to = identity.reply_to.strip()
    identity.full_clean(validate_constraints=False)
    taken = SenderIdentity.objects.filter(owner_id=identity.owner_id, email_key=identity.email.lower())
    if taken.exclude(pk=identity.pk).exists():
        raise ValidationError(
            {"email": ValidationError(_("You already have a sender identity with this address."), code="unique")}
        )
    identity.save()
    return identity


@transaction.atomic
def sender_identity_create(*, owner, name: str, email: str, reply_to: str = "") -> SenderIdentity:
    """Add an identity, unverified; the link to verify it goes to `email` once this commits."""
    identity = _clean_save(SenderIdentity(owner=owner, name=name, email=email, reply_to=reply_to or ""))
    transaction.on_commit(functools.partial(_enqueue, identity.pk), robust=True)
    return identity


def _enqueue(identity_id: int) -> None:
    async_task(TASK, identity_id, q_options={"group": "account-mail", "sync": settings.MAIL_TASKS_SYNC})


def sender_verification_build(*, identity: SenderIdentity) -> EmailMessage:
    """The e-mail with the link, to the identity's address, in its owner's language."""
    owner = identity.owner
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        token = tokens.token_issue(user=owner, purpose=TokenPurpose.VERIFY_SENDER, email=identity.email)
        now = timezone.now()
        context = {
            "identity": identity,
            "owner": owner,
            "site_url": settings.SITE_URL,
            "link": settings.SITE_URL + reverse("verify-sender", kwargs={"token": token}),
            "valid_for": timeuntil(now + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT), now),
        }
        subject = " ".join(render_to_string("identities/email/verify_sender_subject.txt", context).split())
        body = render_to_string("identities/email/verify_sender.txt", context)
    return EmailMessage(subject=subject, body=body, to=[identity.email])


def sender_verification_send(*, identity_id: int) -> str:
    """Send the link (the django-q task calls this); return what happened, no secrets."""
    identity = SenderIdentity.objects.select_related("owner").filter(pk=identity_id).first()
    if identity is None:
        return f"sender {identity_id}: skipped, it no longer exists"
    if identity.is_verified:
        return f"sender {identity_id}: skipped, verified already"
    with transaction.atomic():
        # The token is made here, in the worker, so that it never sits in the task queue.
        sender_verification_build(identity=identity).send()
    return f"sender {identity_id}: link sent"


@transaction.atomic
def sender_identity_verify(*, token: str, viewer=None) -> SenderIdentity:
    """Open the link: the identity whose address it was sent to becomes usable."""
    row = tokens.token_find(token=token, purpose=TokenPurpose.VERIFY_SENDER, viewer=viewer)
    identity = (
        SenderIdentity.objects.select_for_update()
        .filter(owner_id=row.user_id, email=row.email, verified_at__isnull=True)
        .first()
    )
    if identity is None:
        # Deleted (or verified through a newer link) since the link was sent.
        raise tokens.invalid_token()
    tokens.token_use(row=row)
    identity.verified_at = timezone.now()
    identity.save(update_fields=["verified_at", "updated_at"])
    return identity


@transaction.atomic
def sender_identity_delete(*, identity: SenderIdentity) -> None:
    """Delete an identity no message sends as. A message that does must first be given another
    sender (or none): falling back to another From address behind the owner's back would
    change what recipients see, and what SPF and DKIM vouch for."""
    in_use = identity.messages.count()
    if in_use:
        raise ValidationError(
            {
                "id": ValidationError(
                    _("This sender is used by %(count)d message(s); choose another sender for them first."),
                    code="protected",
                    params={"count": in_use},
                )
            }
        )
    identity.delete()


def dkim_key_create(*, domain: str, selector: str = "mail") -> DkimKey:
    """A new 2048-bit RSA key for `domain`; the newest key of a domain is the one that signs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    domain = domain.strip().rstrip(".").lower().encode("idna").decode("ascii")
    key = rsa.generate_private_key(public_exponent=65537, key_size=DKIM_KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode("ascii")
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    dkim_key = DkimKey(
        domain=domain,
        selector=selector.strip().lower(),
        private_key=private_pem,
        public_key=base64.b64encode(public_der).decode("ascii"),
    )
    dkim_key.full_clean()
    dkim_key.save()
    return dkim_key
