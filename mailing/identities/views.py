from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mailing.identities import services


@never_cache
@require_GET
def verify_sender(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the link sent to a sender address verifies it and says so."""
    try:
        identity = services.sender_identity_verify(token=token, viewer=request.user)
    except ValidationError as error:
        context = {"verified": False, "errors": error.message_dict.get("token", [])}
        response = render(request, "identities/verify_sender.html", context, status=400)
    else:
        context = {"verified": True, "identity": identity, "message": str(services.SENDER_VERIFIED)}
        response = render(request, "identities/verify_sender.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response
