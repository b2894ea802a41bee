import pytest

from blog import services
from blog.models import Post
from blog.tests.factories import PostFactory, picture


@pytest.mark.django_db
def test_a_post_page_shows_the_post_and_counts_the_view(client):
    # given
    post = services.post_create(title="Hello & welcome", body="One.\n\nTwo.", image=picture(), is_published=True)

    # when
    response = client.get(f"/blog/{post.pk}/")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="mb-2">Hello &amp; welcome</h1>' in html
    assert "<p>One.</p>\n\n<p>Two.</p>" in html
    assert f'<img src="/media/{post.image.name}"' in html
    assert '<span id="post-views">1</span> view' in html
    assert Post.objects.get(pk=post.pk).view_count == 1


@pytest.mark.django_db
def test_a_draft_has_no_page(client):
    # given
    draft = PostFactory(is_published=False)

    # when
    response = client.get(f"/blog/{draft.pk}/")

    # then
    assert response.status_code == 404
    assert Post.objects.get(pk=draft.pk).view_count == 0


@pytest.mark.django_db
def test_the_blog_lists_published_posts_a_page_at_a_time(client, django_assert_num_queries):
    # given
    PostFactory.create_batch(13)
    PostFactory(title="Draft", is_published=False)

    # when
    with django_assert_num_queries(2):
        first = client.get("/blog/").content.decode()
    last = client.get("/blog/?page=2").content.decode()

    # then
    assert first.count('class="card h-100 post-card"') == 12
    assert last.count('class="card h-100 post-card"') == 1
    assert "Draft" not in first + last


@pytest.mark.django_db
def test_uploaded_images_are_served_only_when_configured(client, settings):
    # given
    post = services.post_create(title="Pictured", body="Text", image=picture(), is_published=True)

    # when
    settings.SERVE_MEDIA = True
    served = client.get(f"/media/{post.image.name}")
    settings.SERVE_MEDIA = False
    refused = client.get(f"/media/{post.image.name}")

    # then
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")
    assert refused.status_code == 404
