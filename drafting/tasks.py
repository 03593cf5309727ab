"""Drafting's Celery task, and the worker step that recovers drafts whose job was lost.

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
from celery import bootsteps, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from config.celery import app
from config.errors import DomainError
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


class DraftRecovery(bootsteps.StartStopStep):
    """Every few seconds, each worker re-queues drafts whose job was lost (see
    `drafts_recover`). Run by every worker, so recovery needs no extra process; the
    compare-and-set writes make the workers' runs harmless to each other."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        interval = max(settings.DRAFT_LEASE_SECONDS / 4, 1)
        self.tref = parent.timer.call_repeatedly(interval, _recover, priority=10)

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


def _recover() -> None:
    # The worker's main thread runs this, not a job's thread: its connection is closed after
    # each run, so that between runs it holds none (and a prefork pool process forked later
    # never shares it).
    close_old_connections()
    try:
        drafts_recover()
    except Exception:
        # Broad on purpose: a database blip must not stop the timer; the next run retries.
        logger.warning("draft recovery failed", exc_info=True)
    finally:
        connection.close()


app.steps["worker"].add(DraftRecovery)
