from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from pytest_django.fixtures import Settings

from consultations.llm import cache as llm_cache
from consultations.llm.cache import cache_key
from consultations.llm.errors import LLMUnavailable

pytestmark = pytest.mark.django_db

KEY_PARTS: dict[str, Any] = {
    "kind": "chat",
    "model": "gpt-4o-mini",
    "prompt_version": "2026-11-21.1",
    "policy_version": "",
    "params": {"locale": "en", "max_tokens": 500},
    "scrubbed_input": {"message": "Can <PERSON_1> end the lease?", "case": 7},
}


def cached_call(
    *, key: str, ttl: int, compute: Callable[[], Awaitable[Any]], wait: float | None = None
) -> tuple[Any, bool]:
    """`cached_call` in an event loop of its own, as a sync caller (a Celery task, another
    process) makes it: concurrent callers below share nothing but the cache."""
    return async_to_sync(llm_cache.cached_call)(key=key, ttl=ttl, compute=compute, wait=wait)


class Counter:
    """A compute function that counts its calls (from any thread)."""

    def __init__(self, value: Any = "answer", *, delay: float = 0.0) -> None:
        self.value = value
        self.delay = delay
        self.calls = 0
        self._lock = threading.Lock()

    async def __call__(self) -> Any:
        with self._lock:
            self.calls += 1
        await asyncio.sleep(self.delay)
        return self.value


# --- Keys ----------------------------------------------------------------------------------


def test_key_is_the_kind_the_prompt_version_and_a_sha256_of_the_inputs() -> None:
    key = cache_key(**KEY_PARTS)

    assert re.fullmatch(r"llm:chat:2026-11-21\.1:[0-9a-f]{64}", key)


def test_key_is_stable_whatever_the_order_of_mappings() -> None:
    reordered = {
        **KEY_PARTS,
        "params": {"max_tokens": 500, "locale": "en"},
        "scrubbed_input": {"case": 7, "message": "Can <PERSON_1> end the lease?"},
    }

    assert cache_key(**reordered) == cache_key(**KEY_PARTS)


@pytest.mark.parametrize(
    ("part", "value"),
    [
        ("kind", "analyze"),
        ("model", "gpt-4o"),
        ("prompt_version", "2026-11-21.2"),
        ("policy_version", "lease-3"),
        ("params", {"locale": "fr", "max_tokens": 500}),
        ("scrubbed_input", {"message": "Can <PERSON_2> end the lease?", "case": 7}),
    ],
)
def test_key_changes_with_each_component(part: str, value: Any) -> None:
    assert cache_key(**{**KEY_PARTS, part: value}) != cache_key(**KEY_PARTS)


def test_key_refuses_values_that_are_not_plain_json() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        cache_key(**{**KEY_PARTS, "params": {"temperature": float("nan")}})


# --- Hits and misses -----------------------------------------------------------------------


def test_second_call_is_a_hit_without_computing() -> None:
    compute = Counter({"text": "answer", "tokens": 12})

    first = cached_call(key="llm:chat:a", ttl=60, compute=compute)
    second = cached_call(key="llm:chat:a", ttl=60, compute=compute)

    assert first == ({"text": "answer", "tokens": 12}, False)
    assert second == ({"text": "answer", "tokens": 12}, True)
    assert compute.calls == 1


def test_value_expires_after_its_ttl() -> None:
    compute = Counter()

    cached_call(key="llm:chat:ttl", ttl=1, compute=compute)
    time.sleep(1.1)
    _, hit = cached_call(key="llm:chat:ttl", ttl=1, compute=compute)

    assert hit is False
    assert compute.calls == 2


def test_failure_propagates_and_is_not_cached() -> None:
    async def failing() -> str:
        raise LLMUnavailable(attempts=3)

    with pytest.raises(LLMUnavailable):
        cached_call(key="llm:chat:f", ttl=60, compute=failing)
    started = time.monotonic()
    value, hit = cached_call(key="llm:chat:f", ttl=60, compute=Counter("recovered"))

    assert (value, hit) == ("recovered", False)
    # The failed caller released its lock: the next one did not wait for it.
    assert time.monotonic() - started < 5  # a waiter would wait the whole deadline


# --- One caller per key --------------------------------------------------------------------


def run_together(count: int, call: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_twenty_concurrent_callers_compute_once_and_all_get_the_value() -> None:
    compute = Counter({"text": "shared answer"}, delay=0.3)

    results = run_together(20, lambda: cached_call(key="llm:chat:c", ttl=60, compute=compute))

    assert compute.calls == 1
    assert all(value == {"text": "shared answer"} for value, _ in results)
    assert sorted(hit for _, hit in results) == [False] + [True] * 19


def test_waiter_computes_itself_when_the_holder_fails() -> None:
    holding = threading.Event()

    async def failing() -> str:
        holding.set()
        await asyncio.sleep(0.2)
        raise LLMUnavailable(attempts=3)

    errors: list[Exception] = []

    def holder() -> None:
        try:
            cached_call(key="llm:chat:h", ttl=60, compute=failing)
        except LLMUnavailable as exc:
            errors.append(exc)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(timeout=5)
    result = cached_call(key="llm:chat:h", ttl=60, compute=Counter("second try"))
    thread.join(timeout=5)

    assert result == ("second try", False)
    assert len(errors) == 1


def test_waiter_computes_itself_when_the_wait_runs_out() -> None:
    holding = threading.Event()

    async def slow() -> str:
        holding.set()
        await asyncio.sleep(3.0)
        return "slow answer"

    thread = threading.Thread(target=cached_call, kwargs={"key": "k", "ttl": 60, "compute": slow})
    thread.start()
    holding.wait(timeout=5)
    started = time.monotonic()
    result = cached_call(key="k", ttl=60, compute=Counter("own answer"), wait=0.2)
    elapsed = time.monotonic() - started
    thread.join(timeout=5)

    assert result == ("own answer", False)
    assert 0.2 <= elapsed < 2.0  # gave up after its own wait, not the holder's 3 s


# --- Cache outage --------------------------------------------------------------------------


def test_redis_down_means_a_miss_never_an_error(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",  # nothing listens here
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    compute = Counter("computed anyway")

    with caplog.at_level(logging.WARNING, logger="counsel.llm"):
        first = cached_call(key="llm:chat:down", ttl=60, compute=compute)
        second = cached_call(key="llm:chat:down", ttl=60, compute=compute)

    assert first == second == ("computed anyway", False)
    assert compute.calls == 2
    warnings = [r for r in caplog.records if r.name == "counsel.llm"]
    assert len(warnings) == 2  # one per call, not one per cache operation
    assert warnings[0].cache_key == "llm:chat:down"


# --- Connections ---------------------------------------------------------------------------

FDS = Path("/proc/self/fd")


def open_sockets() -> int:
    """The sockets this process holds open."""
    count = 0
    for fd in FDS.iterdir():
        with contextlib.suppress(OSError):  # an fd closed since the listing
            count += os.readlink(fd).startswith("socket:")
    return count


@pytest.mark.skipif(not FDS.is_dir(), reason="counts the process's sockets in /proc")
def test_calls_from_sync_code_leave_no_connection_open() -> None:
    cached_call(key="llm:chat:first", ttl=60, compute=Counter())
    before = open_sockets()

    for number in range(10):
        cached_call(key=f"llm:chat:{number}", ttl=60, compute=Counter())

    # Each call's event loop (as a Celery task's) lived for that call: its connections too.
    assert open_sockets() <= before
