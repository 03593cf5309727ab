"""The admins' view of the cache's two layers, the LLM answers and the tools' results: how
well each works, and emptying part of one.

Hits and misses come from the audit: the Consultation rows for answers (every call is one),
the ToolCall rows for tools, so they cover any period and survive a cache flush. Keys are
counted and deleted from the cache itself, found by their prefix: ``llm:<kind>:<prompt_version>:``
for answers (consultations.llm.cache.cache_key), ``tool:<tool>:`` for tool results
(consultations.tools.cache); the tools' version counters are never deleted (a counter that
started again could meet results stored under it before).

How keys are found: Django's cache API cannot list keys, so this module asks the backend.
On Redis (django-redis) that is ``iter_keys``, a SCAN that never blocks the server; on the
local-memory cache (one process, development and tests) it reads the keys of that process's
own store. An index of keys kept in the cache itself was considered and refused: keeping it
is a read-modify-write shared by every web process, so concurrent writers would lose entries,
and an answer missing from the index would survive the invalidation meant to drop it.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from accounts.models import User
from config.errors import DomainError
from consultations.models import CacheInvalidation, Consultation, ToolCall
from consultations.tools import TOOLS
from consultations.tools.cache import PREFIX as TOOL_PREFIX

logger = logging.getLogger("counsel.llm")

_LOCK_SUFFIX = ":lock"


class CacheUnreachable(DomainError):
    status_code = 503
    default_detail = "The cache cannot be reached; nothing was deleted. Try again shortly."


@dataclass(frozen=True)
class _Rates:
    hits: int
    misses: int
    keys: int | None  # None: the cache could not be reached

    @property
    def hit_rate(self) -> float | None:
        calls = self.hits + self.misses
        return self.hits / calls if calls else None


@dataclass(frozen=True)
class KindStats(_Rates):
    kind: str = ""


@dataclass(frozen=True)
class ToolStats(_Rates):
    tool: str = ""


def _pattern(*, kind: str = "", prompt_version: str = "") -> str:
    return f"llm:{kind or '*'}:{prompt_version or '*'}:*"


def cached_answer_keys(*, kind: str = "", prompt_version: str = "") -> Iterator[str]:
    """The keys of cached answers (not their single-flight locks) of one kind and/or prompt
    version; every cached answer when neither is given."""
    return _keys(_pattern(kind=kind, prompt_version=prompt_version))


def cached_tool_keys(*, tool: str = "") -> Iterator[str]:
    """The keys of cached results of `tool`; of every tool when it is empty."""
    return _keys(f"{TOOL_PREFIX}{tool or '*'}:*")


def _keys(pattern: str) -> Iterator[str]:
    backend = caches["default"]
    if hasattr(backend, "iter_keys"):  # django-redis
        keys: Iterator[str] = backend.iter_keys(pattern, itersize=500)
    elif isinstance(backend, LocMemCache):
        prefix = backend.make_key("")
        stored = [made[len(prefix) :] for made in list(backend._cache) if made.startswith(prefix)]
        # has_key drops an entry that has expired but not been evicted yet.
        keys = (k for k in stored if fnmatch.fnmatchcase(k, pattern) and backend.has_key(k))
    else:
        raise NotImplementedError(f"Cannot list the keys of {type(backend).__name__}.")
    return (key for key in keys if not key.endswith(_LOCK_SUFFIX))


def cache_stats(*, since: datetime, until: datetime) -> list[KindStats]:
    """Hits, misses and live keys per kind; hits and misses of the calls made in
    [since, until) that got an answer (a failure is neither)."""
    by_kind = _hits_and_misses(
        Consultation.objects.filter(
            created_at__gte=since, created_at__lt=until, outcome=Consultation.Outcome.OK
        ),
        by="kind",
        hit="cache_hit",
    )
    return [
        KindStats(
            kind=kind,
            **by_kind.get(kind, _NO_CALLS),
            keys=_count_keys(cached_answer_keys(kind=kind)),
        )
        for kind in Consultation.Kind.values
    ]


def tool_cache_stats(*, since: datetime, until: datetime) -> list[ToolStats]:
    """Hits, misses and live keys per tool; hits and misses of the calls made in [since,
    until) that got a result (an error is neither)."""
    by_tool = _hits_and_misses(
        ToolCall.objects.filter(created_at__gte=since, created_at__lt=until, error_code=""),
        by="tool",
        hit="cached",
    )
    return [
        ToolStats(
            tool=tool,
            **by_tool.get(tool, _NO_CALLS),
            keys=_count_keys(cached_tool_keys(tool=tool)),
        )
        for tool in TOOLS
    ]


_NO_CALLS = {"hits": 0, "misses": 0}


def _hits_and_misses(audit: QuerySet[Any], *, by: str, hit: str) -> dict[str, dict[str, int]]:
    """`{value of by: {"hits", "misses"}}` of the `audit` rows, in one query; `hit` is the
    boolean field that tells a hit."""
    rows = audit.values(by).annotate(
        hits=Count("id", filter=Q(**{hit: True})), misses=Count("id", filter=Q(**{hit: False}))
    )
    return {row[by]: {"hits": row["hits"], "misses": row["misses"]} for row in rows}


def _count_keys(keys: Iterator[str]) -> int | None:
    try:
        return sum(1 for _ in keys)
    except Exception:
        # Broad on purpose, as in consultations.llm.cache: django-redis reports an outage as
        # a bare Exception. The statistics from the database still stand.
        logger.warning("llm cache unreachable, keys not counted", exc_info=True)
        return None


@transaction.atomic
def cache_invalidate(
    *,
    user: User,
    layer: str = CacheInvalidation.Layer.ANSWERS,
    kind: str = "",
    prompt_version: str = "",
    tool: str = "",
) -> CacheInvalidation:
    """Delete the cached answers of `kind` and/or `prompt_version` (all of them when both are
    empty), or with `layer` "tools" the cached results of `tool` (every tool's when empty),
    and record who did it and how many keys went."""
    try:
        if layer == CacheInvalidation.Layer.TOOLS:
            keys = list(cached_tool_keys(tool=tool))
        else:
            keys = list(cached_answer_keys(kind=kind, prompt_version=prompt_version))
        if keys:
            cache.delete_many(keys)
    except Exception as exc:
        # An invalidation that silently deleted nothing would be recorded as done.
        logger.warning("llm cache unreachable, nothing invalidated", exc_info=True)
        raise CacheUnreachable() from exc
    return CacheInvalidation.objects.create(
        user=user,
        layer=layer,
        kind=kind,
        prompt_version=prompt_version,
        tool=tool,
        keys_deleted=len(keys),
    )
