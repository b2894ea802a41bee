"""The pages behind the links in account e-mails, the CSRF token for browser clients, and the
language switch."""

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from accounts import services, tokens
from accounts.forms import ResetPasswordForm
from accounts.models import TokenPurpose


def _token_messages(error: ValidationError) -> list[str]:
    return [message for messages in error.message_dict.values() for message in messages]


def _private(response: HttpResponse, policy: str = "no-referrer") -> HttpResponse:
    # The token is in the URL: keep it out of Referer headers.
    response["Referrer-Policy"] = policy
    return response


def _private_form(response: HttpResponse) -> HttpResponse:
    # A page that posts to itself: under "no-referrer" the browser sends `Origin: null`, which
    # Django's CSRF check refuses; "same-origin" still keeps the token from other sites.
    return _private(response, "same-origin")


@never_cache
@require_GET
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the link verifies the address and says so."""
    try:
        user = services.user_verify_email(token=token, viewer=request.user)
    except ValidationError as error:
        context = {"verified": False, "errors": _token_messages(error)}
        return _private(render(request, "accounts/verify_email.html", context, status=400))
    context = {"verified": True, "email": user.email, "message": str(services.EMAIL_VERIFIED)}
    return _private(render(request, "accounts/verify_email.html", context))


@never_cache
@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, token: str) -> HttpResponse:
    """A form to choose a new password; the link stays usable until a good one is chosen."""
    try:
        tokens.token_find(token=token, purpose=TokenPurpose.RESET_PASSWORD, viewer=request.user)
    except ValidationError as error:
        context = {"done": False, "form": None, "errors": _token_messages(error)}
        return _private_form(render(request, "accounts/reset_password.html", context, status=400))
    form = ResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset(token=token, new_password=form.cleaned_data["new_password1"], viewer=request.user)
        except ValidationError as error:
            for message in error.message_dict.get("new_password", []):
                form.add_error("new_password1", message)
            for message in error.message_dict.get("token", []):
                form.add_error(None, message)
        else:
            context = {"done": True, "form": None, "message": str(services.PASSWORD_RESET_DONE)}
            return _private_form(render(request, "accounts/reset_password.html", context))
    status = 400 if request.method == "POST" else 200
    return _private_form(render(request, "accounts/reset_password.html", {"done": False, "form": form}, status=status))


@never_cache
@require_GET
def csrf_token(request: HttpRequest) -> JsonResponse:
    """The CSRF token for a browser client: also set as the `csrftoken` cookie.

    A page on another origin cannot read this site's cookies, so the token is in the body too;
    send it back in the `X-CSRFToken` header of every POST to /graphql/.
    """
    return JsonResponse({"csrfToken": get_token(request)})


def _next_url(request: HttpRequest) -> str:
    """Where to go after logging in: `next` when it is a page of this site, else the dashboard."""
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/app/"


@never_cache
@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    """The login form; its module logs in through the API's `login` mutation."""
    return render(request, "accounts/login.html", {"next": _next_url(request)})


@never_cache
@require_GET
def register_page(request: HttpRequest) -> HttpResponse:
    """The registration form; its module registers through the API's `register` mutation."""
    return render(request, "accounts/register.html", {"dev_mail": settings.DEBUG})


@never_cache
@require_GET
def password_reset_page(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; its module calls the API's `requestPasswordReset` mutation."""
    return render(request, "accounts/password_reset.html", {"dev_mail": settings.DEBUG})


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's `set_language` (the `django_language` cookie, then a redirect to `next`), which
    also keeps the choice on a signed-in user's profile: their own language wins over the cookie."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in {code for code, _name in settings.LANGUAGES}:
        services.user_update_profile(user=request.user, data={"language": language})
    return response
