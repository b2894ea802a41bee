"""Blocking: no login, open sessions end at once (for good), and only managers may do it."""

import json

import pytest
from django.test import Client as HttpClient

from accounts.models import User
from accounts.tests.factories import PASSWORD, ContentManagerFactory, ManagerFactory, UserFactory
from graphql_schema.tests.helpers import OPERATION_INFO, gid, messages_of, validation

BLOCK = f"""
mutation($id: ID!, $reason: String!) {{
  blockUser(id: $id, reason: $reason) {{
    __typename ... on User {{ id email blockedAt blockedReason }} {OPERATION_INFO}
  }}
}}"""
UNBLOCK = f"""
mutation($id: ID!) {{
  unblockUser(id: $id) {{ __typename ... on User {{ id blockedAt blockedReason }} {OPERATION_INFO} }}
}}"""
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ __typename ... on User {{ email }} {OPERATION_INFO} }}
}}"""


@pytest.fixture
def manager(db):
    return ManagerFactory(email="manager@example.com")


def graphql(http: HttpClient, query: str, variables=None) -> dict:
    response = http.post(
        "/graphql/", json.dumps({"query": query, "variables": variables or {}}), content_type="application/json"
    )
    return response.json()["data"]


def blocked_state(user) -> tuple:
    user.refresh_from_db()
    return (user.blocked_at, user.blocked_reason, user.sessions_revoked_at)


@pytest.mark.django_db
def test_blocking_ends_open_sessions_at_once_and_for_good(gql, manager, owner):
    # given: the owner is logged in on a device
    device = HttpClient()
    device.force_login(owner)
    assert graphql(device, "{ me { email } }") == {"me": {"email": "owner@example.com"}}

    # when
    with gql.login(manager):
        blocked = gql.query(BLOCK, {"id": gid("User", owner.pk), "reason": " Spam complaints "}).data["blockUser"]

    # then: the device's very next request is anonymous, and writes are refused
    owner.refresh_from_db()
    assert blocked == {
        "__typename": "User",
        "id": gid("User", owner.pk),
        "email": "owner@example.com",
        "blockedAt": owner.blocked_at.isoformat(),
        "blockedReason": "Spam complaints",
    }
    assert graphql(device, "{ me { email } }") == {"me": None}
    assert graphql(device, 'mutation { createMessage(input: {subject: "s", body: "b"}) { __typename } }') == {
        "createMessage": {"__typename": "OperationInfo"}
    }
    login = gql.query(LOGIN, {"email": "owner@example.com", "password": PASSWORD}).data["login"]
    assert messages_of(login) == [
        {
            "kind": "VALIDATION",
            "field": None,
            "message": "This account is blocked (Spam complaints). Contact the service's managers.",
            "code": "blocked",
        }
    ]

    # when: unblocked
    with gql.login(manager):
        unblocked = gql.query(UNBLOCK, {"id": gid("User", owner.pk)}).data["unblockUser"]

    # then: the old session stays ended; a new login works
    assert unblocked == {"__typename": "User", "id": gid("User", owner.pk), "blockedAt": None, "blockedReason": ""}
    assert graphql(device, "{ me { email } }") == {"me": None}
    assert gql.query(LOGIN, {"email": "owner@example.com", "password": PASSWORD}).data["login"] == {
        "__typename": "User",
        "email": "owner@example.com",
    }


@pytest.mark.django_db
def test_blocking_a_blocked_user_updates_the_reason_and_keeps_the_date(gql, manager, owner):
    # given
    with gql.login(manager):
        gql.query(BLOCK, {"id": gid("User", owner.pk), "reason": "first"})
    first_blocked_at = blocked_state(owner)[0]

    # when
    with gql.login(manager):
        result = gql.query(BLOCK, {"id": gid("User", owner.pk), "reason": "second"}).data["blockUser"]

    # then
    assert (result["blockedAt"], result["blockedReason"]) == (first_blocked_at.isoformat(), "second")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("target", "reason", "expected"),
    [
        ("owner", "", [validation("reason", "Say why the user is blocked.", "required")]),
        ("owner", "   ", [validation("reason", "Say why the user is blocked.", "required")]),
        (
            "owner",
            "x" * 10_240,
            [validation("reason", "Ensure this value has at most 500 characters (it has 10240).", "max_length")],
        ),
        ("self", "because", [validation("id", "You cannot block yourself.", "self")]),
        (
            "other_manager",
            "because",
            [
                validation(
                    "id",
                    "Managers and administrators cannot be blocked; an administrator must remove the role first.",
                    "protected",
                )
            ],
        ),
        (
            "superuser",
            "because",
            [
                validation(
                    "id",
                    "Managers and administrators cannot be blocked; an administrator must remove the role first.",
                    "protected",
                )
            ],
        ),
        ("missing", "because", [validation("id", "User not found.", "not_found")]),
        ("not_a_user", "because", [validation("id", "User not found.", "not_found")]),
    ],
)
def test_block_user_refuses_and_changes_nothing(gql, manager, owner, target, reason, expected):
    # given
    ids = {
        "owner": gid("User", owner.pk),
        "self": gid("User", manager.pk),
        "other_manager": gid("User", ManagerFactory().pk),
        "superuser": gid("User", UserFactory(is_superuser=True).pk),
        "missing": gid("User", 999_999),
        "not_a_user": gid("Client", owner.pk),
    }
    before = sorted(User.objects.values_list("pk", "blocked_at", "blocked_reason", "sessions_revoked_at"))

    # when
    with gql.login(manager):
        result = gql.query(BLOCK, {"id": ids[target], "reason": reason}).data["blockUser"]

    # then
    assert messages_of(result) == expected
    assert sorted(User.objects.values_list("pk", "blocked_at", "blocked_reason", "sessions_revoked_at")) == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "owner", "content_manager"])
def test_only_managers_block_and_unblock(gql, owner, other_owner, who):
    # given
    users = {"anonymous": None, "owner": owner, "content_manager": ContentManagerFactory()}
    message = "User is not authenticated." if who == "anonymous" else "User is not a manager."
    before = blocked_state(other_owner)

    # when
    def run():
        return (
            gql.query(BLOCK, {"id": gid("User", other_owner.pk), "reason": "x"}).data["blockUser"],
            gql.query(UNBLOCK, {"id": gid("User", other_owner.pk)}).data["unblockUser"],
        )

    if users[who] is None:
        answers = run()
    else:
        with gql.login(users[who]):
            answers = run()

    # then
    assert [messages_of(answer) for answer in answers] == [
        [{"kind": "PERMISSION", "field": "blockUser", "message": message, "code": None}],
        [{"kind": "PERMISSION", "field": "unblockUser", "message": message, "code": None}],
    ]
    assert blocked_state(other_owner) == before
