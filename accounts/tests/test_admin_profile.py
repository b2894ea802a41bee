"""The Django admin's user form shows and edits a user's language and time zone."""

import re

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    return client


def _form(user, **changes):
    joined = timezone.localtime(user.date_joined)
    return {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        **changes,
    }


def _selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select name={name!r}> on the page"
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(1))


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.django_db
def test_the_user_form_shows_the_language_and_time_zone(superuser_client):
    # given
    user = UserFactory(email="ann@example.com", language="ru", time_zone="Europe/Moscow")

    # when
    html = superuser_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    # then
    assert _selected(html, "language") == ["ru"]
    assert _selected(html, "time_zone") == ["Europe/Moscow"]
    assert _options(html, "language") == ["ru", "en"]
    assert {"UTC", "Europe/Berlin", "Asia/Tokyo"} <= set(_options(html, "time_zone"))
    assert '<label for="id_time_zone">Time zone:</label>' in html


@pytest.mark.django_db
def test_the_user_form_changes_the_language_and_time_zone(superuser_client):
    # given
    user = UserFactory(email="ann@example.com", language="en", time_zone="UTC")

    # when
    response = superuser_client.post(
        f"/admin/accounts/user/{user.pk}/change/", _form(user, language="ru", time_zone="Asia/Tokyo")
    )

    # then
    assert response.status_code == 302
    assert User.objects.values_list("language", "time_zone").get(pk=user.pk) == ("ru", "Asia/Tokyo")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        (
            {"language": "de", "time_zone": "UTC"},
            "language",
            "Select a valid choice. de is not one of the available choices.",
        ),
        (
            {"language": "en", "time_zone": "Mars/Olympus"},
            "time_zone",
            "Select a valid choice. Mars/Olympus is not one of the available choices.",
        ),
    ],
)
def test_the_user_form_refuses_an_unknown_language_or_zone(superuser_client, changes, field, error):
    # given
    user = UserFactory(email="ann@example.com", language="ru", time_zone="Europe/Moscow")

    # when
    response = superuser_client.post(f"/admin/accounts/user/{user.pk}/change/", _form(user, **changes))

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [error]}
    assert User.objects.values_list("language", "time_zone").get(pk=user.pk) == ("ru", "Europe/Moscow")


@pytest.mark.django_db
def test_a_user_form_posted_without_them_keeps_the_language_and_time_zone(superuser_client):
    # given
    user = UserFactory(email="ann@example.com", full_name="Ann", language="ru", time_zone="Europe/Moscow")

    # when
    response = superuser_client.post(f"/admin/accounts/user/{user.pk}/change/", _form(user, full_name="Ann Smith"))

    # then
    assert response.status_code == 302
    assert User.objects.values_list("full_name", "language", "time_zone").get(pk=user.pk) == (
        "Ann Smith",
        "ru",
        "Europe/Moscow",
    )
