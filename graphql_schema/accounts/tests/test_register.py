"""Registration and new verification links: the same answer for any address, bad input refused
with every problem named, nothing stored and nothing sent for a bad request."""

import re

import pytest
from django.core import mail
from django_q.models import OrmQ, Task

from accounts.models import AccountToken, User
from accounts.tests.factories import PASSWORD, UserFactory
from graphql_schema.tests.helpers import OPERATION_INFO, messages_of, validation

REGISTER = f"""
mutation($input: RegisterInput!) {{
  register(input: $input) {{ __typename ... on AccountNotice {{ email message }} {OPERATION_INFO} }}
}}"""
RESEND = f"""
mutation($email: String!) {{
  resendVerification(email: $email) {{ __typename ... on AccountNotice {{ email message }} {OPERATION_INFO} }}
}}"""
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ __typename ... on User {{ email emailVerified }} {OPERATION_INFO} }}
}}"""
VERIFY = f"""
mutation($token: String!) {{
  verifyEmail(token: $token) {{ __typename ... on AccountNotice {{ email message }} {OPERATION_INFO} }}
}}"""

GOOD_PASSWORD = "a fine long passphrase"
BIG = "x" * 10_240


def registered(email: str) -> dict:
    return {
        "__typename": "AccountNotice",
        "email": email,
        "message": f"We sent a link to {email}. Open it to verify your address, then log in.",
    }


def register(gql, capture, **values):
    data = {"email": "nina@example.com", "password": GOOD_PASSWORD, "fullName": "Nina New", **values}
    with capture(execute=True):
        return gql.query(REGISTER, {"input": data}).data["register"]


def link_in(message) -> str:
    return re.search(r"http://\S+/accounts/verify/(\S+)/", message.body).group(1)


def stored() -> tuple:
    return (User.objects.count(), AccountToken.objects.count(), Task.objects.count(), OrmQ.objects.count())


@pytest.mark.django_db
def test_register_creates_an_account_that_logs_in_once_verified(gql, django_capture_on_commit_callbacks):
    # when
    result = register(gql, django_capture_on_commit_callbacks, email=" Nina@Example.COM ")

    # then
    assert result == registered("nina@example.com")
    user = User.objects.get()
    assert (user.email, user.full_name, user.is_active, user.email_verified_at) == (
        "nina@example.com",
        "Nina New",
        True,
        None,
    )
    assert user.check_password(GOOD_PASSWORD)
    [message] = mail.outbox
    assert (message.subject, message.to) == ("Verify your e-mail address for the mailing service", ["nina@example.com"])

    # when: logging in before and after the link is used
    before = gql.query(LOGIN, {"email": "nina@example.com", "password": GOOD_PASSWORD}).data["login"]
    verified = gql.query(VERIFY, {"token": link_in(message)}).data["verifyEmail"]
    after = gql.query(LOGIN, {"email": "nina@example.com", "password": GOOD_PASSWORD}).data["login"]

    # then
    assert messages_of(before)[0]["code"] == "email_not_verified"
    assert verified["__typename"] == "AccountNotice"
    assert after == {"__typename": "User", "email": "nina@example.com", "emailVerified": True}


@pytest.mark.django_db
def test_the_email_is_sent_by_a_task_after_the_commit_and_the_task_holds_no_token(
    gql, django_capture_on_commit_callbacks
):
    # when: the request's transaction has not committed yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        gql.query(REGISTER, {"input": {"email": "nina@example.com", "password": GOOD_PASSWORD}})

    # then: nothing is sent, nor made, before the commit
    assert (len(callbacks), len(mail.outbox), AccountToken.objects.count(), Task.objects.count()) == (1, 0, 0, 0)

    # when: it commits
    callbacks[0]()

    # then: the task ran with the kind and the user's id only, and made the link itself
    user = User.objects.get()
    task = Task.objects.get()
    token = link_in(mail.outbox[0])
    assert (task.func, task.args, task.success) == ("accounts.tasks.send_account_mail", ("verify", user.pk), True)
    assert task.result == f"verify: sent to user {user.pk}"
    assert token.split(".")[0] not in repr((task.args, task.kwargs, task.result))
    assert AccountToken.objects.get().user == user


@pytest.mark.django_db
def test_registering_a_taken_address_answers_the_same_and_tells_the_owner(
    gql, owner, django_capture_on_commit_callbacks
):
    # when
    result = register(
        gql, django_capture_on_commit_callbacks, email="OWNER@example.com", password="another 1 passphrase"
    )

    # then: the same answer as for a new address; the account is untouched; its owner hears of it
    assert result == registered("owner@example.com")
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    [message] = mail.outbox
    assert (message.subject, message.to) == (
        "You already have an account at the mailing service",
        ["owner@example.com"],
    )
    assert "/accounts/" not in message.body
    assert AccountToken.objects.count() == 0


@pytest.mark.django_db
def test_registering_again_before_verifying_sends_a_fresh_link(gql, django_capture_on_commit_callbacks):
    # given
    UserFactory(email="nina@example.com", email_verified_at=None)

    # when
    result = register(gql, django_capture_on_commit_callbacks)

    # then
    assert result == registered("nina@example.com")
    assert User.objects.count() == 1
    assert [message.subject for message in mail.outbox] == ["Verify your e-mail address for the mailing service"]
    assert gql.query(VERIFY, {"token": link_in(mail.outbox[0])}).data["verifyEmail"]["__typename"] == "AccountNotice"


TOO_SHORT = validation(
    "password", "This password is too short. It must contain at least 10 characters.", "password_too_short"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"email": "not-an-email"}, [validation("email", "Enter a valid email address.", "invalid")]),
        ({"email": "ann@example..com"}, [validation("email", "Enter a valid email address.", "invalid")]),
        ({"email": "ann@"}, [validation("email", "Enter a valid email address.", "invalid")]),
        ({"email": ""}, [validation("email", "This field cannot be blank.", "blank")]),
        (
            {"email": BIG + "@example.com"},
            [
                validation("email", "Enter a valid email address.", "invalid"),
                validation("email", "Ensure this value has at most 254 characters (it has 10252).", "max_length"),
            ],
        ),
        ({"password": "short"}, [TOO_SHORT]),
        (
            {"password": "1234567890"},
            [
                validation("password", "This password is too common.", "password_too_common"),
                validation("password", "This password is entirely numeric.", "password_entirely_numeric"),
            ],
        ),
        (
            {"password": "nina@example.com"},
            [validation("password", "The password is too similar to the e-mail address.", "password_too_similar")],
        ),
        (
            {"password": BIG},
            [
                validation(
                    "password",
                    "This password is too long. It must contain at most 128 characters.",
                    "password_too_long",
                )
            ],
        ),
        (
            {"fullName": BIG},
            [validation("fullName", "Ensure this value has at most 200 characters (it has 10240).", "max_length")],
        ),
        (
            {"fullName": "Nina\nBcc: victim@example.com"},
            [validation("fullName", "Must be a single line.", "multiline")],
        ),
        (
            {"email": "", "password": "", "fullName": BIG},
            [
                validation("email", "This field cannot be blank.", "blank"),
                validation("fullName", "Ensure this value has at most 200 characters (it has 10240).", "max_length"),
                TOO_SHORT,
            ],
        ),
    ],
    ids=[
        "malformed",
        "double-dot",
        "no-domain",
        "blank",
        "10-KB-email",
        "short-password",
        "numeric-password",
        "password-like-email",
        "10-KB-password",
        "10-KB-name",
        "multiline-name",
        "all-wrong",
    ],
)
def test_bad_input_is_refused_naming_each_field_and_nothing_is_stored(
    gql, django_capture_on_commit_callbacks, values, expected
):
    # when
    result = register(gql, django_capture_on_commit_callbacks, **values)

    # then
    assert messages_of(result) == expected
    assert stored() == (0, 0, 0, 0)
    assert mail.outbox == []


@pytest.mark.django_db
def test_account_emails_are_throttled_per_address(gql, settings, django_capture_on_commit_callbacks):
    # given
    settings.ACCOUNT_MAILS_PER_EMAIL = 2

    # when
    answers = [register(gql, django_capture_on_commit_callbacks) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        resent = gql.query(RESEND, {"email": "nina@example.com"}).data["resendVerification"]

    # then
    assert answers == [registered("nina@example.com")] * 2
    [message] = messages_of(resent)
    assert (message["field"], message["code"]) == (None, "throttled")
    assert re.fullmatch(
        r"Too many e-mails requested for this address\. Try again in 3[56]\d\d seconds\.", message["message"]
    )
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_account_emails_are_throttled_per_ip(gql, settings, django_capture_on_commit_callbacks):
    # given
    settings.ACCOUNT_MAILS_PER_IP = 2

    # when
    answers = [register(gql, django_capture_on_commit_callbacks, email=f"n{n}@example.com") for n in range(3)]

    # then
    assert answers[:2] == [registered("n0@example.com"), registered("n1@example.com")]
    [message] = messages_of(answers[2])
    assert message["code"] == "throttled"
    assert message["message"].startswith("Too many e-mails requested from your network address. Try again in ")
    assert sorted(User.objects.values_list("email", flat=True)) == ["n0@example.com", "n1@example.com"]
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_resend_verification_answers_the_same_for_any_address(gql, owner, django_capture_on_commit_callbacks):
    # given
    UserFactory(email="nina@example.com", email_verified_at=None)
    notice = "If an account with this address is waiting for verification, we sent it a new link."

    # when
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            gql.query(RESEND, {"email": email}).data["resendVerification"]
            for email in ("NINA@example.com", "owner@example.com", "nobody@example.com")
        ]

    # then: only the unverified account gets a link
    assert answers == [
        {"__typename": "AccountNotice", "email": email, "message": notice}
        for email in ("nina@example.com", "owner@example.com", "nobody@example.com")
    ]
    assert [message.to for message in mail.outbox] == [["nina@example.com"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("not-an-email", [validation("email", "Enter a valid email address.", "invalid")]),
        (
            BIG,
            [
                validation("email", "Enter a valid email address.", "invalid"),
                validation("email", "Ensure this value has at most 254 characters (it has 10240).", "max_length"),
            ],
        ),
    ],
    ids=["malformed", "10-KB"],
)
def test_resend_verification_refuses_a_malformed_address(gql, django_capture_on_commit_callbacks, email, expected):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = gql.query(RESEND, {"email": email}).data["resendVerification"]

    # then
    assert messages_of(result) == expected
    assert mail.outbox == []
