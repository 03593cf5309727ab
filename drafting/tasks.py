"""Drafting's Celery task, and the recovery of drafts whose job was lost (every worker runs it
on a timer: `config.recovery`).

`draft_generate_task` acknowledges its message only when it has finished (`acks_late`), so a
job whose worker dies is run again: the worker runs its jobs on threads (settings'
CELERY_WORKER_POOL), and when the process dies, its broker connection closes and RabbitMQ hands
every job it had not acknowledged to another worker. `reject_on_worker_lost` does the same for
a prefork pool process that dies under a living worker. `drafting.services.draft_generate`
makes running a job twice harmless.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from asgiref.sync import async_to_sync
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from config.errors import DomainError
from config.recovery import recovery_register
from drafting.services import (
    TRANSIENT_LLM_ERRORS,
    draft_generate,
    drafts_recover,
)

logger = logging.getLogger("counsel.drafting")

# Seconds before the first retry of a busy AI; doubled for each later one (5, 10, 20).
RETRY_BACKOFF_SECONDS = 5

T = TypeVar("T")


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def draft_generate_task(self: Any, draft_id: int, request_id: str) -> None:
    """Draft `draft_id`, retrying a busy or slow AI, or an unreachable database,
    `max_retries` times before giving up."""
    will_retry = self.request.retries < self.max_retries
    backoff = RETRY_BACKOFF_SECONDS * 2**self.request.retries
    try:
        _awaited(
            draft_generate,
            eager=self.request.is_eager,
            draft_id=draft_id,
            request_id=request_id,
            task_id=self.request.id,
            retry_transient=will_retry,
        )
    except TRANSIENT_LLM_ERRORS as exc:
        if not will_retry:
            return  # the service marked the draft failed
        # Jitter, so drafts that failed together do not all retry in the same second.
        countdown = max(exc.retry_after, backoff) + random.uniform(0, 1)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except (OperationalError, InterfaceError) as exc:
        # The database refused or dropped the connection (too many connections, a restart).
        # A failed task is acknowledged, and a draft still queued under this task's id is
        # never taken up again by the recovery: the retry is this job's only way back.
        raise self.retry(exc=exc, countdown=backoff + random.uniform(0, 1)) from exc
    except DomainError:
        return  # permanent (misconfigured, bad output, stale inputs, budget spent): failed


def _awaited(job: Callable[..., Coroutine[Any, Any, T]], /, *, eager: bool, **kwargs: Any) -> T:
    """`await job(**kwargs)`, waited for in this thread.

    In a worker, on the worker process's one event loop (`_event_loop`): the model's and
    Redis's clients and their connections serve every job, and the job's database work runs
    in config.dbpool's threads, so a worker process holds at most AI_DB_THREADS database
    connections however many of its jobs wait on the model. `async_to_sync` would instead
    make a loop, and new clients, for every job. Run eagerly (a test), through
    `async_to_sync` like any sync caller, inside the caller's transaction.
    """
    if eager:
        return async_to_sync(job)(**kwargs)
    return asyncio.run_coroutine_threadsafe(job(**kwargs), _event_loop()).result()


_loop_lock = threading.Lock()
_loops: dict[int, asyncio.AbstractEventLoop] = {}


def _event_loop() -> asyncio.AbstractEventLoop:
    """This process's event loop for drafting's jobs, running in a thread of its own from
    the first job on. Keyed by process: a prefork pool process starts its own after its fork,
    which no thread survives."""
    with _loop_lock:
        loop = _loops.get(os.getpid())
        if loop is None:
            loop = _loops[os.getpid()] = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="drafting-loop", daemon=True).start()
        return loop


recovery_register(
    name="drafts",
    run=drafts_recover,
    # A few runs per lease: a lost draft waits at most a quarter lease past its lease.
    interval=lambda: settings.DRAFT_LEASE_SECONDS / 4,
)
