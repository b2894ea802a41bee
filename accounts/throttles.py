"""Fixed-window counters in the cache that every process shares (Redis, else the database).

A window opens at the first hit of a key and lasts `window` seconds; once `limit` hits are in,
the key is throttled until the window closes, and the caller is told how long that is. While Redis
cannot be reached, the counters go on in the database cache, so the limits still hold.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: int
    message: str

    def key(self, value: str) -> str:
        # Hashed: neither addresses nor IPs are kept in the cache in clear.
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"throttle:{self.name}:{digest}"


def login_limits() -> tuple[Limit, Limit]:
    window = settings.LOGIN_FAILURES_WINDOW
    return (
        Limit(
            "login-email",
            settings.LOGIN_FAILURES_PER_EMAIL,
            window,
            _("Too many failed logins for this e-mail address."),
        ),
        Limit(
            "login-ip", settings.LOGIN_FAILURES_PER_IP, window, _("Too many failed logins from your network address.")
        ),
    )


def mail_limits() -> tuple[Limit, Limit]:
    window = settings.ACCOUNT_MAILS_WINDOW
    return (
        Limit(
            "mail-email", settings.ACCOUNT_MAILS_PER_EMAIL, window, _("Too many e-mails requested for this address.")
        ),
        Limit(
            "mail-ip", settings.ACCOUNT_MAILS_PER_IP, window, _("Too many e-mails requested from your network address.")
        ),
    )


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry NUM_PROXIES hops back in X-Forwarded-For.

    Only the proxies' own entries can be trusted: a client may put anything in front of them.
    """
    proxies = settings.NUM_PROXIES
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _window_keys(limit: Limit, value: str) -> tuple[str, str]:
    key = limit.key(value)
    return f"{key}:count", f"{key}:start"


def _in_shared_cache(operation):
    """`operation(cache)` on the default cache; on the database's while the default fails."""
    try:
        return operation(caches["default"])
    except CACHE_ERRORS as error:
        logger.warning("Throttles counted in the database cache: the default cache failed: %s", error)
        return operation(caches["database"])


def retry_after(limit: Limit, value: str, *, now: float | None = None) -> int:
    """Seconds until `value` may try again; 0 when it is not throttled."""
    count_key, start_key = _window_keys(limit, value)
    values = _in_shared_cache(lambda cache: cache.get_many([count_key, start_key]))
    count, start = values.get(count_key), values.get(start_key)
    if count is None or start is None or count < limit.limit:
        return 0
    now = time.time() if now is None else now
    return max(0, math.ceil(start + limit.window - now))


def _hit(cache, limit: Limit, value: str) -> int:
    count_key, start_key = _window_keys(limit, value)
    now = time.time()
    # `add` only writes when the key is absent: the first hit of a window sets its start.
    cache.add(start_key, now, timeout=limit.window)
    cache.add(count_key, 0, timeout=limit.window)
    try:
        return cache.incr(count_key)
    except ValueError:
        # The window closed between `add` and `incr`: this hit opens the next one.
        cache.set(start_key, now, timeout=limit.window)
        cache.set(count_key, 1, timeout=limit.window)
        return 1


def hit(limit: Limit, value: str) -> int:
    """Count one more hit for `value`; return the count in the current window."""
    return _in_shared_cache(lambda cache: _hit(cache, limit, value))


def reset(limit: Limit, value: str) -> None:
    _in_shared_cache(lambda cache: cache.delete_many(list(_window_keys(limit, value))))


def throttled_error(limit: Limit, seconds: int) -> ValidationError:
    return ValidationError(
        _("%(message)s Try again in %(seconds)d seconds."),
        code="throttled",
        params={"message": limit.message, "seconds": seconds},
    )


def check(checks: list[tuple[Limit, str]]) -> None:
    """Raise the throttled error of the longest wait among `checks` (limit, value), if any."""
    waits = [(retry_after(limit, value), limit) for limit, value in checks]
    seconds, limit = max(waits, key=lambda wait: wait[0])
    if seconds > 0:
        raise throttled_error(limit, seconds)
