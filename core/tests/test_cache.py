"""The cache every process shares without Redis (a database table), and the deployment check that
warns when the cache is per process."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.core.cache import caches
from django.db import connections

from core.checks import check_shared_cache

THREADS = 6
INCREMENTS = 20


def _increment_many(barrier: Barrier) -> None:
    try:
        barrier.wait()
        for _ in range(INCREMENTS):
            caches["database"].incr("counter")
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_increments_of_the_database_cache_lose_none():
    # given: each thread has its own database connection, as each web worker has
    database = caches["database"]
    database.set("counter", 0, timeout=60)
    barrier = Barrier(THREADS)

    # when
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(lambda _: _increment_many(barrier), range(THREADS)))

    # then
    assert database.get("counter") == THREADS * INCREMENTS


@pytest.mark.django_db
def test_incrementing_a_missing_or_expired_key_is_refused_as_by_any_cache(settings):
    # given
    database = caches["database"]
    database.set("gone", 5, timeout=-1)

    # when / then
    with pytest.raises(ValueError, match="not found"):
        database.incr("missing")
    with pytest.raises(ValueError, match="not found"):
        database.incr("gone")


def test_check_deploy_warns_when_the_cache_is_per_process(settings):
    # given
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    # when
    warnings = check_shared_cache(None)

    # then
    assert [warning.id for warning in warnings] == ["core.W004"]


@pytest.mark.django_db
def test_the_database_cache_and_redis_pass_the_shared_cache_check():
    # when
    warnings = check_shared_cache(None)

    # then
    assert warnings == []
