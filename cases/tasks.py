"""Documents' Celery task: extract a document's text and index its passages."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from cases.indexing import document_index


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def document_process_task(self: Any, document_id: int, request_id: str) -> None:
    document_index(document_id=document_id, task_id=self.request.id, request_id=request_id)
