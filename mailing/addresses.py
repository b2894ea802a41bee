"""E-mail addresses as people type them, and as they go on the wire.

A client's address is kept as it was typed (`ivan@пример.рф`), and shown back that way. On the
wire the domain is always in punycode (`ivan@xn--e1afmkfd.xn--p1ai`, RFC 5890), in the envelope
and in the headers alike. A local part that is not ASCII (`иван@…`, RFC 6531) can only travel
with SMTPUTF8; `needs_smtputf8` tells the session so.
"""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.encoding import punycode


def wire_address(address: str) -> str | None:
    """The address with its domain in punycode; None when it cannot be used in SMTP at all."""
    if any(char in address for char in "\r\n<>\0") or address != address.strip():
        return None
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    try:
        domain = punycode(domain)
    except UnicodeError:
        return None
    return f"{local}@{domain}"


def needs_smtputf8(address: str) -> bool:
    """The address (in its wire form) can be sent only to a server that offers SMTPUTF8."""
    return not address.isascii()


def _utf8_atext(char: str) -> bool:
    # RFC 6532's UTF8-non-ascii: any character beyond ASCII but a control, a format mark, a
    # separator or an unassigned one (the categories C* and Z*).
    return unicodedata.category(char)[0] not in "CZ"


def validate_email_address(value: str) -> None:
    """Django's e-mail validation, also accepting a non-ASCII local part (RFC 6531).

    The domain may be typed in Unicode or in punycode; Django's validator checks both forms.
    """
    local, at, domain = value.rpartition("@")
    if at and not local.isascii():
        if not all(char.isascii() or _utf8_atext(char) for char in local):
            raise ValidationError(validate_email.message, code=validate_email.code, params={"value": value})
        # Each non-ASCII character stands for one atext character: the rest of the rules (dots,
        # quoting, length, the domain) are Django's.
        value = "".join(char if char.isascii() else "a" for char in local) + at + domain
    validate_email(value)


class EmailAddressFormField(forms.EmailField):
    default_validators = [validate_email_address]


class EmailAddressField(models.EmailField):
    """An e-mail address as typed, international ones included (see `validate_email_address`)."""

    default_validators = [validate_email_address]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": EmailAddressFormField, **kwargs})
