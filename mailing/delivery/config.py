"""The engine's settings (read once per task, with the retry and pause policies they define), and
the callables it is handed: a clock, and a way to enqueue a run.
"""

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

Clock = Callable[[], datetime]
Enqueue = Callable[[int], None]


@dataclass(frozen=True)
class Config:
    batch_size: int
    lease: timedelta
    max_attempts: int
    max_age: timedelta
    retry_base: float
    retry_max: float
    breaker_threshold: int
    breaker_cooldown: float
    breaker_cooldown_max: float
    task_seconds: float
    settle_every: int
    db_patience: float

    @classmethod
    def from_settings(cls) -> "Config":
        timeout = settings.EMAIL_TIMEOUT or 10
        return cls(
            batch_size=max(1, settings.MAILING_BATCH_SIZE),
            # A lease outlives the slowest single message (a few timeouts), and is renewed
            # while a batch is sent, so a live worker never loses its rows.
            lease=timedelta(seconds=max(settings.MAILING_LEASE_SECONDS, 6 * timeout)),
            max_attempts=max(1, settings.MAILING_MAX_ATTEMPTS),
            max_age=timedelta(seconds=settings.MAILING_MAX_AGE),
            retry_base=settings.MAILING_RETRY_BASE,
            retry_max=settings.MAILING_RETRY_MAX,
            breaker_threshold=max(1, settings.MAILING_BREAKER_THRESHOLD),
            breaker_cooldown=settings.MAILING_BREAKER_COOLDOWN,
            breaker_cooldown_max=settings.MAILING_BREAKER_COOLDOWN_MAX,
            task_seconds=settings.MAILING_TASK_SECONDS,
            # Replies are written every this many messages: a worker killed outright repeats at
            # most these (a live one keeps them through a database outage, see `db_patience`).
            settle_every=max(1, settings.MAILING_SETTLE_EVERY),
            # How long a worker keeps trying to reach a database that went away before it gives
            # up: as long as its lease, during which nobody else takes its rows.
            db_patience=max(settings.MAILING_LEASE_SECONDS, 6 * timeout),
        )

    def retry_delay(self, attempts: int, rng: random.Random = random) -> timedelta:
        """Exponential backoff with +-20 % jitter: each retry waits about twice the one before."""
        base = min(self.retry_base * 2 ** max(0, attempts - 1), self.retry_max)
        return timedelta(seconds=base * rng.uniform(0.8, 1.2))

    def breaker_pause(self, pauses: int) -> float:
        """Seconds a run stays paused after the breaker opened `pauses` times in a row before."""
        return min(self.breaker_cooldown * 2**pauses, self.breaker_cooldown_max)


def on_commit_enqueue(run_id: int, enqueue: Enqueue | None) -> None:
    """Hand the run to the cluster once the transaction that made its work visible commits."""
    if enqueue is not None:
        transaction.on_commit(functools.partial(enqueue, run_id))
