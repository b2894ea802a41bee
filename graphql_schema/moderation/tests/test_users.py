"""The user list: managers only, with what each user owns, in a fixed number of queries."""

import pytest
from django.utils import timezone

from accounts.tests.factories import ContentManagerFactory, ManagerFactory, UserFactory
from graphql_schema.tests.helpers import gid
from mailing.models import MailingStatus
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory

USERS = """
query($filters: UserFilter, $ordering: [UserOrder!], $first: Int) {
  users(filters: $filters, ordering: $ordering, first: $first) {
    totalCount
    edges { node {
      id email fullName emailVerified roles blockedAt blockedReason
      clientCount messageCount mailingCount activeMailingCount
    } }
  }
}"""


def row(user, roles=("OWNER",), **counts) -> dict:
    return {
        "id": gid("User", user.pk),
        "email": user.email,
        "fullName": user.full_name,
        "emailVerified": user.email_verified_at is not None,
        "roles": list(roles),
        "blockedAt": user.blocked_at.isoformat() if user.blocked_at else None,
        "blockedReason": user.blocked_reason,
        "clientCount": 0,
        "messageCount": 0,
        "mailingCount": 0,
        "activeMailingCount": 0,
        **counts,
    }


@pytest.fixture
def manager(db):
    return ManagerFactory(email="manager@example.com", full_name="Mia Manager")


@pytest.mark.django_db
def test_a_manager_lists_every_user_with_their_counts(gql, manager, owner):
    # given
    clients = ClientFactory.create_batch(3, owner=owner)
    message = MessageFactory(owner=owner)
    MessageFactory(owner=owner)
    MailingFactory(owner=owner, message=message, clients=clients, status=MailingStatus.STARTED)
    MailingFactory(owner=owner, message=message, clients=clients[:1], status=MailingStatus.STARTED, is_active=False)
    newcomer = UserFactory(email="new@example.com", full_name="Nina", email_verified_at=None)
    blocked = UserFactory(email="bad@example.com", full_name="Bo", blocked_at=timezone.now(), blocked_reason="spam")
    editor = ContentManagerFactory(email="editor@example.com", full_name="Ed")

    # when
    with gql.login(manager):
        result = gql.query(USERS, {"ordering": [{"email": "ASC"}]}).data["users"]

    # then
    assert result == {
        "totalCount": 5,
        "edges": [
            {"node": row(blocked)},
            {"node": row(editor, roles=["OWNER", "CONTENT_MANAGER"])},
            {"node": row(manager, roles=["OWNER", "MANAGER"])},
            {"node": row(newcomer)},
            {"node": row(owner, clientCount=3, messageCount=2, mailingCount=2, activeMailingCount=1)},
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"search": "OLGA"}, ["owner@example.com"]),
        ({"search": "example.com"}, ["bad@example.com", "manager@example.com", "owner@example.com"]),
        ({"isBlocked": True}, ["bad@example.com"]),
        ({"isBlocked": False}, ["manager@example.com", "owner@example.com"]),
    ],
)
def test_the_user_list_filters(gql, manager, owner, filters, expected):
    # given
    UserFactory(email="bad@example.com", blocked_at=timezone.now(), blocked_reason="spam")

    # when
    with gql.login(manager):
        result = gql.query(USERS, {"filters": filters, "ordering": [{"email": "ASC"}]}).data["users"]

    # then
    assert [edge["node"]["email"] for edge in result["edges"]] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("user_count", [5, 40])
def test_the_user_list_runs_a_fixed_number_of_queries(gql, manager, django_assert_num_queries, user_count):
    # given: users who each own clients, messages and mailings
    for _ in range(user_count):
        user = UserFactory()
        MailingFactory(owner=user, clients=ClientFactory.create_batch(2, owner=user))

    # when / then: the session with the viewer's roles, one page of users with its total and
    # every count and role as subqueries
    with gql.login(manager), django_assert_num_queries(3):
        result = gql.query(USERS, {"first": 50}).data["users"]
    assert result["totalCount"] == user_count + 1
    assert sorted(edge["node"]["clientCount"] for edge in result["edges"]) == [0] + [2] * user_count


@pytest.mark.django_db
def test_users_is_for_managers_only(gql, owner):
    # given
    editor = ContentManagerFactory()
    query = "{ users { totalCount } }"

    # when
    anonymous = gql.query(query, assert_no_errors=False)
    with gql.login(owner):
        as_owner = gql.query(query, assert_no_errors=False)
    with gql.login(editor):
        as_editor = gql.query(query, assert_no_errors=False)

    # then
    def refusal(message):
        return (None, [{"message": message, "locations": [{"line": 1, "column": 3}], "path": ["users"]}])

    assert (anonymous.data, anonymous.errors) == refusal("User is not authenticated.")
    assert (as_owner.data, as_owner.errors) == refusal("User is not a manager.")
    assert (as_editor.data, as_editor.errors) == refusal("User is not a manager.")


@pytest.mark.django_db
def test_an_owner_sees_no_other_user(gql, owner, other_owner, manager):
    # given
    query = """query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { ... on User { email } } }"""

    # when
    with gql.login(owner):
        as_owner = gql.query(query, {"a": gid("User", other_owner.pk), "b": gid("User", owner.pk)}).data
    with gql.login(manager):
        as_manager = gql.query(query, {"a": gid("User", other_owner.pk), "b": gid("User", owner.pk)}).data

    # then
    assert as_owner == {"a": None, "b": {"email": "owner@example.com"}}
    assert as_manager == {"a": {"id": gid("User", other_owner.pk)}, "b": {"email": "owner@example.com"}}


@pytest.mark.django_db
def test_a_user_reads_their_own_counts_and_roles(gql, owner):
    # given
    MailingFactory(owner=owner, clients=ClientFactory.create_batch(2, owner=owner), status=MailingStatus.STARTED)

    # when
    with gql.login(owner):
        result = gql.query(
            "{ me { roles clientCount messageCount mailingCount activeMailingCount emailVerified } }"
        ).data["me"]

    # then
    assert result == {
        "roles": ["OWNER"],
        "clientCount": 2,
        "messageCount": 1,
        "mailingCount": 1,
        "activeMailingCount": 1,
        "emailVerified": True,
    }
