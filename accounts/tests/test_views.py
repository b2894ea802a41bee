"""The pages behind the links in account e-mails."""

import pytest
from django.test import Client as HttpClient

from accounts.models import TokenPurpose
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tokens import token_issue

NEW_PASSWORD = "a brand new passphrase 77"


@pytest.fixture
def newcomer(db):
    return UserFactory(email="new@example.com", email_verified_at=None)


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_the_verification_page_verifies_and_says_so(client, newcomer):
    # given
    token = token_issue(user=newcomer, purpose=TokenPurpose.VERIFY_EMAIL)

    # when
    response = client.get(f"/accounts/verify/{token}/")
    again = client.get(f"/accounts/verify/{token}/")

    # then
    assert response.status_code == 200
    assert "Address verified" in text(response)
    assert "Your e-mail address is verified. You can now log in." in text(response)
    assert "bootstrap" in text(response)
    assert (response["Referrer-Policy"], "no-cache" in response["Cache-Control"]) == ("no-referrer", True)
    assert again.status_code == 400
    assert "This link has already been used." in text(again)
    newcomer.refresh_from_db()
    assert newcomer.email_verified_at is not None


@pytest.mark.django_db
def test_the_verification_page_refuses_a_bad_link(client, newcomer):
    # when
    response = client.get("/accounts/verify/not-a-token/")

    # then
    assert response.status_code == 400
    assert "This link is not valid. Check that you copied all of it, or ask for a new one." in text(response)
    newcomer.refresh_from_db()
    assert newcomer.email_verified_at is None


@pytest.mark.django_db
def test_the_reset_page_sets_a_new_password_with_csrf(newcomer):
    # given
    browser = HttpClient(enforce_csrf_checks=True)
    token = token_issue(user=newcomer, purpose=TokenPurpose.RESET_PASSWORD)
    url = f"/accounts/reset/{token}/"

    # when: the form is opened, then posted without and with its CSRF token
    form = browser.get(url)
    forged = browser.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    csrf = browser.cookies["csrftoken"].value
    mismatch = browser.post(
        url, {"new_password1": NEW_PASSWORD, "new_password2": "something else", "csrfmiddlewaretoken": csrf}
    )
    weak = browser.post(url, {"new_password1": "12345", "new_password2": "12345", "csrfmiddlewaretoken": csrf})
    done = browser.post(
        url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, "csrfmiddlewaretoken": csrf}
    )
    reused = browser.get(url)

    # then
    assert (form.status_code, forged.status_code, mismatch.status_code, weak.status_code) == (200, 403, 400, 400)
    assert "Choose a new password" in text(form)
    assert "The two passwords differ." in text(mismatch)
    assert "This password is too short. It must contain at least 10 characters." in text(weak)
    assert (done.status_code, "Your password has been changed. You can now log in with it." in text(done)) == (
        200,
        True,
    )
    assert (reused.status_code, "This link has already been used." in text(reused)) == (400, True)
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert not newcomer.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_csrf_endpoint_hands_out_the_token_in_the_body_and_the_cookie(client):
    # when
    response = client.get("/accounts/csrf/")

    # then
    assert response.status_code == 200
    assert list(response.json()) == ["csrfToken"]
    assert len(response.json()["csrfToken"]) == 64
    assert "csrftoken" in response.cookies
