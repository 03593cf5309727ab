"""LLM answers cached under a key built from everything that shapes them.

``cached_call`` asks the model at most once per key at a time, across every process (single
flight): the first caller takes a short lock and computes, the others wait for its answer.
Everything here awaits the shared store (consultations.llm.store), so a caller waiting on
another's answer costs a coroutine, not a thread. The cache is an optimisation, never a
dependency: when it fails (Redis down, a value that no longer unpickles) the call computes
directly, logs one warning, and never raises because of it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from django.conf import settings

from consultations.llm.client import Completion
from consultations.llm.store import SharedStore, shared_store

logger = logging.getLogger("counsel.llm")

T = TypeVar("T")
_MISSING: Any = object()

_FIRST_POLL_S = 0.05
_MAX_POLL_S = 0.2


def cache_key(
    *,
    kind: str,
    model: str,
    prompt_version: str,
    policy_version: str = "",
    params: Mapping[str, Any],
    scrubbed_input: Any,
) -> str:
    """``llm:<kind>:<prompt_version>:`` + sha256 of the canonical JSON of every component.

    Only scrubbed input belongs here: the key is stored in Redis. Values must be plain JSON
    (no dates, no NaN), so that one request always yields one key. The kind and prompt
    version are spelled out in front so that an admin can find and drop the answers of one
    of them (consultations.cache_admin); a prompt version is letters, digits, "." and "-",
    never a ":" or a glob character.
    """
    canonical = json.dumps(
        {
            "kind": kind,
            "model": model,
            "prompt_version": prompt_version,
            "policy_version": policy_version,
            "params": dict(params),
            "input": scrubbed_input,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"llm:{kind}:{prompt_version}:{digest}"


async def cached_call(
    *, key: str, ttl: int, compute: Callable[[], Awaitable[T]], wait: float | None = None
) -> tuple[T, bool]:
    """``(value, hit)``: the cached value under ``key``, else what ``await compute()``
    returns, stored for ``ttl`` seconds.

    Whatever ``compute`` returns is cached, so it must raise for anything that must not be
    (a failure, a truncated answer): its exceptions propagate and nothing is stored. Values
    are pickled; plain data is safest across deployments.

    While another caller computes the same key, this one polls for up to ``wait`` seconds
    (default: the LLM deadline) and returns that caller's value as a hit; if the other
    caller failed or the wait ran out, it computes itself.
    """
    store = _FailOpenCache(key)
    value = await store.get(key)
    if value is not _MISSING:
        return value, True

    wait = settings.LLM_DEADLINE_MS / 1000 + 1 if wait is None else wait
    lock_key = f"{key}:lock"
    token = uuid.uuid4().hex
    # Read again with the lock: the previous holder may have stored the value since our miss.
    claimed, value = await store.claim(lock_key, token, wait, key=key)
    if claimed:
        if value is not _MISSING:
            await store.release(lock_key, token)
            return value, True
        try:
            value = await compute()
        except BaseException:
            await store.release(lock_key, token)
            raise
        await store.set_and_release(key, value, ttl, lock=lock_key, token=token)
        return value, False

    if value is not _MISSING:
        return value, True
    value = await _wait_for_holder(store, key, lock_key, until=time.monotonic() + wait)
    if value is not _MISSING:
        return value, True
    value = await compute()
    await store.set(key, value, ttl)
    return value, False


async def cached_value(key: str) -> Any | None:
    """The value cached under ``key``; None on a miss or when the cache is down. For a
    streamed answer, which cannot wait in ``cached_call`` for another caller's result."""
    value = await _FailOpenCache(key).get(key)
    return None if value is _MISSING else value


async def cache_store(*, key: str, value: Any, ttl: int) -> None:
    """Cache ``value`` under ``key`` for ``ttl`` seconds; a cache outage is only logged."""
    await _FailOpenCache(key).set(key, value, ttl)


async def _wait_for_holder(store: _FailOpenCache, key: str, lock_key: str, *, until: float) -> Any:
    """The value the lock holder stores, or ``_MISSING`` once it gave up or time ran out."""
    pause = _FIRST_POLL_S
    while not store.down and (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, _MAX_POLL_S)
        value = await store.get(key)
        if value is not _MISSING:
            return value
        if await store.get(lock_key) is _MISSING:
            # The holder stores before it unlocks, so a value may have landed just now.
            return await store.get(key)
    return _MISSING


class _FailOpenCache:
    """The shared store for one call; after its first error, every later operation is a
    no-op, so an outage costs one timeout and one warning per call, not one per operation."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.down = False
        self.store: SharedStore = shared_store()

    async def get(self, key: str) -> Any:
        return await self._run("get", lambda: self.store.get(key, _MISSING), _MISSING)

    async def set(self, key: str, value: Any, timeout: int) -> None:
        await self._run("set", lambda: self.store.set(key, value, timeout), None)

    async def claim(self, lock: str, token: str, timeout: float, *, key: str) -> tuple[bool, Any]:
        return await self._run(
            "claim",
            lambda: self.store.claim(lock, token, timeout, key=key, default=_MISSING),
            (False, _MISSING),
        )

    async def release(self, lock: str, token: str) -> None:
        await self._run("release", lambda: self.store.release(lock, token), None)

    async def set_and_release(
        self, key: str, value: Any, timeout: int, *, lock: str, token: str
    ) -> None:
        await self._run(
            "set",
            lambda: self.store.set_and_release(key, value, timeout, lock=lock, token=token),
            None,
        )

    async def _run(self, operation: str, call: Callable[[], Awaitable[T]], fallback: T) -> T:
        if self.down:
            return fallback
        try:
            return await call()
        except Exception:
            # Broad on purpose, at this one edge: redis-py raises its own errors on an outage,
            # django-redis a bare Exception, and a stale pickle raises anything.
            self.down = True
            logger.warning(
                "llm cache unavailable, computing without it",
                extra={"cache_operation": operation, "cache_key": self.key},
                exc_info=True,
            )
            return fallback


def answer_of(completion: Completion) -> dict[str, Any]:
    """A completion as the cache keeps it: plain data, so it unpickles across deployments."""
    answer = {
        "text": completion.text,
        "provider": completion.provider,
        "model": completion.model,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "attempts": completion.attempts,
    }
    if completion.tool_calls:
        answer["tool_calls"] = [
            {"id": call.id, "name": call.name, "arguments": call.arguments}
            for call in completion.tool_calls
        ]
    return answer
