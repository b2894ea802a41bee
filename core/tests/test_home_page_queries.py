import re
import time

import pytest
from django.core.cache import cache

from blog.tests.factories import PostFactory
from core.tests.scale_data import make_scale_data

# Cold: 3 for the figures, 1 to count the published posts, 1 for each of the 3 posts shown.
COLD_QUERIES = 7
# Warm: the figures come from the cache.
WARM_QUERIES = 4


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _figures(html: str) -> list[int]:
    names = ("mailings-total", "mailings-active", "unique-clients")
    return [int(re.search(rf'id="stat-{name}">(\d+)<', html).group(1)) for name in names]


@pytest.mark.django_db
def test_the_home_page_takes_a_fixed_number_of_queries_with_10000_mailings_and_100000_clients(
    client, django_assert_app_queries
):
    # given
    PostFactory.create_batch(5)
    with django_assert_app_queries(COLD_QUERIES):
        small = client.get("/")
    cache.clear()
    started = time.perf_counter()
    data = make_scale_data(owners=10, clients_per_owner=10_000, mailings_per_owner=1_000)
    print(f"made {data} in {time.perf_counter() - started:.1f} s")

    # when
    with django_assert_app_queries(COLD_QUERIES):
        cold = client.get("/")
    with django_assert_app_queries(WARM_QUERIES):
        warm = client.get("/")

    # then
    assert (data.mailings, data.clients) == (10_000, 100_000)
    assert _figures(small.content.decode()) == [0, 0, 0]
    assert _figures(cold.content.decode()) == [10_000, 2_500, 10_000]
    assert _figures(warm.content.decode()) == [10_000, 2_500, 10_000]
    assert cold.content.decode().count('class="card h-100 post-card"') == 3
