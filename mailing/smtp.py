"""Talking to the mail server: one session reused for many messages, and every reply classified.

Nothing here raises on a misbehaving server: opening a session raises only `ConnectError` (the
server cannot be reached; no message was in flight), and `Session.send` always returns a
`Result`. Every socket operation has the timeout of EMAIL_TIMEOUT, connect and each read alike.
"""

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.mail.utils import DNS_NAME


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


class ConnectError(Exception):
    """The server could not be reached or refused the session; no message was sent."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


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
        )


class Session:
    """An open SMTP session. Create it with `Session.open(config)`."""

    def __init__(self, smtp: smtplib.SMTP, config: ServerConfig):
        self._smtp = smtp
        self.config = config
        self.alive = True
        self.pipelining = config.pipelining and smtp.has_extn("pipelining")

    @classmethod
    def open(cls, config: ServerConfig) -> "Session":
        smtp_class = smtplib.SMTP_SSL if config.use_ssl else smtplib.SMTP
        smtp = None
        try:
            # The timeout is set on the socket before the greeting is read: it covers connect
            # and every later read and write.
            smtp = smtp_class(config.host, config.port, local_hostname=DNS_NAME.get_fqdn(), timeout=config.timeout)
            code, text = smtp.ehlo()
            if not 200 <= code < 300:
                code, text = smtp.helo()
                if not 200 <= code < 300:
                    raise ConnectError(f"The mail server refused the session: {_reply_text(code, text)}", code)
            if config.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password)
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
        if result.connection_lost:
            self._lose()
        return result

    def send_all(self, sender: str, messages: Sequence[tuple[str, bytes]]) -> Iterator[tuple[int, Result]]:
        """Send `(recipient, data)` messages in order, yielding `(index, result)` as each is settled.

        With PIPELINING, the data of one message goes in the same write as the next message's
        MAIL, RCPT and DATA (RFC 2920 lets the content open a group): one round trip a message.
        Each message is settled by its own replies. When the session is lost, the generator
        stops: a message that was not yielded never reached the point where the server could
        take it (at most its envelope was written after the previous one's data), and may be
        sent again on a new session.
        """
        if not self.pipelining:
            for index, (recipient, data) in enumerate(messages):
                if not self.alive:
                    return
                yield index, self.send(sender, recipient, data)
            return
        smtp = self._smtp
        pending: tuple[int, bytes] | None = None  # its DATA got 354; its content goes out next
        in_flight = -1
        try:
            for index, (recipient, data) in enumerate(messages):
                if _unusable(sender, recipient):
                    yield index, UNUSABLE_ADDRESS
                    continue
                # A failure is the pending message's while its reply is awaited, else this one's:
                # each pass settles at least one message.
                in_flight = pending[0] if pending is not None else index
                content = pending[1] + b".\r\n" if pending is not None else b""
                smtp.send(content + _envelope(sender, recipient) + b"DATA\r\n")
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
        except (OSError, smtplib.SMTPException, ValueError, UnicodeError) as error:
            self._lose()
            if in_flight >= 0:
                yield (
                    in_flight,
                    Result(Outcome.DEFERRED, None, _describe(error, self.config.timeout), connection_lost=True),
                )

    def _lose(self) -> None:
        # No QUIT: a server that stopped answering would make us wait out the timeout again.
        self.alive = False
        _close_quietly(self._smtp)

    def _refused(self, replies: list) -> Result | None:
        """None when MAIL, RCPT and DATA were accepted; else the transaction's result, ended."""
        for code, text in replies[:2]:
            if not 200 <= code < 300:
                return self._abandon(replies, classify(code, text))
        code, text = replies[2]
        if code != 354:
            return self._abandon(replies, classify(code, text))
        return None

    def _transaction(self, sender: str, recipient: str, data: bytes) -> Result:
        if _unusable(sender, recipient):
            return UNUSABLE_ADDRESS
        smtp = self._smtp
        envelope = _envelope(sender, recipient)
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
            return Result(result.outcome, result.code, result.response, connection_lost=True)
        if len(replies) == 3 and replies[2][0] == 354:
            # A server that accepted DATA without a recipient gets an empty message to end it.
            self._smtp.send(b".\r\n")
            self._smtp.getreply()
        code, _ = self._smtp.rset()
        if not 200 <= code < 300:
            return Result(result.outcome, result.code, result.response, connection_lost=True)
        return result

    def close(self) -> None:
        self.alive = False
        _close_quietly(self._smtp, quit=True)


def _unusable(sender: str, recipient: str) -> bool:
    # Addresses are validated on the way in; this keeps a bad one from ever writing an SMTP
    # command of its own.
    return any(char in address for address in (sender, recipient) for char in "\r\n<>")


UNUSABLE_ADDRESS = Result(Outcome.FAILED, None, "Not sent: the address cannot be used in SMTP.")


def _envelope(sender: str, recipient: str) -> bytes:
    return f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\n".encode()


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
