"""From registration to the first login, as a browser does it: over the real /graphql/ endpoint
with CSRF enforced, the verification e-mail delivered by a real SMTP server on loopback, and its
link followed."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient

from accounts.models import User
from graphql_schema.tests.helpers import graphql_post

PASSWORD = "a fine long passphrase"
REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { __typename ... on AccountNotice { email message } }
}"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename ... on User { email fullName emailVerified roles }
    ... on OperationInfo { messages { code } }
  }
}"""


def post(browser: HttpClient, query: str, variables: dict):
    response = graphql_post(browser, query, variables, csrf=browser.cookies["csrftoken"].value)
    assert response.status_code == 200, response.content
    return response.json()["data"]


@pytest.mark.django_db
def test_register_receive_the_email_follow_the_link_and_log_in(
    smtp_inbox, settings, django_capture_on_commit_callbacks
):
    # given: a browser that got its CSRF token
    settings.SITE_URL = "https://mail.example.com"
    browser = HttpClient(enforce_csrf_checks=True)
    browser.get("/accounts/csrf/")

    # when: registering (the e-mail task runs when the request's transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        registered = post(
            browser, REGISTER, {"input": {"email": "Nina@Example.com", "password": PASSWORD, "fullName": "Nina New"}}
        )
    too_early = post(browser, LOGIN, {"email": "nina@example.com", "password": PASSWORD})

    # then: the SMTP server got one e-mail, for the new address alone
    assert registered == {
        "register": {
            "__typename": "AccountNotice",
            "email": "nina@example.com",
            "message": "We sent a link to nina@example.com. Open it to verify your address, then log in.",
        }
    }
    assert too_early == {"login": {"__typename": "OperationInfo", "messages": [{"code": "email_not_verified"}]}}
    [(sender, recipients, message)] = smtp_inbox.messages
    assert (sender, recipients) == ("noreply@localhost", ["nina@example.com"])
    assert (message["Subject"], message["To"]) == (
        "Verify your e-mail address for the mailing service",
        "nina@example.com",
    )
    body = message.get_content().replace("\r\n", "\n")
    assert body.startswith("Hello Nina New,\n")
    [link] = re.findall(r"https://mail\.example\.com/accounts/verify/\S+/", body)

    # when: the link is opened in the browser
    page = browser.get(urlsplit(link).path)

    # then
    assert page.status_code == 200
    assert "Your e-mail address is verified. You can now log in." in page.content.decode()

    # when: logging in for the first time
    logged_in = post(browser, LOGIN, {"email": "nina@example.com", "password": PASSWORD})
    me = post(browser, "{ me { email } }", {})

    # then
    assert logged_in == {
        "login": {
            "__typename": "User",
            "email": "nina@example.com",
            "fullName": "Nina New",
            "emailVerified": True,
            "roles": ["OWNER"],
        }
    }
    assert me == {"me": {"email": "nina@example.com"}}
    assert User.objects.get().email_verified_at is not None
