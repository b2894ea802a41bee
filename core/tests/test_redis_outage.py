"""A Redis outage (issue 14): the cache is an optimisation and the broker's truth is in the
database. Against a throwaway redis-server that the tests kill in the middle."""

import json
import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf

from core.tests.redis_server import throwaway_redis  # noqa: F401  (a fixture)
from graphql_schema.accounts.tests.test_login_refusals import WRONG, login
from graphql_schema.delivery.tests.test_delivery import SEND_NOW
from graphql_schema.tests.helpers import gid, messages_of
from mailing.delivery import lifecycle
from mailing.models import MailingRun
from mailing.stats import CACHE_KEY
from mailing.tests.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db

HOME_STATS = "{ homeStats { mailingsTotal mailingsActive uniqueClients } }"


@pytest.fixture
def redis_cache(settings, throwaway_redis):  # noqa: F811
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": throwaway_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    return throwaway_redis


@pytest.fixture
def redis_broker(monkeypatch, throwaway_redis):  # noqa: F811
    # django-q read Q_CLUSTER at import: point its broker at the throwaway Redis.
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", throwaway_redis.url)
    return throwaway_redis


def _names_the_server(server, *responses) -> bool:
    return any(str(server.port).encode() in response.content for response in responses)


def test_the_home_page_and_home_stats_compute_their_figures_while_redis_is_down(client, redis_cache, caplog):
    # given: the figures cached while Redis is up
    MailingFactory()
    assert client.get("/").status_code == 200
    assert cache.get(CACHE_KEY)["mailings_total"] == 1

    # when: Redis dies, and a second mailing is made
    redis_cache.kill()
    MailingFactory()
    with caplog.at_level(logging.WARNING, logger="mailing.stats"):
        page = client.get("/")
        api = client.post("/graphql/", {"query": HOME_STATS}, content_type="application/json")

    # then: computed, not a 500, and nothing names the cache's address
    assert (page.status_code, api.status_code) == (200, 200)
    assert b'<div class="display-5" id="stat-mailings-total">2</div>' in page.content
    assert json.loads(api.content) == {
        "data": {"homeStats": {"mailingsTotal": 2, "mailingsActive": 0, "uniqueClients": 0}}
    }
    assert not _names_the_server(redis_cache, page, api)
    warnings = [r for r in caplog.records if r.name == "mailing.stats" and r.levelno == logging.WARNING]
    assert [r.getMessage().split(":")[0] for r in warnings] == [
        "Home figures computed without the cache, which failed"
    ] * 2

    # when: Redis is back
    redis_cache.start()
    client.get("/")

    # then: the figures are cached again
    assert cache.get(CACHE_KEY)["mailings_total"] == 2


def test_the_login_throttle_holds_while_redis_is_down(gql, owner, redis_cache, caplog):
    # given
    redis_cache.kill()

    # when
    with caplog.at_level(logging.WARNING, logger="accounts.throttles"):
        attempts = [login(gql, "owner@example.com", f"wrong {n}") for n in range(6)]

    # then: counted in the database's cache, so the sixth is refused as always
    assert [messages_of(result) for result in attempts[:5]] == [[WRONG]] * 5
    assert messages_of(attempts[5])[0]["code"] == "throttled"
    assert {r.name for r in caplog.records if r.levelno == logging.WARNING} == {"accounts.throttles"}


def test_send_now_with_redis_down_is_started_and_goes_to_the_cluster_when_redis_returns(
    gql, owner, redis_broker, settings, caplog, django_capture_on_commit_callbacks
):
    # given: the broker is down
    settings.MAILING_RUN_WORKERS = 2
    ann = ClientFactory(owner=owner, email="ann@example.org")
    mailing = MailingFactory(owner=owner, clients=[ann], start_at=timezone.now() + timedelta(days=1))
    redis_broker.kill()

    # when
    with (
        caplog.at_level(logging.WARNING, logger="mailing.queue"),
        gql.login(owner),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = gql.query(SEND_NOW, {"id": gid("Mailing", mailing.pk)})

    # then: the run is committed and reported as started; it is no task's, so the sweeper's
    run = MailingRun.objects.get()
    assert response.errors is None
    assert response.data["sendMailingNow"]["__typename"] == "MailingRun"
    assert response.data["sendMailingNow"]["status"] == "PENDING"
    assert str(redis_broker.port) not in json.dumps(response.data)
    assert run.lease_until is None
    assert [r.getMessage().split(" (")[0] for r in caplog.records if r.name == "mailing.queue"] == [
        f"Could not enqueue mailing run {run.pk}"
    ]

    # when: Redis is back, and the sweeper makes its pass (every minute, by the cluster)
    redis_broker.start()
    with django_capture_on_commit_callbacks(execute=True):
        swept = lifecycle.runs_sweep()

    # then: both workers' tasks are in the queue
    assert swept.enqueued == [run.pk]
    assert get_broker().queue_size() == 2
    run.refresh_from_db()
    assert (run.claimed_by, run.lease_until is not None) == ("sweeper", True)
