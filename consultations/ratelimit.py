"""Rate limits on the AI endpoints, per user and per address, shared through the cache.

A fixed window per limit: one counter a key and window, counted atomically in the shared
store (on Redis INCR, both counters in one round trip, awaited without a thread; on the
local-memory cache `add` then `incr`), so concurrent requests cannot overshoot the limit
whatever the number of web processes. A cache outage
lets requests through (with a warning): the AI path must not go down with Redis. A refused
request is recorded as a rejected Consultation.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from accounts.models import User
from config.dbpool import db
from config.errors import DomainError
from config.request_ids import request_id_for
from consultations.llm.store import shared_store
from consultations.models import Consultation
from consultations.recording import consultation_refusal_record

logger = logging.getLogger("counsel.ratelimit")


class RateLimited(DomainError):
    status_code = 429
    default_detail = "Too many requests to the AI assistant. Please wait a moment and try again."
    code = "rate_limit"
    problem = "rate-limited"


# What each limited scope calls, for the record of a refused request.
_KIND_OF_SCOPE = {
    "chat": Consultation.Kind.CHAT,
    "analyze": Consultation.Kind.ANALYZE,
    "generate-document": Consultation.Kind.DRAFT,
}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        count, _, seconds = text.partition("/")
        return cls(count=int(count), seconds=int(seconds))


async def rate_limit_hit(*, scope: str, user_id: int | None, address: str) -> None:
    """Count one request of `scope` against the user's and the address's limits; raise
    RateLimited, with a Retry-After until the window ends, when either is spent."""
    now = time.time()
    limits = settings.AI_RATE_LIMITS[scope]
    windows = []
    for kind, who in (("user", user_id), ("address", address)):
        rate = Rate.parse(limits[kind])
        window = int(now // rate.seconds)
        windows.append((rate, window, f"ratelimit:{scope}:{kind}:{who}:{window}"))
    try:
        counts = await shared_store().count([(key, rate.seconds + 1) for rate, _, key in windows])
    except Exception:  # any cache failure: fail open, the AI path stays up
        logger.warning("rate limit store unavailable; request let through", extra={"scope": scope})
        return
    for (rate, window, _), count in zip(windows, counts, strict=True):
        if count > rate.count:
            retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
            raise RateLimited(headers={"Retry-After": str(retry_after)})


async def rate_limit_request(*, scope: str, request: HttpRequest, user: User) -> None:
    """`rate_limit_hit` for a request of the logged-in `user` (API or page); a refusal is
    recorded before it is raised."""
    try:
        await rate_limit_hit(
            scope=scope,
            user_id=user.pk,
            address=get_client_ip_address(request) or "unknown",
        )
    except RateLimited as refusal:
        await db(
            consultation_refusal_record,
            user=user,
            kind=_KIND_OF_SCOPE[scope],
            reason=refusal.code,
            request_id=request_id_for(request),
            endpoint=request.path,
        )
        raise


class AIRateThrottle(BaseThrottle):
    """Throttle for an async API view (config.async_api) that names its `rate_scope`;
    RateLimited becomes a 429 in the API's error shape through config.api.exception_handler."""

    async def allow_request(self, request: Any, view: Any) -> bool:
        await rate_limit_request(scope=view.rate_scope, request=request, user=request.user)
        return True
