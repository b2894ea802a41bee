import json

import pytest

from accounts import services as account_services
from accounts.tests.factories import ManagerFactory
from core.tests.tools import require_tools

MAIL = (
    "From: Mailing service <noreply@localhost>\nTo: nina@example.com\nSubject: Verify your e-mail address\n"
    "Date: Wed, 02 Dec 2026 10:15:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n"
    "Open http://127.0.0.1:8000/accounts/verify/abc/ <b>now</b>.\n"
)


@pytest.mark.parametrize("path", ["/accounts/register/", "/accounts/password-reset/"])
def test_the_account_pages_are_served_to_anyone(client, db, path):
    # when
    response = client.get(path)

    # then
    assert response.status_code == 200
    assert b"data-error-summary" in response.content


def test_the_dev_mail_pages_exist_only_with_debug_on(client, settings, tmp_path, db):
    # given
    settings.MAIL_CATCHER_DIR = tmp_path
    (tmp_path / "20261202-101500-000001-00001.eml").write_text(MAIL)
    settings.DEBUG = False

    # when
    off = [client.get("/app/dev/mail/"), client.get("/app/dev/mail/20261202-101500-000001-00001.eml/")]
    settings.DEBUG = True
    listed = client.get("/app/dev/mail/")
    opened = client.get("/app/dev/mail/20261202-101500-000001-00001.eml/")
    outside = client.get("/app/dev/mail/..%2Fsecret.eml/")

    # then
    assert [r.status_code for r in off] == [404, 404]
    assert listed.status_code == 200
    assert b'href="/app/dev/mail/20261202-101500-000001-00001.eml/">Verify your e-mail address</a>' in listed.content
    assert opened.status_code == 200
    body = opened.content.decode()
    link = '<a href="http://127.0.0.1:8000/accounts/verify/abc/">http://127.0.0.1:8000/accounts/verify/abc/</a>'
    assert link in body
    assert "&lt;b&gt;now&lt;/b&gt;" in body
    assert outside.status_code == 404


def _me(client):
    return client.post("/graphql/", json.dumps({"query": "{ me { email } }"}), content_type="application/json")


def test_the_api_says_whether_the_request_was_signed_in(client, owner):
    # given
    anonymous = _me(client)
    client.force_login(owner)
    signed_in = _me(client)

    # when: a manager blocks the owner
    account_services.user_block(user=owner, reason="Spam", actor=ManagerFactory())
    blocked = _me(client)

    # then
    assert [r["X-Signed-In"] for r in (anonymous, signed_in, blocked)] == ["0", "1", "0"]
    assert signed_in.json() == {"data": {"me": {"email": "owner@example.com"}}}
    assert blocked.json() == {"data": {"me": None}}


def test_a_missing_program_skips_saying_why_or_fails_when_required(monkeypatch):
    # when
    monkeypatch.delenv("REQUIRE_TEST_TOOLS", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_tools("/nonexistent/chromium", purpose="the browser tests", install="apt-get install chromium")
    monkeypatch.setenv("REQUIRE_TEST_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        require_tools("/nonexistent/chromium", purpose="the browser tests", install="apt-get install chromium")
    require_tools("python3", purpose="nothing", install="-")  # found: returns

    # then
    assert str(skipped.value) == (
        "/nonexistent/chromium not found: the browser tests need it (apt-get install chromium)"
    )
    assert str(failed.value) == (
        "/nonexistent/chromium not found: the browser tests need it (apt-get install chromium); "
        "REQUIRE_TEST_TOOLS=1 makes this a failure"
    )
