"""Building the e-mails of a run: the MIME is built once, and each recipient's parts filled in.

Personalisation is a plain substitution of the known placeholders `{name}` and `{email}`:
no template engine and no `str.format` ever sees the owner's text, so a message can say
`{0.__class__}` or `{{ settings.SECRET_KEY }}` and that is exactly what is sent.
"""

import binascii
import re
import secrets
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import urlsplit

from django.core import signing

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


def _header(name: str, value: str) -> bytes:
    # Values are single-line by validation; a stray line break must still not start a new header.
    value = value.replace("\r", " ").replace("\n", " ")
    if value.isascii() and len(name) + len(value) + 2 <= 78:
        return f"{name}: {value}\r\n".encode()
    encoded = Header(value, "utf-8" if not value.isascii() else "us-ascii", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode()


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
    """One message of one run, encoded once; `render` fills in one recipient."""

    def __init__(self, *, subject: str, body: str, html_body: str, from_email: str, site_url: str):
        self.from_header = _header("From", from_email)
        self.envelope_from = parseaddr(from_email)[1]
        self.domain = self.envelope_from.rpartition("@")[2] or urlsplit(site_url).hostname or "localhost"
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
        return b"".join(
            (
                self.from_header,
                _header("To", formataddr((name, email), charset="utf-8")),
                subject,
                self._date_header,
                b"Message-ID: " + message_id.encode() + b"\r\n",
                b"MIME-Version: 1.0\r\n",
                b"List-Unsubscribe: <" + self.unsubscribe_url(client_id).encode() + b">\r\n",
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                body,
            )
        )
