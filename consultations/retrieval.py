"""Retrieval: the passages of the documents a question may draw on that best answer it.

Only documents the caller may see are searched (`cases.selectors.documents_to_consult`).
Two searches put forward their best passages: the database's full-text search
(`cases.search`), and, when the question comes with its vector (`question_vector`, awaited
before this database step), similarity with the vectors of the documents embedded by the same
model, centred on the mean of the passages searched (`passages_nearest`). Their rankings are
combined by reciprocal rank fusion: a passage both find comes first, and neither search's
scores need to be comparable with the other's.

What is found is raw text: it reaches the model only through the pipeline's one gate, like
everything else the model sees.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings

from accounts.models import User
from cases.models import Case, Passage
from cases.search import passages_matching
from cases.selectors import documents_to_consult
from consultations.llm.embeddings import QuestionVector, vectors_from

# Passages each search puts forward to the combination: deep enough that a passage one search
# ranks low but the other ranks high still meets itself there.
CANDIDATES = 50
# Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009), weighted. Its constant sets
# how much a search's first few ranks outweigh the rest: the paper's 60 flattens them so much
# that a passage lexical search ranks first for sharing the parties' names beat the one
# semantic search ranks first for saying what the question asks (bench/retrieval_bench.py:
# recall@5 0.795 and 0.735 on two seeds, against 0.87 and 0.84 with these values). Semantic
# search counts more: questions rarely use the words of the passage that answers them.
# Measured again once lexical search compared stems (MariaDB, 200 documents, seeds 1 and 2 to
# choose, seed 3 to check): of constants 1 to 60, weights 1 to 4, depths 10 to 100 and a
# weighted sum of scores each divided by its search's best, none beat these by more than 0.007
# in the case on seeds 1 and 2 (two questions in 300), and each of those did worse on seed 3
# or over every passage (by up to 0.05): noise, so the constant stays. Once semantic search was
# centred (`passages_nearest`) it found more than lexical search (recall@5 in the case
# 0.88-0.89 against 0.50-0.52), and counting it three times rather than twice kept 0.01 more
# of it; weights 2 to 6 and constants 5 to 20 were within 0.01 of each other.
RRF_K = 10
SEMANTIC_WEIGHT = 3.0


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


def sources_for(
    *,
    user: User,
    case: Case | None,
    question: str,
    limit: int,
    query_vector: QuestionVector | None = None,
) -> list[Source]:
    """The best `limit` passages for `question`, best first (a database thread's work).
    Without `query_vector` (no embeddings model, or the provider failed), lexical only."""
    documents = list(
        documents_to_consult(user=user, case=case).values_list(
            "pk", "embedding_model", "updated_at"
        )
    )
    depth = max(limit, CANDIDATES)
    lexical = passages_matching(question, document_ids=[pk for pk, _, _ in documents], limit=depth)
    rankings = [([pk for pk, _ in lexical], 1.0)]
    if query_vector is not None:
        embedded = {pk: updated for pk, model, updated in documents if model == query_vector.model}
        nearest = passages_nearest(query_vector, documents=embedded, limit=depth)
        rankings.append((nearest, SEMANTIC_WEIGHT))
    ranked = fused(rankings)[:limit]
    passages = Passage.objects.select_related("document").in_bulk(ranked)
    return [_source(passages[pk]) for pk in ranked if pk in passages]


def fused(rankings: Sequence[tuple[Sequence[int], float]]) -> list[int]:
    """Weighted reciprocal rank fusion of (ranking of passage ids, best first; its weight):
    by the sum of weight / (RRF_K + rank) over the rankings that hold a passage; ties go to
    the passage ranked best by any one search, then to the first passage written."""
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    for ranking, weight in rankings:
        for rank, pk in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0.0) + weight / (RRF_K + rank)
            best[pk] = min(best.get(pk, rank), rank)
    return sorted(scores, key=lambda pk: (-scores[pk], best[pk], pk))


def passages_nearest(
    query_vector: QuestionVector, *, documents: dict[int, datetime], limit: int
) -> list[int]:
    """The ids of the `limit` passages of `documents` (id: updated_at, all embedded by the
    query's model) most similar to the query, best first; passages of no similarity at all
    (a cosine of zero or less) are left out.

    Similarity is centred on the searched passages' mean vector: a passage scores its cosine
    with the query less its similarity to that mean, which is its cosine with the query minus
    the mean, and ranks as the centred vectors' inner product (Suzuki et al., 2013, "Centering
    similarity measures to reduce hubs"). What most passages say (boilerplate: headings,
    counterparts, notices, each naming the parties) then counts for little, and a passage
    near a question for sharing only what every passage shares stops outranking the one that
    answers it."""
    if not documents or limit <= 0:
        return []
    vectors = _vectors.of(documents, model=query_vector.model)
    if not vectors:
        return []
    ids = np.concatenate([entry.ids for entry in vectors])
    mean = sum(entry.total for entry in vectors) / len(ids)
    # One product per document gives both the cosine and the similarity to the mean.
    probes = np.stack([query_vector.values, mean.astype(query_vector.values.dtype)], axis=1)
    products = np.concatenate([entry.matrix @ probes for entry in vectors])
    cosine = products[:, 0]
    scores = np.where(cosine > 0, cosine - products[:, 1], -np.inf)
    if len(scores) > limit:
        # The best `limit` in linear time, then only those sorted.
        top = np.argpartition(-scores, limit - 1)[:limit]
    else:
        top = np.arange(len(scores))
    top = top[np.lexsort((ids[top], -scores[top]))]
    return [int(ids[i]) for i in top if np.isfinite(scores[i])]


@dataclass(frozen=True)
class _DocumentVectors:
    model: str
    updated_at: datetime
    ids: np.ndarray
    matrix: np.ndarray
    # The sum of the rows, for the mean of the passages searched (`passages_nearest`).
    total: np.ndarray

    @property
    def size(self) -> int:
        return self.ids.nbytes + self.matrix.nbytes + self.total.nbytes


class _VectorCache:
    """Each document's passage vectors as one matrix, kept in this process so that a question
    reads none from the database. An entry is good while its document's embedding model and
    `updated_at` are those it was read with (the embedding job and re-indexing both change
    `updated_at`); the documents used least recently go first once EMBEDDING_CACHE_MB is
    reached. Shared by the process's threads, hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, _DocumentVectors] = OrderedDict()
        self._bytes = 0

    def of(self, documents: dict[int, datetime], *, model: str) -> list[_DocumentVectors]:
        found: list[_DocumentVectors] = []
        missing: list[int] = []
        with self._lock:
            for pk, updated_at in documents.items():
                entry = self._entries.get(pk)
                if entry is not None and (entry.model, entry.updated_at) == (model, updated_at):
                    self._entries.move_to_end(pk)
                    found.append(entry)
                else:
                    missing.append(pk)
        if missing:
            loaded = _load(missing, documents=documents, model=model)
            found += loaded
            with self._lock:
                for pk, entry in zip(missing, loaded, strict=True):
                    self._put(pk, entry)
        return [entry for entry in found if len(entry.ids)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _put(self, pk: int, entry: _DocumentVectors) -> None:
        old = self._entries.pop(pk, None)
        if old is not None:
            self._bytes -= old.size
        self._entries[pk] = entry
        self._bytes += entry.size
        budget = settings.EMBEDDING_CACHE_MB * 1024 * 1024
        while self._bytes > budget and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size


def _load(
    missing: Iterable[int], *, documents: dict[int, datetime], model: str
) -> list[_DocumentVectors]:
    """The vectors of the `missing` documents, in their order, read in one query."""
    rows: dict[int, tuple[list[int], list[bytes]]] = {pk: ([], []) for pk in missing}
    passages = Passage.objects.filter(document_id__in=list(rows), embedding__isnull=False)
    for document_id, pk, blob in passages.values_list("document_id", "pk", "embedding").order_by(
        "document_id", "position"
    ):
        ids, blobs = rows[document_id]
        ids.append(pk)
        blobs.append(bytes(blob))
    loaded = []
    for pk, (ids, blobs) in rows.items():
        matrix = vectors_from(*blobs) if blobs else np.zeros((0, 0), dtype=np.float32)
        loaded.append(
            _DocumentVectors(
                model=model,
                updated_at=documents[pk],
                ids=np.array(ids, dtype=np.int64),
                matrix=matrix,
                total=matrix.sum(axis=0, dtype=np.float64),
            )
        )
    return loaded


_vectors = _VectorCache()


def _source(passage: Passage) -> Source:
    return Source(
        passage_id=passage.pk,
        document_id=passage.document_id,
        title=passage.document.title,
        page=passage.page,
        text=passage.text,
        document_sha256=passage.document.sha256,
    )
