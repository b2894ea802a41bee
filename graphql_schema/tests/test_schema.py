from pathlib import Path

import pytest
from strawberry.printer import print_schema

from graphql_schema.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_exported_schema_is_up_to_date():
    # when
    current = print_schema(schema)

    # then
    assert SCHEMA_FILE.read_text() == current, "graphql_schema/schema.graphql is stale: run `make schema`"


@pytest.mark.django_db
def test_graphiql_is_served(client):
    # when
    response = client.get("/graphql/", headers={"Accept": "text/html"})

    # then
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()
    assert "csrftoken" in response.cookies


# Six levels below the root field, as the depth limiter counts.
NESTED = "{ mailings { edges { node { clients { edges { node { id } } } } } } }"


@pytest.mark.django_db
def test_query_within_the_depth_limit_runs(gql, owner):
    # when
    with gql.login(owner):
        result = gql.query(NESTED)

    # then
    assert result.data == {"mailings": {"edges": []}}


@pytest.mark.django_db
def test_query_deeper_than_the_limit_is_refused(gql, owner, settings):
    # given
    settings.GRAPHQL_MAX_DEPTH = 5

    # when
    with gql.login(owner):
        result = gql.query(NESTED, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["'anonymous' exceeds maximum operation depth of 5"]


@pytest.mark.django_db
def test_a_50_deep_query_is_refused_for_its_depth(gql):
    # given
    query = "{ me " + "{ a " * 49 + "}" * 49 + " }"

    # when
    result = gql.query(query, assert_no_errors=False)

    # then
    assert result.data is None
    assert "'anonymous' exceeds maximum operation depth of 10" in [error["message"] for error in result.errors]


@pytest.mark.django_db
def test_more_aliases_than_the_limit_are_refused(gql):
    # given
    query = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(31)) + " }"

    # when
    result = gql.query(query, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == ["31 aliases found. Allowed: 30"]


@pytest.mark.django_db
def test_a_5000_alias_query_is_refused_before_it_is_parsed(gql):
    # given
    query = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(5000)) + " }"

    # when
    result = gql.query(query, assert_no_errors=False)

    # then
    assert result.data is None
    assert [error["message"] for error in result.errors] == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    ]
