"""ORM work for async code: a few threads per process, each with one database connection.

An async view or the AI pipeline awaits `db(fn, ...)` for every query it makes. Under the
ASGI server that runs `fn` in this process's pool of AI_DB_THREADS threads, so at a thousand
calls in flight the database still sees at most that many connections from the process, and
none of them is held while the model thinks (a call waits on the model holding no thread).

When a sync caller waits for the coroutine (a Celery task, a sync page, the test client,
through asgiref's `async_to_sync`), `fn` runs in that caller's own thread instead, on its
connection and inside its transaction: the thread is blocked anyway, and a test's
uncommitted rows stay visible, as with Django's own `sync_to_async`.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import AsyncToSync, sync_to_async
from django.conf import settings
from django.db import connections

P = ParamSpec("P")
R = TypeVar("R")


async def db(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """`fn(*args, **kwargs)` in a thread that may use the ORM (see the module's notes)."""
    if getattr(AsyncToSync.executors, "current", None) is not None:
        return await sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)
    job = functools.partial(_pooled, fn, *args, **kwargs)
    return await sync_to_async(job, thread_sensitive=False, executor=_pool())()


async def db_connection_release() -> None:
    """Before a long wait (the model's): a sync caller's thread gives its connection back,
    unless it is inside a transaction (a test's); the pool's threads keep theirs."""
    if getattr(AsyncToSync.executors, "current", None) is not None:
        await sync_to_async(close_outside_transaction, thread_sensitive=True)()


def close_outside_transaction() -> None:
    """Close this thread's database connections, except one inside a transaction (a test's):
    a Celery worker's many threads hold none between jobs."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.AI_DB_THREADS, thread_name_prefix="db")


def db_pool_end() -> None:
    """End the pool's threads, and with them their database connections; a later `db` call
    starts a new pool. For tests that served requests in their own process (a live server),
    so that no connection outlives the test database."""
    if _pool.cache_info().currsize:
        _pool().shutdown(wait=True)
        _pool.cache_clear()
        # An ended thread's connection sits in reference cycles: collected now, it closes now
        # (on SQLite, its -wal and -shm files would otherwise outlive the test database).
        gc.collect()


def _pooled(fn: Callable[..., R], /, *args: object, **kwargs: object) -> R:
    for connection in connections.all(initialized_only=True):
        # A pool thread keeps its connection for the life of the process: that is the bound.
        # CONN_MAX_AGE is for request threads, which come and go; here a connection is
        # dropped only when it broke, found by the health check (CONN_HEALTH_CHECKS) that
        # pings it before the job's first query, as Django does once per request: a round
        # trip, so that a database restarted since the last job costs no failed request.
        connection.close_at = None
        connection.close_if_unusable_or_obsolete()
    return fn(*args, **kwargs)
