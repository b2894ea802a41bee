"""A sending rate that holds: MAILING_RATE_PER_SECOND, _PER_HOUR and _PER_DAY per SMTP server
(host:port), shared by every worker of every cluster, and a pause of the server after it answers
that we send too fast.

Each window is a token bucket that holds its limit and refills at limit / window seconds. A
message takes one token of every bucket; a worker that finds one empty waits, or, when the wait
is long (an hourly or daily limit spent), pauses its run until a token comes back. The buckets
and the pause live in Redis when REDIS_URL is set (one Lua script takes the tokens atomically,
on the Redis server's clock), else in one database row per server (`ServerThrottle`, locked with
SELECT ... FOR UPDATE; SQLite's IMMEDIATE transactions serialise it the same way). Either way
they outlive a restart of the workers.

A rate-limit reply, a 4xx whose enhanced status is 4.7.x (Gmail's "421 4.7.28 ... unusual rate
of unsolicited mail") or a 421 that says "too many", "rate" or "limit", pauses sending to the
server for MAILING_RATE_PAUSE seconds (at least ten minutes) for everyone: each worker that meets
the pause pauses its own run until it is over, and the sweeper resumes the run then.

The worker calls this module through `Pace`, once per batch: `pace.stopped` before it sends, and
`pace.send(...)` in place of `session.send_all(...)`.
"""

import functools
import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from mailing import states
from mailing.models import MailingRun, RunStatus
from mailing.smtp import Result, ServerConfig, Session

logger = logging.getLogger(__name__)

# The shortest pause a rate-limit reply brings: providers ask for minutes, not seconds.
MIN_PAUSE = 600
# A worker sleeps for a token at most this long; a longer wait pauses its run instead.
MAX_SLEEP = 5.0
WINDOWS = (1, 3600, 86400)
# An enhanced status code 4.7.x (RFC 3463: security or policy), as Gmail's 4.7.28.
RATE_LIMITED = re.compile(r"^4\d\d[ -]4\.7\.\d{1,3}\b")
# A 421 that says why in words: "too many", "rate", "throttled", "slow down", "limit".
SLOW_DOWN = re.compile(r"too many|rate|throttl|slow down|limit", re.IGNORECASE)


class Grant(NamedTuple):
    tokens: int  # how many messages may go now
    wait: float  # seconds until one more may go (when tokens is 0)
    paused: bool = False  # the server is paused (then `wait` is until the pause ends)
    reason: str = ""


def limits() -> dict[int, int]:
    """window seconds -> messages allowed in it; a window without a limit is left out."""
    configured = {
        1: settings.MAILING_RATE_PER_SECOND,
        3600: settings.MAILING_RATE_PER_HOUR,
        86400: settings.MAILING_RATE_PER_DAY,
    }
    return {window: limit for window, limit in configured.items() if limit and limit > 0}


def server_key(config: ServerConfig) -> str:
    return f"{config.host}:{config.port}"


def is_rate_limit(result: Result) -> bool:
    """A reply that says "too fast": any 4xx with an enhanced status 4.7.x, or a 421 whose text
    speaks of a rate. A 421 for another reason ("4.3.2 shutting down") only closes the session,
    and the worker reconnects as before."""
    if result.code is None or not 400 <= result.code < 500:
        return False
    if RATE_LIMITED.match(result.response):
        return True
    return result.code == 421 and bool(SLOW_DOWN.search(result.response))


# --- The shared state: Redis, or the database ---------------------------------------------------

_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local pause_ms = redis.call('PTTL', KEYS[1])
if pause_ms > 0 then
  return {0, tostring(pause_ms / 1000), 1, redis.call('GET', KEYS[1]) or ''}
end
local want = tonumber(ARGV[1])
local count = (#ARGV - 1) / 3
local state = redis.call('HGETALL', KEYS[2])
local stored = {}
for i = 1, #state, 2 do stored[state[i]] = tonumber(state[i + 1]) end
local at = stored['at'] or now
local grant, wait, longest = want, 0, 0
local tokens = {}
for i = 0, count - 1 do
  local field, cap, rate = ARGV[2 + 3 * i], tonumber(ARGV[3 + 3 * i]), tonumber(ARGV[4 + 3 * i])
  local left = stored[field] or cap
  left = math.min(cap, left + math.max(0, now - at) * rate)
  tokens[field] = left
  grant = math.min(grant, math.floor(left))
  if left < 1 then wait = math.max(wait, (1 - left) / rate) end
  longest = math.max(longest, cap / rate)
end
if grant < 0 then grant = 0 end
local values = {'at', tostring(now)}
for field, left in pairs(tokens) do
  table.insert(values, field)
  table.insert(values, tostring(left - grant))
end
redis.call('HSET', KEYS[2], unpack(values))
redis.call('EXPIRE', KEYS[2], math.ceil(longest) + 60)
return {grant, tostring(wait), 0, ''}
"""


@functools.cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


@functools.cache
def _take_script():
    return _redis().register_script(_TAKE)


def _prefix(server: str) -> str:
    # CACHE_KEY_PREFIX as configured, the same in every process of the installation (the test
    # settings give each process a cache prefix of its own, which would split the buckets).
    return f"{settings.CACHE_KEY_PREFIX}:rate:{server}"


def _take_redis(server: str, want: int, windows: dict[int, int]) -> Grant:
    args = [want]
    for window, limit in windows.items():
        args += [str(window), limit, limit / window]
    tokens, wait, paused, reason = _take_script()(
        keys=[f"{_prefix(server)}:pause", f"{_prefix(server)}:tokens"], args=args
    )
    reason = reason.decode() if isinstance(reason, bytes) else reason
    return Grant(int(tokens), float(wait), bool(paused), reason)


def _throttle_row(server: str):
    from mailing.identities.models import ServerThrottle

    try:
        with transaction.atomic():
            ServerThrottle.objects.get_or_create(server=server)
    except IntegrityError:  # made by another worker in the same moment
        pass
    return ServerThrottle.objects.select_for_update().get(server=server)


def _take_database(server: str, want: int, windows: dict[int, int]) -> Grant:
    with transaction.atomic():
        row = _throttle_row(server)
        now = time.time()
        if row.paused_until > now:
            return Grant(0, row.paused_until - now, True, row.pause_reason)
        if not windows:
            return Grant(want, 0.0)
        elapsed = max(0.0, now - row.refilled_at) if row.refilled_at else 0.0
        tokens, grant, wait = {}, want, 0.0
        for window, limit in windows.items():
            rate = limit / window
            left = min(limit, row.tokens.get(str(window), limit) + elapsed * rate)
            tokens[str(window)] = left
            grant = min(grant, math.floor(left))
            if left < 1:
                wait = max(wait, (1 - left) / rate)
        grant = max(0, grant)
        row.tokens = {window: left - grant for window, left in tokens.items()}
        row.refilled_at = now
        row.save(update_fields=["tokens", "refilled_at"])
    return Grant(grant, wait)


def take(server: str, want: int, windows: dict[int, int] | None = None) -> Grant:
    """Take up to `want` tokens for `server` from every bucket at once (all or part, never more
    than the emptiest bucket holds), unless the server is paused."""
    windows = limits() if windows is None else windows
    if settings.REDIS_URL:
        if not windows:
            return _paused_redis(server) or Grant(want, 0.0)
        return _take_redis(server, want, windows)
    return _take_database(server, want, windows)


def _paused_redis(server: str) -> Grant | None:
    key = f"{_prefix(server)}:pause"
    with _redis().pipeline() as pipe:
        pttl, reason = pipe.pttl(key).get(key).execute()
    if pttl is None or pttl <= 0:
        return None
    return Grant(0, pttl / 1000, True, (reason or b"").decode())


def paused(server: str) -> Grant | None:
    """The server's pause (how long it still lasts, and why), or None."""
    if settings.REDIS_URL:
        return _paused_redis(server)
    from mailing.identities.models import ServerThrottle

    row = ServerThrottle.objects.filter(server=server).values("paused_until", "pause_reason").first()
    now = time.time()
    if row is None or row["paused_until"] <= now:
        return None
    return Grant(0, row["paused_until"] - now, True, row["pause_reason"])


def pause(server: str, reason: str, seconds: float | None = None) -> float:
    """Pause sending to `server` for everyone, for at least MIN_PAUSE seconds; return how long."""
    seconds = max(MIN_PAUSE, seconds if seconds is not None else settings.MAILING_RATE_PAUSE)
    reason = reason[:2000]
    if settings.REDIS_URL:
        _redis().set(f"{_prefix(server)}:pause", reason, px=int(seconds * 1000))
    else:
        with transaction.atomic():
            row = _throttle_row(server)
            row.paused_until = max(row.paused_until, time.time() + seconds)
            row.pause_reason = reason
            row.save(update_fields=["paused_until", "pause_reason"])
    logger.warning("Sending to %s paused for %ss: %s", server, seconds, reason)
    return seconds


def reset(server: str) -> None:
    """Forget the server's buckets and pause (tests, benches, and an operator who knows better)."""
    if settings.REDIS_URL:
        _redis().delete(f"{_prefix(server)}:pause", f"{_prefix(server)}:tokens")
    else:
        from mailing.identities.models import ServerThrottle

        ServerThrottle.objects.filter(server=server).delete()


# --- The worker's side ------------------------------------------------------------------------


class Pace:
    """One batch's pacing for one run: tokens before each message, and a pause of the run when
    the server is paused or the wait for a token is long."""

    def __init__(self, server: ServerConfig, *, run_id: int, sleep=time.sleep):
        self.server = server_key(server)
        self.run_id = run_id
        self.windows = limits()
        self.sleep = sleep
        self.held = 0  # tokens taken and not yet used
        self.halted = False

    @property
    def stopped(self) -> bool:
        """Whether this batch must not send (more): the run is paused now, by this pace."""
        if not self.halted:
            grant = paused(self.server)
            if grant is not None:
                self._pause_run(grant)
        return self.halted

    def send(
        self, session: Session, sender: str, messages: Sequence[tuple[str, bytes]]
    ) -> Iterator[tuple[int, Result]]:
        """`session.send_all`, each message only once it has its token; a rate-limit reply pauses
        the server (and this run)."""
        for index, result in session.send_all(sender, self._paced(messages)):
            if not self.halted and is_rate_limit(result):
                seconds = pause(self.server, result.response)
                self._pause_run(Grant(0, seconds, True, result.response))
            yield index, result

    def _paced(self, messages: Sequence[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
        # A few tokens at a time (a tenth of a second's worth): one round trip to Redis or the
        # database for several messages, and never more than the buckets hold.
        chunk = max(1, self.windows.get(1, 0) // 10) if 1 in self.windows else 20
        for position, message in enumerate(messages):
            while self.windows and self.held == 0 and not self.halted:
                grant = take(self.server, min(chunk, len(messages) - position), self.windows)
                if grant.tokens:
                    self.held = grant.tokens
                elif grant.paused or grant.wait > MAX_SLEEP:
                    self._pause_run(grant)
                else:
                    self.sleep(grant.wait)
            if self.halted:
                return
            self.held -= 1
            yield message

    def _pause_run(self, grant: Grant) -> None:
        self.halted = True
        now = timezone.now()
        until = datetime.fromtimestamp(time.time() + grant.wait, UTC)
        reason = (
            f"Sending to {self.server} is paused: {grant.reason}"
            if grant.paused
            else f"The sending rate of {self.server} is used up for now (MAILING_RATE_PER_HOUR/DAY)."
        )
        with transaction.atomic():
            states.move_runs(
                MailingRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING),
                RunStatus.PAUSED,
                paused_until=until,
                lease_until=None,
                last_error=reason[:2000],
                updated_at=now,
            )
        logger.info("Run %s paused until %s: %s", self.run_id, until.isoformat(), reason)
