from datetime import UTC, datetime, timedelta

import pytest

from mailing.tests.smtp_server import SmtpServer


class Clock:
    """An injected clock: tests move time instead of sleeping."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def engine_settings(settings):
    # Long enough for an in-process server on a loaded machine; a test that wants a timeout sets 1 s.
    settings.EMAIL_TIMEOUT = 5
    settings.MAILING_BATCH_SIZE = 50
    settings.MAILING_RETRY_BASE = 60
    settings.MAILING_MAX_ATTEMPTS = 5
    settings.MAILING_BREAKER_THRESHOLD = 3
    settings.MAILING_BREAKER_COOLDOWN = 60
    settings.MAILING_SMTP_PIPELINING = True
    settings.DEFAULT_FROM_EMAIL = "Shop <news@shop.example>"
    settings.SITE_URL = "https://mail.example.net"
    return settings


@pytest.fixture
def smtp_server(engine_settings):
    server = SmtpServer().start()
    engine_settings.EMAIL_HOST = server.host
    engine_settings.EMAIL_PORT = server.port
    yield server
    server.stop()
