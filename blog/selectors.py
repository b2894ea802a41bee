"""Reads. Readers see published posts only: a draft is indistinguishable from a missing post."""

import random

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from blog.models import Post


def published() -> Q:
    """Published, and the publication date has come."""
    return Q(is_published=True, published_at__lte=timezone.now())


def post_list(*, viewer=None, base: QuerySet[Post] | None = None) -> QuerySet[Post]:
    queryset = Post.objects.all() if base is None else base
    return queryset.filter(published())


def post_get(*, viewer=None, pk) -> Post | None:
    try:
        pk = int(str(pk))
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return post_list(viewer=viewer).filter(pk=pk).first()


def post_random(*, viewer=None, count: int = 3, base: QuerySet[Post] | None = None) -> list[Post]:
    """Up to `count` distinct published posts, chosen at random.

    Never `ORDER BY random()`, which reads and sorts the whole table: one query counts the
    published posts, then one query a post fetches the row at a random position of the index
    (count + 1 queries at most, and one when there is nothing to show).
    """
    if not 0 <= count <= settings.BLOG_RANDOM_POSTS_MAX:
        # Worded for the API, where this is the `count` argument of `randomPosts`.
        raise ValueError(f"Argument 'count' must be between 0 and {settings.BLOG_RANDOM_POSTS_MAX}; got {count}.")
    queryset = post_list(viewer=viewer, base=base).order_by("id")
    total = queryset.count() if count else 0
    positions = random.sample(range(total), min(count, total))
    posts = [next(iter(queryset[position : position + 1]), None) for position in positions]
    # A post unpublished between the count and the fetch leaves a gap rather than a repeat.
    return [post for post in posts if post is not None]
