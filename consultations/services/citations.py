"""Cited answers: the passages a question drew on, numbered for the model, and the answer's
citations of them (`[1]`, `[2, 3]`) read back as the contract's `references`, in the order
first cited; the answer's markers are numbered again in that order, so that `[1]` is the
first reference the user sees.

A citation with no passage behind it (the model's invention: `[7]` when five were given) is
dropped from the answer and counted on the Consultation, so the user never follows a link to
nothing and an admin sees how often the model invents. A streamed answer is filtered as it is
written (`CitationFilter`): a marker split across chunks (`[1` + `2]`) is held back until it
is whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consultations.retrieval import Source

# At most five numbers of two digits: bounded, so matching is linear in the answer.
_MARKER = re.compile(r"( ?)\[(\d{1,2}(?:, ?\d{1,2}){0,4})\]")
# The start of a marker that a chunk may end in the middle of: " [", "[1", "[1, 2".
_MARKER_START = re.compile(r" ?\[[\d, ]{0,16}")
_QUOTE_CHARS = 300


@dataclass(frozen=True)
class Cited:
    answer: str  # invented citations taken out
    references: list[dict[str, Any]]  # the passages cited, in the order first cited
    dropped: int  # invented citations


def cite(answer: str, sources: Sequence[Source]) -> Cited:
    """`answer`'s citations of `sources` (numbered from 1)."""
    if not sources:
        return Cited(answer=answer, references=[], dropped=0)
    reader = _Reader(sources)
    text = reader.read(answer)
    return Cited(answer=text, references=reader.references(), dropped=reader.dropped)


class CitationFilter:
    """`cite` for an answer that arrives in chunks: `feed` each chunk, then `flush`, then
    `cited()` for the references and the count of invented citations dropped."""

    def __init__(self, sources: Sequence[Source]) -> None:
        self.reader = _Reader(sources)
        self.held = ""
        self.text: list[str] = []

    def feed(self, chunk: str) -> str:
        if not self.reader.sources:
            self.text.append(chunk)
            return chunk
        text = self.held + chunk
        start = text.rfind("[")
        start = start - 1 if start > 0 and text[start - 1] == " " else start
        if start == -1 or not _MARKER_START.fullmatch(text, start):
            # A space may be the start of a marker to be dropped with it.
            start = len(text) - 1 if text.endswith(" ") else len(text)
        self.held, text = text[start:], text[:start]
        return self._read(text)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return self._read(text)

    def cited(self) -> Cited:
        return Cited(
            answer="".join(self.text),
            references=self.reader.references(),
            dropped=self.reader.dropped,
        )

    def _read(self, text: str) -> str:
        text = self.reader.read(text) if self.reader.sources else text
        self.text.append(text)
        return text


class _Reader:
    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = sources
        self.used: dict[int, None] = {}  # source numbers, in the order first cited
        self.dropped = 0

    def read(self, text: str) -> str:
        return _MARKER.sub(self._marker, text)

    def _marker(self, match: re.Match[str]) -> str:
        numbers = [int(number) for number in match[2].split(",")]
        known = [n for n in numbers if 1 <= n <= len(self.sources)]
        self.dropped += len(numbers) - len(known)
        for number in known:
            self.used.setdefault(number)
        if not known:
            return ""  # with the space before it, so no gap is left
        # Numbered as the references are listed, so that [1] is the first reference.
        order = list(self.used)
        cited = ", ".join(map(str, sorted({order.index(number) + 1 for number in known})))
        return f"{match[1]}[{cited}]"

    def references(self) -> list[dict[str, Any]]:
        return [_reference(self.sources[number - 1]) for number in self.used]


def _reference(source: Source) -> dict[str, Any]:
    return {
        "type": "document",
        "documentId": source.document_id,
        "title": source.title,
        "page": source.page,
        "quote": _quote(source.text),
    }


def _quote(text: str) -> str:
    if len(text) <= _QUOTE_CHARS:
        return text
    cut = text.rfind(" ", 0, _QUOTE_CHARS)
    return text[: cut if cut > 0 else _QUOTE_CHARS].rstrip() + "…"


def sources_offline_answer(sources: Sequence[Source]) -> str:
    """What the offline assistant answers when passages were found: the passages
    themselves, each cited, so the page links to them."""
    lines = ["These passages of the documents best match your question:"]
    for number, source in enumerate(sources, start=1):
        lines.append(f"\n{source.title}, page {source.page} [{number}]:\n“{_quote(source.text)}”")
    return "\n".join(lines)
