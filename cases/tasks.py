"""Documents' Celery task, and the recovery of documents whose job was lost (every worker runs
it on a timer: `config.recovery`).

`document_process_task` acknowledges its message only when it has finished (`acks_late`), so a
job whose worker dies is run again by another worker once the broker hands it back
(`reject_on_worker_lost` does the same for a prefork pool process that dies under a living
worker); `cases.indexing.document_index` makes running it twice harmless.
"""

from __future__ import annotations

import functools
import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from cases.indexing import document_index, documents_recover
from config.dbpool import close_outside_transaction
from config.recovery import recovery_register

# Seconds before the first retry of an unreachable database; doubled for each later one.
RETRY_BACKOFF_SECONDS = 5


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def document_process_task(self: Any, document_id: int, request_id: str) -> None:
    """Extract and index document `document_id`, retrying an unreachable database
    `max_retries` times."""
    try:
        with _extraction_slot():
            document_index(document_id=document_id, task_id=self.request.id, request_id=request_id)
    except (OperationalError, InterfaceError) as exc:
        # The database refused or dropped the connection (too many connections, a restart).
        # A failed task is acknowledged, and a document still queued under this task's id is
        # never taken up again by the recovery: the retry is this job's way back. Jitter, so
        # jobs that failed together do not all retry in the same second.
        countdown = RETRY_BACKOFF_SECONDS * 2**self.request.retries + random.uniform(0, 1)
        raise self.retry(exc=exc, countdown=countdown) from exc


@contextmanager
def _extraction_slot() -> Iterator[None]:
    """One of the process's `DOCUMENT_EXTRACTIONS_PER_WORKER` places, held for the job.

    A worker runs its jobs on many threads (CELERY_WORKER_POOL), made for drafts that wait on
    the model. Extraction computes instead: its threads take turns on one interpreter, so a
    few at once use the process fully, and the rest wait here holding no database
    connection. The job's connection is closed when it ends, so a process holds at most that
    many for documents, beside its AI_DB_THREADS (docs/operations.md).
    """
    slots = _slots(os.getpid())
    with slots:
        try:
            yield
        finally:
            close_outside_transaction()


@functools.cache
def _slots(pid: int) -> threading.BoundedSemaphore:
    # Keyed by process: a prefork pool process makes its own after its fork.
    return threading.BoundedSemaphore(settings.DOCUMENT_EXTRACTIONS_PER_WORKER)


recovery_register(
    name="documents",
    run=documents_recover,
    # A few runs per lease: a lost document waits at most a quarter lease past its lease.
    interval=lambda: settings.DOCUMENT_LEASE_SECONDS / 4,
)
