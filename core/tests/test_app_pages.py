import pytest

APP_PAGES = [
    "/app/",
    "/app/account/",
    "/app/clients/",
    "/app/messages/",
    "/app/mailings/",
    "/app/senders/",
    "/app/manage/",
]


@pytest.mark.parametrize("path", APP_PAGES)
def test_an_app_page_sends_an_anonymous_visitor_to_the_login_page(client, path):
    # when
    response = client.get(path)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", APP_PAGES)
def test_an_app_page_is_served_to_a_signed_in_user(client, owner, path):
    # given
    client.force_login(owner)

    # when
    response = client.get(path)

    # then
    assert response.status_code == 200
    assert b'id="main"' in response.content


def test_the_login_page_keeps_only_a_local_next(client, db):
    # when
    local = client.get("/accounts/login/?next=/app/clients/")
    foreign = client.get("/accounts/login/?next=https://evil.example/")

    # then
    assert local.context["next"] == "/app/clients/"
    assert foreign.context["next"] == "/app/"


def test_logout_is_a_post_that_ends_the_session(client, owner):
    # given
    client.force_login(owner)

    # when
    refused = client.get("/accounts/logout/")
    response = client.post("/accounts/logout/")

    # then
    assert refused.status_code == 405
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/app/").status_code == 302
