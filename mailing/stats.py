"""The service-wide figures shown on the home page, cached for HOME_STATS_TTL seconds.

Whatever changes them calls `home_stats_invalidate()` (the mailing services do, once their
transaction commits); the TTL bounds the staleness of anything that does not.
"""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from mailing.models import Mailing
from mailing.selectors import ACTIVE_MAILING

CACHE_KEY = "mailing:stats:v1"


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
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return HomeStats(**cached)
    stats = _compute()
    cache.set(CACHE_KEY, asdict(stats), settings.HOME_STATS_TTL)
    return stats


def home_stats_invalidate() -> None:
    """Drop the cached figures once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
