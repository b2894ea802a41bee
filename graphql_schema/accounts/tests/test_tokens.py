"""Links sent by e-mail: tampered, expired, reused, for another account or purpose: all refused."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AccountToken, TokenPurpose, User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tokens import token_issue
from graphql_schema.tests.helpers import OPERATION_INFO, messages_of, validation

NEW_PASSWORD = "a brand new passphrase 77"

VERIFY = f"""
mutation($token: String!) {{
  verifyEmail(token: $token) {{ __typename ... on AccountNotice {{ email message }} {OPERATION_INFO} }}
}}"""
RESET = f"""
mutation($token: String!, $password: String!) {{
  resetPassword(token: $token, newPassword: $password) {{
    __typename ... on AccountNotice {{ email message }} {OPERATION_INFO}
  }}
}}"""

INVALID = validation(
    "token", "This link is not valid. Check that you copied all of it, or ask for a new one.", "invalid_token"
)
EXPIRED = validation("token", "This link has expired. Ask for a new one.", "expired_token")
USED = validation("token", "This link has already been used.", "used_token")
OTHER_ACCOUNT = validation(
    "token",
    "This link was sent for another account than the one you are logged in with. Log out, then open it again.",
    "other_account",
)


@pytest.fixture
def newcomer(db):
    return UserFactory(email="new@example.com", email_verified_at=None)


def verify(gql, token):
    return gql.query(VERIFY, {"token": token}).data["verifyEmail"]


def reset(gql, token, password=NEW_PASSWORD):
    return gql.query(RESET, {"token": token, "password": password}).data["resetPassword"]


def state(user):
    user.refresh_from_db()
    return (user.email_verified_at, user.password)


# Each purpose's mutation, and what it does to the account when it works.
REDEEM = {TokenPurpose.VERIFY_EMAIL: verify, TokenPurpose.RESET_PASSWORD: reset}


def tamper(token: str, part: int) -> str:
    """Change one character of the key (0), the timestamp (1) or the signature (2)."""
    parts = token.split(".")
    parts[part] = ("A" if parts[part][0] != "A" else "B") + parts[part][1:]
    return ".".join(parts)


@pytest.mark.django_db
def test_a_token_names_no_user_and_only_its_hash_is_stored(newcomer):
    # when
    token = token_issue(user=newcomer, purpose=TokenPurpose.VERIFY_EMAIL)

    # then
    parts = token.split(".")
    key = parts[0]
    row = AccountToken.objects.get()
    assert (len(key), row.user, row.purpose, row.email) == (43, newcomer, "verify_email", "new@example.com")
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert len(parts) == 3


@pytest.mark.django_db
def test_verify_email_works_once(gql, newcomer):
    # given
    token = token_issue(user=newcomer, purpose=TokenPurpose.VERIFY_EMAIL)

    # when
    first = verify(gql, token)
    second = verify(gql, token)

    # then
    assert first == {
        "__typename": "AccountNotice",
        "email": "new@example.com",
        "message": "Your e-mail address is verified. You can now log in.",
    }
    assert messages_of(second) == [USED]
    newcomer.refresh_from_db()
    assert newcomer.email_verified_at is not None


@pytest.mark.django_db
def test_reset_password_works_once_and_verifies_the_address(gql, newcomer):
    # given
    token = token_issue(user=newcomer, purpose=TokenPurpose.RESET_PASSWORD)

    # when
    first = reset(gql, token)
    second = reset(gql, token, "yet another passphrase 88")

    # then
    assert first == {
        "__typename": "AccountNotice",
        "email": "new@example.com",
        "message": "Your password has been changed. You can now log in with it.",
    }
    assert messages_of(second) == [USED]
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    assert newcomer.email_verified_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", list(REDEEM))
@pytest.mark.parametrize("part", [0, 1, 2], ids=["key", "timestamp", "signature"])
def test_a_tampered_token_is_refused(gql, newcomer, purpose, part):
    # given
    token = token_issue(user=newcomer, purpose=purpose)
    before = state(newcomer)

    # when
    result = REDEEM[purpose](gql, tamper(token, part))

    # then
    assert messages_of(result) == [INVALID]
    assert state(newcomer) == before
    assert AccountToken.objects.get().used_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", list(REDEEM))
@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", "x" * 10_000, "..", "1.1.1"],
    ids=["empty", "garbage", "three-parts", "10-KB", "dots", "digits"],
)
def test_a_made_up_token_is_refused(gql, newcomer, purpose, token):
    # when
    result = REDEEM[purpose](gql, token)

    # then
    assert messages_of(result) == [INVALID]


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", list(REDEEM))
def test_a_token_expires_after_three_days(gql, newcomer, purpose):
    # given
    issued = timezone.now()
    with time_machine.travel(issued, tick=False):
        token = token_issue(user=newcomer, purpose=purpose)
    before = state(newcomer)

    # when
    with time_machine.travel(issued + timedelta(days=3, seconds=1), tick=False):
        expired = REDEEM[purpose](gql, token)

    # then
    assert messages_of(expired) == [EXPIRED]
    assert state(newcomer) == before

    # when: just inside the three days
    with time_machine.travel(issued + timedelta(days=3) - timedelta(seconds=1), tick=False):
        in_time = REDEEM[purpose](gql, token)

    # then
    assert in_time["__typename"] == "AccountNotice"


@pytest.mark.django_db
def test_the_lifetime_is_configurable(gql, newcomer, settings):
    # given
    settings.EMAIL_VERIFICATION_TIMEOUT = 60
    issued = timezone.now()
    with time_machine.travel(issued, tick=False):
        token = token_issue(user=newcomer, purpose=TokenPurpose.VERIFY_EMAIL)

    # when
    with time_machine.travel(issued + timedelta(seconds=61), tick=False):
        result = verify(gql, token)

    # then
    assert messages_of(result) == [EXPIRED]


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", list(REDEEM))
def test_a_token_for_another_account_is_refused_to_a_logged_in_user(gql, newcomer, owner, purpose):
    # given: a link for the newcomer, opened in the owner's session
    token = token_issue(user=newcomer, purpose=purpose)
    before = (state(newcomer), state(owner))

    # when
    with gql.login(owner):
        result = REDEEM[purpose](gql, token)

    # then
    assert messages_of(result) == [OTHER_ACCOUNT]
    assert (state(newcomer), state(owner)) == before
    assert AccountToken.objects.get().used_at is None


@pytest.mark.django_db
def test_a_token_for_one_purpose_is_void_for_the_other(gql, newcomer):
    # given
    verification = token_issue(user=newcomer, purpose=TokenPurpose.VERIFY_EMAIL)
    password_reset = token_issue(user=newcomer, purpose=TokenPurpose.RESET_PASSWORD)
    before = state(newcomer)

    # when
    results = [reset(gql, verification), verify(gql, password_reset)]

    # then
    assert [messages_of(result) for result in results] == [[INVALID], [INVALID]]
    assert state(newcomer) == before


@pytest.mark.django_db
def test_using_a_link_voids_the_older_ones(gql, newcomer):
    # given: two reset e-mails
    older = token_issue(user=newcomer, purpose=TokenPurpose.RESET_PASSWORD)
    newer = token_issue(user=newcomer, purpose=TokenPurpose.RESET_PASSWORD)

    # when
    used = reset(gql, newer)
    stale = reset(gql, older, "yet another passphrase 88")

    # then
    assert used["__typename"] == "AccountNotice"
    assert messages_of(stale) == [USED]
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_a_link_sent_to_an_address_the_account_no_longer_has_is_refused(gql, newcomer):
    # given
    token = token_issue(user=newcomer, purpose=TokenPurpose.VERIFY_EMAIL)
    User.objects.filter(pk=newcomer.pk).update(email="changed@example.com")

    # when
    result = verify(gql, token)

    # then
    assert messages_of(result) == [
        validation("token", "This link was sent to an address that is no longer the account's.", "invalid_token")
    ]


@pytest.mark.django_db
def test_a_refused_new_password_leaves_the_reset_link_usable(gql, newcomer):
    # given
    token = token_issue(user=newcomer, purpose=TokenPurpose.RESET_PASSWORD)

    # when
    weak = reset(gql, token, "12345")
    good = reset(gql, token)

    # then
    assert messages_of(weak) == [
        validation(
            "newPassword", "This password is too short. It must contain at least 10 characters.", "password_too_short"
        ),
        validation("newPassword", "This password is too common.", "password_too_common"),
        validation("newPassword", "This password is entirely numeric.", "password_entirely_numeric"),
    ]
    assert good["__typename"] == "AccountNotice"


@pytest.mark.django_db
def test_a_password_reset_ends_every_session_of_the_account(gql, owner, client):
    # given: the owner is logged in somewhere else
    client.force_login(owner)
    token = token_issue(user=owner, purpose=TokenPurpose.RESET_PASSWORD)

    # when
    reset(gql, token)

    # then
    response = client.post("/graphql/", {"query": "{ me { id } }"}, content_type="application/json")
    assert response.json() == {"data": {"me": None}}
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert not owner.check_password(PASSWORD)
