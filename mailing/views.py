import base64
import binascii
import csv
import itertools
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailing import selectors
from mailing.models import MESSAGE_BODY_MAX_LENGTH
from mailing.rendering import personalise
from mailing.services.unsubscribe import client_unsubscribe_by_token, unsubscribe_client_get


# A GET only shows the page with its one button: mail security scanners (Safe Links and the like)
# fetch every link of a message, and must not unsubscribe its reader. The button's POST and the
# RFC 8058 one-click POST ("List-Unsubscribe=One-Click", sent by the mail client with no cookie or
# CSRF token) unsubscribe, idempotently; the signed token in the URL is the proof, so no CSRF
# token is asked for. The page is in the reader's language (Accept-Language).
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    if request.method == "POST":
        client = client_unsubscribe_by_token(token=token)
    else:
        client = unsubscribe_client_get(token=token)
    context = {"client": client, "unsubscribed": client is not None and client.unsubscribed_at is not None}
    return render(request, "mailing/unsubscribe.html", context, status=200 if client else 404)


class _Echo:
    """A file-like object that hands back what csv.writer writes, for a streamed response."""

    def write(self, value: str) -> str:
        return value


LOG_CSV_HEADER = [
    "id", "run", "scheduled_for", "email", "full_name", "status", "attempts",
    "last_attempt_at", "smtp_code", "server_response", "message_id",
]  # fmt: skip


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    # A cell that a spreadsheet would read as a formula is quoted as text (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
def mailing_log_csv(request, mailing_id: str):
    """A mailing's whole delivery log as CSV, streamed in keyset pages: memory stays flat at any
    size. The mailing is found through the viewer's own mailings: anyone else's is a 404."""
    mailing = selectors.mailing_get_owned(viewer=request.user, pk=_mailing_pk(mailing_id))
    if mailing is None:
        raise Http404("Mailing not found.")
    writer = csv.writer(_Echo())
    rows = selectors.delivery_log_export(viewer=request.user, mailing=mailing)
    lines = itertools.chain(
        [writer.writerow(LOG_CSV_HEADER)], (writer.writerow([_csv_value(v) for v in row]) for row in rows)
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mailing-{mailing.pk}-log.csv"'
    return response


def _mailing_pk(global_id: str) -> str | None:
    try:
        type_name, pk = base64.b64decode(global_id, validate=True).decode().split(":", 1)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
    return pk if type_name == "Mailing" else None


# The preview is the owner's own HTML: it runs in an iframe whose sandbox has no allow-scripts
# and no allow-same-origin, and this response's policy forbids scripts, frames, forms and any
# request but images, while letting the e-mail's own inline styles show as a mail client would.
PREVIEW_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
    "font-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
)


@login_required
@require_POST
@xframe_options_sameorigin
def message_preview(request):
    """The HTML body posted by the messages page, with {name} and {email} filled in for the viewer."""
    html = request.POST.get("html_body", "")[:MESSAGE_BODY_MAX_LENGTH]
    name = request.user.full_name or request.user.email
    filled = personalise(html, name=escape(name), email=escape(request.user.email))
    response = HttpResponse(filled, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PREVIEW_CSP
    response["Cache-Control"] = "no-store"
    return response
