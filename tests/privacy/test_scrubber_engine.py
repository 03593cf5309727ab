"""How the scrubber combines its detectors: every detector reads the original text, the ones
listed first win where values overlap, and the result is built once, numbered in text order."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator

import pytest

from consultations.llm.pii import EntityType, Scrubber, restore, scrub, secrets, warm_up
from consultations.llm.pii.finders import finder
from consultations.llm.pii.gazetteer import gazetteer
from consultations.llm.pii.kinds import Span
from consultations.llm.pii.scrubber import _found, _run, identity_detectors, recent
from consultations.llm.pii.secrets import SECRET_DETECTORS
from tests.privacy.evaluation import corpus


def test_placeholders_are_numbered_in_text_order_across_kinds() -> None:
    result = scrub(
        "Call +44 20 7946 0958 or write to ann@example.com; "
        "Bob's number is +44 20 7946 0000 and his address bob@example.com."
    )

    assert result.text == (
        "Call <PHONE_1> or write to <EMAIL_1>; Bob's number is <PHONE_2> and his address <EMAIL_2>."
    )
    assert result.mapping == {
        "<PHONE_1>": "+44 20 7946 0958",
        "<EMAIL_1>": "ann@example.com",
        "<PHONE_2>": "+44 20 7946 0000",
        "<EMAIL_2>": "bob@example.com",
    }


def test_a_street_named_after_a_party_is_masked_whole_and_restored_whole() -> None:
    text = "Send it to 12 rue Jean Dupont, 75001 Paris please."
    result = scrub(text, known_names=["Jean Dupont"])

    assert result.text == "Send it to <ADDRESS_1> please."
    assert restore(result.text, result.mapping) == text


def test_a_party_name_right_before_a_street_stays_a_name() -> None:
    result = scrub(
        "Schreiben Sie an Hans Müller Hauptstraße 5, 10115 Berlin.", known_names=["Hans Müller"]
    )

    assert result.text == "Schreiben Sie an <PERSON_1> <ADDRESS_1>."
    assert result.mapping["<ADDRESS_1>"] == "Hauptstraße 5, 10115 Berlin"


def test_an_identity_never_takes_in_a_secret() -> None:
    def whole_line(text: str) -> Iterator[Span]:  # an identity reading over the IBAN
        yield 0, len(text)

    detectors = (*SECRET_DETECTORS, (EntityType.ADDRESS, whole_line))
    text = "IBAN DE89 3704 0044 0532 0130 00 at 1 Main Street"

    assert _run(text, detectors, lambda kind, value: f"[{kind}]") == "IBAN [IBAN] at 1 Main Street"


def test_detectors_listed_first_win_over_later_ones() -> None:
    def first(text: str) -> Iterator[Span]:
        yield 0, 5

    def later(text: str) -> Iterator[Span]:
        yield 3, 9  # overlaps the first one's value at its start
        yield 10, 12

    detectors = ((EntityType.IBAN, first), (EntityType.SSN, later))

    assert _run("abcdefghijklm", detectors, lambda kind, value: f"[{kind}]") == "[IBAN]fghij[SSN]m"


def test_an_identity_inside_another_then_one_over_its_end_leave_it_standing() -> None:
    def party(text: str) -> Iterator[Span]:
        yield 0, 20

    def address(text: str) -> Iterator[Span]:
        yield 5, 8
        yield 10, 25

    detectors = ((EntityType.PERSON, party), (EntityType.ADDRESS, address))
    text = "abcdefghijklmnopqrst  uvwxyz"

    assert _run(text, detectors, lambda kind, value: f"<{kind}>") == "<PERSON>  <ADDRESS>xyz"


@pytest.mark.parametrize("seed", range(200))
def test_merged_spans_never_overlap_and_secrets_stand_whole(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice("ab ") for _ in range(60))

    def spans() -> list[Span]:
        cuts = sorted(rng.sample(range(61), 2 * rng.randint(0, 6)))
        return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1]]

    found = {kind: spans() for kind in (EntityType.IBAN, EntityType.PERSON, EntityType.ADDRESS)}
    detectors = tuple((kind, lambda text, s=s: iter(s)) for kind, s in found.items())

    merged = _found(text, detectors)

    assert all(start < end for start, end, _ in merged)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(merged))
    assert [(s, e) for s, e, kind in merged if kind == EntityType.IBAN] == found[EntityType.IBAN]
    for start, end, kind in merged:
        assert any(s <= start and end <= e for s, e in found[kind])


def test_numbering_carries_across_texts_of_one_request() -> None:
    scrubber = Scrubber(known_names=["John Smith"])

    assert scrubber.scrub("Mail bob@example.com") == "Mail <EMAIL_1>"
    assert scrubber.scrub("John Smith wrote to BOB@example.com and ann@example.com") == (
        "<PERSON_1> wrote to <EMAIL_1> and <EMAIL_2>"
    )
    assert scrubber.counts == {"EMAIL": 3, "PERSON": 1}


_LABELLED = re.compile(r"\b(?:passport|pin)\s*(?P<value>\d{4,})", re.IGNORECASE)


@pytest.mark.parametrize(
    "text",
    [
        "passport 1234 PASSPORT 5678 Passport:9999",
        "PA\u017f\u017fPORT 1234, \u0130passport 4444, p\u0131n 5555, P\u0130N 6666",
        "spinning 1234 pin 12345 pinpin 7777 passportpassport 8888",
        "no label at all 123456",
    ],
)
def test_a_pattern_tried_only_at_its_labels_finds_what_it_finds_everywhere(text: str) -> None:
    everywhere = finder(_LABELLED)
    at_labels = finder(_LABELLED, starts=("passport", "pin"))

    assert list(at_labels(text)) == list(everywhere(text))


@pytest.mark.parametrize(
    "text",
    [
        "CF RSSMRA85T10A562S, then\tRSSMRA85T10A562S\u00a0and\nRSSMRA85T10A562S.",
        "xRSSMRA85T10A562S RSSMRA85T10A562Sx -RSSMRA85T10A562S (RSSMRA85T10A562S)",
        "RSSMRA85T10A562S",
        "short words only, nothing sixteen long",
    ],
)
def test_a_pattern_read_in_long_runs_only_finds_what_it_finds_everywhere(text: str) -> None:
    codice = secrets._IT_CODICE_FISCALE
    everywhere = finder(codice)
    in_runs = finder(codice, within_runs=16)

    assert list(in_runs(text)) == list(everywhere(text))
    for item in corpus():
        assert list(in_runs(item["text"])) == list(everywhere(item["text"])), item["id"]


def test_every_detector_yields_increasing_spans_that_do_not_overlap() -> None:
    # What the engine assumes of a finder (see consultations/llm/pii/kinds.py).
    for item in corpus():
        text = item["text"]
        for kind, find in SECRET_DETECTORS + identity_detectors(frozenset(item["known_names"])):
            spans = list(find(text))
            ends = [0] + [end for _, end in spans]
            assert all(
                previous <= start < end for previous, (start, end) in zip(ends, spans, strict=False)
            ), (
                item["id"],
                kind,
                spans,
            )


# Finders tried only near what every match holds (a label, a postcode) find what they found
# when tried everywhere; the diff of every corpus text before and after is empty.


@pytest.mark.parametrize("address", ["Hauptstraße 5a, 10115 Berlin", "Lilyweg 8b, 9859 ZE, Bunde"])
def test_a_german_or_dutch_house_number_with_a_letter_is_an_address_alone(address: str) -> None:
    # Before, these were found only in a text that also held a number ending in a digit.
    assert scrub(f"Bitte an {address} senden.").text == "Bitte an <ADDRESS_1> senden."


def test_a_city_before_a_state_and_zip_code_is_part_of_the_address() -> None:
    result = scrub("Mail it to Winston-Salem, NC 27101 or to Salt Lake City,\n UT 84101.")

    assert result.mapping == {
        "<ADDRESS_1>": "Winston-Salem, NC 27101",
        "<ADDRESS_2>": "Salt Lake City,\n UT 84101",
    }


def test_a_text_scrubbed_again_is_found_the_same_and_numbered_by_its_own_scrubber() -> None:
    text = "Helen Carter (helen@example.org) wrote to Ms Carter's bank, card 4111 1111 1111 1111."
    recent.clear()
    first = Scrubber(known_names=["Helen Carter"])
    first.scrub("Ask bob@example.org first.")
    again = Scrubber(known_names=["Helen Carter"])

    assert first.scrub(text) == (
        "<PERSON_1> (<EMAIL_2>) wrote to Ms <PERSON_1>'s bank, card [CARD_NUMBER]."
    )
    assert again.scrub(text) == (
        "<PERSON_1> (<EMAIL_1>) wrote to Ms <PERSON_1>'s bank, card [CARD_NUMBER]."
    )
    assert again.counts == {"PERSON": 2, "EMAIL": 1, "CARD_NUMBER": 1}


def test_the_same_text_with_other_parties_is_found_anew() -> None:
    text = "Carter called."
    recent.clear()

    assert scrub(text, known_names=["Helen Carter"]).text == "<PERSON_1> called."
    assert scrub(text, known_names=["Brian Hale"]).text == "Carter called."


def test_warming_up_loads_the_name_lists_before_any_question() -> None:
    gazetteer.cache_clear()

    warm_up()

    assert gazetteer.cache_info().currsize == 1
