"""Embedding a document's passages for semantic search (consultations.retrieval).

A document is embedded once per embeddings model: when it becomes ready (cases' signal
`document_ready` queues `consultations.tasks.document_embed_task`), and again when the model
changes (`manage.py embeddings_refresh` queues every document embedded by another model, and
the job itself re-embeds a document whose model is not the current one). Until then, the
document is still found by lexical search.
"""

from __future__ import annotations

import numpy as np
from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Document, Passage
from consultations.llm.embeddings import embed, embedding_model, vector_bytes

_UPDATE_BATCH = 200


def documents_to_embed() -> QuerySet[Document]:
    """Ready documents whose passages the current embeddings model has not embedded."""
    model = embedding_model()
    if not model:
        return Document.objects.none()
    return Document.objects.filter(status=Document.Status.READY).exclude(embedding_model=model)


def documents_embedding_forget() -> int:
    """Mark every ready document as embedded by no model, so that the job embeds it again;
    how many. Semantic search leaves them out until then."""
    return Document.objects.filter(status=Document.Status.READY).update(
        embedding_model="", updated_at=timezone.now()
    )


def document_embed(*, document_id: int) -> bool:
    """Embed the passages of a ready document with the current model and store the vectors;
    whether it stored them. Idempotent: a document the model has embedded already, or one that
    changed while its passages were with the provider (re-indexed, deleted: its next
    `document_ready` brings it back), is left as it is. The provider is asked outside any
    transaction; an `LLMError` propagates for the task to retry."""
    model = embedding_model()
    if not model:
        return False
    document = (
        Document.objects.select_related("case__client")
        .filter(pk=document_id, status=Document.Status.READY)
        .first()
    )
    if document is None or document.embedding_model == model:
        return False
    passages = list(document.passages.order_by("position").values_list("pk", "text"))
    names = document.case.party_names() if document.case is not None else []
    vectors = (
        async_to_sync(embed)([text for _, text in passages], known_names=names)
        if passages
        else np.zeros((0, 0), dtype=np.float32)
    )
    with transaction.atomic():
        unchanged = (
            Document.objects.select_for_update()
            .filter(pk=document_id, status=Document.Status.READY, updated_at=document.updated_at)
            .exists()
        )
        ids = [pk for pk, _ in passages]
        if not unchanged or list(document.passages.values_list("pk", flat=True)) != ids:
            return False
        Passage.objects.bulk_update(
            [
                Passage(pk=pk, embedding=vector_bytes(vector))
                for pk, vector in zip(ids, vectors, strict=True)
            ],
            ["embedding"],
            batch_size=_UPDATE_BATCH,
        )
        # A new `updated_at` too: retrieval's in-memory vectors of the document are stale.
        Document.objects.filter(pk=document_id).update(
            embedding_model=model, updated_at=timezone.now()
        )
    return True
