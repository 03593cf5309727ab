"""Indexing a document: claim it, extract its text, split it into passages, store them.

`document_index` is the extraction job (`cases.tasks.document_process_task` runs it). It
claims the document under the lease of `config.leases` (`DOCUMENT_LEASE`), the guarantees
drafts have: a job run twice indexes the document once, a job whose worker died is taken over
once its lease (`DOCUMENT_LEASE_SECONDS`) ran out, or at once by a redelivery of its own
task, and `documents_recover` (every worker, on a timer) re-queues documents whose job was
lost, giving up after `MAX_ATTEMPTS` claims. The file is read through Django's storage API, so
a local folder and S3-compatible storage work alike. The passages replace the document's
old ones and the document becomes `ready` with its page count in one transaction; a file
whose text cannot be had makes it `failed` with the reason.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from cases.extraction import ExtractionFailed, pages_extract
from cases.models import Document, Passage
from cases.passages import PassageText, passages_split
from cases.signals import document_ready
from config.leases import Lease

logger = logging.getLogger("counsel.documents")

# Claims of one document before it is given up: the first run, retries on a database outage,
# recoveries of a killed worker.
MAX_ATTEMPTS = 5

DOCUMENT_LEASE = Lease(
    model=Document,
    queued=Document.Status.QUEUED,
    running=Document.Status.EXTRACTING,
    failed=Document.Status.FAILED,
    seconds_setting="DOCUMENT_LEASE_SECONDS",
    max_attempts=MAX_ATTEMPTS,
    task="cases.tasks.document_process_task",
    noun="document",
)
UNEXPECTED = "an unexpected error stopped the extraction"
# Passages written per INSERT: a 2,000-page document has some thousands.
_BATCH = 500


def document_schedule(*, document_id: int, request_id: str) -> None:
    """Hand a queued document to a worker, once, when the current transaction commits: a
    document that already has a task, or has been indexed, is left as it is."""
    task_id = str(uuid.uuid4())
    if Document.objects.filter(id=document_id, status=Document.Status.QUEUED, task_id="").update(
        task_id=task_id, updated_at=timezone.now()
    ):
        DOCUMENT_LEASE.publish_on_commit(pk=document_id, request_id=request_id, task_id=task_id)


def document_index(*, document_id: int, task_id: str, request_id: str) -> Document | None:
    """Run the document's extraction if it can be claimed, and return it as it then stands
    (None when it was deleted meanwhile). Safe to call any number of times."""
    token = uuid.uuid4().hex
    log = {"document_id": document_id, "request_id": request_id}
    if not DOCUMENT_LEASE.claim(pk=document_id, task_id=task_id, token=token):
        logger.info("document_not_claimed", extra=log)
        return Document.objects.filter(id=document_id).first()
    document = Document.objects.filter(id=document_id).first()
    if document is None:  # deleted since the claim
        return None
    logger.info("document_claimed", extra={**log, "attempt": document.attempts})
    started = time.monotonic()
    try:
        pages = _pages(document)
        passages = passages_split(pages)
    except ExtractionFailed as exc:
        _fail(document_id=document_id, token=token, reason=exc.reason)
        logger.info("document_failed", extra={**log, "reason": exc.reason})
        return Document.objects.filter(id=document_id).first()
    except (OperationalError, InterfaceError):
        raise  # the database is away: the task retries, and its retry takes the claim over
    except Exception:
        # A fault of storage or of a parser on a file it should have read: the reader is
        # told, and the log has the rest.
        _fail(document_id=document_id, token=token, reason=UNEXPECTED)
        logger.exception("document_extraction_error", extra=log)
        return Document.objects.filter(id=document_id).first()
    if _store(document_id=document_id, token=token, pages=len(pages), passages=passages):
        logger.info(
            "document_ready",
            extra={
                **log,
                "pages": len(pages),
                "passages": len(passages),
                "seconds": round(time.monotonic() - started, 3),
            },
        )
    return Document.objects.filter(id=document_id).first()


def _pages(document: Document) -> list[str]:
    try:
        with document.file.open("rb") as file:
            # One read past the upload limit tells a file that grew in storage from one that
            # fits: the extraction reads no more than it must.
            data = file.read(settings.DOCUMENT_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ExtractionFailed("the file is missing from storage") from None
    if len(data) > settings.DOCUMENT_MAX_BYTES:
        raise ExtractionFailed("the file is larger than the upload limit")
    return pages_extract(data=data, format=document.format)


@transaction.atomic
def _store(*, document_id: int, token: str, pages: int, passages: list[PassageText]) -> bool:
    """The passages and the ready state, written together while the job still holds the
    document; False (nothing written) when it no longer does."""
    # The row lock makes a job that lost its claim wait, then find it held by another.
    held = DOCUMENT_LEASE.held(pk=document_id, token=token).select_for_update()
    if not held.exists():
        return False
    Passage.objects.filter(document_id=document_id).delete()
    Passage.objects.bulk_create(
        (
            Passage(
                document_id=document_id,
                position=position,
                page=passage.page,
                start=passage.start,
                end=passage.end,
                text=passage.text,
            )
            for position, passage in enumerate(passages)
        ),
        batch_size=_BATCH,
    )
    held.update(
        status=Document.Status.READY,
        page_count=pages,
        failure_reason="",
        embedding_model="",
        updated_at=timezone.now(),
    )
    transaction.on_commit(
        lambda: document_ready.send_robust(sender=Document, document_id=document_id)
    )
    return True


@transaction.atomic
def _fail(*, document_id: int, token: str, reason: str) -> None:
    # Passages of an earlier indexing go too: a document that failed is never searched.
    if DOCUMENT_LEASE.held(pk=document_id, token=token).select_for_update().exists():
        Passage.objects.filter(document_id=document_id).delete()
        DOCUMENT_LEASE.held(pk=document_id, token=token).update(
            status=Document.Status.FAILED, failure_reason=reason[:200], updated_at=timezone.now()
        )


def documents_recover(*, limit: int = 100) -> list[int]:
    """Re-queue documents whose extraction job was lost (`Lease.recover`), and return their
    ids; one claimed `MAX_ATTEMPTS` times fails instead."""
    return DOCUMENT_LEASE.recover(
        given_up=lambda attempts: f"the extraction was interrupted {attempts} times",
        limit=limit,
    )
