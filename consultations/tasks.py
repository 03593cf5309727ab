"""Consultations' Celery task: embedding a ready document's passages (services.embedding)."""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import shared_task

from consultations.llm.embeddings import embedding_model
from consultations.llm.errors import LLMError, LLMMisconfigured
from consultations.services.embedding import document_embed

logger = logging.getLogger("counsel.ai")

# Seconds before the first retry of a failed embeddings call; doubled for each later one.
RETRY_BACKOFF_SECONDS = 10


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def document_embed_task(self: Any, document_id: int) -> None:
    """Embed document `document_id`'s passages; idempotent, so a job run twice (a worker lost
    after the work, before the acknowledgement) costs one more look at the document."""
    try:
        document_embed(document_id=document_id)
    except LLMMisconfigured as exc:
        # Only an admin can fix it (logged at ERROR by the client); lexical search still works.
        logger.warning(
            "document embedding refused", extra={"document_id": document_id, "error_code": exc.code}
        )
    except LLMError as exc:
        if self.request.retries >= self.max_retries:
            logger.warning(
                "document embedding failed, lexical search only",
                extra={"document_id": document_id, "error_code": exc.code},
            )
            return
        backoff = max(exc.retry_after, RETRY_BACKOFF_SECONDS * 2**self.request.retries)
        raise self.retry(exc=exc, countdown=backoff + random.uniform(0, 1)) from exc


def document_ready_received(sender: type, *, document_id: int, **kwargs: Any) -> None:
    """`cases.signals.document_ready` (sent after the commit): queue the embedding job when
    there is an embeddings model."""
    if embedding_model():
        document_embed_task.delay(document_id)
