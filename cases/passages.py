"""Pages cut into passages: what retrieval finds and what an answer quotes and cites.

A passage holds about `TARGET`..`MAX` characters of one page (never two: a citation names one
page). It ends where a paragraph ends once it holds `TARGET` characters, else where a sentence
ends before it would pass `MAX`; a sentence longer than `MAX` is cut between words, and a word
longer than `MAX` (a run of digits, a pasted key) wherever `MAX` falls. Its `start`..`end` are
offsets in the page's text as extracted, and its `text` is that stretch with each run of
whitespace made one space (the PDF's line breaks, Word's tabs): `" ".join(page[start:end]
.split()) == text`.

Overlap: a passage that had to end inside a paragraph starts the next one with its last
sentence, when that sentence is short (at most `OVERLAP_MAX`). Legal text leans on the sentence
before ("Subject to clause 4, ..." / "In that case the tenant may ..."); a question about such a
pair then finds one passage holding both, where without the overlap each half would match it
weakly. A passage that ends with its paragraph repeats nothing: the paragraph break is where the
text itself changes subject.

One pass over the page's words (`\\S+`, which cannot backtrack), so time linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

TARGET = 600
MAX = 1000
OVERLAP_MAX = 200

_WORD = re.compile(r"\S+")
# What may close a sentence after its full stop: quotes and brackets.
_CLOSERS = "\"')]\u2019\u201d\u00bb"


@dataclass(frozen=True)
class PassageText:
    page: int  # from 1
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Sentence:
    spans: tuple[tuple[int, int], ...]  # its words' offsets in the page
    opens_paragraph: bool

    @property
    def length(self) -> int:
        """Its length once its whitespace is normalized."""
        return sum(end - start for start, end in self.spans) + len(self.spans) - 1


def passages_split(pages: list[str]) -> list[PassageText]:
    """The passages of a document's `pages` (page 1 first), in reading order."""
    return [
        passage
        for number, page in enumerate(pages, start=1)
        for passage in _page_passages(number, page)
    ]


def _page_passages(number: int, page: str) -> Iterator[PassageText]:
    current: list[_Sentence] = []
    length = 0
    for sentence in _sentences(page):
        if current and sentence.opens_paragraph and length >= TARGET:
            yield _passage(number, page, current)
            current, length = [], 0
        elif current and length + 1 + sentence.length > MAX:
            yield _passage(number, page, current)
            last = current[-1]
            overlap = (
                len(current) > 1
                and not sentence.opens_paragraph
                and last.length <= OVERLAP_MAX
                and last.length + 1 + sentence.length <= MAX
            )
            current, length = ([last], last.length) if overlap else ([], 0)
        length += sentence.length + (1 if current else 0)
        current.append(sentence)
    if current:
        yield _passage(number, page, current)


def _passage(number: int, page: str, sentences: list[_Sentence]) -> PassageText:
    return PassageText(
        page=number,
        start=sentences[0].spans[0][0],
        end=sentences[-1].spans[-1][1],
        text=" ".join(page[start:end] for sentence in sentences for start, end in sentence.spans),
    )


def _sentences(page: str) -> Iterator[_Sentence]:
    """The page's sentences, none longer than MAX, each knowing whether a paragraph (after a
    blank line) starts with it."""
    spans: list[tuple[int, int]] = []
    opens_paragraph = True
    for match in _WORD.finditer(page):
        start, end = match.span()
        if spans:
            gap = page[spans[-1][1] : start]
            if gap.count("\n") >= 2:
                yield from _bounded(spans, opens_paragraph)
                spans, opens_paragraph = [], True
            elif _ends_sentence(page, spans[-1]) and _starts_sentence(page[start]):
                yield from _bounded(spans, opens_paragraph)
                spans, opens_paragraph = [], False
        spans.append((start, end))
    if spans:
        yield from _bounded(spans, opens_paragraph)


def _ends_sentence(page: str, span: tuple[int, int]) -> bool:
    start, end = span
    # Past its closing quotes and brackets, looking at no more than a few characters.
    while end > start + 1 and page[end - 1] in _CLOSERS and end > span[1] - 3:
        end -= 1
    return page[end - 1] in ".!?"


def _starts_sentence(first: str) -> bool:
    # "e.g. the tenant" goes on; "The tenant", "4. Rent", "(a) the" start anew.
    return first.isupper() or first.isdigit() or first in "(\"'\u2018\u201c"


def _bounded(spans: list[tuple[int, int]], opens_paragraph: bool) -> Iterator[_Sentence]:
    """The sentence of `spans`, or pieces of it no longer than MAX when it is longer: cut
    between words, and a word longer than MAX cut where MAX falls."""
    sentence = _Sentence(tuple(spans), opens_paragraph)
    if sentence.length <= MAX:
        yield sentence
        return
    piece: list[tuple[int, int]] = []
    length = 0
    for word_start, word_end in spans:
        for cut in range(word_start, word_end, MAX):
            part = (cut, min(cut + MAX, word_end))
            size = part[1] - part[0]
            if piece and length + 1 + size > MAX:
                yield _Sentence(tuple(piece), opens_paragraph)
                opens_paragraph = False
                piece, length = [], 0
            length += size + (1 if piece else 0)
            piece.append(part)
    if piece:
        yield _Sentence(tuple(piece), opens_paragraph)
