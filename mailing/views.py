from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mailing.services.unsubscribe import client_unsubscribe_by_token


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to this URL, with no cookie or
# CSRF token; the signed token in the URL is the proof. A person's click is a GET, and the issue
# wants it to unsubscribe as well. Both are idempotent.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    client = client_unsubscribe_by_token(token=token)
    return render(request, "mailing/unsubscribe.html", {"client": client}, status=200 if client else 404)
