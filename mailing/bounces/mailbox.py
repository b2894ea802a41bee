"""The bounce mailbox: read over IMAP by the "mailing: read bounces" schedule, every minute.

Each pass fetches only the messages that arrived since the last one (UIDs above the highest
seen, per UIDVALIDITY), without marking them read (BODY.PEEK). A message that was a report about
one of our rows, and did something, is flagged \\Seen and $MailingProcessed; every other message
(other mail, forged or malformed reports) is left exactly as it was, and never fetched again.
A pass never raises: a mailbox that cannot be reached is logged, and tried on the next pass.
"""

import contextlib
import imaplib
import logging
import ssl
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from mailing.bounces import reports, services
from mailing.models import BounceMailbox

logger = logging.getLogger(__name__)

HANDLED_FLAGS = r"(\Seen $MailingProcessed)"
# A pass reads at most this many messages; the rest wait for the next one.
BATCH = 500
TIMEOUT = 30


@dataclass
class ReadResult:
    fetched: int = 0
    handled: int = 0  # reports that did something (or had done it before): flagged
    ignored: int = 0  # forged, malformed, about no row of ours, or about another address
    other: int = 0  # not a report at all
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    user: str
    password: str
    use_ssl: bool
    folder: str

    @classmethod
    def from_settings(cls) -> "MailboxConfig":
        return cls(
            host=settings.BOUNCE_IMAP_HOST,
            port=settings.BOUNCE_IMAP_PORT,
            user=settings.BOUNCE_IMAP_USER,
            password=settings.BOUNCE_IMAP_PASSWORD,
            use_ssl=settings.BOUNCE_IMAP_SSL,
            folder=settings.BOUNCE_IMAP_FOLDER or "INBOX",
        )

    @property
    def account(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"[:400]


def _connect(config: MailboxConfig) -> imaplib.IMAP4:
    if config.use_ssl:
        return imaplib.IMAP4_SSL(config.host, config.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT)
    return imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(response: tuple, what: str):
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return data


def handle(data: bytes, *, now: datetime | None = None) -> services.Applied | None:
    """What one message did: None when it is no report (other mail)."""
    try:
        report = reports.parse(data)
    except reports.Malformed as error:
        logger.warning("Bounce ignored: malformed report: %s", error)
        return services.Applied.IGNORED
    except Exception:  # a message the email package cannot take apart is no report we can use
        logger.warning("Bounce ignored: the message could not be parsed", exc_info=True)
        return services.Applied.IGNORED
    if report is None:
        return None
    return services.report_apply(report=report, now=now)


def read_mailbox(*, config: MailboxConfig | None = None, now: datetime | None = None) -> ReadResult:
    """One pass over the new messages of the bounce mailbox (nothing when BOUNCE_IMAP_HOST is unset)."""
    config = config or MailboxConfig.from_settings()
    result = ReadResult()
    if not config.host:
        return result
    try:
        imap = _connect(config)
    except (OSError, imaplib.IMAP4.error) as error:
        result.error = f"The bounce mailbox {config.host}:{config.port} cannot be reached: {error}"
        logger.warning("%s", result.error)
        return result
    try:
        _check(imap.login(config.user, config.password), "LOGIN")
        _check(imap.select(_quoted(config.folder)), f"SELECT {config.folder}")
        _read(imap, config, result, now or timezone.now())
    except (OSError, imaplib.IMAP4.error) as error:
        result.error = f"The bounce mailbox {config.account} could not be read: {error}"
        logger.warning("%s", result.error)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
    return result


def _read(imap: imaplib.IMAP4, config: MailboxConfig, result: ReadResult, now: datetime) -> None:
    validity = int((imap.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)
    cursor, _ = BounceMailbox.objects.get_or_create(account=config.account)
    if cursor.uid_validity != validity:
        # A new UIDVALIDITY renumbers the mailbox: read it again from the start (a report
        # handled before counts once: its bounce event is unique).
        cursor.uid_validity, cursor.last_uid = validity, 0
        cursor.save()
    found = _check(imap.uid("SEARCH", None, f"UID {cursor.last_uid + 1}:*"), "UID SEARCH")
    uids = sorted(int(uid) for uid in (found[0] or b"").split() if int(uid) > cursor.last_uid)[:BATCH]
    for uid in uids:
        fetched = _check(imap.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
        data = next((item[1] for item in fetched if isinstance(item, tuple) and len(item) > 1), None)
        result.fetched += 1
        applied = handle(data, now=now) if data is not None else None
        if applied is None:
            result.other += 1
        elif applied == services.Applied.IGNORED:
            result.ignored += 1
        else:
            result.handled += 1
            _check(imap.uid("STORE", str(uid), "+FLAGS", HANDLED_FLAGS), "UID STORE")
        BounceMailbox.objects.filter(pk=cursor.pk).update(last_uid=uid, updated_at=now)
        cursor.last_uid = uid
    if uids:
        logger.info(
            "Bounce mailbox %s: %s read, %s handled, %s ignored, %s other mail",
            config.account,
            result.fetched,
            result.handled,
            result.ignored,
            result.other,
        )
