"""What tells a person nobody listed from the words around: headings and institutions in title
case are no names; titles, roles, closings and greetings of every language are cues; a lone
first name is a person before what a person does; a party's surname after somebody else's
first name is somebody else."""

from __future__ import annotations

import pytest

from consultations.llm.pii import scrub
from consultations.llm.pii.people import find_people


def _masked(text: str) -> list[str]:
    return [text[start:end] for start, end in find_people(text)]


@pytest.mark.parametrize(
    "text",
    [
        "MUTUAL NDA\n\nMutual Non-Disclosure Agreement\n\n1. Parties",
        "Please read the Terms And Conditions and ask the Data Protection Officer.",
        "Enclosed: Statement Of Claim, Confidentiality Undertaking, Schedule Of Loss.",
        "Her Social Security number is on the form.",
        "Es gelten die Allgemeinen Geschäftsbedingungen und die Datenschutzerklärung.",
        "Veuillez signer l'Accord De Confidentialité avant lundi.",
        "Adjunto el Contrato De Confidencialidad firmado.",
        "Zie de Algemene Voorwaarden en de Geheimhoudingsovereenkomst.",
        "Allego l'Informativa Sulla Privacy e il Contratto Di Riservatezza.",
        "La causa pende davanti al Tribunale di Napoli, poi alla Corte d'Appello di Firenze.",
        "Ricorso al Giudice di Pace di Bari depositato.",
        "Sie ist Mitarbeiterin von Siemens und er arbeitet bei Benetton.",
        "Neue Anschrift: Lindenweg 4.",
    ],
)
def test_headings_courts_and_companies_are_not_people(text: str) -> None:
    assert _masked(text) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Ho parlato con la Dott.ssa Ferrante e con il Sig. Esposito.", ["Ferrante", "Esposito"]),
        ("L'Avv. Brambilla ha risposto. Gentile Avv. Colombo, grazie.", ["Brambilla", "Colombo"]),
        ("All'udienza il giudice Marchetti ha rinviato.", ["Marchetti"]),
        ("En la vista, la magistrada Ferrero suspendió la sesión.", ["Ferrero"]),
        ("HHJ Okafor adjourned; Mr Justice Hill agreed.", ["Okafor", "Hill"]),
        ("Nostra figlia Ottavia ha sei anni; mio figlio Tancredi nove.", ["Ottavia", "Tancredi"]),
        ("The opposing counsel, Torquil, rang twice.", ["Torquil"]),
        ("Thanks.\n\nYours faithfully,\nCuthbert Fotheringham\n", ["Cuthbert Fotheringham"]),
        ("Con osservanza,\nAldous Pettigrew", ["Aldous Pettigrew"]),
        ("Veuillez agréer mes salutations distinguées.\nIsaure Kerhervé", ["Isaure Kerhervé"]),
        ("Mit freundlichen Grüßen\nHinnerk Wackernagel", ["Hinnerk Wackernagel"]),
        ("Hi Torquil,\nthanks. Ciao Ombeline,\n", ["Torquil", "Ombeline"]),
        ("It was late when Helen saw the van.", ["Helen"]),
        ("Lauren Poole's car was outside Peter Okafor's house.", ["Lauren Poole", "Peter Okafor"]),
        ("In Anwesenheit von Hinnerk Wackernagel unterschrieben.", ["Hinnerk Wackernagel"]),
        ("Verklaring van Wytse Hiemstra, buurman.", ["Wytse Hiemstra"]),
        ("Done.\nOmbeline Quéméner, who works there, agreed.", ["Ombeline Quéméner"]),
        ("Done. Wytse Hiemstra zag het ongeluk.", ["Wytse Hiemstra"]),
        ("ZEUGENAUSSAGE von Hauke Oberhuber, aufgenommen am 2. Mai.", ["Hauke Oberhuber"]),
        ("DÉCLARATION de Sixtine Aubertin, faite le 3 mai.", ["Sixtine Aubertin"]),
        ("On 2024-03-05, Judge Okafor adjourned.", ["Okafor"]),
        ("Hoogachtend,\nJelmer Boersma\nadvocaat", ["Jelmer Boersma"]),
        ("Hij zei dat van Olst de sleutel had.", ["van Olst"]),
        ("Gestern. Danuta Hendriks, Angestellte von Dr. Oetker, rief an.", ["Danuta Hendriks"]),
        ("Vimos a de la Fleche en la vista.", ["de la Fleche"]),
        ("Getekend door van der Veen, Zoë, op maandag.", ["van der Veen, Zoë"]),
    ],
)
def test_people_are_found_after_the_cues_of_every_language(text: str, names: list[str]) -> None:
    assert _masked(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "When Paris said no, the deal fell through.",  # a town more often than a person
        "Dear Sirs,\nplease find enclosed.",
        "Hallo Zusammen,\nanbei die Unterlagen.",
        "Raccolta da Roma e da Milano.",
        "We moved to Jackson in May.",
        "Elle est salariée de Ferrero; lui travaille à Rotterdam aan de Maas.",
        "Frankfurt an der Oder liegt an der Grenze.",
        "Deliver to 12 Webster Islands, Watson Loop, Port Mary.",
        "The office is on Watson Loop, near Goldman Sachs.",
    ],
)
def test_cue_like_words_before_no_name_mask_nothing(text: str) -> None:
    assert _masked(text) == []


def test_a_party_s_surname_after_another_first_name_is_somebody_else() -> None:
    result = scrub(
        "Nancy Johnson saw Jennifer Johnson's car; Ms Johnson denies it.",
        known_names=["Jennifer Johnson"],
    )

    assert result.text == "<PERSON_1> saw <PERSON_2>'s car; Ms <PERSON_2> denies it."
    assert result.mapping == {"<PERSON_1>": "Nancy Johnson", "<PERSON_2>": "Jennifer Johnson"}


def test_a_party_written_with_a_possessive_keeps_its_placeholder() -> None:
    result = scrub(
        "Allan Williams' car was outside Jordan Todd's house.",
        known_names=["Allan Williams", "Jordan Todd"],
    )

    assert result.text == "<PERSON_1>' car was outside <PERSON_2>'s house."


def test_a_party_s_own_particles_are_masked_with_its_surname() -> None:
    result = scrub(
        "Hij zei dat van Orleans de sloten had; van Orleans, Adam tekende.",
        known_names=["Adam van Orleans"],
    )

    assert result.text == "Hij zei dat <PERSON_1> de sloten had; <PERSON_1> tekende."
