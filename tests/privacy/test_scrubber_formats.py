"""Formats the corpus showed the scrubber missing, written by hand (not by the corpus's
generator), each with a near miss that must be left alone."""

from __future__ import annotations

import pytest

from consultations.llm.pii import scrub


@pytest.mark.parametrize(
    "number",
    [
        "185057800604830",  # French NIR
        "2 69 02 99 341 732 85",
        "12345678Z",  # Spanish DNI
        "12345678-Z",
        "X1234567L",  # Spanish NIE
        "RSSMRA85T10A562S",  # Italian codice fiscale
    ],
)
def test_national_identity_number_is_masked(number: str) -> None:
    result = scrub(f"The landlord's file holds my number {number} and a copy of my lease.")

    assert (
        result.text == "The landlord's file holds my number [NATIONAL_ID] and a copy of my lease."
    )


@pytest.mark.parametrize(
    "number",
    ["185057800604831", "12345678A", "X1234567M", "RSSMRA85T10A562T", "BSN 111222334"],
)
def test_national_number_with_a_wrong_check_is_left_alone(number: str) -> None:
    text = f"Reference {number} is on the invoice."

    assert scrub(text).text == text


def test_dutch_bsn_is_masked_after_its_name_only() -> None:
    result = scrub("BSN: 1112.22.333. Order 111222333 shipped.")

    assert result.text == "BSN: [NATIONAL_ID]. Order 111222333 shipped."


def test_ssn_written_with_spaces_after_its_label_is_masked() -> None:
    assert scrub("My social security number is 219 09 9999.").text == (
        "My social security number is [SSN]."
    )


def test_labelled_key_after_an_underscore_is_masked() -> None:
    result = scrub("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in the repo")

    assert result.text == "aws_secret_access_key = [API_KEY] in the repo"


def test_password_in_a_url_is_masked_and_the_host_kept() -> None:
    result = scrub("He used postgres://admin:Tr0ub4dor@db.example.com:5432/clients at night.")

    assert (
        result.text == "He used postgres://admin:[PASSWORD]@db.example.com:5432/clients at night."
    )
    assert result.mapping == {}


def test_luhn_valid_number_that_starts_unlike_a_card_is_left_alone() -> None:
    text = "Invoice 8000123456789018 is overdue."

    assert scrub(text).text == text


@pytest.mark.parametrize(
    "phone",
    [
        "001-202-555-0143",
        "202-555-0143x12",
        "(030) 1234 5678",
        "(0151) 4960301",
        "01 42 68 53 00",
        "030 12345678",
    ],
)
def test_phone_number_in_more_national_formats_is_placeholdered(phone: str) -> None:
    result = scrub(f"Reach me on {phone} after 6pm.")

    assert result.mapping == {"<PHONE_1>": phone}


@pytest.mark.parametrize(
    "address",
    [
        "Calle Mayor 5, 28013 Madrid",
        "Via Roma 12, 00184 Roma (RM)",
        "Hauptstraße 5-7, 10115 Berlin",
        "12 rue de la Paix, 75002 Paris",
        "Keizersgracht 123, 1015 CJ Amsterdam",
        "1313 Mockingbird Heights, Mockingbird, CA 90210",
        "Flat 2, Primrose Hill, London, NW1 8XL",
    ],
)
def test_european_and_unlisted_street_addresses_are_placeholdered(address: str) -> None:
    result = scrub(f"Serve the claim at {address}. Thank you.")

    assert result.mapping == {"<ADDRESS_1>": address}


def test_numbered_legal_words_before_an_amount_are_no_address() -> None:
    text = "Under Article 12, 10000 Euro were paid; Invoice 7, 20000 EUR remain."

    assert scrub(text).text == text


@pytest.mark.parametrize(
    ("party", "text", "expected"),
    [
        (
            "Jan van der Berg",
            "Mr van der Berg signed the lease.",
            "Mr <PERSON_1> signed the lease.",
        ),
        ("Anna Weiß", "ANNA WEISS signed the lease.", "<PERSON_1> signed the lease."),
    ],
)
def test_party_name_is_found_with_a_particle_or_in_capitals(
    party: str, text: str, expected: str
) -> None:
    assert scrub(text, known_names=[party]).text == expected
