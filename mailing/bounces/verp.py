"""VERP: each message's envelope sender names its delivery row, so that a bounce, sent back to
that address, says which row it is about without parsing anything the remote server wrote.

`bounces+<row in base 36>.<signature>@mail.example` for BOUNCE_ADDRESS `bounces@mail.example`.
The signature is django.core.signing's HMAC (SECRET_KEY, and SECRET_KEY_FALLBACKS when
reading) cut to 16 characters and lowered: some mail servers fold the case of a local part,
which base64 would not survive, and a local part has at most 64 characters.
"""

import base64
import re

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

SALT = "mailing.bounces.verp"
SIGNATURE_LENGTH = 16
TOKEN = re.compile(r"^([0-9a-z]{1,13})\.([a-z2-7]{16})$")


def _signature(value: str, key: str) -> str:
    signature = signing.Signer(key=key, salt=SALT, algorithm="sha256").signature(value)
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    return base64.b32encode(raw).decode().lower()[:SIGNATURE_LENGTH]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def token_for(delivery_id: int) -> str:
    value = _base36(delivery_id)
    return f"{value}.{_signature(value, settings.SECRET_KEY)}"


def delivery_id_from(token: str) -> int | None:
    """The row a token names; None when it is not one this service signed."""
    match = TOKEN.match(token.strip().lower())
    if match is None:
        return None
    value, signature = match.groups()
    for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if constant_time_compare(signature, _signature(value, key)):
            return int(value, 36)
    return None


def envelope_sender(delivery_id: int, default: str) -> str:
    """The envelope sender of one message: the row's VERP address when BOUNCE_ADDRESS is set."""
    if not settings.BOUNCE_ADDRESS:
        return default
    local, _, domain = settings.BOUNCE_ADDRESS.rpartition("@")
    return f"{local}+{token_for(delivery_id)}@{domain}"


def tokens_in(text: str) -> list[str]:
    """The VERP tokens in addresses of BOUNCE_ADDRESS's form found in `text` (headers of a report)."""
    if not settings.BOUNCE_ADDRESS:
        return []
    local, _, domain = settings.BOUNCE_ADDRESS.rpartition("@")
    pattern = re.compile(rf"{re.escape(local)}\+([0-9a-z]+\.[a-z2-7]+)@{re.escape(domain)}", re.IGNORECASE)
    return list(dict.fromkeys(match.lower() for match in pattern.findall(text)))
