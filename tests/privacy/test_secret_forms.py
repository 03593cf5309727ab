"""Forms of secrets seen in clients' mail, in the firm's languages: keys of more services, PINs
written straight after their label, passwords a few words after theirs, passports, SSNs and
BSNs after longer labels, and cards of every issuer's lengths; each family with the look-alikes
that must be left alone (prose, references, failed checksums, money)."""

from __future__ import annotations

import pytest

from consultations.llm.pii import mask_secrets

# --- Keys known by their prefix --------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "glpat-Xy7_kQ2mZp9LrT4vWb1c",
        "hf_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z",
        "npm_0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX",
        "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",
        "shpat_0123456789abcdef0123456789abcdef",
        "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",
        "SK0123456789abcdef0123456789abcdef",
        "AC89abcdef0123456789abcdef01234567",
    ],
)
def test_key_of_more_services_is_masked_in_prose(key: str) -> None:
    for sentence in (
        f"Der alte Schlüssel {key} funktioniert noch.",
        f"Elle a gardé l'accès : {key}\nMerci.",
        f"He still uses {key}, sadly.",
    ):
        assert key not in mask_secrets(sentence)
        assert "[API_KEY]" in mask_secrets(sentence)


@pytest.mark.parametrize(
    "text",
    [
        "Run npm_config_cache=/tmp before the build.",
        "The hf_hub cache lives in the home folder.",
        "ACME paid SK 120 for the AC0123 ticket.",
        "SKU 0123456789abcdef0123456789abcde is one short.",
        "Order SG.2024.117 shipped.",
    ],
)
def test_words_starting_like_a_key_are_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


# --- Passwords and PINs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My PIN 4821 was on a sticky note.", "My PIN [PASSWORD] was on a sticky note."),
        ("Meine PIN 739104 liegt im Safe.", "Meine PIN [PASSWORD] liegt im Safe."),
        ("Mon code PIN 55120 est noté.", "Mon code PIN [PASSWORD] est noté."),
        ("Mijn pincode 8842 staat erop.", "Mijn pincode [PASSWORD] staat erop."),
        ("Mi PIN 20481 estaba escrito.", "Mi PIN [PASSWORD] estaba escrito."),
        ("Il codice PIN 66013 era scritto.", "Il codice PIN [PASSWORD] era scritto."),
    ],
)
def test_pin_right_after_its_label_is_masked(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ww: Tulp#2019", "ww: [PASSWORD]"),
        ("mdp : Chat-42!", "mdp : [PASSWORD]"),
        ("user kim, pw=Q8rr!x", "user kim, pw=[PASSWORD]"),
        (
            "The password for my bank account was Kx9!mQ2 until May.",
            "The password for my bank account was [PASSWORD] until May.",
        ),
        ("Das Passwort zum Router war Z7#kp9Lm.", "Das Passwort zum Router war [PASSWORD]."),
        (
            "Le mot de passe de la boîte mail était Pomme!88, je crois.",
            "Le mot de passe de la boîte mail était [PASSWORD], je crois.",
        ),
        (
            "Het wachtwoord voor de laptop was Fiets-2021 tot gisteren.",
            "Het wachtwoord voor de laptop was [PASSWORD] tot gisteren.",
        ),
        ("La contraseña de la wifi era Gato_2019.", "La contraseña de la wifi era [PASSWORD]."),
        ("La password della posta era Luna%77.", "La password della posta era [PASSWORD]."),
        (
            "La frase de paso «mar azul y sal» abre la copia.",
            "La frase de paso [PASSWORD] abre la copia.",
        ),
        ("frase de paso: mar azul y sal", "frase de paso: [PASSWORD]"),
        (
            'Die Passphrase "drei graue Tauben" öffnet das Archiv.',
            "Die Passphrase [PASSWORD] öffnet das Archiv.",
        ),
        # A closing parenthesis is part of a password with symbols, not of a plain word.
        ("password: x(7Kp)", "password: [PASSWORD]"),
        ("(password: hunter2)", "(password: [PASSWORD])"),
        ("(login: kim, pin 4821)", "(login: kim, pin [PASSWORD])"),
        ("Passwort: Tr0ub4dor) bitte", "Passwort: [PASSWORD] bitte"),
        ("voir (note) mdp : Ab12cd)", "voir (note) mdp : [PASSWORD]"),
        (
            "The password is a^7W&#t9, and the user is kim.",
            "The password is [PASSWORD], and the user is kim.",
        ),
    ],
)
def test_password_after_a_short_label_or_a_few_words_is_masked(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The password for the new portal was emailed to me on Monday.",
        "Das Passwort für das Konto war zu kurz.",
        "Le mot de passe du compte était trop court.",
        "The password for the account was reset by the bank.",
        "PIN 12 of the form is blank; pin 123456789012 is an order.",
        "Visit www.example.com or ww 2 of the plan.",
        "The passwords of both tenants were never shared with the landlord.",
    ],
)
def test_prose_around_a_password_label_is_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


# --- Passports, SSNs, BSNs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Sie wollten meines Reisepasses, Nummer C01X00T47, eine Kopie.",
            "Sie wollten meines Reisepasses, Nummer [PASSPORT], eine Kopie.",
        ),
        ("a copy of my passport, number 123456789.", "a copy of my passport, number [PASSPORT]."),
        ("mon passeport, numéro 12AB34567", "mon passeport, numéro [PASSPORT]"),
        ("su pasaporte, número PAA123456", "su pasaporte, número [PASSPORT]"),
        # Germany's passport alphabet has no vowels: a number may be all letters.
        ("Reisepass CFGHJKLMN, gültig bis 2030", "Reisepass [PASSPORT], gültig bis 2030"),
    ],
)
def test_passport_after_an_inflected_label_or_a_comma_is_masked(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "We need your passport, number unknown for now.",
        "Two passports, no problem at the border.",
        "Reisepass abgelaufen seit 2019.",
    ],
)
def test_passport_label_before_prose_is_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Social Security number of Jane Roe: 078 05 1120 (see payslip).",
        "The SSN of the tenant is 078051120.",
    ],
)
def test_ssn_a_few_words_after_its_label_is_masked(text: str) -> None:
    assert "[SSN]" in mask_secrets(text)
    assert "1120" not in mask_secrets(text)


def test_ssn_label_before_other_numbers_is_left_alone() -> None:
    text = "Social Security office of Austin: call 512 555 0199."
    assert mask_secrets(text) == text


@pytest.mark.parametrize("bsn", ["111 222 333", "1234 56 782", "594.685.850"])
def test_bsn_in_groups_after_its_name_is_masked(bsn: str) -> None:
    assert mask_secrets(f"Mijn BSN is {bsn}.") == "Mijn BSN is [NATIONAL_ID]."


def test_bsn_in_groups_failing_the_eleven_test_is_left_alone() -> None:
    assert mask_secrets("Burgerservicenummer: 123 456 789") == "Burgerservicenummer: 123 456 789"


# --- Cards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        "675944569374",
        "6759 4456 9374",
        "5018-0839-2689",
        "060428987519",
        "6304 2546 1858 0795 872",
        "5612 6745 5867 7838",
        # Not Maestro: Discover's sixteen digits.
        "6011 5260 1815 9085",
    ],
)
def test_card_of_its_issuers_lengths_down_to_maestros_twelve_is_masked(card: str) -> None:
    for sentence in (
        f"Von meiner Karte {card} wurden 120 € abgebucht.",
        f"Ma carte {card} a été débitée.",
        f"Me cargaron 40 € en la tarjeta {card}.",
    ):
        assert card not in mask_secrets(sentence)
        assert "[CARD_NUMBER]" in mask_secrets(sentence)


@pytest.mark.parametrize(
    "text",
    [
        # Nineteen digits in a card's groups that fail Luhn, though their first sixteen pass.
        "Tracking number 4519 9619 8391 4549 817 shows the parcel.",
        "Sendungsnummer 4519-9619-8391-4549-817",
        # A mistyped IBAN holding a Luhn-valid run of sixteen digits.
        "The bank returned the transfer to FR12 4519 9619 8391 4549 817.",
        # Luhn-valid, but of no length the issuer's cards have.
        "Reference 517656115971439 appears on the letter.",
        "Order 441481100457 was paid.",
        "Die Rechnung 623016613183 über 480 € ist offen.",
        # A fifteen-digit reference that passes the NIR key but has no birth month.
        "Il numero di spedizione 213159660860486 mostra il pacco.",
        "Invoice total: EUR 4,519.96 on 19 March.",
    ],
)
def test_card_look_alikes_are_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


def test_spanish_id_inside_an_ip_address_is_left_alone() -> None:
    text = "Le serveur 192.10.107.123 a envoyé nos fichiers."
    assert mask_secrets(text) == text
