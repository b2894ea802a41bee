import pytest
from django.test import Client as HttpClient

from accounts.tests.factories import PASSWORD
from graphql_schema.tests.helpers import gid
from graphql_schema.tests.helpers import graphql_post as post

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on User { id email fullName }
    ... on OperationInfo { messages { kind field message code } }
  }
}"""
ME = "{ me { id email fullName } }"
LOGOUT = "mutation { logout }"


@pytest.mark.django_db
def test_login_me_and_logout(gql, owner):
    # when
    logged_in = gql.query(LOGIN, {"email": "OWNER@example.com", "password": PASSWORD}).data["login"]
    me = gql.query(ME).data["me"]
    logged_out = gql.query(LOGOUT).data["logout"]
    me_after = gql.query(ME).data["me"]

    # then
    user = {"id": gid("User", owner.pk), "email": "owner@example.com", "fullName": "Olga Owner"}
    assert logged_in == {"__typename": "User", **user}
    assert me == user
    assert logged_out is True
    assert me_after is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "password"),
    [("owner@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
)
def test_login_failure_does_not_reveal_whether_the_email_exists(gql, owner, email, password):
    # when
    result = gql.query(LOGIN, {"email": email, "password": password}).data["login"]

    # then
    assert result == {
        "__typename": "OperationInfo",
        "messages": [
            {
                "kind": "VALIDATION",
                "field": None,
                "message": "Incorrect e-mail or password.",
                "code": "invalid_credentials",
            }
        ],
    }
    assert gql.query(ME).data["me"] is None


@pytest.mark.django_db
def test_a_browser_session_over_http_needs_the_csrf_token(owner):
    # given: a client that enforces CSRF as a browser's requests are checked
    http = HttpClient(enforce_csrf_checks=True)

    # when: a POST without the token
    refused = post(http, LOGIN, {"email": "owner@example.com", "password": PASSWORD})

    # then
    assert refused.status_code == 403

    # when: the token from a GET of the endpoint is sent back in the header
    http.get("/graphql/", headers={"Accept": "text/html"})
    token = http.cookies["csrftoken"].value
    login = post(http, LOGIN, {"email": "owner@example.com", "password": PASSWORD}, csrf=token)

    # then: logged in; login rotates the token, and the new one works
    assert login.status_code == 200
    assert login.json()["data"]["login"]["email"] == "owner@example.com"
    rotated = http.cookies["csrftoken"].value
    assert rotated != token
    me = post(http, ME, csrf=rotated)
    assert me.json() == {
        "data": {"me": {"id": gid("User", owner.pk), "email": "owner@example.com", "fullName": "Olga Owner"}}
    }
    created = post(
        http,
        'mutation { createClient(input: {email: "ann@example.com", fullName: "Ann"}) { __typename } }',
        csrf=rotated,
    )
    assert created.json() == {"data": {"createClient": {"__typename": "Client"}}}
