import re
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.db import BaseDatabaseCache as DatabaseCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry_django.test.client import TestClient

from accounts.tests.factories import UserFactory

# Shared fixtures for every app's tests: the browser harness (`browser`, `browser_factory`, `site`)
# and a real SMTP server on loopback (`smtp_inbox`).
pytest_plugins = ["core.tests.browser", "accounts.tests.smtp"]


def _uses_db(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _empty_cache(request):
    # Throttle counters (and any cached figure) must not leak from one test into the next. The
    # database cache is only there for a test that has the database.
    if isinstance(caches["default"], DatabaseCache):
        if not _uses_db(request):
            yield
            return
        request.getfixturevalue("_django_db_helper")
    cache.clear()
    yield
    cache.clear()


SAVEPOINT = re.compile(r"(RELEASE |ROLLBACK TO )?SAVEPOINT ")


@pytest.fixture
def django_assert_app_queries(db):
    """Like django_assert_num_queries, but not counting the database cache's own queries (without
    Redis the cache is a table) nor the savepoints it writes in: what the code under test reads
    and writes."""

    @contextmanager
    def check(num: int):
        with CaptureQueriesContext(connection) as context:
            yield context
        queries = [
            query["sql"]
            for query in context.captured_queries
            if settings.CACHE_TABLE not in query["sql"] and not SAVEPOINT.match(query["sql"])
        ]
        assert len(queries) == num, f"{len(queries)} queries besides the cache's, not {num}: {queries}"

    return check


@pytest.fixture
def gql() -> TestClient:
    return TestClient("/graphql/")


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com", full_name="Olga Owner")


@pytest.fixture
def other_owner(db):
    return UserFactory(email="other@example.com", full_name="Oscar Other")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    # Uploaded files of a test go to a throw-away folder, never into the project's media/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _closed_runs_keep_their_counts(request):
    """After every test that used the database: each closed run's counts, taken as it closed, are
    still its rows' counts (a mailing's stats add them up instead of counting the rows)."""
    if not _uses_db(request):
        yield
        return
    # Set up before this fixture, so that the test's rows are still there when it checks them.
    request.getfixturevalue("_django_db_helper")
    yield
    from mailing.models import CLOSED_RUN, DeliveryStatus, MailingRun
    from mailing.selectors import run_row_count

    closed = MailingRun.objects.filter(status__in=CLOSED_RUN)
    taken = closed.values_list("pk", "total_count", "sent_count", "failed_count", "skipped_count", "bounced_count")
    counted = closed.annotate(
        live_total=run_row_count(),
        live_sent=run_row_count(DeliveryStatus.SENT),
        live_failed=run_row_count(DeliveryStatus.FAILED),
        live_skipped=run_row_count(DeliveryStatus.SKIPPED),
        # A late bounce moves a row of a closed run, and its counts with it.
        live_bounced=run_row_count(DeliveryStatus.BOUNCED),
    ).values_list("pk", "live_total", "live_sent", "live_failed", "live_skipped", "live_bounced")
    assert sorted(taken) == sorted(counted), "a closed run's counts are not its rows' counts"
