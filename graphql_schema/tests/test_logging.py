"""What a request writes to the log: a client's mistake at INFO in one line without a traceback,
our own fault at ERROR with it; each line names the operation and carries the request's id."""

import json
import logging
import re

import pytest
from django.db.utils import ProgrammingError

from core.request_id import RequestIdFilter
from graphql_schema import pagination
from mailing import selectors


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="strawberry.execution")
    # As LOGGING's handler does: the id of the request being served on each record.
    caplog.handler.addFilter(RequestIdFilter())
    return caplog


def post(client, query: str, variables=None, **headers):
    return client.post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        headers=headers,
    )


def lines(caplog) -> list[tuple[str, str, str, bool]]:
    return [
        (record.levelname, record.getMessage(), record.request_id, record.exc_info is not None)
        for record in caplog.records
        if record.name == "strawberry.execution"
    ]


@pytest.mark.django_db
def test_a_validation_error_is_one_info_line_with_the_operation_and_the_request_id(client, log, settings):
    # given
    settings.DEBUG = False

    # when
    response = post(client, "query Probe { xyzzy }")

    # then
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert lines(log) == [("INFO", "Probe: Cannot query field 'xyzzy' on type 'Query'.", request_id, False)]


@pytest.mark.django_db
def test_a_bad_argument_and_a_refusal_are_info_lines(client, owner, log, settings):
    # given
    settings.DEBUG = False
    client.force_login(owner)

    # when
    bad = post(client, 'query Clients { clients(after: "abc") { totalCount } }', **{"X-Request-ID": "proxy-42"})
    refused = post(client, "query Users { users { totalCount } }")

    # then: the proxy's id is kept
    assert bad["X-Request-ID"] == "proxy-42"
    assert lines(log) == [
        ("INFO", "Clients: Argument 'after' is not a cursor of this list.", "proxy-42", False),
        ("INFO", "Users: User is not a manager. (at users)", refused["X-Request-ID"], False),
    ]


@pytest.mark.django_db
def test_an_unexpected_exception_is_an_error_line_with_its_traceback(client, owner, log, settings, monkeypatch):
    # given
    settings.DEBUG = False
    client.force_login(owner)

    def fail(**kwargs):
        raise ProgrammingError('relation "accounts_secret" does not exist')

    monkeypatch.setattr(selectors, "client_list", fail)

    # when
    response = post(client, "query Clients { clients { totalCount } }", **{"X-Request-ID": "bad id with spaces"})

    # then: an id that is not a sane one is replaced
    request_id = response["X-Request-ID"]
    assert request_id != "bad id with spaces"
    assert lines(log) == [
        ("ERROR", 'Clients: relation "accounts_secret" does not exist (at clients)', request_id, True)
    ]
    assert log.records[-1].exc_info[0] is ProgrammingError


def test_outside_a_request_the_id_is_a_dash():
    # given
    record = logging.LogRecord("mailing", logging.INFO, __file__, 1, "sent", None, None)

    # when
    RequestIdFilter().filter(record)

    # then
    assert record.request_id == "-"


@pytest.mark.django_db
def test_an_exception_in_an_extension_is_an_error_line_with_its_traceback(client, log, monkeypatch):
    # given: the cursor check (a schema extension, outside every field) fails
    def fail(value):
        raise RuntimeError("the cursor check broke")

    monkeypatch.setattr(pagination, "is_cursor", fail)

    # when
    response = post(client, 'query Posts { posts(after: "abc") { totalCount } }')

    # then
    assert lines(log) == [("ERROR", "Posts: the cursor check broke", response["X-Request-ID"], True)]
