"""Formats in each of the firm's languages (English, German, French, Dutch, Spanish, Italian),
written by hand, each family with the look-alikes that must be left alone: prose about a
password, event dates, reference and case numbers, money, numbered legal words."""

from __future__ import annotations

import pytest

from consultations.llm.pii import mask_secrets, scrub

# --- Passwords and passphrases ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("passwd: Tr0ub4dor", "passwd: [PASSWORD]"),
        ("The PIN is 4921.", "The PIN is [PASSWORD]."),
        ("Mein Passwort lautet Sommer2024.", "Mein Passwort lautet [PASSWORD]."),
        ("Kennwort: geheim123", "Kennwort: [PASSWORD]"),
        ("Das Passwort ist Hund_42, bitte ändern.", "Das Passwort ist [PASSWORD], bitte ändern."),
        ("Zugangscode = 8812", "Zugangscode = [PASSWORD]"),
        ("Le mot de passe est Soleil#42.", "Le mot de passe est [PASSWORD]."),
        ("mot de passe : azerty12", "mot de passe : [PASSWORD]"),
        ("code secret : 0412", "code secret : [PASSWORD]"),
        ("Het wachtwoord is Fiets2020.", "Het wachtwoord is [PASSWORD]."),
        ("toegangscode: 4711", "toegangscode: [PASSWORD]"),
        ("pincode=0000", "pincode=[PASSWORD]"),
        ("Mi contraseña es Perro_99.", "Mi contraseña es [PASSWORD]."),
        ("contrasena: Perro_99", "contrasena: [PASSWORD]"),
        ("clave de acceso: XyZ-881", "clave de acceso: [PASSWORD]"),
        ("La password è Gatto77!", "La password è [PASSWORD]"),
        ("parola d'ordine: rondine", "parola d'ordine: [PASSWORD]"),
        ("Passwort „Mond und Sterne“ bitte.", "Passwort [PASSWORD] bitte."),
        ("mot de passe «le chat noir»", "mot de passe [PASSWORD]"),
        ("password 'open sesame'", "password [PASSWORD]"),
    ],
)
def test_password_after_its_label_in_each_language_is_masked(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Unquoted, a passphrase runs to the end of its sentence or line.
        (
            "Passphrase: correct horse battery staple. Then log in.",
            "Passphrase: [PASSWORD]. Then log in.",
        ),
        ("pass phrase = blue moon rising\nUser: admin", "pass phrase = [PASSWORD]\nUser: admin"),
        ("phrase secrète : le loup dort", "phrase secrète : [PASSWORD]"),
        ("wachtzin: drie kleine katjes", "wachtzin: [PASSWORD]"),
    ],
)
def test_passphrase_of_several_words_is_masked_to_its_sentence_end(
    text: str, expected: str
) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The password is required to open the data room.",
        "Das Passwort ist falsch, sagte der Kläger.",
        "Das Kennwort ist nicht bekannt.",
        "Le mot de passe est obligatoire.",
        "Het wachtwoord is onjuist.",
        "La contraseña es incorrecta.",
        "La clave es que nadie lo sabía.",
        "La password è scaduta.",
        "A passphrase protects the key file.",
    ],
)
def test_prose_about_a_password_is_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


# --- Birth dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dob"),
    [
        ("She was born on the 3rd of March 1985.", "3rd of March 1985"),
        ("born in March 1985", "March 1985"),
        ("Birthdate: 12-03-1985", "12-03-1985"),
        ("geboren am 12. März 1985 in Köln", "12. März 1985"),
        ("geboren am 12. Maerz 1985", "12. Maerz 1985"),
        ("Geburtsdatum: 12.03.1985", "12.03.1985"),
        ("Die Mieterin (geb. 3. Oktober 1979)", "3. Oktober 1979"),
        ("geboren in Köln am 1. Dezember 1990", "1. Dezember 1990"),
        ("née le 1er février 1980", "1er février 1980"),
        ("né le 3 fevrier 1980", "3 fevrier 1980"),
        ("né(e) le 15 août 1975", "15 août 1975"),
        ("Date de naissance : 12/03/1985", "12/03/1985"),
        ("né à Lyon le 14 aout 1975", "14 aout 1975"),
        ("geboren op 12 maart 1985", "12 maart 1985"),
        ("geboortedatum: 1985-03-12", "1985-03-12"),
        ("geboren te Utrecht op 5 mei 1990", "5 mei 1990"),
        ("nacido el 5 de marzo de 1985", "5 de marzo de 1985"),
        ("nacida el 12 de setiembre de 1970", "12 de setiembre de 1970"),
        ("Fecha de nacimiento: 12/03/1985", "12/03/1985"),
        ("F. nac.: 05/03/1985", "05/03/1985"),
        ("nacido en Sevilla el 5 de septiembre de 1985", "5 de septiembre de 1985"),
        ("nato a Roma il 5 marzo 1985", "5 marzo 1985"),
        ("data di nascita: 12/03/1985", "12/03/1985"),
    ],
)
def test_birth_date_in_each_language_is_placeholdered(text: str, dob: str) -> None:
    result = scrub(text)

    assert result.mapping == {"<DOB_1>": dob}
    assert dob not in result.text


@pytest.mark.parametrize(
    "text",
    [
        "Der Vertrag wurde am 12. März 2024 geschlossen.",
        "Le contrat a été signé le 1er mars 2024.",
        "El contrato se firmó el 5 de marzo de 2024.",
        "De huur begon op 1 mei 2024 en eindigt 30.04.2025.",
        "Il contratto è stato firmato il 5 marzo 2024.",
        "Die Mieterin, geb. Schmidt, zog am 3. Oktober 1979 um.",
        "NATO in April 1949 and the treaty signed on 4 April 1949.",
    ],
)
def test_event_date_in_each_language_is_left_alone(text: str) -> None:
    assert scrub(text).text == text


# --- Passports ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("US passport no. A12345678", "US passport no. [PASSPORT]"),
        ("UK passport number: 123456789", "UK passport number: [PASSPORT]"),
        ("Reisepassnummer: C01X00T47", "Reisepassnummer: [PASSPORT]"),
        ("Ihr Reisepass Nr. C01X00T47 ist gültig.", "Ihr Reisepass Nr. [PASSPORT] ist gültig."),
        ("Passnummer C01X00T47", "Passnummer [PASSPORT]"),
        ("numéro de passeport : 12AB34567", "numéro de passeport : [PASSPORT]"),
        ("passeport n° 12AB34567", "passeport n° [PASSPORT]"),
        ("paspoortnummer NXC3F1D47", "paspoortnummer [PASSPORT]"),
        ("Paspoort: NXC3F1D47", "Paspoort: [PASSPORT]"),
        ("número de pasaporte: AAA123456", "número de pasaporte: [PASSPORT]"),
        ("pasaporte nº AAA123456", "pasaporte nº [PASSPORT]"),
        ("passaporto n. YA1234567", "passaporto n. [PASSPORT]"),
    ],
)
def test_passport_after_its_name_in_each_language_is_masked(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Der Reisepass wurde 2019 ausgestellt.",
        "Le passeport est valide jusqu'en 2030.",
        "Pass the file AB1234567 to the clerk.",
        "Bestellnummer C01X00T47 ist unterwegs.",
    ],
)
def test_passport_word_without_a_number_or_a_number_without_it_is_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


# --- SSNs and national numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SSN 219099999",
        "SSN: 219 09 9999",
        "Social Security No. 219-09-9999",
        "social security # 219099999",
        "his social security number is 219099999",
    ],
)
def test_ssn_after_its_label_with_or_without_separators_is_masked(text: str) -> None:
    assert mask_secrets(text).endswith("[SSN]")


def test_nine_digits_without_an_ssn_label_are_left_alone() -> None:
    text = "Order 219099999 and 219 09 9999 items."

    assert mask_secrets(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Steuer-ID: 36 574 261 809",
        "Steueridentifikationsnummer 36574261809",
        "steuerliche Identifikationsnummer (IdNr.) 36574261809",
        "BSN-nummer 111222333",
    ],
)
def test_national_number_after_its_name_is_masked(text: str) -> None:
    assert mask_secrets(text).endswith("[NATIONAL_ID]")


@pytest.mark.parametrize(
    "text", ["Steuer-ID: 36574261808", "Rechnung 36574261809", "Kundennummer 111222333"]
)
def test_tax_id_with_a_wrong_check_or_without_its_name_is_left_alone(text: str) -> None:
    assert mask_secrets(text) == text


# --- Phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "0049 30 1234567",  # 00, the international prefix dialled from Europe
        "0049 (0)30 1234567",
        "+49 (0)30 1234567",
        "0031 20 123 4567",
        "0039 06 1234 5678",
        "030/1234567",  # German, with a slash
        "030 / 1234567",
        "06.12.34.56.78",  # French, with dots
        "612 345 678",  # Spanish
        "91 123 45 67",
        "333 123 4567",  # Italian mobile
    ],
)
def test_phone_number_in_each_region_is_placeholdered(phone: str) -> None:
    result = scrub(f"Reach me on {phone} after 6pm.")

    assert result.mapping == {"<PHONE_1>": phone}


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Call me on 07700900123 please.", "07700900123"),
        ("Mijn nummer: 0612345678.", "0612345678"),
        ("Handy: 015112345678", "015112345678"),
        ("The agent called from 8836733974 to threaten me.", "8836733974"),
        ("Il cliente ha chiamato dal telefono 3331234567.", "3331234567"),
        ("Phone no. 0612345678", "0612345678"),
        ("Tel. Nr. 03012345678", "03012345678"),
    ],
)
def test_phone_number_without_separators_is_placeholdered(text: str, phone: str) -> None:
    assert scrub(text).mapping == {"<PHONE_1>": phone}


def test_phone_number_keeps_a_year_after_it_out() -> None:
    assert scrub("Ring +33 1 42 68 53 00 2024 edition.").text == "Ring <PHONE_1> 2024 edition."


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Order reference 0437777013 was cancelled.", "0437777013"),
        ("Invoice 0324099565 for £4,550.", "0324099565"),
        ("Order reference 00539540967005 was cancelled.", "00539540967005"),
        # The nearest word decides: the phone is found, the invoice after it kept.
        ("Tel. 030 1234567, Rechnung 0437777013.", "0437777013"),
        ("Az. 12 O 345/21 und RG 21/01234 sind verbunden.", "RG 21/01234"),
        ("Siehe ECLI:NL:HR:2019:1234 und 1.234.567,89 EUR.", "1.234.567,89"),
        ("Die Verhandlung am 01.03.2024 um 10:30 Uhr.", "01.03.2024"),
        ("Akte 0123/2024-5 liegt vor.", "0123/2024-5"),
        ("Kundennummer 1234567890 ist gesperrt.", "1234567890"),
    ],
)
def test_reference_case_and_money_numbers_are_no_phone(text: str, kept: str) -> None:
    result = scrub(text)

    assert kept in result.text
    assert not any(kept in value for value in result.mapping.values())


# --- Addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "12 Baker Street, London",
        "Hauptstraße 5 in Berlin",
        "Hauptstraße 5, Berlin",
        "Berliner Straße 12a, Frankfurt am Main",
        "Karl-Marx-Str. 7, Leipzig",
        "Kerkstraat 12, Utrecht",
        "Keizersgracht 123 te Amsterdam",
        "25 rue de la Paix, Paris",
        "Calle Mayor 10, Madrid",
        "Calle Mayor, 10, Madrid",
        "Avenida de la Constitución 5, Sevilla",
        "Via Roma 12, Milano",
    ],
)
def test_street_and_city_without_a_postcode_are_placeholdered(address: str) -> None:
    result = scrub(f"Serve the claim at {address}. Thank you.")

    assert result.mapping == {"<ADDRESS_1>": address}


@pytest.mark.parametrize(
    "text",
    [
        "Artikel 5, Berlin und Paragraph 12, Paris.",
        "It took place in the hall, London.",
        "Verfahren am Landgericht 5, Berlin.",
        "Die Zahlung von 500 EUR in Berlin.",
        "Von der Hauptstraße kamen 5 Zeugen.",
    ],
)
def test_numbered_words_and_places_without_a_street_are_no_address(text: str) -> None:
    assert scrub(text).text == text
