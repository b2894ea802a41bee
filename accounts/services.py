from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import User, UserManager


def user_login(*, request: HttpRequest, email: str, password: str) -> User:
    """Start a session. The error never says whether the e-mail is registered."""
    user = authenticate(request, username=UserManager.normalize_email(email), password=password)
    if user is None:
        raise ValidationError("Incorrect e-mail or password.", code="invalid_credentials")
    login(request, user)
    return user


def user_logout(*, request: HttpRequest) -> None:
    logout(request)
