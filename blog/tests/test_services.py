from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from blog import services
from blog.models import Post
from blog.tests.factories import PostFactory, picture


@pytest.mark.django_db
def test_create_stores_the_image_under_its_real_type_and_makes_a_thumbnail():
    # given
    jpeg_named_png = picture("holiday.png", size=(1200, 900), format="JPEG")

    # when
    post = services.post_create(title="  Hello  ", body="Text", image=jpeg_named_png, is_published=False)

    # then
    post.refresh_from_db()
    assert post.title == "Hello"
    assert post.image.name.startswith("blog/images/")
    assert post.image.name.endswith(".jpg")
    assert (post.image.width, post.image.height) == (1200, 900)
    assert post.thumbnail.name.startswith("blog/thumbnails/")
    with Image.open(post.thumbnail.path) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (427, 320))


@pytest.mark.django_db
def test_a_text_file_renamed_png_is_refused_naming_the_image_field():
    # given
    fake = SimpleUploadedFile("photo.png", b"just some text, not a picture\n", content_type="image/png")

    # when
    with pytest.raises(ValidationError) as raised:
        services.post_create(title="Fake", body="Text", image=fake)

    # then
    assert raised.value.message_dict == {
        "image": ["This file is not a picture (or it is damaged); upload a JPEG, PNG, GIF or WebP image."]
    }
    assert Post.objects.count() == 0
    assert default_storage.listdir("")[1] == []


@pytest.mark.django_db
def test_a_picture_of_a_refused_type_is_refused():
    # given
    bmp = picture("drawing.bmp", size=(10, 10), format="BMP")

    # when
    with pytest.raises(ValidationError) as raised:
        services.post_create(title="Bitmap", body="Text", image=bmp)

    # then
    assert raised.value.message_dict == {
        "image": ["BMP images are not accepted; upload a JPEG, PNG, GIF or WebP image."]
    }


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(settings):
    # given
    settings.BLOG_IMAGE_MAX_BYTES = 1000
    large = picture("noise.png", size=(300, 300))
    large.size = 2048

    # when
    with pytest.raises(ValidationError) as raised:
        services.post_create(title="Large", body="Text", image=large)

    # then
    assert raised.value.message_dict == {"image": ["The image is 2.0\xa0KB; the limit is 1000\xa0bytes."]}


@pytest.mark.django_db
def test_a_picture_wider_than_the_limit_is_refused(settings):
    # given
    settings.BLOG_IMAGE_MAX_SIDE = 500

    # when
    with pytest.raises(ValidationError) as raised:
        services.post_create(title="Wide", body="Text", image=picture(size=(501, 20)))

    # then
    assert raised.value.message_dict == {"image": ["The image is 501 x 20 pixels; at most 500 on each side."]}


@pytest.mark.django_db
def test_publishing_without_a_date_dates_the_post_now():
    # given
    before = timezone.now()

    # when
    post = services.post_create(title="Now", body="Text", is_published=True)

    # then
    assert before <= post.published_at <= timezone.now()


@pytest.mark.django_db
def test_a_blank_title_is_refused():
    # when
    with pytest.raises(ValidationError) as raised:
        services.post_create(title="   ", body="Text")

    # then
    assert raised.value.message_dict == {"title": ["This field cannot be blank."]}


@pytest.mark.django_db
def test_replacing_the_image_removes_the_old_files_once_committed(django_capture_on_commit_callbacks):
    # given
    post = services.post_create(title="Photo", body="Text", image=picture(color="red"))
    old_image, old_thumbnail = post.image.name, post.thumbnail.name

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(post=post, data={"image": picture("new.gif", format="GIF")})

    # then
    post.refresh_from_db()
    assert post.image.name.endswith(".gif")
    assert default_storage.exists(post.image.name)
    assert default_storage.exists(post.thumbnail.name)
    assert not default_storage.exists(old_image)
    assert not default_storage.exists(old_thumbnail)


@pytest.mark.django_db
def test_editing_the_text_keeps_the_image():
    # given
    post = services.post_create(title="Photo", body="Text", image=picture())
    image, thumbnail = post.image.name, post.thumbnail.name

    # when
    services.post_update(post=post, data={"body": "New text"})

    # then
    post.refresh_from_db()
    assert (post.body, post.image.name, post.thumbnail.name) == ("New text", image, thumbnail)


@pytest.mark.django_db
def test_deleting_a_post_removes_its_files(django_capture_on_commit_callbacks):
    # given
    post = services.post_create(title="Photo", body="Text", image=picture())
    names = [post.image.name, post.thumbnail.name]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.post_delete(post=post)

    # then
    assert Post.objects.count() == 0
    assert [default_storage.exists(name) for name in names] == [False, False]


@pytest.mark.django_db
def test_bulk_publish_dates_undated_posts_and_keeps_given_dates():
    # given
    scheduled_for = datetime(2030, 1, 1, tzinfo=UTC)
    undated = PostFactory(is_published=False, published_at=None)
    scheduled = PostFactory(is_published=False, published_at=scheduled_for)
    already = PostFactory(is_published=True)

    # when
    changed = services.posts_publish(posts=Post.objects.all())

    # then
    assert changed == 2
    undated.refresh_from_db()
    scheduled.refresh_from_db()
    assert undated.is_published is True
    assert timezone.now() - undated.published_at < timedelta(minutes=1)
    assert (scheduled.is_published, scheduled.published_at) == (True, scheduled_for)
    assert Post.objects.get(pk=already.pk).is_published is True


@pytest.mark.django_db
def test_bulk_unpublish():
    # given
    PostFactory.create_batch(2, is_published=True)
    PostFactory(is_published=False)

    # when
    changed = services.posts_unpublish(posts=Post.objects.all())

    # then
    assert changed == 2
    assert Post.objects.filter(is_published=True).count() == 0
