"""The fake servers' embeddings model: a test model, not a language model, deterministic and
meaningful in one simple way.

A text's vector is the sum of one random-looking direction per distinct concept it holds: its
words, lower-cased and crudely stemmed, with the words of each group of `SYNONYMS` counted as
one concept. So two texts that say the same thing in other words ("the lessee may end the
tenancy" and "the tenant may terminate the lease") get close vectors while sharing few words,
which is what semantic search adds to lexical search. The retrieval bench (bench/
retrieval_bench.py) phrases its questions with the same table, so its semantic figures measure
the product's retrieval against this model, never a real model's quality.
"""

from __future__ import annotations

import hashlib
import math
import re

DIMENSIONS = 384

# Each group is one concept; the bench writes a passage with one word of a group and its
# question with another.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("terminate", "end", "cancel", "discontinue"),
    ("tenant", "lessee", "occupier", "renter"),
    ("landlord", "lessor", "owner", "proprietor"),
    ("lease", "tenancy", "letting"),
    ("notice", "warning", "notification"),
    ("rent", "rental", "hire"),
    ("premises", "property", "building"),
    ("repair", "maintain", "fix", "upkeep"),
    ("deposit", "bond", "security"),
    ("confidential", "secret", "private", "proprietary"),
    ("disclose", "reveal", "divulge", "share"),
    ("information", "material", "data", "details"),
    ("damages", "compensation", "losses"),
    ("court", "tribunal", "bench"),
    ("judgment", "ruling", "decision"),
    ("appeal", "challenge", "contest"),
    ("claimant", "plaintiff", "applicant"),
    ("defendant", "respondent"),
    ("pay", "settle", "remit"),
    ("payment", "remittance"),
    ("costs", "expenses"),
    ("letter", "correspondence", "message"),
    ("demand", "require", "insist", "request"),
    ("deadline", "cutoff", "limit"),
    ("insurance", "cover", "indemnity"),
    ("assign", "transfer", "sublet"),
    ("breach", "violation", "default"),
    ("period", "term", "duration"),
    ("return", "restore", "surrender"),
    ("begin", "start", "commence"),
    ("agree", "consent", "approve"),
    ("fee", "charge", "price"),
    ("increase", "raise", "uplift"),
    ("dispute", "disagreement", "conflict"),
    ("employee", "staff", "worker", "personnel"),
    ("purpose", "aim", "objective"),
    ("obligation", "duty", "responsibility"),
    ("award", "grant"),
    ("expire", "lapse"),
    ("days", "day"),
    ("months", "month"),
    ("years", "year"),
    ("written", "writing"),
    ("refund", "repay", "reimburse"),
    ("quiet", "peaceful", "undisturbed"),
    ("pet", "animal"),
    ("goods", "products", "merchandise"),
    ("injunction", "interdict"),
)

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "and",
        "or",
        "is",
        "are",
        "be",
        "been",
        "was",
        "were",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "with",
        "as",
        "from",
        "may",
        "shall",
        "will",
        "must",
        "any",
        "all",
        "not",
        "no",
        "if",
        "then",
        "than",
        "which",
        "who",
        "whom",
        "what",
        "when",
        "where",
        "how",
        "do",
        "does",
        "did",
        "under",
        "into",
        "out",
        "up",
        "so",
        "such",
        "each",
        "per",
    ]
)
_WORD = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s", "e")


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


_CONCEPTS = {stem(word): group[0] for group in SYNONYMS for word in group}


def concepts(text: str) -> set[str]:
    """The distinct concepts of `text`: its words' stems, synonyms as one."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if word not in _STOP:
            stemmed = stem(word)
            found.add(_CONCEPTS.get(stemmed, stemmed))
    return found


def embed_text(text: str) -> list[float]:
    """The test model's unit vector for `text` (all zeros for a text with no concept)."""
    vector = [0.0] * DIMENSIONS
    for concept in concepts(text):
        digest = hashlib.blake2b(concept.encode(), digest_size=8).digest()
        number = int.from_bytes(digest, "big")
        vector[number % DIMENSIONS] += 1.0 if number >> 63 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector] if norm else vector


def embeddings_response(body: object) -> dict[str, object]:
    """`/v1/embeddings`'s answer to a request body (a string or a list of strings)."""
    body = body if isinstance(body, dict) else {}
    texts = body.get("input", [])
    texts = [texts] if isinstance(texts, str) else list(texts)
    tokens = sum(len(str(text).split()) for text in texts)
    return {
        "object": "list",
        "model": str(body.get("model", "fake-embedding")),
        "data": [
            {"object": "embedding", "index": index, "embedding": embed_text(str(text))}
            for index, text in enumerate(texts)
        ],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
