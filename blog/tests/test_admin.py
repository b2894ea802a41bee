import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import ContentManagerFactory
from blog import services
from blog.models import Post
from blog.tests.factories import PostFactory, picture


@pytest.fixture
def editor(client, db):
    client.force_login(ContentManagerFactory())
    return client


def _admin_apps(html: str) -> list[str]:
    return re.findall(r'<caption>\s*<a href="/admin/(\w+)/"', html)


def test_content_managers_see_the_blog_and_nothing_else(editor):
    # when
    index = editor.get("/admin/")

    # then
    assert index.status_code == 200
    assert _admin_apps(index.content.decode()) == ["blog"]
    others = ["/admin/accounts/user/", "/admin/mailing/mailing/", "/admin/mailing/client/", "/admin/django_q/schedule/"]
    assert {url: editor.get(url).status_code for url in others} == dict.fromkeys(others, 403)


def test_a_content_manager_adds_a_post_with_an_image(editor):
    # when
    response = editor.post(
        "/admin/blog/post/add/",
        {"title": "Spring news", "body": "Text", "image": picture("spring.png"), "is_published": "on"},
    )

    # then
    assert response.status_code == 302
    post = Post.objects.get()
    assert (post.title, post.is_published) == ("Spring news", True)
    assert post.published_at is not None
    assert post.image.name.endswith(".png")
    assert post.thumbnail.name.startswith("blog/thumbnails/")


def test_the_admin_refuses_a_text_file_renamed_png_on_the_image_field(editor):
    # given
    fake = SimpleUploadedFile("photo.png", b"not a picture at all", content_type="image/png")

    # when
    response = editor.post("/admin/blog/post/add/", {"title": "Fake", "body": "Text", "image": fake})

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "image": ["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]
    }
    assert Post.objects.count() == 0


def test_changing_the_image_in_the_admin_makes_a_new_thumbnail(editor):
    # given
    post = services.post_create(title="Photo", body="Text", image=picture(color="red"))
    old_thumbnail = post.thumbnail.name

    # when
    response = editor.post(
        f"/admin/blog/post/{post.pk}/change/",
        {"title": "Photo", "body": "Text", "image": picture("blue.jpg", format="JPEG", color="blue")},
    )

    # then
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.image.name.endswith(".jpg")
    assert post.thumbnail.name != old_thumbnail


def test_bulk_publish_and_unpublish(editor):
    # given
    drafts = PostFactory.create_batch(2, is_published=False, published_at=None)
    ids = [str(post.pk) for post in drafts]

    # when
    editor.post("/admin/blog/post/", {"action": "publish", "_selected_action": ids})

    # then
    assert Post.objects.filter(is_published=True, published_at__isnull=False).count() == 2

    # when
    editor.post("/admin/blog/post/", {"action": "unpublish", "_selected_action": ids[:1]})

    # then
    assert list(Post.objects.filter(is_published=True).values_list("pk", flat=True)) == [drafts[1].pk]


def test_the_list_shows_thumbnails_and_view_counts_in_as_many_queries_for_1_or_21_posts(editor):
    # given
    pictured = services.post_create(title="Pictured", body="Text", image=picture(), is_published=True)
    with CaptureQueriesContext(connection) as one_post:
        response = editor.get("/admin/blog/post/")
    PostFactory.create_batch(20, view_count=5)

    # when
    with CaptureQueriesContext(connection) as many_posts:
        many = editor.get("/admin/blog/post/")

    # then
    assert f'<img src="/media/{pictured.thumbnail.name}"' in response.content.decode()
    assert many.content.decode().count('<td class="field-view_count">5</td>') == 20
    assert len(many_posts) == len(one_post) <= 10


def test_the_change_page_previews_the_image_and_shows_views(editor):
    # given
    post = services.post_create(title="Pictured", body="Text", image=picture(), is_published=True)
    services.post_register_view(post=post)

    # when
    html = editor.get(f"/admin/blog/post/{post.pk}/change/").content.decode()

    # then
    assert f'<img src="/media/{post.thumbnail.name}"' in html
    assert re.search(r'<div class="readonly">1</div>', html)
