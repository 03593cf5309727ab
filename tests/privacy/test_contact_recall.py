"""Phone numbers in any grouping after a phone word, birth dates before "geboren" and after
"nació", and addresses as a street and its city: found in several languages, while the
references, amounts, dates and numbers in fours that share their shapes stay intact."""

from __future__ import annotations

import pytest

from consultations.llm.pii.addresses import find_addresses
from consultations.llm.pii.contacts import find_dobs, find_phones
from consultations.llm.pii.kinds import Finder


def _found(find: Finder, text: str) -> list[str]:
    return [text[start:end] for start, end in find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bitte rufen Sie mich unter 089/4412873 zurück.", ["089/4412873"]),
        ("Rückruf bei Frau Ott: 0171.9922345, ab 14 Uhr.", ["0171.9922345"]),
        ("Me puede llamar al 655/129384 por la tarde.", ["655/129384"]),
        ("Mi móvil es 699.44.12.08 desde ayer.", ["699.44.12.08"]),
        ("Può richiamarmi al 06 4455 1290 in mattinata.", ["06 4455 1290"]),
        ("Chiamatemi al 3471234567 dopo le cinque.", ["3471234567"]),
        ("Je suis joignable au 04/78123456 le soir.", ["04/78123456"]),
        ("Ik ben bereikbaar op 020 6251234 na vijf uur.", ["020 6251234"]),
        ("Kunt u mij terugbellen: 06/41234567?", ["06/41234567"]),
        ("Please call Ruth on 718/5550142 tomorrow.", ["718/5550142"]),
    ],
)
def test_any_grouping_is_a_phone_number_after_a_phone_word(text: str, expected: list[str]) -> None:
    assert _found(find_phones, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Best regards,\nNora Quinn\n2125550143\n", ["2125550143"]),
        ("Mit freundlichen Grüßen\nUte Brandt\n089.4412873", ["089.4412873"]),
        ("Un saludo,\nPilar Soto\n655/129384", ["655/129384"]),
        # Alone on its line, but under a reference's label, or valid nowhere.
        ("Aktenzeichen:\n0891234567\n", []),
        ("Totals\n9999999999\n", []),
    ],
)
def test_a_valid_number_alone_on_its_line_is_a_phone_number(text: str, expected: list[str]) -> None:
    assert _found(find_phones, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # References, told by their words.
        "Unser Zeichen 48 552 610 734, bitte stets angeben.",
        "Kenmerk 612 334 908 staat op de brief.",
        "Número de seguimiento 612 334 908 en la web.",
        "My passport number is 612334908, issued in 2019.",
        "Mijn BSN is 612 334 908.",
        # The end of a longer number: a reference, a tracking or an account number.
        "Reference 4412 061872 5531 is on the letter; call me with it.",
        "Tracking 3519-082214-7710 shows it was returned. Call me.",
        "La référence 1 84 07 75 112 345 67 figure sur le courrier, appelez-moi.",
        # Amounts, dates and a court's roll number after a phone word.
        "I called the bank about the 612.400 euros on 12.03.2019.",
        "Er rief am 2019-03-12 wegen 148.250 € an.",
        "Il a appelé : 132 242,54 € restent dus.",
        "The phone bill came to 1.234.567 € in the end.",
        "Telefonkosten: EUR 2.345.678 laut Abrechnung.",
        "Je l'ai appelé hier; Cour d'appel de Lyon, RG n° 21/04417.",
        "Chiamata ricevuta; Corte d'Appello di Roma, R.G. n. 5512/2021.",
        # A phone word inside an e-mail address.
        "Paid by ana@tele2.fr: 612 400 EUR.",
        "Sent by dialog.team@example.org with 612 400 attached.",
    ],
)
def test_numbers_of_other_kinds_are_not_phone_numbers(text: str) -> None:
    assert _found(find_phones, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ihr Sohn ist am 14.02.2011 geboren.", ["14.02.2011"]),
        ("Frau Jahn wurde am 3. Oktober 1958 geboren und lebt in Kiel.", ["3. Oktober 1958"]),
        ("Onze zoon is op 21-06-2004 geboren.", ["21-06-2004"]),
        ("Mijn moeder is op 2 mei 1949 in Delft geboren.", ["2 mei 1949"]),
        ("Su hermano nació el 9 de julio de 1990 en Cádiz.", ["9 de julio de 1990"]),
        ("La demandante nació el 1977-11-30.", ["1977-11-30"]),
    ],
)
def test_birth_dates_before_geboren_and_after_nacio(text: str, expected: list[str]) -> None:
    assert _found(find_dobs, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Am 12.03.2020 wurde der Vertrag geschlossen; das Kind war damals schon geboren.",
        "Die Firma wurde 1999 gegründet, am 1. Mai 2000 eröffnet.",
        "La nación aprobó la ley el 3 de mayo de 2020.",
        "De vergadering is op 4 maart 2021 gehouden.",
    ],
)
def test_event_dates_are_not_birth_dates(text: str) -> None:
    assert _found(find_dobs, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I now live at 4410 Willow Bend Loop, Fairview, with my sister.",
            ["4410 Willow Bend Loop, Fairview"],
        ),
        (
            "Send it to 77 Harbour Junction Suite 12, Port Ellen.",
            ["77 Harbour Junction Suite 12, Port Ellen"],
        ),
        (
            "Her flat is Studio 4, Orchard Mews, McAllisterton, BT7 1NN now.",
            ["Studio 4, Orchard Mews, McAllisterton, BT7 1NN"],
        ),
        ("Nouvelle adresse : impasse des Tilleuls, Vernon.", ["impasse des Tilleuls, Vernon"]),
        (
            "Ora abito in Piazzale Roma, 12 Interno 4, Treviso.",
            ["Piazzale Roma, 12 Interno 4, Treviso"],
        ),
        ("Vivo en Ronda de Toledo 14 Piso 3 , Madrid.", ["Ronda de Toledo 14 Piso 3 , Madrid"]),
        ("Ik woon nu op Berkendreef 12, Bergen op Zoom.", ["Berkendreef 12, Bergen op Zoom"]),
        (
            "Neue Anschrift: Lindenweg 3, 97199 Ochsenfurt am Main.",
            ["Lindenweg 3, 97199 Ochsenfurt am Main"],
        ),
        ("Nieuw adres: Kerkpad 9, 's-Gravenzande.", ["Kerkpad 9, 's-Gravenzande"]),
        ("Forwarding: PSC 1234, Box 5678, APO AE 09012.", ["PSC 1234, Box 5678, APO AE 09012"]),
    ],
)
def test_streets_and_their_cities_are_addresses(text: str, expected: list[str]) -> None:
    assert _found(find_addresses, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Clause 12 covers Key Issues; Mr Green agreed.",
        "The 3 Points, in short, are these.",
        "Au cours de la procédure, Maître Blanc a plaidé.",
        "La rue était fermée, Paul est reparti.",
        "We met at the Summit, Geneva, in 2019.",
        "Invoice 2291 Park, Lake and Sons, paid in full.",
        "Order 5 Green Valley, Hope Ltd, shipped.",
    ],
)
def test_look_alikes_of_streets_are_not_addresses(text: str) -> None:
    assert _found(find_addresses, text) == []
