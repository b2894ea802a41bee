"""How long the home page takes to render with 10,000 mailings and 100,000 clients.

    .venv/bin/python bench/home_page.py [RENDERS]

Runs on a throw-away test database of the configured kind (SQLite, or PostgreSQL with
DATABASE_URL; the cache is Redis with REDIS_URL). Prints the cold render (figures computed),
then the warm renders (figures from the cache): median, 95th percentile and the goal, < 50 ms.
"""

import statistics
import sys
import time

from _django import test_database

GOAL_MS = 50


def main(renders: int) -> None:
    with test_database() as connection:
        from django.core.cache import cache, caches
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from blog.tests.factories import PostFactory
        from core.tests.scale_data import make_scale_data

        started = time.perf_counter()
        data = make_scale_data()
        PostFactory.create_batch(20)
        print(f"database: {connection.vendor}, cache: {caches['default'].__class__.__name__}")
        made_in = time.perf_counter() - started
        print(f"data: {data.mailings:,} mailings, {data.clients:,} clients ({made_in:.1f} s to make)")

        browser = Client()
        cache.clear()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = browser.get("/")
        cold_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        print(f"cold render (figures computed): {cold_ms:.1f} ms, {len(queries)} queries")

        timings = []
        for _ in range(renders):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                browser.get("/")
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        median = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        verdict = "meets" if p95 < GOAL_MS else "MISSES"
        print(
            f"warm render (figures cached), {renders} renders: median {median:.1f} ms, p95 {p95:.1f} ms, "
            f"max {timings[-1]:.1f} ms, {len(queries)} queries; {verdict} the goal of < {GOAL_MS} ms"
        )
        cache.clear()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
