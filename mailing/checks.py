"""Checks of the mail settings, run by every management command (`manage.py check`): a sender the
engine cannot write, or a TLS file it cannot read, is found at start, not in the first run."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from mailing.rendering import parse_from
from mailing.smtp import ConnectError, tls_context


@register()
def check_mail_settings(app_configs, **kwargs):
    errors = []
    try:
        parse_from(settings.DEFAULT_FROM_EMAIL)
    except ImproperlyConfigured as error:
        errors.append(Error(str(error), id="mailing.E001"))
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        errors.append(
            Error(
                "EMAIL_USE_TLS and EMAIL_USE_SSL are both set.",
                hint="STARTTLS (usually port 587) or implicit TLS (usually port 465): set one of them.",
                id="mailing.E002",
            )
        )
    if settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL:
        try:
            tls_context(
                cafile=settings.EMAIL_SSL_CAFILE or "",
                certfile=settings.EMAIL_SSL_CERTFILE or "",
                keyfile=settings.EMAIL_SSL_KEYFILE or "",
            )
        except ConnectError as error:
            errors.append(Error(str(error), id="mailing.E003"))
    return errors
