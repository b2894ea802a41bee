"""Account e-mails: built and sent by a django-q task, enqueued when the transaction commits."""

import functools
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timeuntil
from django_q.tasks import async_task

from accounts import tokens
from accounts.models import TokenPurpose, User

TASK = "accounts.tasks.send_account_mail"


class AccountMail(models.TextChoices):
    VERIFY = "verify", "Verify the e-mail address"
    RESET_PASSWORD = "reset", "Reset the password"
    ALREADY_REGISTERED = "already_registered", "The address has an account already"


# Which link each e-mail carries: (token purpose, URL name, seconds it stays valid).
LINKS = {
    AccountMail.VERIFY: (TokenPurpose.VERIFY_EMAIL, "accounts:verify-email", "EMAIL_VERIFICATION_TIMEOUT"),
    AccountMail.RESET_PASSWORD: (TokenPurpose.RESET_PASSWORD, "accounts:reset-password", "PASSWORD_RESET_TIMEOUT"),
}


def account_mail_enqueue(*, kind: str, user: User) -> None:
    """Have the e-mail sent once the current transaction commits (never SMTP in a request).

    Only the kind and the user's id travel through the queue; the task makes the link itself.
    With MAIL_TASKS_SYNC the task runs in this process, at commit.
    """
    transaction.on_commit(functools.partial(_enqueue, str(kind), user.pk), robust=True)


def _enqueue(kind: str, user_id: int) -> None:
    async_task(TASK, kind, user_id, q_options={"group": "account-mail", "sync": settings.MAIL_TASKS_SYNC})


def account_mail_build(*, kind: str, user: User) -> EmailMessage:
    """The e-mail, in the user's language (it is built by a task, outside any request)."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _build(kind=kind, user=user)


def _build(*, kind: str, user: User) -> EmailMessage:
    context = {"user": user, "site_url": settings.SITE_URL}
    if kind in LINKS:
        purpose, url_name, timeout_setting = LINKS[kind]
        token = tokens.token_issue(user=user, purpose=purpose)
        context["link"] = settings.SITE_URL + reverse(url_name, kwargs={"token": token})
        now = timezone.now()
        seconds = getattr(settings, timeout_setting)
        context["valid_for"] = timeuntil(now + timedelta(seconds=seconds), now)
    subject = " ".join(render_to_string(f"accounts/email/{kind}_subject.txt", context).split())
    body = render_to_string(f"accounts/email/{kind}.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])
