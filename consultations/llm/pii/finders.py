"""Detectors made of patterns, and the cheap hints that skip a pattern on texts it cannot match.

Python's re tries a pattern at every position of a text unless it begins with a literal: on the
corpus that costs 10 to 60 us per KB per pattern, found or not, and the scrubber's whole budget is
200. So a finder here is gated by hints (str methods on facts worked out once per text, see
``_Facts``), or tried only where its label is (``finder(..., starts=...)``), or written to fail
most positions on their first character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from consultations.llm.pii.kinds import Finder, Span


def finder(
    pattern: re.Pattern[str],
    *,
    accept: Callable[[re.Match[str]], bool] | None = None,
    starts: tuple[str, ...] = (),
    within_runs: int = 0,
) -> Finder:
    """Spans of a pattern's ``value`` group (or of the whole match) that ``accept`` agrees to.

    ``starts`` are words (lowercase ASCII) one of which begins every match, as an IGNORECASE
    pattern reads them ("passport", "ssn"): the pattern is then tried only where one of them
    is, found by str.find, instead of at every position of the text. Texts with none of them
    are passed by without a regex.

    ``within_runs``: every match lies in a run of that many characters or more without
    whitespace, and needs no more than whitespace (or the text's end) after it to match: the
    pattern then reads those runs only.
    """
    group = "value" if "value" in pattern.groupindex else 0

    def matches(text: str) -> Iterator[re.Match[str]]:
        if starts:
            return _anchored(pattern, text, starts)
        if within_runs:
            runs = long_runs(text, within_runs)
            return (match for run in runs for match in pattern.finditer(text, *run))
        return pattern.finditer(text)

    def find(text: str) -> Iterator[Span]:
        for match in matches(text):
            if accept is None or accept(match):
                yield match.span(group)

    return find


def _anchored(
    pattern: re.Pattern[str], text: str, starts: tuple[str, ...]
) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` finds when each match begins with one of ``starts``."""
    return matches_at(pattern, text, occurrences(_facts(text).folded(), starts))


def occurrences(text: str, literals: tuple[str, ...]) -> list[int]:
    """Every position, in order, where one of ``literals`` starts (overlapping ones too)."""
    firsts = list(map(text.find, literals))  # most texts have none: a loop only if one is
    if max(firsts) == -1:
        return []
    found = []
    for literal, at in zip(literals, firsts, strict=True):
        while at != -1:
            found.append(at)
            at = text.find(literal, at + 1)
    return sorted(set(found))


def matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """What ``pattern.finditer(text)`` finds, given every position where it can match.

    A regex search tries each position of a text in turn, tens of microseconds a kilobyte
    when the pattern starts with a word, a lookbehind or a common character; the few positions
    where a rare literal or a number sits are found in a fraction of that. As with finditer,
    each match resumes the search where it ends.
    """
    resume = 0
    for start in starts:
        if start >= resume and (match := pattern.match(text, start)):
            yield match
            resume = match.end()


# Hints: cheap tests that every text with a match passes.
# A regex tries to match at each position of a text, so each detector costs tens of
# microseconds a kilobyte even where it finds nothing; most texts have no "@", no "passport"
# and often no digit, and str's substring search rules them out in a fraction of that time.
# What several hints ask of a text (its digits, its folded case, its longest run) is worked
# out once per text, in ``_Facts``.

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
_FOLDS = tuple((chr(code), ascii) for code, ascii in FOLD_TO_ASCII.items())
_ANY_DIGIT = re.compile(r"\d")


def folded(text: str) -> str:
    """``text`` in lower case, character for character, as an IGNORECASE pattern reads it:
    str.lower lengthens only the Turkish dotted capital I, which is folded first. (The few
    folds are replaced one by one: str.translate costs ten times more on a non-ASCII text.)"""
    if not text.isascii():
        for char, ascii in _FOLDS:
            if char in text:
                text = text.replace(char, ascii)
    return text.lower()


_T = TypeVar("_T")


class _Facts:
    """What hints and detectors ask of one text, each worked out when first asked and then
    kept."""

    __slots__ = (
        "_ascii_digits",
        "_digits",
        "_folded",
        "_kept",
        "_longest_run",
        "_searched",
        "_words",
        "text",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded: str | None = None
        self._ascii_digits: int | None = None
        self._digits: int | None = None
        self._words: list[str] | None = None
        self._longest_run: int | None = None
        self._searched: dict[re.Pattern[str], bool] = {}
        self._kept: dict[Callable[[str], Any], Any] = {}

    def folded(self) -> str:
        """The text in lower case, as an IGNORECASE pattern reads it (see :func:`folded`)."""
        if self._folded is None:
            self._folded = folded(self.text)
        return self._folded

    def has_digits(self, count: int) -> bool:
        """At least ``count`` digits of any script, as \\d reads them; the ASCII ones, nearly
        always there if any is, are counted first."""
        if self._ascii_digits is None:
            self._ascii_digits = sum(map(self.text.count, "0123456789"))
        if self._ascii_digits >= count or self.text.isascii():
            return self._ascii_digits >= count
        if self._digits is None:
            self._digits = len(_ANY_DIGIT.findall(self.text))
        return self._digits >= count

    def words(self) -> list[str]:
        if self._words is None:
            self._words = self.text.split()
        return self._words

    def longest_run(self) -> int:
        if self._longest_run is None:
            self._longest_run = max(map(len, self.words()), default=0)
        return self._longest_run

    def runs(self, length: int) -> list[Span]:
        """Where the runs without whitespace of ``length`` characters or more are. Each is
        found from the end of the one before: only shorter ones lie between, which cannot
        hold it."""
        spans: list[Span] = []
        at = 0
        for word in self.words() if self.longest_run() >= length else ():
            if len(word) >= length:
                at = self.text.find(word, at)
                spans.append((at, at + len(word)))
                at += len(word)
        return spans

    def searched(self, pattern: re.Pattern[str]) -> bool:
        if pattern not in self._searched:
            self._searched[pattern] = pattern.search(self.text) is not None
        return self._searched[pattern]

    def kept(self, compute: Callable[[str], _T]) -> _T:
        if compute not in self._kept:
            self._kept[compute] = compute(self.text)
        return self._kept[compute]


_scrubbing: ContextVar[_Facts | None] = ContextVar("_scrubbing", default=None)


@contextmanager
def one_text(text: str) -> Iterator[None]:
    """Within this block every hint works out each fact of ``text`` once, however many
    detectors ask: the scrubber runs all of them on this one string. Held per thread and per
    task, and dropped at the end of the block, so no text outlives its scrub here. A block
    for the text already being read (a detector of several finders, within the scrub's) keeps
    the facts found so far."""
    facts = _scrubbing.get()
    if facts is not None and facts.text is text:
        yield
        return
    token = _scrubbing.set(_Facts(text))
    try:
        yield
    finally:
        _scrubbing.reset(token)


def _facts(text: str) -> _Facts:
    """The facts of ``text``: the scrub's, or fresh ones for a detector called on its own."""
    facts = _scrubbing.get()
    return facts if facts is not None and facts.text is text else _Facts(text)


def folded_once(text: str) -> str:
    """``text`` folded as an IGNORECASE pattern reads it (:func:`folded`), once per scrub."""
    return _facts(text).folded()


def per_text(compute: Callable[[str], _T]) -> Callable[[str], _T]:
    """``compute``, worked out once per scrub for the detectors that read one text in turn
    (its numbers, say), like the facts the hints ask."""
    return lambda text: _facts(text).kept(compute)


def finder_at(
    pattern: re.Pattern[str],
    starts: Callable[[str], list[int]],
    *,
    accept: Callable[[re.Match[str]], bool] | None = None,
) -> Finder:
    """``finder(pattern, accept=accept)``, given every position where ``pattern`` can match."""

    def find(text: str) -> Iterator[Span]:
        candidates = starts(text)
        if not candidates:
            return iter(())
        found = matches_at(pattern, text, candidates)
        return iter([match.span() for match in found if accept is None or accept(match)])

    return find


# Numbers: digit groups joined by single spaces, dots or dashes, the shape every IBAN, card and
# national number has, or ends in after its letters, and a postcode's digits start. Each
# detector of digits takes its candidates from this one scan rather than running a regex of its
# own, each of which would be tried at every digit of the text. (Matched with ASCII digits when
# the text has no others: the engine tests an ASCII class faster; and a lone first digit lets
# it skip to the next one.)
_NUMBER = r"\d\d*+(?:[ .\-]\d++)*+"
_NUMBERS = re.compile(_NUMBER)
_ASCII_NUMBERS = re.compile(_NUMBER, re.ASCII)


def _find_numbers(text: str) -> list[Span]:
    found = (_ASCII_NUMBERS if text.isascii() else _NUMBERS).finditer(text)
    return [match.span() for match in found]


def numbers(text: str) -> list[Span]:
    """Where ``text``'s numbers are, found once per scrub."""
    return _facts(text).kept(_find_numbers)


def long_runs(text: str, length: int) -> list[Span]:
    """Where ``text``'s runs of ``length`` characters or more without whitespace are."""
    return _facts(text).runs(length)


def has_digits(count: int) -> Hint:
    """Texts with at least ``count`` digits, of any script as \\d reads them."""
    return lambda text: _facts(text).has_digits(count)


def matches(pattern: re.Pattern[str]) -> Hint:
    """Texts where ``pattern`` matches somewhere; searched once per text, however many
    finders it guards."""
    return lambda text: _facts(text).searched(pattern)


def either(*finders: Finder) -> Finder:
    """Several finders as one, in text order, so placeholders are numbered as values appear;
    of two overlapping spans the one starting first (then the longer) wins. They share the
    text's facts, also when the detector runs alone."""

    def find(text: str) -> Iterator[Span]:
        with one_text(text):
            spans = sorted((span for f in finders for span in f(text)), key=lambda s: (s[0], -s[1]))
        covered = 0
        for start, end in spans:
            if start >= covered:
                yield start, end
                covered = end

    return find
