"""The API's armour: introspection and GraphiQL toggles, masked errors, CSRF for cookie sessions,
the CORS allow-list, oversized requests, and `check --deploy` with production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.db.utils import ProgrammingError
from django.test import Client as HttpClient

from accounts.models import User
from graphql_schema.tests.helpers import graphql_post as post
from mailing import selectors
from mailing.models import Client

ROOT = Path(__file__).resolve().parents[2]
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.django_db
def test_introspection_is_off_unless_configured(client, settings):
    # when
    settings.GRAPHQL_INTROSPECTION = False
    refused = post(client, INTROSPECTION).json()
    typename = post(client, "{ __typename }").json()
    settings.GRAPHQL_INTROSPECTION = True
    allowed = post(client, INTROSPECTION).json()
    # validation is cached per query text and limits: the same text is judged by the setting
    settings.GRAPHQL_INTROSPECTION = False
    refused_again = post(client, INTROSPECTION).json()

    # then
    assert refused == {
        "data": None,
        "errors": [
            {
                "message": "GraphQL introspection has been disabled, but the requested query contained the field "
                "'__schema'.",
                "locations": [{"line": 1, "column": 3}],
            },
            {
                "message": "GraphQL introspection has been disabled, but the requested query contained the field "
                "'queryType'.",
                "locations": [{"line": 1, "column": 14}],
            },
        ],
    }
    assert typename == {"data": {"__typename": "Query"}}
    assert allowed == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert refused_again == refused


@pytest.mark.django_db
def test_a_lowered_depth_limit_applies_to_a_query_validated_before(client, settings):
    # given: a query of depth 1, accepted once
    query = "{ randomPosts { id } }"
    accepted = post(client, query).json()

    # when
    settings.GRAPHQL_MAX_DEPTH = 0
    refused = post(client, query).json()

    # then
    assert "errors" not in accepted
    assert refused["data"] is None
    assert [error["message"] for error in refused["errors"]] == ["'anonymous' exceeds maximum operation depth of 0"]


@pytest.mark.django_db
def test_graphiql_is_not_served_unless_configured(client, settings):
    # given
    settings.GRAPHIQL = False

    # when
    page = client.get("/graphql/", headers={"Accept": "text/html"})
    api = client.get("/graphql/", {"query": "{ __typename }"})

    # then: the page is gone, the API still answers (and still hands out the CSRF cookie)
    assert (page.status_code, page.content) == (404, b"Not Found")
    assert api.json() == {"data": {"__typename": "Query"}}
    assert "csrftoken" in api.cookies


@pytest.fixture
def failing_selector(monkeypatch):
    """A database failure inside a resolver, worded as PostgreSQL words one."""

    def fail(**kwargs):
        raise ProgrammingError(
            'relation "accounts_secret" does not exist\nLINE 1: SELECT "password" FROM "accounts_secret"'
        )

    monkeypatch.setattr(selectors, "client_list", fail)


@pytest.mark.django_db
def test_internal_errors_are_masked_in_production(client, owner, settings, failing_selector):
    # given
    settings.DEBUG = False
    client.force_login(owner)

    # when
    response = post(client, "{ clients { totalCount } }")

    # then: no SQL, no stack trace, no exception name
    assert response.json() == {
        "data": None,
        "errors": [{"message": "Internal server error.", "locations": [{"line": 1, "column": 3}], "path": ["clients"]}],
    }
    for leak in ("accounts_secret", "SELECT", "Traceback", "ProgrammingError", "File "):
        assert leak not in response.content.decode()


@pytest.mark.django_db
def test_internal_errors_are_shown_with_debug_on(client, owner, settings, failing_selector):
    # given: the same failure while developing
    settings.DEBUG = True
    client.force_login(owner)

    # when
    response = post(client, "{ clients { totalCount } }")

    # then
    assert response.json()["errors"][0]["message"].startswith('relation "accounts_secret" does not exist')


@pytest.mark.django_db
def test_a_cookie_session_needs_the_csrf_token_for_a_mutation(owner):
    # given: a logged-in browser
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    create = 'mutation { createClient(input: {email: "ann@example.com", fullName: "Ann"}) { __typename } }'

    # when: a forged request (no token), then the documented flow: GET /accounts/csrf/, send the
    # token from its body in the X-CSRFToken header
    forged = post(browser, create)
    token = browser.get("/accounts/csrf/").json()["csrfToken"]
    wrong_token = post(browser, create, **{"X-CSRFToken": "x" * 64})
    genuine = post(browser, create, **{"X-CSRFToken": token})

    # then
    assert (forged.status_code, wrong_token.status_code) == (403, 403)
    assert genuine.json() == {"data": {"createClient": {"__typename": "Client"}}}
    assert list(Client.objects.values_list("email", flat=True)) == ["ann@example.com"]


@pytest.mark.django_db
def test_a_cross_origin_post_is_refused_unless_the_origin_is_trusted(owner, settings):
    # given
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    token = browser.get("/accounts/csrf/").json()["csrfToken"]

    # when
    evil = post(browser, "{ me { email } }", **{"X-CSRFToken": token, "Origin": "https://evil.example.net"})
    trusted = post(browser, "{ me { email } }", **{"X-CSRFToken": token, "Origin": "https://app.example.com"})

    # then
    assert evil.status_code == 403
    assert trusted.json() == {"data": {"me": {"email": "owner@example.com"}}}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/graphql/", "/accounts/csrf/"])
def test_cors_answers_only_the_allowed_origins(client, settings, path):
    # given
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-csrftoken"}

    # when
    allowed = client.options(path, headers={"Origin": "https://app.example.com", **preflight})
    refused = client.options(path, headers={"Origin": "https://evil.example.net", **preflight})

    # then
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    assert "x-csrftoken" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in refused


@pytest.mark.django_db
def test_cors_is_not_offered_on_other_pages(client, settings):
    # given
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    # when
    response = client.get("/", headers={"Origin": "https://app.example.com"})

    # then
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_aliases_and_depth_beyond_the_limits_run_nothing(owner, gql, django_capture_on_commit_callbacks):
    # given
    many = (
        "mutation { "
        + " ".join(
            f'a{n}: createClient(input: {{email: "c{n}@example.com", fullName: "C"}}) {{ __typename }}'
            for n in range(5000)
        )
        + " }"
    )
    registrations = (
        "mutation { "
        + " ".join(
            f'a{n}: register(input: {{email: "r{n}@example.com", password: "a fine long passphrase"}}) {{ __typename }}'
            for n in range(31)
        )
        + " }"
    )
    deep = (
        'mutation { createClient(input: {email: "d@example.com", fullName: "D"}) { ... on Client { id '
        + "x { " * 50
        + "}" * 50
        + " } } }"
    )

    # when
    with gql.login(owner), django_capture_on_commit_callbacks(execute=True):
        answers = [gql.query(query, assert_no_errors=False) for query in (many, registrations, deep)]

    # then
    assert [(answer.data, [error["message"] for error in answer.errors]) for answer in answers] == [
        (None, ["Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]),
        (None, ["31 aliases found. Allowed: 30"]),
        (None, ["'anonymous' exceeds maximum operation depth of 10", "Cannot query field 'x' on type 'Client'."]),
    ]
    assert (Client.objects.count(), User.objects.count(), len(mail.outbox)) == (0, 1, 0)


@pytest.mark.django_db
def test_an_oversized_request_body_is_refused(client, owner):
    # given: a 3 MB string, beyond Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    client.force_login(owner)
    body = "y" * (3 * 1024 * 1024)

    # when
    response = post(
        client,
        'mutation($c: String!) { createClient(input: {email: "a@example.com", fullName: $c}) { __typename } }',
        {"c": body},
    )

    # then
    assert response.status_code == 400
    assert Client.objects.count() == 0


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with only the given environment (production settings)."""
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "core.settings", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7#Qv9!mZp2$Lr8@Wx4^Tn6&Yb1*Hc3(Jd5)Fg0-Es9+Ua7=Ki2_Ol4",
    "ALLOWED_HOSTS": "mail.example.com",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_with_production_settings():
    # when
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    # then
    assert (result.returncode, result.stdout.strip(), result.stderr) == (
        0,
        "System check identified no issues (0 silenced).",
        "",
    )


def test_check_deploy_names_what_is_missing():
    # when: production, but cookies, HSTS and HTTPS left at their defaults and GraphiQL on
    env = {**PRODUCTION, "GRAPHIQL": "1"}
    for name in ("SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"):
        env.pop(name)
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)

    # then
    found = sorted(word.strip("():") for word in result.stderr.split() if word.startswith("(") and "." in word)
    assert result.returncode == 1
    assert found == [
        "core.W001",
        "core.W002",
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ]


def test_origins_allowed_by_cors_are_trusted_for_csrf_and_cookies_follow_the_environment():
    # when
    script = (
        "from django.conf import settings as s; "
        "print(s.CSRF_TRUSTED_ORIGINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_SAMESITE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.GRAPHIQL, s.GRAPHQL_INTROSPECTION)"
    )
    env = {
        **PRODUCTION,
        "CORS_ALLOWED_ORIGINS": "https://app.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://admin.example.com",
        "SESSION_COOKIE_SAMESITE": "None",
    }
    result = manage("shell", "--no-imports", "-c", script, **env)

    # then
    assert result.stdout.strip() == (
        "['https://admin.example.com', 'https://app.example.com'] True True None 31536000 True False False"
    )
