from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection, connections

from blog import services
from blog.models import Post
from blog.tests.factories import PostFactory

THREADS = 8
READS_PER_THREAD = 25


def _read_many(post_pk: int, barrier: Barrier) -> int:
    try:
        barrier.wait()
        for _ in range(READS_PER_THREAD):
            services.post_read(viewer=None, pk=post_pk)
        return READS_PER_THREAD
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_readers_lose_no_view():
    # given: each thread has its own database connection (on PostgreSQL, its own session)
    post = PostFactory()
    barrier = Barrier(THREADS)

    # when
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        done = list(pool.map(lambda _: _read_many(post.pk, barrier), range(THREADS)))

    # then
    assert done == [READS_PER_THREAD] * THREADS
    assert Post.objects.get(pk=post.pk).view_count == THREADS * READS_PER_THREAD
    print(f"{connection.vendor}: {THREADS * READS_PER_THREAD} concurrent reads counted")


@pytest.mark.django_db
def test_reading_counts_one_view_and_returns_the_new_count():
    # given
    post = PostFactory(view_count=41)

    # when
    read = services.post_read(viewer=None, pk=post.pk)

    # then
    assert read.view_count == 42
    assert Post.objects.get(pk=post.pk).view_count == 42


@pytest.mark.django_db
def test_reading_a_draft_counts_nothing():
    # given
    draft = PostFactory(is_published=False)

    # when
    read = services.post_read(viewer=None, pk=draft.pk)

    # then
    assert read is None
    assert Post.objects.get(pk=draft.pk).view_count == 0
