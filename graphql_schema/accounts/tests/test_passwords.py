"""Changing a password, and asking for a reset link."""

import re

import pytest
from django.core import mail
from django.test import Client as HttpClient

from accounts.models import AccountToken, TokenPurpose
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tokens import token_issue
from graphql_schema.tests.helpers import OPERATION_INFO, messages_of, validation

CHANGE = f"""
mutation($old: String!, $new: String!) {{
  changePassword(oldPassword: $old, newPassword: $new) {{ __typename ... on User {{ email }} {OPERATION_INFO} }}
}}"""
REQUEST_RESET = f"""
mutation($email: String!) {{
  requestPasswordReset(email: $email) {{ __typename ... on AccountNotice {{ email message }} {OPERATION_INFO} }}
}}"""
ME = "{ me { email } }"
NEW_PASSWORD = "a brand new passphrase 77"
RESET_NOTICE = "If an account with this address exists, we sent it a link to choose a new password."


def me(http: HttpClient):
    return http.post("/graphql/", {"query": ME}, content_type="application/json").json()["data"]["me"]


@pytest.mark.django_db
def test_change_password_keeps_this_session_and_ends_the_others(gql, owner):
    # given: the owner is also logged in on another device
    elsewhere = HttpClient()
    elsewhere.force_login(owner)
    token_issue(user=owner, purpose=TokenPurpose.RESET_PASSWORD)

    # when
    with gql.login(owner):
        result = gql.query(CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD}).data["changePassword"]
        still_here = gql.query(ME).data["me"]

    # then
    assert result == {"__typename": "User", "email": "owner@example.com"}
    assert still_here == {"email": "owner@example.com"}
    assert me(elsewhere) is None
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    # an outstanding reset link dies with the old password
    assert AccountToken.objects.get().used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "wrong",
            NEW_PASSWORD,
            [validation("oldPassword", "Your old password was entered incorrectly.", "password_incorrect")],
        ),
        (
            PASSWORD,
            "owner@example.com",
            [validation("newPassword", "The password is too similar to the e-mail address.", "password_too_similar")],
        ),
        (
            PASSWORD,
            "x" * 10_240,
            [
                validation(
                    "newPassword",
                    "This password is too long. It must contain at most 128 characters.",
                    "password_too_long",
                )
            ],
        ),
    ],
    ids=["wrong-old", "weak-new", "10-KB-new"],
)
def test_change_password_refuses_bad_input_and_changes_nothing(gql, owner, old, new, expected):
    # when
    with gql.login(owner):
        result = gql.query(CHANGE, {"old": old, "new": new}).data["changePassword"]

    # then
    assert messages_of(result) == expected
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@pytest.mark.django_db
def test_wrong_old_passwords_count_as_failed_logins(gql, owner):
    # when
    with gql.login(owner):
        answers = [
            gql.query(CHANGE, {"old": f"wrong {n}", "new": NEW_PASSWORD}).data["changePassword"] for n in range(6)
        ]

    # then
    codes = [messages_of(answer)[0]["code"] for answer in answers]
    assert codes == ["password_incorrect"] * 5 + ["throttled"]


@pytest.mark.django_db
def test_change_password_needs_a_session(gql, owner):
    # when
    result = gql.query(CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD}).data["changePassword"]

    # then
    assert messages_of(result) == [
        {"kind": "PERMISSION", "field": "changePassword", "message": "User is not authenticated.", "code": None}
    ]


@pytest.mark.django_db
def test_request_password_reset_answers_the_same_for_any_address(gql, owner, django_capture_on_commit_callbacks):
    # given
    UserFactory(email="gone@example.com", is_active=False)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            gql.query(REQUEST_RESET, {"email": email}).data["requestPasswordReset"]
            for email in ("Owner@Example.com", "nobody@example.com", "gone@example.com")
        ]

    # then: only the active account gets a link
    assert answers == [
        {"__typename": "AccountNotice", "email": email, "message": RESET_NOTICE}
        for email in ("owner@example.com", "nobody@example.com", "gone@example.com")
    ]
    [message] = mail.outbox
    assert (message.subject, message.to) == ("Reset your password for the mailing service", ["owner@example.com"])
    assert re.search(r"http://127\.0\.0\.1:8000/accounts/reset/\S+/", message.body)


@pytest.mark.django_db
def test_request_password_reset_refuses_a_malformed_address(gql, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = gql.query(REQUEST_RESET, {"email": "owner at example"}).data["requestPasswordReset"]

    # then
    assert messages_of(result) == [validation("email", "Enter a valid email address.", "invalid")]
    assert mail.outbox == []
