"""Talking to the mail server: one session reused for many messages, and every reply classified.

Nothing here raises on a misbehaving server: opening a session raises only `ConnectError` (the
server cannot be reached; no message was in flight) or its subclass `AuthenticationFailed` (the
server refused the login), and `Session.send` always returns a `Result`. Every socket operation
has the timeout of EMAIL_TIMEOUT, connect and each read alike.

Both TLS modes (STARTTLS and implicit TLS) verify the server's certificate and host name, against
the system's CAs (or SSL_CERT_FILE), or only EMAIL_SSL_CAFILE when it is set; the password is
sent only after that.
"""

import base64
import contextlib
import dataclasses
import functools
import hashlib
import hmac
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.mail.backends import smtp as smtp_backend
from django.core.mail.utils import DNS_NAME
from django.utils.functional import cached_property

from mailing.addresses import needs_smtputf8, wire_address


class Outcome(StrEnum):
    SENT = "SENT"
    DEFERRED = "DEFERRED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    code: int | None
    response: str
    # The session cannot be trusted for another message: the server closed it, a reply never
    # came, or it answered something that is not SMTP.
    connection_lost: bool = False
    # The server refused the recipient (RCPT), not the sender or the content: a 5xx here is a
    # hard bounce (mailing.bounces).
    refused_at_rcpt: bool = False


class ConnectError(Exception):
    """The server could not be reached or refused the session; no message was sent."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class AuthenticationFailed(ConnectError):
    """The server answered AUTH with a permanent refusal (535 and the like): the credentials are
    wrong, and trying again, with another mechanism or on another connection, only brings a
    provider's lockout closer. The run should pause at once; `reply` is the server's answer."""

    PREFIX = "Authentication failed: "

    def __init__(self, reply: str, code: int | None = None):
        super().__init__(f"{self.PREFIX}{reply}", code)
        self.reply = reply

    @classmethod
    def describes(cls, error: str) -> bool:
        """Whether a stored error text (a run's last_error) is one of these."""
        return error.startswith(cls.PREFIX)


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def classify(code: int, text: bytes | str) -> Result:
    """2xx sent; 4xx deferred (421 also closes the session); 5xx failed; anything else is not SMTP."""
    response = _reply_text(code, text)
    if 200 <= code < 300:
        return Result(Outcome.SENT, code, response)
    if 400 <= code < 500:
        return Result(Outcome.DEFERRED, code, response, connection_lost=code == 421)
    if 500 <= code < 600:
        return Result(Outcome.FAILED, code, response)
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return Result(Outcome.DEFERRED, None, f"Unreadable reply from the mail server: {text}", connection_lost=True)


def _describe(error: BaseException, timeout: float) -> str:
    # smtplib reports a read that timed out as a disconnection; the cause tells them apart.
    if isinstance(error, TimeoutError | socket.timeout) or isinstance(error.__context__, TimeoutError):
        return f"Timed out after {timeout:g} s waiting for the mail server."
    if isinstance(error, ConnectionRefusedError):
        return "Connection refused by the mail server."
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"The mail server's certificate was refused: {str(error.verify_message or error).rstrip('.')}."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"The mail server closed the connection ({error})."
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply_text(error.smtp_code, error.smtp_error)
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    username: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 10
    pipelining: bool = True
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # How long a login the server refused is not tried again by this process (see `_Rejections`).
    auth_hold: float = 60

    @classmethod
    def from_settings(cls) -> "ServerConfig":
        return cls(
            host=settings.EMAIL_HOST,
            port=settings.EMAIL_PORT,
            username=settings.EMAIL_HOST_USER,
            password=settings.EMAIL_HOST_PASSWORD,
            use_tls=settings.EMAIL_USE_TLS,
            use_ssl=settings.EMAIL_USE_SSL,
            timeout=settings.EMAIL_TIMEOUT or 10,
            pipelining=settings.MAILING_SMTP_PIPELINING,
            ssl_cafile=settings.EMAIL_SSL_CAFILE or "",
            ssl_certfile=settings.EMAIL_SSL_CERTFILE or "",
            ssl_keyfile=settings.EMAIL_SSL_KEYFILE or "",
            auth_hold=settings.MAILING_BREAKER_COOLDOWN,
        )

    def tls_context(self) -> ssl.SSLContext:
        return tls_context(cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile)


@functools.lru_cache(maxsize=8)
def tls_context(*, cafile: str = "", certfile: str = "", keyfile: str = "") -> ssl.SSLContext:
    """A client context that verifies the certificate and the host name (TLS 1.2 at least).

    `cafile` replaces the system's CAs (a private CA); `certfile`/`keyfile` are a client
    certificate. Raises `ConnectError` naming the setting whose file cannot be used.
    """
    try:
        context = ssl.create_default_context(cafile=cafile or None)
    except (OSError, ssl.SSLError) as error:
        raise ConnectError(f"EMAIL_SSL_CAFILE {cafile!r} cannot be used: {error}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if certfile:
        try:
            context.load_cert_chain(certfile, keyfile or None)
        except (OSError, ssl.SSLError) as error:
            raise ConnectError(
                f"EMAIL_SSL_CERTFILE {certfile!r} / EMAIL_SSL_KEYFILE {keyfile!r} cannot be used: {error}"
            ) from None
    return context


class _Rejections:
    """Logins the server refused, per process: the same credentials are not offered to the same
    server again until `auth_hold` seconds have passed. Each worker thus makes one AUTH attempt,
    however often its run is retried, until the run's pause is over."""

    def __init__(self):
        self._lock = threading.Lock()
        self._refused: dict[tuple, tuple[float, AuthenticationFailed]] = {}

    @staticmethod
    def _key(config: ServerConfig) -> tuple:
        digest = hashlib.sha256(config.password.encode()).hexdigest()
        return (config.host, config.port, config.username, digest)

    def check(self, config: ServerConfig) -> None:
        with self._lock:
            refused_at, error = self._refused.get(self._key(config), (0.0, None))
        if error is not None and time.monotonic() < refused_at + config.auth_hold:
            raise AuthenticationFailed(error.reply, error.code)

    def remember(self, config: ServerConfig, error: AuthenticationFailed) -> None:
        with self._lock:
            self._refused[self._key(config)] = (time.monotonic(), error)

    def clear(self) -> None:
        with self._lock:
            self._refused.clear()


rejections = _Rejections()

# The mechanisms smtplib speaks, best first; one of them is tried, once.
AUTH_MECHANISMS = ("CRAM-MD5", "PLAIN", "LOGIN")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _auth_exchange(smtp: smtplib.SMTP, mechanism: str, username: str, password: str) -> tuple[int, bytes]:
    """The AUTH command and its challenges; the last reply. UTF-8 credentials (RFC 4616), which
    smtplib's own mechanisms cannot send."""
    if mechanism == "PLAIN":
        return smtp.docmd("AUTH", "PLAIN " + _b64(f"\0{username}\0{password}"))
    if mechanism == "LOGIN":
        code, text = smtp.docmd("AUTH", "LOGIN")
        for answer in (username, password):
            if code != 334:
                break
            code, text = smtp.docmd(_b64(answer))
        return code, text
    code, text = smtp.docmd("AUTH", "CRAM-MD5")
    if code == 334:
        challenge = base64.b64decode(text)
        digest = hmac.new(password.encode("utf-8"), challenge, "md5").hexdigest()
        code, text = smtp.docmd(_b64(f"{username} {digest}"))
    return code, text


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """One AUTH exchange with one mechanism: smtplib's `login` would try each in turn."""
    if not smtp.has_extn("auth"):
        raise ConnectError("The mail server offers no AUTH, but EMAIL_HOST_USER is set (is TLS required first?).")
    offered = smtp.esmtp_features["auth"].upper().split()
    mechanism = next((name for name in AUTH_MECHANISMS if name in offered), None)
    if mechanism is None:
        raise ConnectError(
            f"The mail server offers no AUTH mechanism this service speaks (it offers {' '.join(offered)})."
        )
    code, text = _auth_exchange(smtp, mechanism, username, password)
    if code in (235, 503):  # 503: already authenticated
        return
    reply = _reply_text(code, text)
    if 500 <= code < 600:
        raise AuthenticationFailed(reply, code)
    if code == 421 or code < 0:
        raise ConnectError(f"The mail server closed the session at AUTH: {reply}", code if code > 0 else None)
    raise ConnectError(f"The mail server could not check the login: {reply}", code)


class Session:
    """An open SMTP session. Create it with `Session.open(config)`."""

    def __init__(self, smtp: smtplib.SMTP, config: ServerConfig):
        self._smtp = smtp
        self.config = config
        self.alive = True
        self.pipelining = config.pipelining and smtp.has_extn("pipelining")
        self.smtputf8 = smtp.has_extn("smtputf8")
        self.eightbitmime = smtp.has_extn("8bitmime")

    @classmethod
    def open(cls, config: ServerConfig) -> "Session":
        if config.username:
            rejections.check(config)
        context = config.tls_context() if config.use_tls or config.use_ssl else None
        smtp = None
        try:
            # The timeout is set on the socket before the greeting is read: it covers connect
            # and every later read and write.
            if config.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    local_hostname=DNS_NAME.get_fqdn(),
                    timeout=config.timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    config.host, config.port, local_hostname=DNS_NAME.get_fqdn(), timeout=config.timeout
                )
            code, text = smtp.ehlo()
            if not 200 <= code < 300:
                code, text = smtp.helo()
                if not 200 <= code < 300:
                    raise ConnectError(f"The mail server refused the session: {_reply_text(code, text)}", code)
            if config.use_tls:
                smtp.starttls(context=context)
                code, text = smtp.ehlo()
                if not 200 <= code < 300:
                    raise ConnectError(f"The mail server refused the session: {_reply_text(code, text)}", code)
            if config.username:
                _login(smtp, config.username, config.password)
        except AuthenticationFailed as error:
            _close_quietly(smtp)
            rejections.remember(config, error)
            raise
        except ConnectError:
            _close_quietly(smtp)
            raise
        except smtplib.SMTPConnectError as error:
            _close_quietly(smtp)
            # smtplib reports a garbage greeting as code -1.
            code = error.smtp_code if error.smtp_code > 0 else None
            raise ConnectError(
                f"The mail server refused the session: {_reply_text(error.smtp_code, error.smtp_error)}", code
            ) from None
        except (OSError, smtplib.SMTPException, ValueError, UnicodeError) as error:
            _close_quietly(smtp)
            raise ConnectError(_describe(error, config.timeout)) from None
        return cls(smtp, config)

    def send(self, sender: str, recipient: str, data: bytes) -> Result:
        """Send one message. `data` is the message with CRLF line ends, dot-stuffed, ending in CRLF."""
        try:
            result = self._transaction(sender, recipient, data)
        except (OSError, smtplib.SMTPException, ValueError, UnicodeError) as error:
            result = Result(Outcome.DEFERRED, None, _describe(error, self.config.timeout), connection_lost=True)
        except Exception as error:
            # A bug or a message nobody foresaw: this one message fails; the session is not trusted.
            result = unexpected(error)
        if result.connection_lost:
            self._lose()
        return result

    def send_all(self, sender: str, messages: Sequence[tuple[str, bytes]]) -> Iterator[tuple[int, Result]]:
        """Send `(recipient, data)` messages in order, yielding `(index, result)` as each is settled.
        A message given as `(recipient, data, sender)` has an envelope sender of its own (VERP).

        With PIPELINING, the data of one message goes in the same write as the next message's
        MAIL, RCPT and DATA (RFC 2920 lets the content open a group): one round trip a message.
        Each message is settled by its own replies. When the session is lost, the generator
        stops: a message that was not yielded never reached the point where the server could
        take it (at most its envelope was written after the previous one's data), and may be
        sent again on a new session. Closing the generator early (an orderly stop) abandons the
        window the same way: what was not yielded was not taken, and the session is closed.
        An error nobody foresaw fails the one message it struck (`unexpected`).
        """
        if not self.pipelining:
            for index, (recipient, data, *own) in enumerate(messages):
                if not self.alive:
                    return
                yield index, self.send(own[0] if own else sender, recipient, data)
            return
        smtp = self._smtp
        pending: tuple[int, bytes] | None = None  # its DATA got 354; its content goes out next
        in_flight = -1
        try:
            for index, (recipient, data, *own) in enumerate(messages):
                try:
                    envelope = self._envelope(own[0] if own else sender, recipient)
                except Exception as error:
                    # Nothing of this message was written: it fails alone, the session goes on.
                    envelope = unexpected(error, connection_lost=False)
                if isinstance(envelope, Result):
                    yield index, envelope
                    continue
                # A failure is the pending message's while its reply is awaited, else this one's:
                # each pass settles at least one message.
                in_flight = pending[0] if pending is not None else index
                content = pending[1] + b".\r\n" if pending is not None else b""
                smtp.send(content + envelope + b"DATA\r\n")
                if pending is not None:
                    result = classify(*smtp.getreply())
                    pending = None
                    yield in_flight, result
                    if result.connection_lost:
                        self._lose()
                        return
                in_flight = index
                replies = [smtp.getreply(), smtp.getreply(), smtp.getreply()]
                result = self._refused(replies)
                if result is None:
                    pending = (index, data)
                    continue
                yield index, result
                if result.connection_lost:
                    self._lose()
                    return
            if pending is not None:
                in_flight = pending[0]
                smtp.send(pending[1] + b".\r\n")
                pending = None
                result = classify(*smtp.getreply())
                yield in_flight, result
                if result.connection_lost:
                    self._lose()
        except GeneratorExit:
            # The caller abandons the window (an orderly stop): the message whose DATA was
            # accepted never gets its final dot, so the server drops it; the session is unusable.
            self._lose()
            raise
        except (OSError, smtplib.SMTPException, ValueError, UnicodeError) as error:
            self._lose()
            if in_flight >= 0:
                yield (
                    in_flight,
                    Result(Outcome.DEFERRED, None, _describe(error, self.config.timeout), connection_lost=True),
                )
        except Exception as error:
            # Unforeseen: the message in flight fails (it may have been taken, so it is not tried
            # again), and the rest go out on a new session.
            self._lose()
            if in_flight >= 0:
                yield in_flight, unexpected(error)

    def _lose(self) -> None:
        # No QUIT: a server that stopped answering would make us wait out the timeout again.
        self.alive = False
        _close_quietly(self._smtp)

    def _refused(self, replies: list) -> Result | None:
        """None when MAIL, RCPT and DATA were accepted; else the transaction's result, ended."""
        for stage, (code, text) in enumerate(replies[:2]):
            if not 200 <= code < 300:
                return self._abandon(replies, dataclasses.replace(classify(code, text), refused_at_rcpt=stage == 1))
        code, text = replies[2]
        if code != 354:
            return self._abandon(replies, classify(code, text))
        return None

    def _transaction(self, sender: str, recipient: str, data: bytes) -> Result:
        envelope = self._envelope(sender, recipient)
        if isinstance(envelope, Result):
            return envelope
        smtp = self._smtp
        if self.pipelining:
            # RFC 2920: MAIL, RCPT and DATA go in one write; the replies come back in order.
            smtp.send(envelope + b"DATA\r\n")
            replies = [smtp.getreply(), smtp.getreply(), smtp.getreply()]
        else:
            replies = []
            for command in envelope.split(b"\r\n")[:2]:
                smtp.send(command + b"\r\n")
                replies.append(smtp.getreply())
                if not 200 <= replies[-1][0] < 300:
                    break
            else:
                smtp.send(b"DATA\r\n")
                replies.append(smtp.getreply())

        refused = self._refused(replies)
        if refused is not None:
            return refused
        smtp.send(data + b".\r\n")
        return classify(*smtp.getreply())

    def _abandon(self, replies: list, result: Result) -> Result:
        """End a transaction that will not carry this message, and keep the session usable."""
        if result.connection_lost or any(code == 421 or code < 0 for code, _ in replies):
            return dataclasses.replace(result, connection_lost=True)
        if len(replies) == 3 and replies[2][0] == 354:
            # A server that accepted DATA without a recipient gets an empty message to end it.
            self._smtp.send(b".\r\n")
            self._smtp.getreply()
        code, _ = self._smtp.rset()
        if not 200 <= code < 300:
            return dataclasses.replace(result, connection_lost=True)
        return result

    def _envelope(self, sender: str, recipient: str) -> bytes | Result:
        """MAIL and RCPT for one message, domains in punycode; or the result that refuses it.

        Addresses are validated on the way in; this keeps a bad one from ever writing an SMTP
        command of its own, and an international one from reaching a server that cannot take it.
        """
        wire_sender, wire_recipient = wire_address(sender), wire_address(recipient)
        if wire_sender is None or wire_recipient is None:
            return UNUSABLE_ADDRESS
        options = ""
        if needs_smtputf8(wire_sender) or needs_smtputf8(wire_recipient):
            if not self.smtputf8:
                return smtputf8_refused(sender if needs_smtputf8(wire_sender) else recipient)
            # The headers carry the address in UTF-8 too (RFC 6532): an 8-bit message.
            options = " SMTPUTF8" + (" BODY=8BITMIME" if self.eightbitmime else "")
        return f"MAIL FROM:<{wire_sender}>{options}\r\nRCPT TO:<{wire_recipient}>\r\n".encode()

    def close(self) -> None:
        self.alive = False
        _close_quietly(self._smtp, quit=True)


def unexpected(error: BaseException, *, connection_lost: bool = True) -> Result:
    """An error nobody foresaw, as the one message's refusal: it fails, with the error in its reply."""
    return Result(
        Outcome.FAILED, None, f"Not sent: unexpected error ({type(error).__name__}: {error})"[:2000], connection_lost
    )


UNUSABLE_ADDRESS = Result(Outcome.FAILED, None, "Not sent: the address cannot be used in SMTP.")


def smtputf8_refused(address: str) -> Result:
    """The one row's refusal when its address needs SMTPUTF8 and the server does not offer it."""
    return Result(
        Outcome.FAILED,
        None,
        f"Not sent: the address {address} has a non-ASCII local part, and the mail server does not offer SMTPUTF8.",
    )


def _close_quietly(smtp: smtplib.SMTP | None, quit: bool = False) -> None:
    if smtp is None:
        return
    try:
        if quit and smtp.sock is not None:
            smtp.quit()
    except (OSError, smtplib.SMTPException, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            smtp.close()


class _OneLogin:
    """smtplib's SMTP with the engine's login: one AUTH exchange, UTF-8 credentials."""

    def login(self, user, password, *, initial_response_ok=True):
        self.ehlo_or_helo_if_needed()
        try:
            _login(self, user, password)
        except AuthenticationFailed as error:
            raise smtplib.SMTPAuthenticationError(error.code, error.reply) from None
        except ConnectError as error:
            raise smtplib.SMTPException(str(error)) from None
        return (235, b"")


class _OneLoginSMTP(_OneLogin, smtplib.SMTP):
    pass


class _OneLoginSMTP_SSL(_OneLogin, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp_backend.EmailBackend):
    """Django's SMTP backend (account mails) with the engine's TLS context and login:
    EMAIL_SSL_CAFILE is trusted, a client certificate does not drop the verification of the
    server's, and a refused login is not tried again with another mechanism."""

    @property
    def connection_class(self):
        return _OneLoginSMTP_SSL if self.use_ssl else _OneLoginSMTP

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        try:
            return tls_context(
                cafile=settings.EMAIL_SSL_CAFILE or "", certfile=self.ssl_certfile or "", keyfile=self.ssl_keyfile or ""
            )
        except ConnectError as error:
            # Django's backend treats an OSError as "the server cannot be reached" (fail_silently).
            raise OSError(str(error)) from None
