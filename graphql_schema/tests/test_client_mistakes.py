"""A client's mistake gets an answer that names it, with DEBUG off (errors masked): a cursor that
is none, a node id of no row or no type, a search text beyond its limit."""

import pytest

from accounts.tests.factories import ManagerFactory
from graphql_schema.errors import SEARCH_MAX
from graphql_schema.tests.helpers import gid
from mailing.tests.factories import ClientFactory, MailingFactory


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "{ clients(after: $cursor) { totalCount } }",
        "{ mailings(after: $cursor) { totalCount } }",
        "{ messages(after: $cursor) { totalCount } }",
        "{ posts(after: $cursor) { totalCount } }",
        "{ deliveryAttempts(after: $cursor) { totalCount } }",
        "{ mailings { edges { node { clients(after: $cursor) { totalCount } } } } }",
    ],
)
@pytest.mark.parametrize("cursor", ["abc", "YXJyYXljb25uZWN0aW9uOng="])  # not base64; "arrayconnection:x"
def test_a_cursor_that_is_none_is_refused_by_name(gql, owner, query, cursor):
    # given
    MailingFactory(owner=owner)

    # when
    with gql.login(owner):
        result = gql.query(
            query.replace("{", "query ($cursor: String) {", 1), {"cursor": cursor}, assert_no_errors=False
        )

    # then
    assert result.data is None
    assert [(error["message"], error["extensions"]) for error in result.errors] == [
        ("Argument 'after' is not a cursor of this list.", {"field": "after", "code": "invalid"})
    ]


@pytest.mark.django_db
def test_a_literal_before_that_is_no_cursor_is_refused_by_name(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query('{ clients(before: "Incorrect") { totalCount } }', assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["Argument 'before' is not a cursor of this list."]


@pytest.mark.django_db
def test_a_cursor_of_the_list_still_pages(gql, owner):
    # given
    for n in range(3):
        ClientFactory(owner=owner, email=f"c{n}@example.com")
    first = "query ($after: String) { clients(first: 1, after: $after, ordering: {email: ASC}) "
    query = first + "{ edges { cursor node { email } } } }"

    # when
    with gql.login(owner):
        page = gql.query(query).data["clients"]["edges"]
        next_page = gql.query(query, {"after": page[0]["cursor"]}).data["clients"]["edges"]

    # then
    assert [edge["node"]["email"] for edge in page + next_page] == ["c0@example.com", "c1@example.com"]


@pytest.mark.django_db
@pytest.mark.parametrize("node_id", ["Q2xpZW50Ong=", "Rm9vOjE=", gid("Client", 999), gid("PageInfo", 1)])
def test_a_node_id_of_no_row_or_no_type_answers_null(gql, owner, node_id):
    # given: Client:x, Foo:1, a client that does not exist, a type that is no node
    ClientFactory(owner=owner)

    # when
    with gql.login(owner):
        result = gql.query("query ($id: ID!) { node(id: $id) { id } }", {"id": node_id})

    # then
    assert result.data == {"node": None}


@pytest.mark.django_db
def test_a_node_id_of_a_row_still_answers_it(gql, owner):
    # given
    client = ClientFactory(owner=owner, email="ann@example.com")

    # when
    with gql.login(owner):
        result = gql.query(
            "query ($id: ID!) { node(id: $id) { ... on Client { email } } }", {"id": gid("Client", client.pk)}
        )

    # then
    assert result.data == {"node": {"email": "ann@example.com"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "{ clients(filters: {search: $text}) { totalCount } }",
        "{ messages(filters: {search: $text}) { totalCount } }",
        "{ mailings(filters: {search: $text}) { totalCount } }",
    ],
)
def test_a_search_beyond_its_limit_is_refused_by_name(gql, owner, query):
    # given
    query = query.replace("{", "query ($text: String!) {", 1)

    # when
    with gql.login(owner):
        within = gql.query(query, {"text": "a" * SEARCH_MAX})
        beyond = gql.query(query, {"text": "a" * 100_000}, assert_no_errors=False)

    # then
    assert [*within.data.values()] == [{"totalCount": 0}]
    assert beyond.data is None
    assert [(error["message"], error["extensions"]) for error in beyond.errors] == [
        ("Argument 'search' must be at most 200 characters.", {"field": "search", "code": "too_long"})
    ]


@pytest.mark.django_db
def test_a_managers_user_search_beyond_its_limit_is_refused_by_name(gql):
    # given
    manager = ManagerFactory()

    # when
    with gql.login(manager):
        result = gql.query(
            "query ($text: String!) { users(filters: {search: $text}) { totalCount } }",
            {"text": "a" * (SEARCH_MAX + 1)},
            assert_no_errors=False,
        )

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["Argument 'search' must be at most 200 characters."]
