from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.services import model_update
from mailing.models import Message

MESSAGE_FIELDS = ["subject", "body", "html_body"]


def _save(message: Message) -> Message:
    message.subject = message.subject.strip()
    message.full_clean()
    message.save()
    return message


@transaction.atomic
def message_create(*, owner, subject: str, body: str, html_body: str = "") -> Message:
    return _save(Message(owner=owner, subject=subject, body=body, html_body=html_body))


@transaction.atomic
def message_update(*, message: Message, data: dict) -> Message:
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
