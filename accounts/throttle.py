"""Limits on the account requests anyone may send (a password reset, accepting an
invitation), per address and per account, shared by every process through the cache (Redis
in production): a fixed window per limit, counted with the cache's atomic `incr`.

A cache outage lets the request through with a warning, as the AI path's limits do: a
password reset must not go down with Redis."""

from __future__ import annotations

import hashlib
import logging
import math
import time

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from config.errors import DomainError

logger = logging.getLogger(__name__)


class Throttled(DomainError):
    status_code = 429
    default_detail = "Too many requests. Please wait a while and try again."
    problem = "rate-limited"


def _spent(key: str, *, count: int, seconds: int, now: float) -> int | None:
    """Count one hit of `key` in its window; the seconds until the window ends if spent."""
    window = int(now // seconds)
    full_key = f"throttle:{key}:{window}"
    cache.add(full_key, 0, timeout=seconds + 1)
    if cache.incr(full_key) <= count:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


def throttle_hit(*, scope: str, request: HttpRequest, account: str | None = None) -> None:
    """Count a request of `scope` against its address's limit and, when given, the
    account's (a username or an e-mail address, as typed: the same whether or not it
    exists). Raise Throttled, with Retry-After, when either is spent.

    Limits are THROTTLE_RATES[scope] = {"address": "<count>/<seconds>", "account": ...}."""
    rates = settings.THROTTLE_RATES[scope]
    keys = [("address", get_client_ip_address(request) or "unknown")]
    if account is not None:
        keys.append(("account", account.strip().lower()))
    now = time.time()
    for kind, who in keys:
        count, _, seconds = rates[kind].partition("/")
        digest = hashlib.sha256(who.encode()).hexdigest()[:32]  # no address in a cache key
        try:
            retry_after = _spent(
                f"{scope}:{kind}:{digest}", count=int(count), seconds=int(seconds), now=now
            )
        except Exception:  # any cache failure: fail open
            logger.warning(
                "throttle store unavailable; request let through", extra={"scope": scope}
            )
            return
        if retry_after is not None:
            logger.info("throttled", extra={"scope": scope, "by": kind})
            raise Throttled(headers={"Retry-After": str(retry_after)})
