"""The executor's short path for plain leaves answers exactly as graphql-core's own path."""

import enum
import logging
import re
from pathlib import Path

import graphql
import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_schema import execution
from graphql_schema.execution import Executor


@strawberry.enum
class Color(enum.Enum):
    RED = "red"


@strawberry.type
class Tag:
    label: str


@strawberry.type
class Row:
    name: str
    nickname: str | None
    count: int
    color: Color
    tag: Tag
    maybe_tag: Tag | None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


class Broken:
    """A row whose name raises when read."""

    nickname = None
    count = 1
    color = Color.RED
    maybe_tag = None

    @property
    def tag(self):
        raise RuntimeError("cannot read the tag")

    @property
    def name(self):
        raise RuntimeError("cannot read the name")


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row | None]:
        return [
            Row(name="ann", nickname=None, count=1, color=Color.RED, tag=Tag(label="a"), maybe_tag=None),
            Row(name=None, nickname="b", count=2, color=Color.RED, tag=Tag(label="b"), maybe_tag=None),  # null name
            Row(name="cat", nickname="c", count="three", color=Color.RED, tag=Tag(label="c"), maybe_tag=None),
            Row(name="dan", nickname="d", count=4, color="blue", tag=Tag(label="d"), maybe_tag=None),  # not a Color
            Broken(),
            Row(name="eve", nickname="e", count=5, color=Color.RED, tag=Tag(label=None), maybe_tag=None),  # null label
            Row(name="fay", nickname="f", count=6, color=Color.RED, tag=Tag(label="f"), maybe_tag=Tag(label=None)),
            Row(name="gus", nickname="g", count=7, color=Color.RED, tag=None, maybe_tag=Tag(label="g")),  # null tag
            Row(name="hal", nickname="h", count=8, color=Color.RED, tag="not a tag", maybe_tag=None),
        ]


QUERY = """{
  rows {
    __typename name alias: name nickname count color shout twice: shout(times: 2)
    tag { label } maybeTag { label }
  }
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
        "tag": {"label": "a"},
        "maybeTag": None,
    }
    assert data["rows"][1:5] == [None, None, None, None]
    assert data["rows"][5] is None  # the non-null tag's null label made the row null
    assert data["rows"][6]["maybeTag"] is None  # the nullable tag's null label made only it null
    assert data["rows"][6]["tag"] == {"label": "f"}
    assert data["rows"][7:] == [None, None]
    assert {path for _, path in errors} >= {
        ("rows", 1, "name"),
        ("rows", 2, "count"),
        ("rows", 3, "color"),
        ("rows", 4, "name"),  # the first error of a row ends it: its tag is not read
        ("rows", 5, "tag", "label"),
        ("rows", 6, "maybeTag", "label"),
        ("rows", 7, "tag"),
        ("rows", 8, "tag", "label"),  # a string where a Tag is meant has no label
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
    assert any(leaf is not None for leaf in execution._SHAPES.values())


@pytest.mark.django_db
def test_viewer_permissions_are_decided_once_a_request_and_a_refusal_keeps_its_answer(gql, owner, monkeypatch):
    # given: a manager, two mailings of the owner, and the rules the permissions make, counted
    from accounts.tests.factories import ManagerFactory
    from graphql_schema.permissions import IsManager, IsSelfOrManager
    from mailing.tests.factories import MailingFactory

    manager = ManagerFactory(email="manager@example.com")
    MailingFactory.create_batch(2, owner=owner)
    made = []
    for permission in (IsManager, IsSelfOrManager):
        monkeypatch.setattr(
            permission,
            "row_rule",
            lambda self, user, real=permission.row_rule: made.append(type(self).__name__) or real(self, user),
        )
    users = "users(first: 10) { edges { node { email blockedReason } } }"
    mine = "me { email blockedAt } mailings(first: 10) { edges { node { owner { email timeZone } } } }"

    # when
    with gql.login(manager):
        as_manager = gql.query(f"{{ {users} {mine} }}")
    made_for_manager = sorted(made)
    with gql.login(owner):
        as_owner = gql.query(f"{{ {mine} }}", assert_no_errors=False)

    # then: the manager reads every row, with one rule a permission (a field's) for the request
    assert sorted(edge["node"]["email"] for edge in as_manager.data["users"]["edges"]) == [
        "manager@example.com",
        "owner@example.com",
    ]
    assert as_manager.data["me"] == {"email": "manager@example.com", "blockedAt": None}
    assert (
        as_manager.data["mailings"]["edges"]
        == [{"node": {"owner": {"email": "owner@example.com", "timeZone": "UTC"}}}] * 2
    )
    # `users` itself, blockedReason, blockedAt; email; owner, timeZone
    assert made_for_manager == ["IsManager"] * 3 + ["IsSelfOrManager"] * 3
    # the owner reads their own rows; a refused field answers as the permission does (a silent null)
    assert as_owner.data == {
        "me": {"email": "owner@example.com", "blockedAt": None},
        "mailings": {"edges": [{"node": {"owner": {"email": "owner@example.com", "timeZone": "UTC"}}}] * 2},
    }
    assert as_owner.errors is None


def test_the_pinned_graphql_core_is_the_one_installed_and_gets_the_short_path():
    # given
    requirements = (Path(__file__).resolve().parents[2] / "requirements.txt").read_text()

    # then
    assert re.findall(r"^graphql-core==(\S+)$", requirements, flags=re.MULTILINE) == [execution.GRAPHQL_CORE_VERSION]
    assert graphql.version == execution.GRAPHQL_CORE_VERSION
    assert execution.executor_for(graphql.version) is execution.ShortPathExecutor
    assert Executor is execution.ShortPathExecutor


def test_another_graphql_core_gets_its_own_executor_and_one_warning(monkeypatch, caplog):
    # given: a version seen for the first time
    execution.executor_for.cache_clear()
    monkeypatch.setattr(graphql, "version", "3.3.99")

    # when
    with caplog.at_level(logging.WARNING, logger="graphql_schema.execution"):
        first = execution.executor_for(graphql.version)
        second = execution.executor_for(graphql.version)

    # then: graphql-core's own executor, which still answers as the short path does
    assert first is second is StrawberryGraphQLCoreExecutionContext
    assert [record.getMessage() for record in caplog.records] == [
        "graphql-core 3.3.99 is installed, but graphql_schema.execution copies 3.3.2's executor: using "
        "graphql-core's own executor (correct, slower). Install the version requirements.txt pins."
    ]
    assert execute(first) == execute(execution.ShortPathExecutor)
