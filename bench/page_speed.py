"""The web app's pages at a million delivery rows: each page's load requests, timed.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] .venv/bin/python bench/page_speed.py [REQUESTS]

Seeds a throw-away PostgreSQL test database with `seed_scale.seed()` (1,000 owners, 100,000
clients, 2,000 mailings, 1,000,000 delivery rows), signs the heavy owner (owner 0: 100 clients,
a mailing with 1,000 runs and 100,000 rows, one run still open) and the manager in, then sends
each page's load requests REQUESTS times (100) through the whole stack (Django's test Client:
middleware, the session, the GraphQL view, strawberry, the optimizer). The requests are the
ones the page sends as it loads, with the documents read from its module under
`core/static/app/` (`core/tests/page_loads.py`; `core/tests/test_page_requests.py` checks in a
browser that the page sends exactly these). The mailing page is the heavy mailing's.

Prints, per page and request, p50 and p95 in ms and the SQL statements of one request, and for
a request that misses the goal its slowest statements. Goal: every p50 under 100 ms.
"""

import base64
import statistics
import sys
import time

from _django import test_database
from seed_scale import seed

GOAL_MS = 100


def gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


class Statements:
    """The statements a request runs, each with its time."""

    def __init__(self):
        self.timed: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timed.append(((time.perf_counter() - started) * 1000, sql))


def timed(call, runs: int) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]


def main(runs: int) -> None:
    with test_database() as connection:
        from django.core.cache import caches
        from django.test import Client

        from accounts.models import User
        from core.tests.page_loads import PAGES

        print(f"database: {connection.vendor}, cache: {caches['default'].__class__.__name__}")
        seeded = seed(connection)
        print(
            f"seed: {seeded.clients:,} clients, {seeded.mailings:,} mailings, {seeded.runs:,} runs, "
            f"{seeded.attempts:,} delivery rows in {seeded.seconds:.1f} s"
        )
        as_owner, as_manager = Client(), Client()
        as_owner.force_login(User.objects.get(pk=seeded.owner_id))
        as_manager.force_login(User.objects.get(pk=seeded.manager_id))
        mailing_id = gid("Mailing", seeded.heavy_mailing_id)

        def request(browser, document, variables, operation):
            def call():
                response = browser.post(
                    "/graphql/",
                    {"query": document, "variables": variables, "operationName": operation},
                    content_type="application/json",
                )
                body = response.json()
                assert response.status_code == 200, response.status_code
                assert "errors" not in body, body
                return body["data"]

            return call

        print(f"\n{runs} requests each; ms")
        print(f"{'page':14} {'request':16} {'p50':>7} {'p95':>7} {'SQL':>4}  verdict")
        misses = []
        for page in PAGES:
            documents = page.documents()
            browser = as_manager if page.manager else as_owner
            page_p50 = 0.0
            for operation, variables in page.sent(mailing_id):
                call = request(browser, documents[operation], variables, operation)
                call()  # warm: caches, the session, the planner
                statements = Statements()
                with connection.execute_wrapper(statements):
                    call()
                p50, p95 = timed(call, runs)
                page_p50 += p50
                verdict = "meets" if p50 < GOAL_MS else "MISSES"
                if p50 >= GOAL_MS:
                    misses.append((page.name, operation, statements))
                print(f"{page.name:14} {operation:16} {p50:7.1f} {p95:7.1f} {len(statements.timed):4}  {verdict}")
            if len(page.requests) > 1:
                print(f"{page.name:14} {'(one after another)':16} {page_p50:7.1f}")
        for name, operation, statements in misses:
            print(f"\n{name} {operation}: its slowest statements")
            for ms, sql in sorted(statements.timed, reverse=True)[:3]:
                print(f"  {ms:7.1f} ms  {sql[:300]}")
        print(f"\ngoal: every request's p50 < {GOAL_MS} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
