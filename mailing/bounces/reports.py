"""Reading a bounce or a complaint out of one e-mail, without trusting any of it.

- RFC 3464 delivery status notifications (multipart/report; report-type=delivery-status): the
  first recipient block whose Action is `failed` or `delayed` gives the status code (5.x.x hard,
  4.x.x soft), the diagnostic text and the recipient.
- RFC 5965 feedback-loop reports (multipart/report; report-type=feedback-report): a complaint.
- The common plain-text bounces (Exim's "Mail delivery failed", qmail's "failure notice", old
  Exchange's "Undeliverable"): known by their sender or subject, read by their status text.

The row a report is about comes from the VERP tokens in it (`verp.tokens_in`), checked by the
caller. `parse` answers None for mail that is no report at all, and raises `Malformed` for one
that looks like a report but cannot be read.
"""

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from enum import StrEnum

from mailing.bounces import verp

STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
REPLY_CODE = re.compile(r"^\s*([245]\d\d)\b")
ADDRESS = re.compile(r"<?([^\s<>\"';:,()]+@[^\s<>\"';:,()]+\.[^\s<>\"';:,().]+)>?")
# Plain-text bounces, by who sends them and what they are called.
BOUNCE_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery (sub)?system", re.IGNORECASE)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed)|mail delivery failed|returned mail|"
    r"failure notice|delivery failed|non-delivery",
    re.IGNORECASE,
)
# Status text of plain-text bounces that carry no enhanced status code, and the code it means.
STATUS_TEXT = [
    (re.compile(r"mailbox (is )?full|over ?quota|quota exceeded|insufficient (system )?storage", re.I), "4.2.2"),
    (re.compile(r"temporar(il)?y|try again later|deferred|greylist", re.I), "4.0.0"),
    (
        re.compile(
            r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|mailbox unavailable|"
            r"recipient (address )?rejected|address rejected|invalid (recipient|mailbox)|not found",
            re.I,
        ),
        "5.1.1",
    ),
]


class Kind(StrEnum):
    HARD = "HARD"
    SOFT = "SOFT"
    COMPLAINT = "COMPLAINT"


class Malformed(ValueError):
    """It is a report, but what it reports cannot be read."""


@dataclass(frozen=True)
class Report:
    kind: Kind
    status: str = ""  # the enhanced status code (5.1.1); empty for a complaint
    diagnostic: str = ""
    smtp_code: int | None = None
    recipients: list[str] = field(default_factory=list)  # the addresses the report names
    tokens: list[str] = field(default_factory=list)  # VERP tokens, in the order they appear
    feedback_type: str = ""

    def reply(self) -> str:
        """The row's reply: what the remote server said, as the report gives it."""
        text = " ".join(part for part in (self.status, self.diagnostic) if part)
        return f"Bounced: {text}"[:2000]


def _text(message: Message) -> str:
    try:
        return message.as_bytes(policy=policy.compat32).decode("utf-8", "replace")
    except (UnicodeError, LookupError, ValueError):
        return ""


def _one_line(value: str) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def _field_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and all(isinstance(item, Message) for item in payload):
        blocks = list(payload)
        if len(blocks) == 1 and not blocks[0].keys():
            return []
        return blocks
    text = payload if isinstance(payload, str) else ""
    parser = HeaderParser(policy=policy.compat32)
    return [parser.parsestr(block.strip() + "\n") for block in re.split(r"\r?\n\s*\r?\n", text) if block.strip()]


def _address(value: str) -> str:
    """`rfc822; user@example.org` -> `user@example.org`."""
    value = value.split(";", 1)[-1]
    match = ADDRESS.search(value)
    return match.group(1) if match else ""


def _status(value: str) -> str:
    match = STATUS.search(value or "")
    return ".".join(match.groups()) if match else ""


def _diagnostic(value: str) -> tuple[str, int | None]:
    text = _one_line(value)
    if ";" in text[:12]:
        text = text.split(";", 1)[1].strip()
    code = REPLY_CODE.match(text)
    return text, int(code.group(1)) if code else None


def _kind(status: str) -> Kind:
    return Kind.HARD if status.startswith("5") else Kind.SOFT


def _delivery_status(report: Message, whole: str) -> Report | None:
    part = next((p for p in report.walk() if p.get_content_type() == "message/delivery-status"), None)
    if part is None:
        raise Malformed("a delivery report without a message/delivery-status part")
    blocks = _field_blocks(part)
    recipients = [block for block in blocks[1:] if block.get("Action") or block.get("Final-Recipient")]
    if not recipients:
        raise Malformed("a delivery report without a recipient block")
    actions = [_one_line(block.get("Action", "")).lower() for block in recipients]
    chosen = next((b for b, a in zip(recipients, actions, strict=True) if a == "failed"), None)
    chosen = chosen or next((b for b, a in zip(recipients, actions, strict=True) if a == "delayed"), None)
    if chosen is None:
        if all(action in ("delivered", "relayed", "expanded") for action in actions):
            return None  # a success notice, not a bounce
        raise Malformed(f"no failed or delayed recipient (actions: {', '.join(actions) or 'none'})")
    status = _status(chosen.get("Status", ""))
    if not status:
        raise Malformed(f"a recipient block without a status code: {_one_line(chosen.get('Status', ''))!r}")
    diagnostic, code = _diagnostic(chosen.get("Diagnostic-Code", ""))
    names = [_address(chosen.get(name, "")) for name in ("Final-Recipient", "Original-Recipient")]
    return Report(
        kind=_kind(status),
        status=status,
        diagnostic=diagnostic,
        smtp_code=code,
        recipients=[name for name in dict.fromkeys(names) if name],
        tokens=verp.tokens_in(whole),
    )


def _feedback(report: Message, whole: str) -> Report:
    part = next((p for p in report.walk() if p.get_content_type() == "message/feedback-report"), None)
    if part is None:
        raise Malformed("a feedback report without a message/feedback-report part")
    blocks = _field_blocks(part)
    fields = blocks[0] if blocks else None
    if fields is None or not fields.get("Feedback-Type"):
        raise Malformed("a feedback report without Feedback-Type")
    feedback_type = _one_line(fields["Feedback-Type"]).lower()
    recipients = [_address(value) for value in fields.get_all("Original-Rcpt-To") or []]
    # The original's envelope sender first: it names the row even when the report's own
    # headers were rewritten by the provider.
    head = " ".join(fields.get_all("Original-Mail-From") or [])
    return Report(
        kind=Kind.COMPLAINT,
        diagnostic=f"Feedback-Type: {feedback_type}",
        recipients=[name for name in recipients if name],
        tokens=list(dict.fromkeys(verp.tokens_in(head) + verp.tokens_in(whole))),
        feedback_type=feedback_type,
    )


def _plain_bounce(message: Message, whole: str) -> Report | None:
    sender = str(message.get("From", ""))
    subject = str(message.get("Subject", ""))
    if not (BOUNCE_SENDER.search(sender) or BOUNCE_SUBJECT.search(subject)):
        return None
    body = "\n".join(
        part.get_content()
        for part in message.walk()
        if isinstance(part, EmailMessage) and part.get_content_type() == "text/plain"
    )
    # The failure text ends where the returned message begins.
    body = re.split(r"(?im)^-+ ?(this is a copy of the message|original message|below this line)", body)[0]
    status = _status(body)
    if not status:
        status = next((code for pattern, code in STATUS_TEXT if pattern.search(body)), "")
    if not status:
        raise Malformed(f"a bounce ({subject!r}) without a status code or a known status text")
    reply = re.search(r"(?m)^\s*([245]\d\d[ -].*(?:\n\s+\S.*)*)", body)
    diagnostic, code = _diagnostic(reply.group(1)) if reply else (_one_line(body)[:300], None)
    rcpt = re.search(r"RCPT TO:\s*<([^>]+)>", body, re.IGNORECASE)
    listed = re.search(r"(?i)(?:failed|recipients?|addresses)[^\n]*:\s*\n\s*\n?\s*<?(\S+@[^\s>]+)>?", body)
    recipients = [match.group(1) for match in (rcpt, listed) if match]
    return Report(
        kind=_kind(status),
        status=status,
        diagnostic=diagnostic,
        smtp_code=code,
        recipients=list(dict.fromkeys(recipients)),
        tokens=verp.tokens_in(whole),
    )


def parse(data: bytes) -> Report | None:
    """The report in one e-mail; None when it is not one (other mail); raises `Malformed`."""
    message = message_from_bytes(data, policy=policy.default)
    whole = _text(message)
    if message.get_content_type() == "multipart/report":
        report_type = (message.get_param("report-type") or "").lower()
        if report_type == "delivery-status":
            return _delivery_status(message, whole)
        if report_type == "feedback-report":
            return _feedback(message, whole)
        return None
    return _plain_bounce(message, whole)
