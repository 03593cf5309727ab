"""Secrets the detectors find from their candidates (a number and what stands around it, a
word of sixteen characters), written in the shapes that reach the end of each path."""

from __future__ import annotations

import pytest

from consultations.llm.pii import mask_secrets


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # A codice fiscale whose every digit became a letter (omocodia): no number in it.
        ("Codice fiscale RSSMRAURTMLARSNL on file.", "Codice fiscale [NATIONAL_ID] on file."),
        # A Corsican NIR: its number stops at the department's letter.
        (
            "Numéro de sécurité sociale 2 69 02 2A 341 732 14.",
            "Numéro de sécurité sociale [NATIONAL_ID].",
        ),
        # A NIE's letter and dash before its number, a DNI's dots in it, a check letter after
        # a space.
        (
            "NIE X-1234567-L, DNI 12.345.678-Z y 12345678 z.",
            "NIE [NATIONAL_ID], DNI [NATIONAL_ID] y [NATIONAL_ID].",
        ),
        # A NINO with and without its spaces.
        ("QQ 12 34 56 C and QQ123456C.", "[NATIONAL_ID] and [NATIONAL_ID]."),
        # An IBAN's check digits right after its country, and a reference shaped alike.
        ("Cuenta ES9121000418450200051332, ref AB12.", "Cuenta [IBAN], ref AB12."),
    ],
)
def test_secret_found_from_its_candidates_is_masked(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked


def test_detector_run_twice_on_one_text_finds_the_same() -> None:
    text = "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, password: hunter2."

    assert (
        mask_secrets(text)
        == mask_secrets(text)
        == ("Card [CARD_NUMBER], IBAN [IBAN], password: [PASSWORD].")
    )
