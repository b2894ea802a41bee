"""A real SMTP server on loopback (aiosmtpd) that tests can make misbehave on purpose.

    server = SmtpServer().start()
    server.behaviour.rcpt_replies["bad@example.org"] = "550 5.1.1 No such user"
    ...
    server.messages  # what it accepted, in order

Every accepted message is kept once, with its envelope; a message the server answered with
anything but 250, or dropped, is not kept. Every accepted message is parsed as a mail client
would (`defects_of`), and `stop()` fails the test when any of them was malformed.

TLS and AUTH, as a provider has them:

    SmtpServer(tls=STARTTLS, certificate=pair, credentials={"user": "secret"}).start()
    server.auth_attempts  # every AUTH exchange: (mechanism, login, accepted)
"""

import asyncio
import email
import email.errors
import email.policy
import re
import socket
import ssl
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from mailing.tests.certificates import Pair

STARTTLS = "starttls"
IMPLICIT_TLS = "implicit"

ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def defects_of(data: bytes, *, smtputf8: bool = False) -> list[str]:
    """What a mail client's parser finds wrong with a message, as readable strings; [] if none.

    Python's parser, with the default policy, on every part and header; and the wire rules it
    does not check: 7-bit data unless the message travelled with SMTPUTF8, encoded words of at
    most 75 characters (RFC 2047), lines of at most 998.
    """
    found = []
    if smtputf8:
        # RFC 6532: headers in UTF-8. Python's bytes parser reads headers as ASCII, so the text is
        # decoded first; a non-ASCII local part is what SMTPUTF8 is for, not a defect.
        message = email.message_from_string(data.decode("utf-8"), policy=email.policy.default)
        allowed = (email.errors.NonASCIILocalPartDefect,)
    else:
        message = email.message_from_bytes(data, policy=email.policy.default)
        allowed = ()
        if not data.isascii():
            found.append("8-bit data in a message sent without SMTPUTF8")
    for part in message.walk():
        found += [f"{type(defect).__name__}: {defect}" for defect in part.defects]
        for name, value in part.items():
            found += [
                f"{name}: {type(defect).__name__}: {defect}"
                for defect in getattr(value, "defects", ())
                if not isinstance(defect, allowed)
            ]
    found += [
        f"encoded word of {len(word)} characters: {word!r}" for word in ENCODED_WORD.findall(data) if len(word) > 75
    ]
    found += [f"line of {len(line)} characters" for line in data.split(b"\r\n") if len(line) > 998]
    return found


def free_port() -> int:
    """A loopback port that nothing listens on (connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Behaviour:
    greeting_delay: float = 0
    greeting: str | None = None  # sent instead of 220, then the connection is closed
    mail_delay: float = 0
    mail_reply: str | None = None  # sent instead of the reply to MAIL FROM (e.g. garbage)
    # A 421 anywhere (greeting, MAIL, RCPT, DATA) is followed by the server closing the connection.
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # per recipient, instead of 250
    data_replies: dict[str, str] = field(default_factory=dict)  # per recipient, after the data
    drop_in_data: bool = False  # read one line of the data, then close the connection
    drop_in_data_for: set[str] = field(default_factory=set)  # the same, for these recipients only
    pipelining: bool = False  # advertise PIPELINING (RFC 2920)
    # Called with each message before it is accepted (in the server's thread), e.g. to break the
    # database while the client waits for the reply.
    on_message: "Callable[[Received], None] | None" = None


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    queue_id: str
    mail_options: tuple[str, ...] = ()

    @property
    def smtputf8(self) -> bool:
        return "SMTPUTF8" in (option.upper() for option in self.mail_options)

    @property
    def message(self) -> email.message.EmailMessage:
        # As a mailbox stores it: with the wire's CRLF line ends turned into LF.
        data = self.data.replace(b"\r\n", b"\n")
        if self.smtputf8:
            return email.message_from_string(data.decode("utf-8"), policy=email.policy.default)
        return email.message_from_bytes(data, policy=email.policy.default)


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.server.behaviour.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        behaviour = self.server.behaviour
        if behaviour.mail_delay:
            await asyncio.sleep(behaviour.mail_delay)
        if behaviour.mail_reply is not None:
            return behaviour.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.behaviour.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            reply = self.server.behaviour.data_replies.get(address)
            if reply is not None:
                return reply
        return self.server.keep(envelope)


class _MisbehavingSMTP(SMTP):
    def __init__(self, handler, server: "SmtpServer", **kwargs):
        super().__init__(handler, **kwargs)
        self.test_server = server

    async def _handle_client(self):
        self.test_server.connections += 1
        behaviour = self.test_server.behaviour
        if behaviour.greeting_delay:
            await asyncio.sleep(behaviour.greeting_delay)
        if behaviour.greeting is not None:
            await self.push(behaviour.greeting)
            self.transport.close()
            return
        await super()._handle_client()

    async def push(self, status: bytes | str):
        await super().push(status)
        if (status.decode("ascii", "replace") if isinstance(status, bytes) else status).startswith("421"):
            # RFC 5321 4.2.2: 421 means the server is closing the transmission channel; a real
            # one hangs up right after it.
            self.transport.close()

    async def smtp_DATA(self, arg):
        behaviour = self.test_server.behaviour
        drop = behaviour.drop_in_data or set(self.envelope.rcpt_tos) & behaviour.drop_in_data_for
        if drop and self.envelope.rcpt_tos:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readuntil(b"\r\n")
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def __init__(self, server: "SmtpServer", **kwargs):
        self.test_server = server
        super().__init__(_Handler(server), **kwargs)

    def factory(self):
        with warnings.catch_warnings():
            # aiosmtpd warns of AUTH without STARTTLS; under implicit TLS that is what is meant.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return _MisbehavingSMTP(self.handler, self.test_server, **self.SMTP_kwargs)


def _server_context(certificate: Pair, client_ca: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


class SmtpServer:
    def __init__(
        self,
        port: int | None = None,
        *,
        tls: str | None = None,
        certificate: Pair | None = None,
        client_ca: str | None = None,
        credentials: dict[str, str] | None = None,
        smtputf8: bool = False,
    ):
        """`tls`: STARTTLS or IMPLICIT_TLS with `certificate`; `client_ca`: require a client
        certificate signed by it; `credentials`: offer AUTH (PLAIN, LOGIN) for these logins;
        `smtputf8`: offer SMTPUTF8 (else a non-ASCII command is refused, as aiosmtpd does)."""
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.behaviour = Behaviour()
        self.messages: list[Received] = []
        self.defects: list[str] = []
        self.connections = 0
        self.auth_attempts: list[tuple[str, str, bool]] = []
        self.credentials = credentials
        kwargs = {"enable_SMTPUTF8": smtputf8}
        if tls is not None:
            context = _server_context(certificate, client_ca)
            if tls == STARTTLS:
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs["ssl_context"] = context
        if credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
            # aiosmtpd knows only STARTTLS as TLS; under implicit TLS the session is encrypted anyway.
            kwargs["auth_require_tls"] = tls == STARTTLS
        self._controller = _Controller(self, hostname=self.host, port=self.port, ready_timeout=10, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            self.auth_attempts.append((mechanism, "", False))
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        accepted = self.credentials.get(login) == password
        self.auth_attempts.append((mechanism, login, accepted))
        return AuthResult(success=accepted, handled=False)

    def keep(self, envelope) -> str:
        queue_id = f"Q{len(self.messages) + 1:05d}"
        received = Received(
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            envelope.original_content,
            queue_id,
            tuple(envelope.mail_options),
        )
        if self.behaviour.on_message is not None:
            # In a thread of its own (the server's is an event loop, where Django refuses to
            # query), and waited for: the client has no reply until the hook is done.
            hook = threading.Thread(target=self.behaviour.on_message, args=(received,))
            hook.start()
            hook.join()
        self.messages.append(received)
        self.defects += [f"{queue_id}: {defect}" for defect in defects_of(received.data, smtputf8=received.smtputf8)]
        return f"250 2.0.0 Ok: queued as {queue_id}"

    def start(self) -> "SmtpServer":
        self._controller.start()
        self.connections = 0  # not the controller's own, made to see that it listens
        return self

    def stop(self) -> None:
        """Stop the server; fails when a message it accepted was malformed (see `defects_of`)."""
        self._controller.stop()
        assert self.defects == [], self.defects

    def recipients(self) -> list[str]:
        return [to for received in self.messages for to in received.rcpt_tos]
