"""The executor's short path for plain leaves answers exactly as graphql-core's own path."""

import enum

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_schema.execution import Executor


@strawberry.enum
class Color(enum.Enum):
    RED = "red"


@strawberry.type
class Row:
    name: str
    nickname: str | None
    count: int
    color: Color

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


class Broken:
    """A row whose name raises when read."""

    nickname = None
    count = 1
    color = Color.RED

    @property
    def name(self):
        raise RuntimeError("cannot read the name")


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row | None]:
        return [
            Row(name="ann", nickname=None, count=1, color=Color.RED),
            Row(name=None, nickname="b", count=2, color=Color.RED),  # null where non-null
            Row(name="cat", nickname="c", count="three", color=Color.RED),  # not an Int
            Row(name="dan", nickname="d", count=4, color="blue"),  # not a Color
            Broken(),
        ]


QUERY = """{
  rows { __typename name alias: name nickname count color shout twice: shout(times: 2) }
}"""


def execute(executor_class):
    schema = strawberry.Schema(query=Query, execution_context_class=executor_class)
    result = schema.execute_sync(QUERY)
    errors = sorted((error.message, tuple(error.path)) for error in result.errors or [])
    return result.data, errors


def test_the_short_path_answers_as_graphql_core_does_values_nulls_and_errors():
    # when
    short = execute(Executor)
    reference = execute(StrawberryGraphQLCoreExecutionContext)

    # then: the same data and the same errors, at the same paths
    assert short == reference
    data, errors = short
    assert data["rows"][0] == {
        "__typename": "Row",
        "name": "ann",
        "alias": "ann",
        "nickname": None,
        "count": 1,
        "color": "RED",
        "shout": "ANN",
        "twice": "ANNANN",
    }
    assert data["rows"][1:] == [None, None, None, None]
    assert {path for _, path in errors} >= {
        ("rows", 1, "name"),
        ("rows", 2, "count"),
        ("rows", 3, "color"),
        ("rows", 4, "name"),
    }


@pytest.mark.django_db
def test_the_api_uses_the_short_path(gql, owner):
    # given
    from graphql_schema import execution
    from mailing.tests.factories import ClientFactory

    ClientFactory(owner=owner, email="ann@example.org", full_name="Ann Example")

    # when
    with gql.login(owner):
        result = gql.query("{ clients(first: 5) { edges { node { email fullName } } } }").data

    # then
    assert result == {"clients": {"edges": [{"node": {"email": "ann@example.org", "fullName": "Ann Example"}}]}}
    assert any(leaf is not None for leaf in execution._LEAVES.values())
