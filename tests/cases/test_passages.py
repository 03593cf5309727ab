"""Passages keep their page and their place on it, and are cut where the text is."""

from __future__ import annotations

import itertools
import random

import pytest

from cases.passages import MAX, OVERLAP_MAX, TARGET, passages_split

WORDS = [
    "tenant",
    "Landlord",
    "rent",
    "e.g.",
    "4.2",
    "notice",
    "(a)",
    "“quoted”",
    "clause",
    "x" * 30,
]
SPACES = [" ", " ", " ", "  ", "\n", "\t", "\u00a0", "\r\n"]
ENDS = [".", "!", "?", ".)", ".”", ""]


def _generated_page(rng: random.Random) -> str:
    """Text like an extracted page: sentences of varied length and whitespace, paragraphs,
    blank lines, the odd very long sentence or word."""
    parts: list[str] = []
    for _ in range(rng.randint(0, 40)):
        words = [rng.choice(WORDS) for _ in range(rng.choice([1, 3, 12, 40, 300]))]
        if rng.random() < 0.02:
            words.append("9" * rng.randint(MAX, 3 * MAX))
        sentence = "".join(word + rng.choice(SPACES) for word in words).rstrip()
        sentence = sentence[:1].upper() + sentence[1:] + rng.choice(ENDS)
        parts.append(sentence + rng.choice([" ", " ", "\n", "\n\n", " \n \n", "\n\n\n"]))
    return rng.choice(["", " ", "\n"]) + "".join(parts)


@pytest.mark.parametrize("seed", range(200))
def test_each_passage_is_its_stretch_of_its_page_whitespace_normalized(seed: int) -> None:
    rng = random.Random(seed)
    pages = [_generated_page(rng) for _ in range(rng.randint(1, 4))]

    passages = passages_split(pages)

    for passage in passages:
        page = pages[passage.page - 1]
        assert 0 <= passage.start < passage.end <= len(page)
        assert " ".join(page[passage.start : passage.end].split()) == passage.text
        assert 0 < len(passage.text) <= MAX
    # Every character of every page's text is in a passage of its page, passages in order.
    for number, page in enumerate(pages, start=1):
        own = [p for p in passages if p.page == number]
        covered = [False] * len(page)
        for passage in own:
            covered[passage.start : passage.end] = [True] * (passage.end - passage.start)
        assert all(covered[at] for at, char in enumerate(page) if not char.isspace())
        assert [p.start for p in own] == sorted(p.start for p in own)


def test_passages_never_span_two_pages() -> None:
    pages = ["The tenant pays rent.", "Monthly, in advance."]

    assert [(p.page, p.text) for p in passages_split(pages)] == [
        (1, "The tenant pays rent."),
        (2, "Monthly, in advance."),
    ]


def test_a_passage_ends_with_its_paragraph_once_it_holds_enough() -> None:
    first = " ".join(["The tenant pays the rent on the first day of each month."] * 12)
    second = " ".join(["The landlord repairs the structure and the exterior."] * 12)
    assert TARGET <= len(first) <= MAX

    passages = passages_split([f"{first}\n\n{second}"])

    assert [p.text for p in passages] == [first, second]


def test_short_paragraphs_are_gathered_into_one_passage() -> None:
    page = "1. Parties\n\nJane Doe and Ray Neighbour.\n\n2. Rent\n\nOne thousand a month."

    [passage] = passages_split([page])

    assert passage.text == " ".join(page.split())
    assert (passage.start, passage.end) == (0, len(page))


def test_a_long_paragraph_is_cut_between_sentences_and_the_next_passage_repeats_a_short_one() -> (
    None
):
    sentences = [f"Clause {n} binds the tenant to pay on time." for n in range(60)]
    page = " ".join(sentences)

    passages = passages_split([page])

    assert len(passages) > 1
    for before, after in itertools.pairwise(passages):
        assert before.text.endswith("on time.")
        last = before.text[before.text.rindex("Clause") :]
        assert len(last) <= OVERLAP_MAX
        assert after.text.startswith(last)  # the overlap


def test_abbreviations_do_not_end_a_sentence() -> None:
    sentence = "The tenant pays all charges, e.g. water and gas, to the supplier. "
    page = sentence * 40

    passages = passages_split([page])

    assert all(p.text.endswith("supplier.") for p in passages)


def test_a_sentence_longer_than_a_passage_is_cut_between_words_and_a_word_where_max_falls() -> None:
    words = "word " * 400 + "7" * (2 * MAX + 10)
    passages = passages_split([words])

    assert all(len(p.text) <= MAX for p in passages)
    assert "".join(p.text for p in passages).replace(" ", "") == words.replace(" ", "")


def test_a_blank_page_has_no_passage() -> None:
    assert passages_split([" \n\n ", "Text."]) == [passages_split(["", "Text."])[0]]
