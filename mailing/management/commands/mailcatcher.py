import ipaddress
import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class CatchingHandler:
    """Keeps each message as an .eml file that a mail program opens."""

    def __init__(self, directory: Path, write):
        self.directory = directory
        self.write = write
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{self.count:05d}.eml"
        path = self.directory / name
        path.write_bytes(envelope.original_content.replace(b"\r\n", b"\n"))
        self.write(f"{', '.join(envelope.rcpt_tos)} -> {path}")
        return f"250 2.0.0 Ok: queued as {path.stem}"


class Command(BaseCommand):
    help = (
        "A development mail catcher on loopback: an SMTP server (at EMAIL_HOST:EMAIL_PORT) that keeps every "
        "message as an .eml file in MAIL_CATCHER_DIR instead of delivering it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.EMAIL_HOST, help="Address to listen on (loopback only).")
        parser.add_argument("--port", type=int, default=settings.EMAIL_PORT, help="Port to listen on.")
        parser.add_argument("--dir", default=str(settings.MAIL_CATCHER_DIR), help="Where to keep the messages.")

    def handle(self, *args, host, port, dir, **options):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise CommandError(f"The mail catcher listens on loopback only, not {host!r}.")
        # aiosmtpd logs every command at INFO; the catcher prints one line a message instead.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        directory = Path(dir)
        directory.mkdir(parents=True, exist_ok=True)
        controller = Controller(CatchingHandler(directory, self.stdout.write), hostname=host, port=port)
        try:
            controller.start()
        except Exception as error:  # aiosmtpd wraps bind errors in its own types
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from None
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Mail catcher on {host}:{port}; messages are kept in {directory}/ (Ctrl-C stops it).")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
            self.stdout.write("Mail catcher stopped.")
