import re

import pytest
from django.core.cache import cache

from blog import services
from blog.tests.factories import PostFactory, picture
from mailing.models import MailingStatus
from mailing.tests.factories import ClientFactory, MailingFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _figure(html: str, name: str) -> str:
    return re.search(rf'id="stat-{name}">([^<]*)<', html).group(1)


@pytest.mark.django_db
def test_home_page_shows_the_figures_and_three_random_posts(client, owner):
    # given
    a, b = ClientFactory(owner=owner, email="a@x.org"), ClientFactory(owner=owner, email="b@x.org")
    MailingFactory(owner=owner, status=MailingStatus.STARTED, clients=[a, b])
    MailingFactory(owner=owner, status=MailingStatus.STARTED, is_active=False, clients=[a])
    posts = PostFactory.create_batch(4)
    PostFactory(title="A draft", is_published=False)

    # when
    response = client.get("/")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert [_figure(html, name) for name in ("mailings-total", "mailings-active", "unique-clients")] == ["2", "1", "2"]
    shown = re.findall(r'href="/blog/(\d+)/" class="stretched-link"', html)
    assert len(shown) == 3
    assert len(set(shown)) == 3
    assert set(shown) <= {str(post.pk) for post in posts}
    assert "A draft" not in html
    assert 'href="/graphql/"' in html
    assert 'href="/admin/"' in html
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html


@pytest.mark.django_db
def test_home_page_shows_thumbnails(client):
    # given
    post = services.post_create(title="Pictured", body="Text", image=picture(), is_published=True)

    # when
    html = client.get("/").content.decode()

    # then
    assert f'<img src="/media/{post.thumbnail.name}"' in html


@pytest.mark.django_db
def test_home_page_of_an_empty_service(client):
    # when
    html = client.get("/").content.decode()

    # then
    assert [_figure(html, name) for name in ("mailings-total", "mailings-active", "unique-clients")] == ["0", "0", "0"]
    assert "No posts yet." in html


@pytest.mark.django_db
def test_the_graphiql_link_follows_the_setting(client, settings):
    # given
    settings.GRAPHIQL = False

    # when
    html = client.get("/").content.decode()

    # then
    assert 'href="/graphql/"' not in html
