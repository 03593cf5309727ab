"""Texts built to make the contract policies' rule checks slow: each generator makes a text of
exactly ``size`` characters, shaped against one way a pattern or a loop could rescan its input
(a repeated piece that a pattern half-matches, a run a repeat could backtrack over, many
matches whose evidence is looked up again and again). The test suite runs every policy over
every generator; ``bench/rules_bench.py`` reuses them for its worst cases.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.security.linear_time import fit


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda size: fit(unit, size)


def _framed(head: str, unit: str, tail: str) -> Callable[[int], str]:
    """``head`` + ``unit`` repeated + ``tail``: a rule's opening words before one long run."""
    return lambda size: head + fit(unit, size - len(head) - len(tail)) + tail


def _full_width(ascii_text: str) -> str:
    """The text in full-width letters (built, so the source shows no look-alike letters)."""
    return "".join(chr(ord(c) + 0xFEE0) for c in ascii_text)


# name -> make(size); grouped by the shape they attack.
GENERATORS: dict[str, Callable[[int], str]] = {
    # Number words: a number pattern that repeats its words without bound reads the whole run
    # from every word, then finds no unit after it.
    "number_words": _repeat("twenty-one "),
    "hundred_and": _repeat("one hundred and "),
    "number_words_then_unit": _framed("", "twenty-one ", "days' notice"),
    # Digits with every separator, and amounts.
    "digits": _repeat("1"),
    "digit_spaces": _repeat("1 "),
    "digit_dots": _repeat("1."),
    "amount_commas": _framed("rent $", "1,", ""),
    "percentages": _repeat("5% "),
    "net_terms": _repeat("net 90 "),
    "hours_a_week": _repeat("60 hours per week "),
    # Labels that open a rule, repeated with nothing the rule needs after them.
    "notice_period_of": _repeat("notice period of "),
    "months_rent": _repeat("months' rent "),
    "deposit_amounts": _repeat("deposit of $500 "),
    "non_compete": _repeat("non-compete "),
    "not_compete": _repeat("not compete "),
    "within": _repeat("payable within "),
    "without": _repeat("without any "),
    "password_dots": _framed("password: ", ".", ""),
    # Near-misses: a rule's shape with one piece wrong or missing.
    "deposit_no_rent": _repeat("deposit $5 "),
    "confidential_near": _repeat('confidential information" ( '),
    # Findings everywhere, most in one sentence with no end: every match needs its evidence.
    "notice_findings": _repeat("7 days' notice "),
    "perpetual": _repeat("perpetual "),
    "perpetual_sentences": _repeat("perpetual. "),
    # Long tokens.
    "long_word_compet": _framed("compet", "e", ""),
    # Punctuation and spacing runs; newlines feed the sentence splitter.
    "dots": _repeat("."),
    "bangs": _repeat("!?"),
    "newlines": _repeat("\n"),
    "newline_spaces": _repeat("\n \t"),
    "space_run_then_newline": _framed("perpetual\n", " ", "\nA perpetual"),
    # Mixed scripts and look-alikes.
    "mixed_scripts": _repeat("двадцать дней 二十日 twenty-one días perpetuo "),
    "full_width": _repeat(_full_width("twenty-one") + "\u3000" + _full_width("days") + " "),
}
