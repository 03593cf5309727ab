"""The tool cache: a tool's result kept in the project's cache (Redis in production) for
CACHE_TOOL_TTL seconds, beside the answer cache and cleared apart from it.

A result is the case's data as one caller may see it, so its key holds what decides that: the
tool, its arguments, the caller's side (staff see the knowledge base, a client only their own
case; a call about "my deadlines" is the caller's own), the case, the day (a window of days
starts today) and the versions of what the tool read. A version is a counter in the cache,
moved on after every committed change (`tool_versions_bump`, wired to the models' signals in
`consultations.tools.signals`): a changed deadline moves its case's counter on, so every
result read before it has a key nobody asks for any more, and expires unread. Nothing has to
find and delete the old results, and a change cannot race a reader into keeping a stale one:
a reader that read the data before the commit stored it under the old version.

A counter that is missing (evicted, never set) starts at the current time in nanoseconds, not
at zero, so it can never come back to a version that older results were stored under.

Results are stored with their secrets masked and their identities in the clear: the
placeholders are numbered per call (the scrubber of the question the tool answers), so each
call scrubs the result it reads. The cache is an optimisation: when it fails, the tool runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger("counsel.llm")

PREFIX = "tool:"
_VERSION_PREFIX = "toolv:"
# What a version counts the changes of: one case, every deadline and case (a caller's own
# deadlines span cases), the firm's knowledge base.
CASE = "case:{}"
DEADLINES = "deadlines"
KNOWLEDGE_BASE = "kb"


def tool_cache_key(
    *, tool: str, arguments: dict[str, Any], visibility: str, scopes: Iterable[str]
) -> str | None:
    """`tool:<tool>:` + sha256 of everything the result depends on; None when the versions
    cannot be read (the cache is down: the tool runs without it)."""
    scopes = sorted(scopes)
    try:
        versions = _versions(scopes)
    except Exception:
        # Broad on purpose, as in consultations.llm.cache: django-redis reports an outage as
        # a bare Exception.
        logger.warning("tool cache unavailable, running without it", exc_info=True)
        return None
    canonical = json.dumps(
        {
            "arguments": arguments,
            "visibility": visibility,
            "versions": versions,
            "day": timezone.localdate().isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f"{PREFIX}{tool}:{hashlib.sha256(canonical.encode()).hexdigest()}"


def tool_cache_get(key: str) -> str | None:
    try:
        return cache.get(key)
    except Exception:
        logger.warning("tool cache unavailable, running without it", exc_info=True)
        return None


def tool_cache_set(key: str, value: str) -> None:
    try:
        cache.set(key, value, settings.CACHE_TOOL_TTL)
    except Exception:
        logger.warning("tool cache unavailable, result not kept", exc_info=True)


def tool_versions_bump(scopes: Iterable[str]) -> None:
    """Move the counters of `scopes` on: every result read from them before is stale. Call it
    once the change is committed (`transaction.on_commit`)."""
    for scope in scopes:
        key = _VERSION_PREFIX + scope
        try:
            cache.add(key, time.time_ns(), None)
            cache.incr(key)
        except ValueError:
            # Evicted between the add and the incr: a fresh start is a new version too.
            cache.add(key, time.time_ns(), None)
        except Exception:
            # The results under the old version stay until CACHE_TOOL_TTL; said loudly.
            logger.error("tool cache version not moved on", extra={"scope": scope}, exc_info=True)


def _versions(scopes: list[str]) -> list[int]:
    keys = [_VERSION_PREFIX + scope for scope in scopes]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, time.time_ns(), None)
            found[key] = cache.get(key)
    return [found[key] for key in keys]
