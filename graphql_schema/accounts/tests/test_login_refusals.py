"""Who may not log in, and why they are told; failed logins throttled per e-mail and per IP."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from graphql_schema.tests.helpers import OPERATION_INFO, messages_of

LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ __typename ... on User {{ email }} {OPERATION_INFO} }}
}}"""
ME = "{ me { email } }"

WRONG = {"kind": "VALIDATION", "field": None, "message": "Incorrect e-mail or password.", "code": "invalid_credentials"}


def refusal(message: str, code: str) -> list[dict]:
    return [{"kind": "VALIDATION", "field": None, "message": message, "code": code}]


def login(gql, email, password=PASSWORD, headers=None):
    return gql.query(LOGIN, {"email": email, "password": password}, headers=headers).data["login"]


def throttled(subject: str, seconds: int) -> list[dict]:
    return refusal(f"Too many failed logins {subject}. Try again in {seconds} seconds.", "throttled")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (
            {"email_verified_at": None},
            refusal(
                "Verify your e-mail address first: open the link we sent you (or ask for a new one with "
                "resendVerification).",
                "email_not_verified",
            ),
        ),
        (
            {"blocked_at": timezone.now(), "blocked_reason": "spam complaints"},
            refusal("This account is blocked (spam complaints). Contact the service's managers.", "blocked"),
        ),
        (
            {"blocked_at": timezone.now(), "blocked_reason": ""},
            refusal("This account is blocked. Contact the service's managers.", "blocked"),
        ),
        ({"is_active": False}, refusal("This account is deactivated.", "inactive")),
    ],
    ids=["unverified", "blocked", "blocked-without-reason", "deactivated"],
)
def test_the_right_password_on_an_account_that_may_not_log_in_says_why(gql, account, expected):
    # given
    UserFactory(email="ann@example.com", **account)

    # when
    right = login(gql, "ann@example.com")
    wrong = login(gql, "ann@example.com", "not the password")

    # then: the reason goes only to someone who knows the password
    assert messages_of(right) == expected
    assert messages_of(wrong) == [WRONG]
    assert gql.query(ME).data["me"] is None


@pytest.mark.django_db
def test_failed_logins_are_throttled_per_email_address_with_a_retry_after(gql, owner, other_owner):
    # given
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wrong = [login(gql, "owner@example.com", f"wrong {n}") for n in range(5)]

        # when: the sixth attempt, with the right password
        sixth = login(gql, "owner@example.com")
        # another address from the same IP is not held up
        other = login(gql, "other@example.com")

    with time_machine.travel(start + timedelta(seconds=600), tick=False):
        later = login(gql, "OWNER@example.com")

    with time_machine.travel(start + timedelta(seconds=901), tick=False):
        after_the_window = login(gql, "owner@example.com")

    # then
    assert [messages_of(result) for result in wrong] == [[WRONG]] * 5
    assert messages_of(sixth) == throttled("for this e-mail address", 900)
    assert other == {"__typename": "User", "email": "other@example.com"}
    assert messages_of(later) == throttled("for this e-mail address", 300)
    assert after_the_window == {"__typename": "User", "email": "owner@example.com"}


@pytest.mark.django_db
def test_an_unknown_address_is_throttled_exactly_like_a_known_one(gql, owner):
    # when
    known = [login(gql, "owner@example.com", "wrong") for _ in range(6)]
    unknown = [login(gql, "nobody@example.com", "wrong") for _ in range(6)]

    # then
    assert [messages_of(result)[0]["code"] for result in known] == [
        *["invalid_credentials"] * 5,
        "throttled",
    ]
    assert [messages_of(result)[0]["code"] for result in unknown] == [messages_of(r)[0]["code"] for r in known]


@pytest.mark.django_db
def test_a_successful_login_clears_the_failures_of_the_address(gql, owner):
    # when
    first = [login(gql, "owner@example.com", "wrong") for _ in range(4)]
    success = login(gql, "owner@example.com")
    second = [login(gql, "owner@example.com", "wrong") for _ in range(4)]

    # then
    assert [messages_of(result) for result in first + second] == [[WRONG]] * 8
    assert success["__typename"] == "User"


@pytest.mark.django_db
def test_failed_logins_are_throttled_per_ip_with_configurable_limits(gql, owner, settings):
    # given: one proxy in front of the app, and a limit of 3 failures per IP
    settings.NUM_PROXIES = 1
    settings.LOGIN_FAILURES_PER_IP = 3
    settings.LOGIN_FAILURES_WINDOW = 60
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    # a client cannot escape by putting its own entry in front of the proxy's
    spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    neighbour = {"X-Forwarded-For": "192.0.2.9"}

    # when
    with time_machine.travel(timezone.now(), tick=False):
        wrong = [login(gql, f"guess{n}@example.com", "wrong", attacker) for n in range(3)]
        blocked = login(gql, "owner@example.com", PASSWORD, spoofed)
        other_ip = login(gql, "owner@example.com", PASSWORD, neighbour)

    # then
    assert [messages_of(result) for result in wrong] == [[WRONG]] * 3
    assert messages_of(blocked) == throttled("from your network address", 60)
    assert other_ip == {"__typename": "User", "email": "owner@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password"),
    [("x" * 10_240 + "@example.com", PASSWORD), ("owner@example.com", "y" * 10_240), ("not an e-mail", "")],
    ids=["10-KB-email", "10-KB-password", "malformed"],
)
def test_absurd_credentials_get_the_same_plain_refusal(gql, owner, email, password):
    # given
    before = list(User.objects.values_list("pk", "password", "last_login"))

    # when
    result = login(gql, email, password)

    # then
    assert messages_of(result) == [WRONG]
    assert list(User.objects.values_list("pk", "password", "last_login")) == before
