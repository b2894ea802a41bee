"""API latency at a million delivery rows, beside the equivalent raw ORM fetch.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] .venv/bin/python bench/api_latency.py [REQUESTS]
    DATABASE_URL=postgres://... .venv/bin/python bench/api_latency.py --pieces [REQUESTS]

Seeds a throw-away PostgreSQL test database with `seed_scale.seed()` (1,000 owners, 100,000
clients, 2,000 mailings, 1,000,000 delivery rows), then times each request REQUESTS times (200)
through the whole stack (Django's test Client: middleware, session, GraphQL view, strawberry,
the optimizer) and, beside it, the ORM fetch that reads the same rows and figures directly.
Prints p50 and p95 of each, the ratio of the p50s and the SQL statements of one request.
Goal: every p50 under 50 ms and within 3x of its raw fetch; the deep page as fast as the first.

`--pieces` measures what each piece of the GraphQL speed layer still buys: on the same seeded
data, each request with the whole layer and with one piece turned off, REQUESTS times (60), the
variants taking turns request by request so that the machine's noise falls on all of them alike.
It prints, per piece and request, the p50 without the piece and the median gain of a turn (with
its interquartile range) as a share of the page's time without the piece.
"""

import base64
import statistics
import sys
import time
from contextlib import ExitStack, contextmanager
from unittest import mock

from _django import test_database
from seed_scale import seed

GOAL_MS = 50
GOAL_RATIO = 3

MAILINGS = """{ mailings(first: 100) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id status periodicity startAt endAt nextRunAt clientCount
    message { id subject }
    stats { total sent deferred failed skipped pending } } } } }"""

ATTEMPTS = """query($filters: DeliveryAttemptFilter, $after: String) {
  deliveryAttempts(first: 100, filters: $filters, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id email status attempts lastAttemptAt smtpCode serverResponse messageId
      client { id email } run { id scheduledFor status } } } } }"""

STATS = """query($id: ID!) {
  node(id: $id) { ... on Mailing { id stats { total sent deferred failed skipped pending } } } }"""

HOME = "{ homeStats { mailingsTotal mailingsActive uniqueClients } }"


def gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


class QueryCounter:
    """Counts the statements a request runs (Django resets `connection.queries` per request)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(call, runs: int) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]


def _strawberry_fields(schema):
    """(graphql-core field, strawberry field) of every object type's field."""
    for graphql_type in schema._schema.type_map.values():
        if graphql_type.name.startswith("__") or not hasattr(graphql_type, "interfaces"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get("strawberry-definition")
            if field is not None:
                yield graphql_field, field


@contextmanager
def _resolver_path(schema, which):
    """The FastFields for which `which(field)` holds take strawberry-django's resolver path, as
    they would without FastField: strawberry's schema converter builds their resolvers again."""
    from graphql_schema import execution
    from graphql_schema.fields import FastField

    chosen = [
        (graphql_field, field)
        for graphql_field, field in _strawberry_fields(schema)
        if isinstance(field, FastField) and field.is_basic_field and which(field)
    ]
    saved = [(graphql_field, graphql_field.resolve) for graphql_field, _ in chosen]
    with mock.patch.object(FastField, "is_basic_field", property(lambda self: False)):
        for graphql_field, field in chosen:
            graphql_field.resolve = schema.schema_converter.from_resolver(field)
    execution._SHAPES.clear()
    try:
        yield
    finally:
        for graphql_field, resolve in saved:
            graphql_field.resolve = resolve
        execution._SHAPES.clear()


@contextmanager
def _graphql_core_executor(schema):
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    with mock.patch.object(schema, "execution_context_class", StrawberryGraphQLCoreExecutionContext):
        yield


@contextmanager
def _optimizer_hook(schema):
    """strawberry-django's optimizer with its hook around every field (which also turns the
    executor's short path off, as any `resolve` hook does)."""
    from strawberry_django.optimizer import DjangoOptimizerExtension

    from graphql_schema.schema import QuerySetOptimizer

    with mock.patch.object(QuerySetOptimizer, "resolve", DjangoOptimizerExtension.resolve):
        yield


@contextmanager
def _without_extension(schema, name):
    """The schema without the extension `name` (a class, or a factory that makes one)."""

    def is_named(extension):
        code = getattr(extension, "__code__", None)
        return getattr(extension, "__name__", "") == name or (code is not None and name in code.co_names)

    kept = tuple(extension for extension in schema.extensions if not is_named(extension))
    assert len(kept) == len(schema.extensions) - 1, name
    with mock.patch.object(schema, "extensions", kept):
        yield


@contextmanager
def _generic_column_read(schema):
    """Plain columns through strawberry-django's generic lookup instead of the row's __dict__."""
    from graphql_schema.fields import FastField

    with mock.patch.object(FastField, "_plain_attname", property(lambda self: None)):
        yield


def _is_id(field) -> bool:
    return field.python_name == "_id"


# Each piece, and how to turn it off for a while.
PIECES = {
    "short-path executor": _graphql_core_executor,
    "basic columns and foreign keys": lambda schema: _resolver_path(
        schema, lambda field: field.compute is None and not _is_id(field)
    ),
    "basic computed fields": lambda schema: _resolver_path(
        schema, lambda field: field.compute is not None and not _is_id(field)
    ),
    "basic node id": lambda schema: _resolver_path(schema, _is_id),
    "plain columns read off the row": _generic_column_read,
    "optimizer without its field hook": _optimizer_hook,
    "validation cache": lambda schema: _without_extension(schema, "ValidationCache"),
    "parser cache": lambda schema: _without_extension(schema, "ParserCache"),
}


def pieces(cases, runs: int) -> None:
    """Each request's time with everything, and with each piece off, taken in turns request by
    request: the machine's noise at any moment falls on every variant alike."""
    from graphql_schema.schema import schema

    variants = {"(all pieces)": None, **PIECES}
    times: dict[tuple[str, str], list[float]] = {}
    for name, api, _ in cases:
        for turn in range(runs + 1):
            for variant, turn_off in variants.items():
                with ExitStack() as stack:
                    if turn_off is not None:
                        stack.enter_context(turn_off(schema))
                    started = time.perf_counter()
                    api()
                    elapsed = (time.perf_counter() - started) * 1000
                if turn:  # the first turn warms each variant up
                    times.setdefault((variant, name), []).append(elapsed)
        print(f"{name}: done", flush=True)
    print(f"\n{runs} requests each, the variants taking turns; ms")
    for name, _, _ in cases:
        base = times[("(all pieces)", name)]
        print(f"\n{name}\n  {'(all pieces)':42} p50 {statistics.median(base):6.1f}")
        for variant in PIECES:
            without = times[(variant, name)]
            # The gain of each turn: the same moment's request with and without the piece.
            gains = sorted(off - on for off, on in zip(without, base, strict=True))
            quartiles = statistics.quantiles(gains, n=4)
            gain = statistics.median(gains)
            share = gain / statistics.median(without) * 100
            print(
                f"  without {variant:34} p50 {statistics.median(without):6.1f}  gain: median {gain:+6.1f}"
                f" [IQR {quartiles[0]:+.1f} to {quartiles[2]:+.1f}] = {share:+4.0f}% of the page without it"
            )


def main(runs: int, piece_turns: bool = False) -> None:
    with test_database() as connection:
        from django.core.cache import cache, caches
        from django.test import Client

        from accounts.models import User
        from graphql_schema.pagination import cursor_for
        from mailing import selectors
        from mailing.models import DeliveryAttempt, DeliveryStatus, Mailing
        from mailing.stats import _compute, home_stats

        print(f"database: {connection.vendor}, cache: {caches['default'].__class__.__name__}")
        seeded = seed(connection)
        print(
            f"seed: {seeded.clients:,} clients, {seeded.mailings:,} mailings, {seeded.attempts:,} delivery rows "
            f"in {seeded.seconds:.1f} s"
        )
        owner = User.objects.get(pk=seeded.owner_id)
        manager = User.objects.get(pk=seeded.manager_id)
        heavy = seeded.heavy_mailing_id
        as_owner, as_manager = Client(), Client()
        as_owner.force_login(owner)
        as_manager.force_login(manager)

        def graphql(browser, query, variables=None):
            def call():
                response = browser.post(
                    "/graphql/", {"query": query, "variables": variables or {}}, content_type="application/json"
                )
                body = response.json()
                assert response.status_code == 200, response.status_code
                assert "errors" not in body, body
                return body["data"]

            return call

        sent_rows = selectors.delivery_log(viewer=owner).filter(mailing_id=heavy, status=DeliveryStatus.SENT)
        deep_row = sent_rows.values_list("id", flat=True)[80_000]
        deep_after = cursor_for(deep_row)
        first_filters = {"mailing": gid("Mailing", heavy), "status": "SENT"}

        def raw_mailings():
            page = list(
                selectors.mailing_list(viewer=manager)
                .select_related("message")
                .annotate(**selectors.MAILING_STATS, client_count=selectors.mailing_client_count())[:100]
            )
            return page, selectors.mailing_list(viewer=manager).count()

        def raw_attempts(after=None):
            # The page's keys from the index, then their rows (one statement would let PostgreSQL
            # walk the primary key instead: see graphql_schema/pagination.py).
            keys = sent_rows if after is None else sent_rows.filter(id__lt=after)
            page = list(keys.values_list("id", flat=True)[:101])
            rows = list(DeliveryAttempt.objects.filter(id__in=page).select_related("client", "run").order_by("-id"))
            return rows, sent_rows.count()

        def raw_stats():
            return selectors.mailing_stats(mailing=Mailing.objects.get(pk=heavy))

        cases = [
            ("mailings(first:100), manager", graphql(as_manager, MAILINGS), raw_mailings),
            (
                "deliveryAttempts(first:100) mailing+SENT, first page",
                graphql(as_owner, ATTEMPTS, {"filters": first_filters}),
                raw_attempts,
            ),
            (
                "deliveryAttempts(first:100) mailing+SENT, after row 80,000",
                graphql(as_owner, ATTEMPTS, {"filters": first_filters, "after": deep_after}),
                lambda: raw_attempts(deep_row),
            ),
            (
                "Mailing.stats (node), 100,000-row mailing",
                graphql(as_owner, STATS, {"id": gid("Mailing", heavy)}),
                raw_stats,
            ),
            # The raw fetch of the home page's figures is the ORM's counts; the API answers from
            # its cache (see the cache-read line below).
            ("homeStats (cached), raw: the figures' ORM counts", graphql(Client(), HOME), _compute),
        ]

        if piece_turns:
            pieces(cases[:4], runs)
            return

        # The API's answers are the raw fetch's, before anything is timed.
        page = cases[1][1]()["deliveryAttempts"]
        deep = cases[2][1]()["deliveryAttempts"]
        first_raw, total = raw_attempts()
        deep_raw, _ = raw_attempts(deep_row)
        assert page["totalCount"] == total == deep["totalCount"], (page["totalCount"], total)
        assert [e["node"]["id"] for e in page["edges"]] == [gid("DeliveryAttempt", r.pk) for r in first_raw[:100]]
        assert [e["node"]["id"] for e in deep["edges"]] == [gid("DeliveryAttempt", r.pk) for r in deep_raw[:100]]
        assert DeliveryAttempt.objects.filter(pk=deep_raw[0].pk, mailing_id=heavy).exists()
        cache.clear()
        started = time.perf_counter()
        _compute()
        print(f"homeStats computed (cache cold): {(time.perf_counter() - started) * 1000:.1f} ms")

        print(f"{runs} requests each; p50 / p95 in ms")
        print(f"{'request':58} {'API p50':>8} {'p95':>7} {'raw p50':>8} {'p95':>7} {'ratio':>6} {'SQL':>4}  verdict")
        for name, api, raw in cases:
            api()  # warm: caches, the session, the planner
            queries = QueryCounter()
            with connection.execute_wrapper(queries):
                api()
            api_p50, api_p95 = timed(api, runs)
            raw_p50, raw_p95 = timed(raw, runs)
            ratio = api_p50 / raw_p50
            verdict = "meets" if api_p50 < GOAL_MS and ratio <= GOAL_RATIO else "MISSES"
            print(
                f"{name:58} {api_p50:8.1f} {api_p95:7.1f} {raw_p50:8.1f} {raw_p95:7.1f} {ratio:5.1f}x "
                f"{queries.count:4}  {verdict}"
            )
        home_p50, _ = timed(cases[-1][1], runs)
        read_p50, _ = timed(home_stats, runs)
        print(f"homeStats (cached) against a bare cache read: {home_p50:.1f} ms vs {read_p50:.2f} ms")
        print(f"goal: p50 < {GOAL_MS} ms and within {GOAL_RATIO}x of the raw fetch")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--pieces"]:
        main(int(sys.argv[2]) if len(sys.argv) > 2 else 60, piece_turns=True)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
