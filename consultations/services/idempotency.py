"""Idempotency-Key: a POST answered at most once per user and key, its body replayed after."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from django.conf import settings

from accounts.models import User
from config.dbpool import db
from config.errors import DomainError
from consultations.llm.store import shared_store
from consultations.models import Consultation
from consultations.selectors import consultation_answered_for_key

logger = logging.getLogger("counsel.ai")


class IdempotencyConflict(DomainError):
    status_code = 409
    default_detail = "This Idempotency-Key was already used with a different request."
    problem = "idempotency-key-reused"


class IdempotencyInProgress(DomainError):
    status_code = 409
    problem = "idempotency-key-in-progress"
    default_detail = (
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )


def request_fingerprint(*, endpoint: str, body: Any) -> str:
    """sha256 of the canonical JSON of a request: the same body in any key order matches."""
    canonical = json.dumps(
        {"endpoint": endpoint, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def idempotent_response(
    *,
    user: User,
    idempotency_key: str,
    fingerprint: str,
    produce: Callable[[], Awaitable[tuple[dict[str, Any], Consultation]]],
) -> tuple[dict[str, Any], bool]:
    """`(body, replayed)`: `await produce()`'s response body, run at most once per user and
    key.

    The same key with the same fingerprint replays the stored body; with another fingerprint
    it is an IdempotencyConflict. A second request arriving while the first still runs gets
    IdempotencyInProgress (409) at once rather than waiting out the LLM's deadline.
    Failed calls store nothing, so retrying them with the same key runs them again.
    """
    if not idempotency_key:
        return (await produce())[0], False
    lookup = {"user": user, "idempotency_key": idempotency_key, "fingerprint": fingerprint}
    stored = await db(_stored_response, **lookup)
    if stored is not None:
        return stored, True
    async with _idempotency_claim(user=user, idempotency_key=idempotency_key):
        # The holder before us may have finished between our lookup and our claim.
        stored = await db(_stored_response, **lookup)
        if stored is not None:
            return stored, True
        body, consultation = await produce()
        consultation.request_fingerprint = fingerprint
        consultation.response_body = body
        await db(
            consultation.save,
            update_fields=["request_fingerprint", "response_body", "updated_at"],
        )
        return body, False


def _stored_response(*, user: User, idempotency_key: str, fingerprint: str) -> Any:
    answered = consultation_answered_for_key(user=user, idempotency_key=idempotency_key)
    if answered is None:
        return None
    if answered.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    return answered.response_body


@asynccontextmanager
async def _idempotency_claim(*, user: User, idempotency_key: str) -> AsyncIterator[None]:
    """Hold the user's key in the shared cache while its first request runs."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    lock = f"idempotency:{user.pk}:{digest}"
    token = uuid.uuid4().hex
    store = shared_store()
    # Long enough for every attempt and back-off of a call; expires if the holder dies.
    timeout = settings.LLM_DEADLINE_MS // 1000 + 30
    try:
        claimed: bool | None = await store.add(lock, token, timeout)
    except Exception:
        # Broad on purpose: redis-py's and django-redis's outages share no base class. Without
        # the cache, concurrent duplicates may both run; sequential ones still replay.
        logger.warning("idempotency lock unavailable, running unlocked", exc_info=True)
        claimed = None
    if claimed is None:
        yield
        return
    if not claimed:
        raise IdempotencyInProgress()
    try:
        yield
    finally:
        try:
            await store.release(lock, token)
        except Exception:
            logger.warning("idempotency lock not released; it expires", exc_info=True)
