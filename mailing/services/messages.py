import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.services import model_update
from mailing.models import Message
from mailing.rendering import PreparedMessage
from mailing.smtp import ConnectError, Outcome, Result, ServerConfig, Session

MESSAGE_FIELDS = ["subject", "body", "html_body", "sender"]


def _save(message: Message) -> Message:
    message.subject = message.subject.strip()
    message.full_clean()
    message.save()
    return message


def _sender(*, owner, sender_id):
    """The owner's identity `sender_id` names (None for none); one of another owner's, or none at
    all, is refused alike. Whether it is verified is the message's own check."""
    if sender_id is None:
        return None
    from mailing.identities.selectors import sender_identity_get_owned

    identity = sender_identity_get_owned(viewer=owner, pk=sender_id)
    if identity is None:
        raise ValidationError({"sender": ValidationError(_("Sender identity not found."), code="not_found")})
    return identity


@transaction.atomic
def message_create(*, owner, subject: str, body: str, html_body: str = "", sender_id=None) -> Message:
    sender = _sender(owner=owner, sender_id=sender_id)
    return _save(Message(owner=owner, subject=subject, body=body, html_body=html_body, sender=sender))


@transaction.atomic
def message_update(*, message: Message, data: dict) -> Message:
    """`data` may carry `sender_id` (an identity's pk, or None for the service's address)."""
    if "sender_id" in data:
        data = dict(data)
        data["sender"] = _sender(owner=message.owner, sender_id=data.pop("sender_id"))
    if model_update(instance=message, fields=MESSAGE_FIELDS, data=data):
        _save(message)
    return message


@transaction.atomic
def message_delete(*, message: Message) -> None:
    in_use = message.mailings.count()
    if in_use:
        raise ValidationError(
            {
                "id": ValidationError(
                    _("This message is used by %(count)d mailing(s); delete them first."),
                    code="protected",
                    params={"count": in_use},
                )
            }
        )
    message.delete()


def message_send_test(*, message: Message, recipient, now=None) -> Result:
    """Send `message` to `recipient` (a user: their own address and name) through the engine's
    mail path: the same rendering and SMTP session as a run, with placeholders filled in for them.

    A refusal or an unreachable server is a ValidationError on `id` with the server's reply.
    """
    prepared = PreparedMessage.for_message(message, site_url=settings.SITE_URL)
    name = recipient.full_name or recipient.email
    # No client stands behind a test: its unsubscribe link (client 0) leads nowhere.
    data = prepared.render(
        email=recipient.email,
        name=name,
        client_id=0,
        message_id=f"<test.{message.pk}.{secrets.token_hex(6)}@{prepared.domain}>",
        now=now or timezone.now(),
    )
    try:
        session = Session.open(ServerConfig.from_settings())
    except ConnectError as error:
        raise ValidationError({"id": ValidationError(str(error), code="unreachable")}) from None
    try:
        result = session.send(prepared.envelope_from, recipient.email, data)
    finally:
        session.close()
    if result.outcome != Outcome.SENT:
        raise ValidationError(
            {
                "id": ValidationError(
                    "The mail server refused the test: %(reply)s", code="refused", params={"reply": result.response}
                )
            }
        )
    return result
