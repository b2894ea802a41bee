"""The messages the development mail catcher kept (`manage.py mailcatcher`, started by `serve`
when no EMAIL_HOST is set), readable in the browser: a newcomer opens the verification e-mail
without a mail client. Only with DEBUG on."""

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

NAME = re.compile(r"^[\w.-]+\.eml$")
LINK = re.compile(r"(https?://[^\s<>\"']+)")
LISTED = 100


@dataclass(frozen=True)
class CaughtMail:
    name: str
    subject: str
    to: str
    sender: str
    date: datetime | None
    text: str

    @property
    def parts(self) -> list[tuple[str, bool]]:
        """The text body cut into (text, is_link) pieces, so the template makes links clickable."""
        return [(piece, index % 2 == 1) for index, piece in enumerate(LINK.split(self.text)) if piece]


def _read(path: Path) -> CaughtMail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    try:
        date = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return CaughtMail(
        name=path.name,
        subject=str(message["Subject"] or ""),
        to=str(message["To"] or ""),
        sender=str(message["From"] or ""),
        date=date,
        text=body.get_content() if body is not None else "",
    )


def _directory() -> Path:
    if not settings.DEBUG:
        raise Http404("Only with DEBUG on.")
    return Path(settings.MAIL_CATCHER_DIR)


@never_cache
@require_GET
def mail_list(request: HttpRequest) -> HttpResponse:
    directory = _directory()
    paths = sorted(directory.glob("*.eml"), reverse=True)[:LISTED] if directory.is_dir() else []
    return render(request, "app/dev_mail.html", {"mails": [_read(path) for path in paths], "directory": directory})


@never_cache
@require_GET
def mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    path = _directory() / name
    if not NAME.match(name) or not path.is_file():
        raise Http404("No such message.")
    return render(request, "app/dev_mail_detail.html", {"mail": _read(path)})
