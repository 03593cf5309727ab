"""The contact and address finders look only near their anchors (an "@", a first dot or colon,
a run of joined digits, a postal code's ", "): values at the edges of those windows are found
as a scan of the whole text finds them."""

from __future__ import annotations

import pytest

from consultations.llm.pii.addresses import find_addresses
from consultations.llm.pii.contacts import find_dobs, find_emails, find_ips, find_phones
from consultations.llm.pii.kinds import Finder


def _found(find: Finder, text: str) -> list[str]:
    return [text[start:end] for start, end in find(text)]


def test_an_address_right_after_another_starts_after_its_at() -> None:
    text = "write to anna.b@firm.com,bob%x+y@mail.example.org or @nobody"
    assert _found(find_emails, text) == ["anna.b@firm.com", "bob%x+y@mail.example.org"]


def test_a_local_part_is_read_back_to_the_last_character_outside_it() -> None:
    # "z" follows a character of the run, "-", so the run before "@b.co" has no start.
    assert _found(find_emails, "see (x.y@a.io) and -z@b.co") == ["x.y@a.io"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 10.0.0.1 and 192.168.1.254.", ["10.0.0.1", "192.168.1.254"]),
        # Five dotted numbers and a clause's numbering are not addresses.
        ("ids 1.2.3.4.5, clause 14.2.1.3", []),
        # The four numbers after a number that is too long are no address either.
        ("1234.5.6.7 then 8.8.8.8", ["8.8.8.8"]),
        (
            "hosts fe80::1 and 2001:db8::8a2e:370:7334 at 10:30",
            ["fe80::1", "2001:db8::8a2e:370:7334"],
        ),
    ],
)
def test_ips_are_found_from_their_first_dot_or_colon(text: str, expected: list[str]) -> None:
    assert _found(find_ips, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Llámame al 612 345 678 hoy", ["612 345 678"]),
        ("Chiamami al 333 123 4567", ["333 123 4567"]),
        # Spain's country code and a mobile number: parsed whole, not passed by for its length.
        ("el 346 123 456 78 de Ana", ["346 123 456 78"]),
        ("ref 423 22 22 ok", []),
    ],
)
def test_grouped_numbers_are_phones_only_where_valid(text: str, expected: list[str]) -> None:
    assert _found(find_phones, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An extension is read past the number's last digits.
        ("Call +1 (212) 555-0147 ext. 12345 today", ["+1 (212) 555-0147 ext. 12345"]),
        # The "+" or "(" before a number's first digit is the number's.
        ("Tel. (030) 1234567 oder +49 30 1234567", ["(030) 1234567", "+49 30 1234567"]),
        # Five joined digits hold no number.
        ("Room 12 34 5, floor 3", []),
    ],
)
def test_phones_are_found_around_their_digits(text: str, expected: list[str]) -> None:
    assert _found(find_phones, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The street starts two words before the house number.
        ("Sie wohnt Berliner Straße 12, 10115 Berlin.", ["Berliner Straße 12, 10115 Berlin"]),
        ("Post an Lilyweg 8b, 9859 ZE, Bunde bitte", ["Lilyweg 8b, 9859 ZE, Bunde"]),
        # A numbered word is no street; the address after it is found.
        ("Art. 5, 1234 AB und Hauptstraße 7, 10115 Berlin", ["Hauptstraße 7, 10115 Berlin"]),
    ],
)
def test_german_and_dutch_addresses_are_found_before_their_postal_codes(
    text: str, expected: list[str]
) -> None:
    assert _found(find_addresses, text) == expected


def test_a_birth_date_after_a_label_in_capitals() -> None:
    assert _found(find_dobs, "GEBOREN AM 12.03.1985 in Köln") == ["12.03.1985"]


def test_a_text_without_a_label_has_no_birth_date() -> None:
    assert _found(find_dobs, "Meeting on 12.03.1985 at noon") == []
