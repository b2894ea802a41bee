"""The service-wide figures shown on the home page, cached for HOME_STATS_TTL seconds.

Whatever changes them calls `home_stats_invalidate()` (the mailing services do, once their
transaction commits); the TTL bounds the staleness of anything that does not.
"""

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.cache import CACHE_ERRORS
from mailing.models import Mailing
from mailing.selectors import ACTIVE_MAILING

CACHE_KEY = "mailing:stats:v1"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HomeStats:
    mailings_total: int
    mailings_active: int
    unique_clients: int


def _compute() -> HomeStats:
    recipients = Mailing.clients.through.objects
    return HomeStats(
        mailings_total=Mailing.objects.count(),
        mailings_active=Mailing.objects.filter(ACTIVE_MAILING).count(),
        # Distinct addresses among the recipients of any mailing, whatever their case.
        unique_clients=recipients.values("client__email_key").distinct().count(),
    )


def home_stats() -> HomeStats:
    """The figures, from the cache when it has them; computed when it has not, or fails."""
    try:
        cached = cache.get(CACHE_KEY)
    except CACHE_ERRORS as error:
        logger.warning("Home figures computed without the cache, which failed: %s", error)
        return _compute()
    if cached is not None:
        return HomeStats(**cached)
    stats = _compute()
    try:
        cache.set(CACHE_KEY, asdict(stats), settings.HOME_STATS_TTL)
    except CACHE_ERRORS as error:
        logger.warning("Home figures not cached, the cache failed: %s", error)
    return stats


def _drop_cached() -> None:
    try:
        cache.delete(CACHE_KEY)
    except CACHE_ERRORS as error:
        # What was cached before the outage outlives it by HOME_STATS_TTL at most.
        logger.warning("Home figures not dropped from the cache, which failed: %s", error)


def home_stats_invalidate() -> None:
    """Drop the cached figures once the current transaction commits (at once outside one)."""
    transaction.on_commit(_drop_cached)
