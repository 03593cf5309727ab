"""Embeddings: texts as unit vectors, for semantic search (consultations.retrieval).

Every text is scrubbed before it leaves the firm, as a prompt is: secrets are masked, and
each identity (a name, an e-mail, an address) becomes a pseudonym that is the same in every
text (`pseudonymized`), since a vector never comes back as text to be restored.

Vectors are float32 and of length 1, so a dot product is their cosine similarity; stored as
bytes (`Passage.embedding`), they are `vector_bytes` and `vectors_from`.

A question's vector is cached in the shared cache under the sha256 of the model and the
scrubbed text: a cache outage is a miss, and an embeddings failure leaves the question
without a vector (lexical search only), logged without its text.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings

from config.secret_keys import derived_key
from consultations.llm.cache import cache_store, cached_value
from consultations.llm.client import OpenAIProvider, get_provider
from consultations.llm.errors import LLMBadOutput, LLMError, LLMMisconfigured
from consultations.llm.pii import EntityType, Scrubber

logger = logging.getLogger("counsel.llm")

# A question's vector depends only on the model and its scrubbed text: kept a week.
QUESTION_VECTOR_TTL = 7 * 24 * 3600
_DTYPE = np.dtype("<f4")


@dataclass(frozen=True)
class QuestionVector:
    """A question's embedding, and the model it came from: only passages of the same model
    are comparable with it."""

    model: str
    values: np.ndarray


def embedding_model() -> str:
    """The embeddings model in use; empty when there is none (no setting, or a provider that
    serves no embeddings, such as the offline one)."""
    if not isinstance(get_provider(), OpenAIProvider):
        return ""
    return settings.LLM_EMBEDDING_MODEL


async def embed(texts: Sequence[str], *, known_names: Iterable[str] = ()) -> np.ndarray:
    """The unit vectors of `texts` (one row each, float32: a document's passages), each text
    pseudonymized first (`pseudonymized`, knowing `known_names`: the case's parties, and every
    person found in any of the texts); an `LLMError` on failure."""
    names = [name for name in known_names if name]
    names += people_named(texts, known_names=names)
    return await _embedded([pseudonymized(text, known_names=names) for text in texts])


def people_named(texts: Iterable[str], *, known_names: Iterable[str] = ()) -> list[str]:
    """The people the scrubber finds in any of `texts`. Known to every text of a document,
    each has one pseudonym throughout it: the scrubber reads a name from its context, so
    "Does Tansley Works plc accept" names a person and "Tansley Works plc rejects", first in
    its sentence, does not, and the passage would otherwise keep a name its question hides."""
    scrubber = Scrubber(known_names=known_names)
    for text in texts:
        scrubber.scrub(text)
    return sorted(
        original
        for placeholder, original in scrubber.mapping.items()
        if placeholder.startswith(f"<{EntityType.PERSON}_")
    )


async def _embedded(scrubbed: list[str]) -> np.ndarray:
    model = embedding_model()
    provider = get_provider()
    if not model or not isinstance(provider, OpenAIProvider):
        raise LLMMisconfigured(attempts=0, code="no_embeddings")
    # An empty input is refused by the API; a blank passage becomes a single space.
    raw = await provider.embed(
        texts=[text or " " for text in scrubbed], model=model, batch=settings.LLM_EMBEDDING_BATCH
    )
    try:
        matrix = np.asarray(raw, dtype=_DTYPE)
    except ValueError as exc:  # ragged: vectors of different lengths
        raise LLMBadOutput(attempts=1, upstream_status=200) from exc
    if matrix.ndim != 2 or matrix.shape[0] != len(scrubbed) or not np.isfinite(matrix).all():
        raise LLMBadOutput(attempts=1, upstream_status=200)
    return _unit_rows(matrix)


async def question_vector(
    *, question: str, known_names: Iterable[str] = ()
) -> QuestionVector | None:
    """The question's vector for `sources_for(query_vector=...)`, from the cache or the
    provider; None when there is no embeddings model or the provider failed (then retrieval
    is lexical only). Awaited before the database step, so the model's latency costs a
    coroutine, not a database thread."""
    model = embedding_model()
    if not model:
        return None
    scrubbed = pseudonymized(question, known_names=[name for name in known_names if name])
    key = _question_key(model, scrubbed)
    cached = await cached_value(key)
    if isinstance(cached, bytes):
        return QuestionVector(model=model, values=vectors_from(cached)[0])
    try:
        values = (await _embedded([scrubbed]))[0]
    except LLMError as exc:
        logger.warning(
            "question embedding failed, lexical search only",
            extra={"model": model, "error_code": exc.code, "attempts": exc.attempts},
        )
        return None
    await cache_store(key=key, value=vector_bytes(values), ttl=QUESTION_VECTOR_TTL)
    return QuestionVector(model=model, values=values)


def pseudonymized(text: str, *, known_names: Iterable[str] = ()) -> str:
    """`text` scrubbed, each identity's placeholder made a pseudonym of it that is the same in
    every text (`<PERSON_1>` becomes `<PERSON_3fa9c0d21b>`): a question naming a party or an
    address then stays close to the passages naming them, while neither the name nor anything
    the provider could reverse leaves the firm (a keyed digest; the key, derived from
    SECRET_KEY, never leaves). Secrets stay masked as they are."""
    scrubber = Scrubber(known_names=known_names)
    scrubbed = scrubber.scrub(text)
    for placeholder, original in scrubber.mapping.items():
        kind = placeholder[1:].rsplit("_", 1)[0]
        value = " ".join(original.casefold().split()).encode()
        key = _pseudonym_key(settings.SECRET_KEY)
        digest = hmac.new(key, value, hashlib.sha256).hexdigest()[:10]
        scrubbed = scrubbed.replace(placeholder, f"<{kind}_{digest}>")
    return scrubbed


@lru_cache(maxsize=2)
def _pseudonym_key(secret: str) -> bytes:
    return derived_key(secret, "embedding-pseudonyms").encode()


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=_DTYPE).tobytes()


def vectors_from(*blobs: bytes) -> np.ndarray:
    """Stored vectors (all of one model, so of one length) as the rows of a matrix."""
    return np.frombuffer(b"".join(blobs), dtype=_DTYPE).reshape(len(blobs), -1)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # A zero vector (a model's answer for nothing it knows) stays zero: similar to nothing.
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _question_key(model: str, scrubbed: str) -> str:
    digest = hashlib.sha256(f"{model}\0{scrubbed}".encode()).hexdigest()
    return f"llm:embedding:{digest}"
