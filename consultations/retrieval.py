"""Retrieval: the passages of the documents a question may draw on that best answer it.

Only documents the caller may see are searched (`cases.selectors.documents_to_consult`).
What is found is raw text: it reaches the model only through the pipeline's one gate, like
everything else the model sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from cases.models import Case, Passage
from cases.search import passages_matching
from cases.selectors import documents_to_consult


@dataclass(frozen=True)
class Source:
    """A retrieved passage, with what a citation of it shows."""

    passage_id: int
    document_id: int
    title: str
    page: int
    text: str
    # Of the document's file: part of the cache key, so a changed document is a new answer.
    document_sha256: str


def sources_for(*, user: User, case: Case | None, question: str, limit: int) -> list[Source]:
    """The best `limit` passages for `question`, best first (a database thread's work)."""
    document_ids = list(documents_to_consult(user=user, case=case).values_list("pk", flat=True))
    ranked = passages_matching(question, document_ids=document_ids, limit=limit)
    passages = Passage.objects.select_related("document").in_bulk([pk for pk, _ in ranked])
    return [_source(passages[pk]) for pk, _ in ranked if pk in passages]


def _source(passage: Passage) -> Source:
    return Source(
        passage_id=passage.pk,
        document_id=passage.document_id,
        title=passage.document.title,
        page=passage.page,
        text=passage.text,
        document_sha256=passage.document.sha256,
    )
