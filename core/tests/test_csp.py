"""Every page answers with the Content-Security-Policy: scripts only from our own files, and no
page of ours inside another's frame."""

import pytest
from django.test import Client

from accounts.tests.factories import ManagerFactory
from blog.tests.factories import PostFactory
from graphql_schema.tests.helpers import gid
from mailing.rendering import unsubscribe_token
from mailing.tests.factories import ClientFactory, MailingFactory

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def directives(header: str) -> dict[str, list[str]]:
    # django-csp writes the directives in no fixed order.
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


PAGES = [
    "/",
    "/blog/",
    "/blog/{post}/",
    "/accounts/login/",
    "/accounts/register/",
    "/accounts/password-reset/",
    "/app/",
    "/app/account/",
    "/app/clients/",
    "/app/messages/",
    "/app/mailings/",
    "/app/mailings/{mailing}/",
    "/app/senders/",
    "/app/manage/",
    "/app/dev/mail/",
    "/admin/",
    "/admin/mailing/mailing/",
    "/admin/mailing/mailing/{mailing_pk}/change/",
    "/graphql/",
    "/unsubscribe/{token}/",
    "/unsubscribe/not-a-token/",
    "/no-such-page/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_with_the_policy(client, settings, tmp_path, path):
    # given: a manager (staff) signed in, with a mailing, a client and a post to show
    settings.DEBUG = path == "/app/dev/mail/"  # that page is only there with DEBUG on
    settings.MAIL_CATCHER_DIR = tmp_path
    manager = ManagerFactory(is_superuser=True)
    ann = ClientFactory(owner=manager)
    mailing = MailingFactory(owner=manager, clients=[ann])
    post = PostFactory()
    client.force_login(manager)
    url = path.format(
        post=post.pk,
        mailing=gid("Mailing", mailing.pk),
        mailing_pk=mailing.pk,
        token=unsubscribe_token(ann.pk),
    )

    # when
    response = client.get(url, HTTP_ACCEPT="text/html")

    # then
    assert response.status_code in {200, 404}
    assert (response.status_code == 404) == (url in {"/unsubscribe/not-a-token/", "/no-such-page/"})
    assert directives(response["Content-Security-Policy"]) == directives(POLICY)


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_the_policy_on_the_refusals_too(client):
    # when: the admin's login, a page that needs a session, and a POST without a CSRF token
    admin_login = client.get("/admin/login/")
    redirect = client.get("/app/")
    refused = Client(enforce_csrf_checks=True).post("/graphql/", {"query": "{ me { email } }"})

    # then
    assert (admin_login.status_code, redirect.status_code, refused.status_code) == (200, 302, 403)
    assert directives(admin_login["Content-Security-Policy"]) == directives(POLICY)
    assert directives(redirect["Content-Security-Policy"]) == directives(POLICY)
    assert directives(refused["Content-Security-Policy"]) == directives(POLICY)


@pytest.mark.django_db
def test_the_message_preview_keeps_its_stricter_sandboxed_policy(client, owner):
    # given
    client.force_login(owner)

    # when
    response = client.post("/app/messages/preview/", {"html_body": "<p style='color: red'>Hi {name}</p>"})

    # then
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
        "font-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
    )
