"""A real SMTP server on loopback (aiosmtpd) that tests can make misbehave on purpose.

    server = SmtpServer().start()
    server.behaviour.rcpt_replies["bad@example.org"] = "550 5.1.1 No such user"
    ...
    server.messages  # what it accepted, in order

Every accepted message is kept once, with its envelope; a message the server answered with
anything but 250, or dropped, is not kept.
"""

import asyncio
import email
import email.policy
import socket
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


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
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # per recipient, instead of 250
    data_replies: dict[str, str] = field(default_factory=dict)  # per recipient, after the data
    drop_in_data: bool = False  # read one line of the data, then close the connection
    drop_in_data_for: set[str] = field(default_factory=set)  # the same, for these recipients only
    pipelining: bool = False  # advertise PIPELINING (RFC 2920)


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    queue_id: str

    @property
    def message(self) -> email.message.EmailMessage:
        # As a mailbox stores it: with the wire's CRLF line ends turned into LF.
        return email.message_from_bytes(self.data.replace(b"\r\n", b"\n"), policy=email.policy.default)


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
        behaviour = self.test_server.behaviour
        if behaviour.greeting_delay:
            await asyncio.sleep(behaviour.greeting_delay)
        if behaviour.greeting is not None:
            await self.push(behaviour.greeting)
            self.transport.close()
            return
        await super()._handle_client()

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
        return _MisbehavingSMTP(self.handler, self.test_server, **self.SMTP_kwargs)


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.behaviour = Behaviour()
        self.messages: list[Received] = []
        self._controller = _Controller(self, hostname=self.host, port=self.port, ready_timeout=10)

    def keep(self, envelope) -> str:
        queue_id = f"Q{len(self.messages) + 1:05d}"
        self.messages.append(
            Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content, queue_id)
        )
        return f"250 2.0.0 Ok: queued as {queue_id}"

    def start(self) -> "SmtpServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def recipients(self) -> list[str]:
        return [to for received in self.messages for to in received.rcpt_tos]
