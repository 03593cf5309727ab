"""Detectors made of patterns, and the cheap hints that skip a pattern on texts it cannot match."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from consultations.llm.pii.kinds import Finder, Span


def finder(
    pattern: re.Pattern[str], *, accept: Callable[[re.Match[str]], bool] | None = None
) -> Finder:
    """Spans of a pattern's ``value`` group (or of the whole match) that ``accept`` agrees to."""
    group = "value" if "value" in pattern.groupindex else 0

    def find(text: str) -> Iterator[Span]:
        for match in pattern.finditer(text):
            if accept is None or accept(match):
                yield match.span(group)

    return find


# Hints: cheap tests that every text with a match passes.
# A regex tries to match at each position of a text, so each detector costs tens of
# microseconds a kilobyte even where it finds nothing; most texts have no "@", no "passport"
# and often no digit, and str's substring search rules them out in a fraction of that time.

Hint = Callable[[str], bool]


def when(hint: Hint, finder: Finder) -> Finder:
    """``finder``, run only on the texts that pass ``hint``."""

    def find(text: str) -> Iterator[Span]:
        return finder(text) if hint(text) else iter(())

    return find


def has(*literals: str) -> Hint:
    """Texts containing one of ``literals``, exactly as written."""
    return lambda text: any(literal in text for literal in literals)


# The letters other than A-Z that an IGNORECASE pattern matches for an ASCII letter.
FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def has_word(*words: str) -> Hint:
    """Texts containing one of ``words`` (lowercase ASCII) in any case, as an IGNORECASE
    pattern reads them."""

    def test(text: str) -> bool:
        folded = (text if text.isascii() else text.translate(FOLD_TO_ASCII)).lower()
        return any(word in folded for word in words)

    return test


_ANY_DIGIT = re.compile(r"\d")


def has_digits(count: int) -> Hint:
    """Texts with at least ``count`` digits, of any script as \\d reads them (the ASCII ones,
    nearly always there if any is, are counted first)."""

    def test(text: str) -> bool:
        ascii_digits = sum(text.count(digit) for digit in "0123456789")
        if ascii_digits >= count or text.isascii():
            return ascii_digits >= count
        return len(_ANY_DIGIT.findall(text)) >= count

    return test


def has_run(length: int) -> Hint:
    """Texts with ``length`` characters in a row and no space among them."""
    return lambda text: any(len(word) >= length for word in text.split())


def matches(pattern: re.Pattern[str]) -> Hint:
    return lambda text: pattern.search(text) is not None


def either(*finders: Finder) -> Finder:
    """Several finders as one, in text order, so placeholders are numbered as values appear;
    of two overlapping spans the one starting first (then the longer) wins."""

    def find(text: str) -> Iterator[Span]:
        spans = sorted((span for f in finders for span in f(text)), key=lambda s: (s[0], -s[1]))
        covered = 0
        for start, end in spans:
            if start >= covered:
                yield start, end
                covered = end

    return find
