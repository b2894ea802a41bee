"""DKIM: signing a rendered message with its From domain's key (dkimpy), the TXT record a domain
publishes, and what the delivery log says about it."""

import re
from collections.abc import Iterable
from typing import NamedTuple

import dkim

from mailing.identities.models import DkimKey
from mailing.identities.selectors import dkim_key_for

# What a receiver reads and what a forwarder must not change: the addresses, the subject and
# date, the ids, the MIME structure, and the one-click unsubscribe (RFC 8058 requires both of its
# headers to be signed). From is listed twice: a second From added on the way breaks the signature.
SIGNED_HEADERS = (
    b"From",
    b"From",
    b"Reply-To",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"MIME-Version",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
)

_STUFFED = re.compile(rb"(?m)^\.\.")


class Signer(NamedTuple):
    domain: str
    selector: str
    private_key: bytes

    @classmethod
    def from_key(cls, key: DkimKey) -> "Signer":
        return cls(key.domain, key.selector, key.private_key.encode("ascii"))

    def sign(self, stuffed: bytes) -> bytes:
        """The DKIM-Signature header (CRLF-terminated) for a message as it goes on the wire
        (CRLF line ends, dot-stuffed): the signature covers the message as it is received."""
        message = _STUFFED.sub(b".", stuffed)
        header = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=list(SIGNED_HEADERS),
        )
        return header.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def signer_for(domain: str) -> Signer | None:
    """The signer of mail From `domain` (punycode), or None when the domain has no key."""
    key = dkim_key_for(domain=domain)
    return Signer.from_key(key) if key is not None else None


def dns_record(key: DkimKey) -> str:
    """The TXT record to publish, in zone-file syntax (the value split in strings of 255 at most)."""
    value = key.dns_value
    chunks = [value[start : start + 250] for start in range(0, len(value), 250)]
    quoted = " ".join(f'"{chunk}"' for chunk in chunks)
    return f"{key.dns_name}. IN TXT ( {quoted} )"


def record_signing(*, ids: Iterable[int], domain: str) -> None:
    """Write on the rows just tried which domain signed them ('' for unsigned)."""
    from mailing.models import DeliveryAttempt

    ids = list(ids)
    if ids:
        DeliveryAttempt.objects.filter(pk__in=ids).exclude(dkim_domain=domain).update(dkim_domain=domain)
