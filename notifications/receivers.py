"""Where notifications learn that something happened in the apps below them.

Drafts and documents are processed by background jobs (drafting.tasks, cases.tasks); when a
run of one ends, Celery's `task_postrun` brings its row's id here, and the row's status says
whether there is anything to tell: a run put back for a retry, or one that found the row held
by another, leaves nothing to say. A row the recovery of lost jobs gives up on
(`config.leases.job_given_up`) is told of the same way. Nothing here ever fails the job: an
error is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db.models import Model

from cases.models import Document
from config.dbpool import close_outside_transaction
from drafting.models import Draft
from notifications import events

logger = logging.getLogger("counsel.notifications")


def _draft(pk: int) -> bool:
    return events.draft_job_ended(draft_id=pk)


def _document(pk: int) -> bool:
    return events.document_processed(document_id=pk)


_JOB_ENDED: dict[str, Callable[[int], bool]] = {
    "drafting.tasks.draft_generate_task": _draft,
    "cases.tasks.document_process_task": _document,
}
_GIVEN_UP: dict[type[Model], Callable[[int], bool]] = {Draft: _draft, Document: _document}


def background_job_ended(sender: Task, args: tuple[Any, ...] = (), **kwargs: Any) -> None:
    """`task_postrun` of every task: for a draft's or a document's job (called with the row's
    id first), the notification its outcome calls for."""
    handler = _JOB_ENDED.get(sender.name)
    if handler is None or not args:
        return
    try:
        handler(args[0])
    except Exception:
        logger.exception("notification_failed", extra={"task": sender.name, "row_id": args[0]})
    finally:
        # The worker's threads are many: none keeps a connection between jobs.
        close_outside_transaction()


def job_given_up(sender: type[Model], *, pk: int, **kwargs: Any) -> None:
    """`config.leases.job_given_up` (sent by the recovery after its commit; `send_robust`
    logs an error of this receiver): the notification of a draft or document that failed."""
    handler = _GIVEN_UP.get(sender)
    if handler is not None:
        handler(pk)
