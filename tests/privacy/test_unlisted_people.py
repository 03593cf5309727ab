"""People nobody listed (witnesses, neighbours, doctors, judges, counsel, a child) are masked in
six languages, and companies, courts, places, statutes, brands and dates are left alone.

Measured on the sentences of `unlisted_people.py`: recall per language for names from Faker's
lists and for names in none of them, and the share of look-alikes left intact. The tables go
to the terminal summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest

from consultations.llm.pii import scrub
from consultations.llm.pii.gazetteer import fold, gazetteer
from consultations.llm.pii.people import find_people
from tests.privacy.evaluation import REPORTS
from tests.privacy.unlisted_people import (
    FRESH_LOOK_ALIKE_TEMPLATES,
    FRESH_LOOK_ALIKES,
    FRESH_TEMPLATES,
    HELD_OUT_FIRST_NAMES,
    HELD_OUT_SURNAMES,
    LANGUAGES,
    LookAlike,
    Sentence,
    look_alike_sentences,
    people_sentences,
)

# At least, on each set: names found (per half, and per language and half), look-alikes intact.
RECALL_FLOOR = {"faker": 0.97, "held-out": 0.90}
LANGUAGE_RECALL_FLOOR = 0.85
INTACT_FLOOR = 0.99

SETS = {
    "dev": (people_sentences(), look_alike_sentences()),
    "fresh": (
        people_sentences(FRESH_TEMPLATES),
        look_alike_sentences(FRESH_LOOK_ALIKES, FRESH_LOOK_ALIKE_TEMPLATES),
    ),
}


def _found(sentence: Sentence) -> bool:
    spans = list(find_people(sentence.text))
    start, end = sentence.name
    return all(
        any(s <= i < e for s, e in spans)
        for i in range(start, end)
        if not sentence.text[i].isspace()
    )


def _intact(look_alike: LookAlike) -> bool:
    start, end = look_alike.value
    return not any(s < end and start < e for s, e in find_people(look_alike.text))


def _recall(sentences: Sequence[Sentence]) -> dict[tuple[str, str], tuple[int, int]]:
    """(found, total) per (language, half), and per ("all", half)."""
    found: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for sentence in sentences:
        for key in ((sentence.language, sentence.half), ("all", sentence.half)):
            total[key] += 1
            found[key] += _found(sentence)
    return {key: (found[key], total[key]) for key in total}


def _report(name: str, recall: dict[tuple[str, str], tuple[int, int]], intact: Counter) -> str:
    def cell(found: int, total: int) -> str:
        return f"{100 * found / total:.1f}% ({found}/{total})"

    lines = ["| language | Faker names | held-out names |", "| --- | ---: | ---: |"]
    for language in (*LANGUAGES, "all"):
        lines.append(
            f"| {language} | {cell(*recall[language, 'faker'])} "
            f"| {cell(*recall[language, 'held-out'])} |"
        )
    lines += ["", "| look-alikes | intact |", "| --- | ---: |"]
    for category in sorted({c for c, _ in intact} - {"all"}):
        lines.append(f"| {category} | {cell(intact[category, True], intact[category, None])} |")
    lines.append(f"| all | {cell(intact['all', True], intact['all', None])} |")
    return "\n".join(lines)


@pytest.fixture(scope="module", params=sorted(SETS))
def measured(request: pytest.FixtureRequest) -> tuple[dict, Counter]:
    sentences, look_alikes = SETS[request.param]
    recall = _recall(sentences)
    intact: Counter[tuple[str, bool | None]] = Counter()
    for look_alike in look_alikes:
        kept = _intact(look_alike)
        for category in (look_alike.category, "all"):
            intact[category, None] += 1
            intact[category, True] += kept
    REPORTS[f"Unlisted people, {request.param} set (tests/privacy/unlisted_people.py)"] = _report(
        request.param, recall, intact
    )
    return recall, intact


def test_held_out_names_are_in_none_of_fakers_lists() -> None:
    names = gazetteer()
    known = names.first_names | names.surnames

    assert [name for name in HELD_OUT_FIRST_NAMES if fold(name) in known] == []
    assert [name for name in HELD_OUT_SURNAMES if fold(name) in known] == []


def test_unlisted_names_are_found(measured: tuple[dict, Counter]) -> None:
    recall, _ = measured

    for half, floor in RECALL_FLOOR.items():
        found, total = recall["all", half]
        assert found / total >= floor, (half, found, total)
    low = {
        key: value for key, value in recall.items() if value[0] / value[1] < LANGUAGE_RECALL_FLOOR
    }
    assert low == {}


def test_look_alikes_are_left_intact(measured: tuple[dict, Counter]) -> None:
    _, intact = measured

    assert intact["all", None] >= 300
    assert intact["all", True] / intact["all", None] >= INTACT_FLOOR


def _masked(text: str) -> list[str]:
    return [text[start:end] for start, end in find_people(text)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Dear Mr Okafor, Herr Kaya and Mme Lefèvre agree.", ["Okafor", "Kaya", "Lefèvre"]),
        ("meneer Jansen en mevrouw van der Berg", ["Jansen", "van der Berg"]),
        ("la Sra. Ruiz y D. Pedro Sánchez y Gómez", ["Ruiz", "D. Pedro Sánchez y Gómez"]),
        ("The witness Przybylski and my son Lucas.", ["Przybylski", "Lucas"]),
        ("Witnesses: Smith, John (neighbour).", ["Smith, John"]),
        ("It was J. Okafor's van.", ["J. Okafor"]),
        ("WITNESS STATEMENT OF HAUKE FEATHERSTONEHAUGH\nI am", ["HAUKE FEATHERSTONEHAUGH"]),
        ("Frau Moraes von der Hausverwaltung rief an.", ["Moraes"]),
        ("We met Helen Park in Hyde Park.", ["Helen Park"]),
    ],
)
def test_people_are_found_in_their_written_forms(text: str, names: list[str]) -> None:
    assert _masked(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "Brightline Logistics Ltd wrote from Florence in May 2026.",
        "The Amtsgericht Köln and the Sherman Act, not Marks & Spencer.",
        "I live at 71516 Wright Prairie Suite 009 near San Francisco.",
        "He drove a Mercedes-Benz to Saint-Denis on Monday 3 June.",
        "-----BEGIN RSA PRIVATE KEY----- and IBAN DE89 3704",
        "Spielt Mietpreisbremse eine Rolle? Laut Grundgesetz nicht.",
    ],
)
def test_look_alikes_are_not_people(text: str) -> None:
    assert _masked(text) == []


def test_a_party_keeps_its_placeholder_and_others_get_their_own() -> None:
    result = scrub(
        "John Smith says his neighbour Mary Okafor saw Dr Weber. John Smith agrees.",
        known_names=["John Smith"],
    )

    assert result.text == (
        "<PERSON_1> says his neighbour <PERSON_2> saw Dr <PERSON_3>. <PERSON_1> agrees."
    )
    assert result.mapping == {
        "<PERSON_1>": "John Smith",
        "<PERSON_2>": "Mary Okafor",
        "<PERSON_3>": "Weber",
    }


# One run of words in the contexts that decide it: what its words say is kept once read, so
# each context must still be read wherever the run comes again, in either order.
RUN_IN_CONTEXTS = [
    ("I met Helen Okafor today.", ["Helen Okafor"]),
    ("We booked the Helen Okafor suite.", []),
    ("Helen Okafor & Partners replied.", []),
    ("He lives at 12 Helen Okafor in town.", []),
    ("WITNESS STATEMENT OF HELEN OKAFOR\n", ["HELEN OKAFOR"]),
    ("WITNESS STATEMENT OF HELEN OKAFOR and more", []),
    ("My neighbour Okafor saw it.", ["Okafor"]),
    ("Okafor saw it.", []),
    ("Spoke to meneer van der Berg.", ["van der Berg"]),
    ("Die van der Berg Stiftung.", []),
]


@pytest.mark.parametrize("step", [1, -1])
def test_a_run_seen_before_is_judged_again_in_its_new_context(step: int) -> None:
    for text, names in RUN_IN_CONTEXTS[::step]:
        assert _masked(text) == names, text
