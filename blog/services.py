from datetime import datetime

from django.core.files.base import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from blog import selectors
from blog.images import ALLOWED_FORMATS, image_format, make_thumbnail
from blog.models import Post
from core.services import model_update

POST_FIELDS = ["title", "body", "image", "is_published", "published_at"]


def _delete_files_on_commit(*files) -> None:
    names = [(file.storage, file.name) for file in files if file and file.name]

    def delete():
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def post_save(*, post: Post, image_changed: bool) -> Post:
    """Validate and store a post; the one place that makes thumbnails and dates publications.

    `image_changed` says that `post.image` holds a new upload (or was cleared): its thumbnail
    is made again, and the files it replaces are removed once the change is committed.
    """
    post.title = post.title.strip()
    post.full_clean()
    if post.is_published and post.published_at is None:
        post.published_at = timezone.now()
    old = Post.objects.filter(pk=post.pk).only("image", "thumbnail").first() if post.pk else None
    if image_changed:
        if post.image:
            # The stored name takes the extension of what the file is, not of what it was called.
            post._image_extension = ALLOWED_FORMATS[image_format(post.image)]
            post.thumbnail.save("thumbnail.jpg", make_thumbnail(post.image), save=False)
        else:
            post.thumbnail = None
    post.save()
    if image_changed and old is not None:
        _delete_files_on_commit(old.image, old.thumbnail)
    return post


def post_create(
    *,
    title: str,
    body: str,
    image: File | None = None,
    is_published: bool = False,
    published_at: datetime | None = None,
) -> Post:
    post = Post(title=title, body=body, is_published=is_published, published_at=published_at)
    if image is not None:
        post.image = image
    return post_save(post=post, image_changed=image is not None)


def post_update(*, post: Post, data: dict) -> Post:
    changed = model_update(instance=post, fields=POST_FIELDS, data=data)
    if changed:
        post_save(post=post, image_changed="image" in changed)
    return post


@transaction.atomic
def post_delete(*, post: Post) -> None:
    _delete_files_on_commit(post.image, post.thumbnail)
    post.delete()


@transaction.atomic
def posts_publish(*, posts: QuerySet[Post]) -> int:
    """Publish the posts; those without a publication date are dated now. Returns how many changed."""
    now = timezone.now()
    posts.filter(is_published=False, published_at__isnull=True).update(published_at=now, updated_at=now)
    return posts.filter(is_published=False).update(is_published=True, updated_at=now)


@transaction.atomic
def posts_unpublish(*, posts: QuerySet[Post]) -> int:
    return posts.filter(is_published=True).update(is_published=False, updated_at=timezone.now())


def post_register_view(*, post: Post) -> Post:
    """Count one reading. The increment happens in the database, so concurrent readers lose none."""
    Post.objects.filter(pk=post.pk).update(view_count=F("view_count") + 1)
    post.refresh_from_db(fields=["view_count"])
    return post


def post_read(*, viewer, pk, count_view: bool = True) -> Post | None:
    """A published post by id, counting the reading (unless `count_view` is off); None when there
    is no such published post."""
    post = selectors.post_get(viewer=viewer, pk=pk)
    if post is None or not count_view:
        return post
    return post_register_view(post=post)
