"""Building the e-mails of a run: the MIME is built once, and each recipient's parts filled in.

Personalisation is a plain substitution of the known placeholders `{name}` and `{email}`:
no template engine and no `str.format` ever sees the owner's text, so a message can say
`{0.__class__}` or `{{ settings.SECRET_KEY }}` and that is exactly what is sent.
"""

import binascii
import re
import secrets
from email import policy
from email.headerregistry import Address
from email.utils import format_datetime
from urllib.parse import urlsplit

from django.core import signing
from django.core.exceptions import ImproperlyConfigured

from mailing.addresses import needs_smtputf8, wire_address

PLACEHOLDER = re.compile(r"\{(name|email)\}")
UNSUBSCRIBE_SALT = "mailing.unsubscribe"
MAX_LINE = 998


def personalise(text: str, *, name: str, email: str) -> str:
    values = {"name": name, "email": email}
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def unsubscribe_token(client_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(client_id))


def client_id_from_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def _crlf(data: bytes) -> bytes:
    return re.sub(rb"\r\n|\r|\n", b"\r\n", data)


def _dot_stuff(data: bytes) -> bytes:
    # SMTP ends the data at a line holding a single dot; a line that starts with one gets another.
    return re.sub(rb"(?m)^\.", b"..", data)


def _one_line(value: str) -> str:
    # Values are single-line by validation; a stray line break must still not start a new header.
    return value.replace("\r", " ").replace("\n", " ")


# The folder fills a line up to max_line_length with one encoded word; at 76, a continuation
# line's word (after its space) is at most 75 characters, RFC 2047's limit. At the default 78,
# Python writes 77.
_ASCII = policy.SMTP.clone(max_line_length=76)
_UTF8 = policy.SMTPUTF8.clone(max_line_length=76)


def _header(name: str, value: str | list[Address], utf8: bool = False) -> bytes:
    """A header folded by the email package: RFC 2047 encoded words of at most 75 characters for
    non-ASCII text, or raw UTF-8 (RFC 6532) for a message that travels with SMTPUTF8."""
    text = _one_line(value) if isinstance(value, str) else ", ".join(str(address) for address in value)
    if text.isascii() and len(name) + len(text) + 2 <= _ASCII.max_line_length:
        # What the folder would write, without parsing the value again: most headers of most
        # messages (Address's str() quotes a display name as the folder does).
        return f"{name}: {text}\r\n".encode()
    chosen = _UTF8 if utf8 else _ASCII
    return (
        chosen.header_factory(name, _one_line(value) if isinstance(value, str) else value)
        .fold(policy=chosen)
        .encode("utf-8" if utf8 else "ascii")
    )


def _mailbox(display_name: str, address: str) -> Address | None:
    """The address as it goes out (domain in punycode), with its display name; None if unusable."""
    wire = wire_address(address)
    if wire is None:
        return None
    username, _, domain = wire.rpartition("@")
    try:
        return Address(display_name=_one_line(display_name), username=username, domain=domain)
    except ValueError:
        return None


def _address_header(name: str, mailbox: Address | None) -> bytes:
    if mailbox is None:
        # The session refuses to send to such an address; the header only has to be harmless.
        return f"{name}: undisclosed-recipients:;\r\n".encode()
    return _header(name, [mailbox], utf8=needs_smtputf8(mailbox.addr_spec))


def parse_from(from_email: str) -> Address:
    """DEFAULT_FROM_EMAIL (`Name <sender@example.org>` or a bare address) as one mailbox."""
    parsed = policy.default.header_factory("From", _one_line(from_email))
    if parsed.defects or len(parsed.addresses) != 1 or not parsed.addresses[0].domain:
        raise ImproperlyConfigured(
            f"DEFAULT_FROM_EMAIL must be one address, like 'Name <sender@example.org>': {from_email!r}"
        )
    address = parsed.addresses[0]
    mailbox = _mailbox(address.display_name, address.addr_spec)
    if mailbox is None:
        raise ImproperlyConfigured(f"DEFAULT_FROM_EMAIL's address cannot be used in SMTP: {from_email!r}")
    return mailbox


def _text_part(text: str, subtype: str) -> bytes:
    """A text part's headers and body, ready for the wire (CRLF, dot-stuffed)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and all(len(line) <= MAX_LINE for line in text.split("\n")):
        encoding, body = "7bit", text.encode("ascii")
    else:
        encoding, body = "quoted-printable", binascii.b2a_qp(text.encode("utf-8"), istext=True)
    if not body.endswith(b"\n"):
        body += b"\n"
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'
    return head.encode() + _dot_stuff(_crlf(body))


class PreparedMessage:
    """One message of one run, encoded once; `render` fills in one recipient.

    `signer` (a `mailing.identities.dkim.Signer`) adds a DKIM-Signature to each rendered message;
    `dkim_domain` says which domain signs ('' when none does).
    """

    def __init__(
        self,
        *,
        subject: str,
        body: str,
        html_body: str,
        from_email: str,
        site_url: str,
        reply_to: str = "",
        signer=None,
    ):
        sender = parse_from(from_email)
        self.from_header = _address_header("From", sender)
        reply_mailbox = _mailbox("", reply_to) if reply_to else None
        self.reply_to_header = _address_header("Reply-To", reply_mailbox) if reply_mailbox else b""
        self.signer = signer
        self.dkim_domain = signer.domain if signer is not None else ""
        self.envelope_from = sender.addr_spec
        self.domain = sender.domain or urlsplit(site_url).hostname or "localhost"
        self.site_url = site_url.rstrip("/")
        self.subject = subject
        self.body = body
        self.html_body = html_body
        self.boundary = f"=_mailing_{secrets.token_hex(12)}"
        self._subject_header = None if PLACEHOLDER.search(subject) else _header("Subject", subject)
        self._body = None if self._personal(body, html_body) else self._encode_body(body, html_body)
        self._date_second = None
        self._date_header = b""

    @staticmethod
    def _personal(*texts: str) -> bool:
        return any(PLACEHOLDER.search(text) for text in texts)

    def _encode_body(self, body: str, html_body: str) -> bytes:
        if not html_body:
            return _text_part(body, "plain")
        # The line break before a boundary belongs to the boundary, not to the part before it.
        boundary = self.boundary.encode()
        return b"".join(
            (
                b'Content-Type: multipart/alternative; boundary="' + boundary + b'"\r\n\r\n',
                b"--" + boundary + b"\r\n",
                _text_part(body, "plain"),
                b"\r\n--" + boundary + b"\r\n",
                _text_part(html_body, "html"),
                b"\r\n--" + boundary + b"--\r\n",
            )
        )

    def unsubscribe_url(self, client_id: int) -> str:
        return f"{self.site_url}/unsubscribe/{unsubscribe_token(client_id)}/"

    def message_id(self, *, run_id: int, attempt_id: int) -> str:
        return f"<{run_id}.{attempt_id}.{secrets.token_hex(6)}@{self.domain}>"

    def render(self, *, email: str, name: str, client_id: int, message_id: str, now) -> bytes:
        second = int(now.timestamp())
        if second != self._date_second:
            self._date_second = second
            self._date_header = _header("Date", format_datetime(now.replace(microsecond=0)))
        if self._subject_header is not None:
            subject = self._subject_header
        else:
            subject = _header("Subject", personalise(self.subject, name=name, email=email))
        body = self._body
        if body is None:
            body = self._encode_body(
                personalise(self.body, name=name, email=email), personalise(self.html_body, name=name, email=email)
            )
        data = b"".join(
            (
                self.from_header,
                self.reply_to_header,
                _address_header("To", _mailbox(name, email)),
                subject,
                self._date_header,
                b"Message-ID: " + message_id.encode() + b"\r\n",
                b"MIME-Version: 1.0\r\n",
                b"List-Unsubscribe: <" + self.unsubscribe_url(client_id).encode() + b">\r\n",
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                body,
            )
        )
        return data if self.signer is None else self.signer.sign(data) + data

    @classmethod
    def for_message(cls, message, *, site_url: str | None = None) -> "PreparedMessage":
        """A message as it goes out: From (and Reply-To) its verified sender identity, or the
        service's DEFAULT_FROM_EMAIL without one; DKIM-signed when the From domain has a key."""
        from django.conf import settings

        from mailing.identities.dkim import signer_for

        identity = message.sender
        if identity is not None and identity.verified_at is not None:
            mailbox = _mailbox(identity.name, identity.email)
            from_email, reply_to = (str(mailbox) if mailbox else settings.DEFAULT_FROM_EMAIL), identity.reply_to
        else:
            from_email, reply_to = settings.DEFAULT_FROM_EMAIL, ""
        domain = parse_from(from_email).domain
        return cls(
            subject=message.subject,
            body=message.body,
            html_body=message.html_body,
            from_email=from_email,
            site_url=site_url or settings.SITE_URL,
            reply_to=reply_to,
            signer=signer_for(domain),
        )
