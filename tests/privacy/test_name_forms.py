"""Every form of a party's name, in the six languages of the corpus, gets that party's
placeholder; words and dates that look like a party's name stay as written."""

from __future__ import annotations

import pytest

from consultations.llm.pii import restore, scrub
from consultations.llm.pii.names import known_parties

HELEN = "Helen Margaret Carter"
JOSE = "José María López García"
JEAN_PIERRE = "Jean-Pierre de la Fontaine"
ANNA = "Anna van der Berg"
JURGEN = "Jürgen Müller"
BRIGHTLINE = "Brightline Logistics Ltd"
NOWAK = "Nowak Design Studio GmbH"
PARTIES = [HELEN, JOSE, JEAN_PIERRE, ANNA, JURGEN, BRIGHTLINE, NOWAK]


def masked(text: str, parties: list[str] = PARTIES) -> tuple[str, set[str]]:
    """The scrubbed text, and the party names its placeholders stand for."""
    result = scrub(text, known_names=parties)
    return result.text, set(result.mapping.values())


@pytest.mark.parametrize(
    ("text", "expected", "party"),
    [
        # English: given name alone, surname alone, initials, reversed, capitals, possessives.
        ("Helen told me the lease ended.", "<PERSON_1> told me the lease ended.", HELEN),
        ("Kind regards,\nHelen", "Kind regards,\n<PERSON_1>", HELEN),
        ("The letter to Carter was late.", "The letter to <PERSON_1> was late.", HELEN),
        ("Signed: J. Carter", "Signed: J. <PERSON_1>", HELEN),
        ("Signed: H. Carter", "Signed: <PERSON_1>", HELEN),
        ("Signed: H.M. Carter", "Signed: <PERSON_1>", HELEN),
        ("Signed: H Carter", "Signed: <PERSON_1>", HELEN),
        ("Signed: Helen M. Carter", "Signed: <PERSON_1>", HELEN),
        ("Signed: J.F. Kennedy", "Signed: <PERSON_1>", "John F. Kennedy"),
        ("Claimant: Carter, Helen", "Claimant: <PERSON_1>", HELEN),
        ("Claimant: CARTER Helen", "Claimant: <PERSON_1>", HELEN),
        ("CLAIMANT: HELEN CARTER", "CLAIMANT: <PERSON_1>", HELEN),
        ("It is Helen's flat.", "It is <PERSON_1>'s flat.", HELEN),
        ("It is Carter\u2019s flat.", "It is <PERSON_1>\u2019s flat.", HELEN),
        ("helen carter signed.", "<PERSON_1> signed.", HELEN),
        # English titles, with and without a dot.
        ("Ask Mrs Carter.", "Ask Mrs <PERSON_1>.", HELEN),
        ("Ask Ms. Carter.", "Ask Ms. <PERSON_1>.", HELEN),
        ("Ask Dr Carter.", "Ask Dr <PERSON_1>.", HELEN),
        ("Ask Prof. Carter.", "Ask Prof. <PERSON_1>.", HELEN),
        ("Ask Dame Helen.", "Ask Dame <PERSON_1>.", HELEN),
        ("Before Judge Carter.", "Before Judge <PERSON_1>.", HELEN),
        # German: titles, umlauts written out or dropped, capitals.
        ("Herr Müller hat gekündigt.", "Herr <PERSON_1> hat gekündigt.", JURGEN),
        ("Herrn Mueller schreiben.", "Herrn <PERSON_1> schreiben.", JURGEN),
        ("Dr. Muller kam nicht.", "Dr. <PERSON_1> kam nicht.", JURGEN),
        ("KLÄGER: JÜRGEN MÜLLER", "KLÄGER: <PERSON_1>", JURGEN),
        ("Jürgen sagte nichts.", "<PERSON_1> sagte nichts.", JURGEN),
        ("Mit Frau Weiss gesprochen.", "Mit Frau <PERSON_1> gesprochen.", "Anna Weiß"),
        ("Frau Weiß ist da.", "Frau <PERSON_1> ist da.", "Anna Weiss"),
        ("Herr Oezdemir zahlte.", "Herr <PERSON_1> zahlte.", "Mehmet Özdemir"),
        ("Herr Özdemir zahlte.", "Herr <PERSON_1> zahlte.", "Mehmet Oezdemir"),
        # French: titles, hyphenated given names, particles, accents dropped.
        ("M. de la Fontaine a signé.", "M. <PERSON_1> a signé.", JEAN_PIERRE),
        ("Jean-Pierre a signé.", "<PERSON_1> a signé.", JEAN_PIERRE),
        ("Signé : J.-P. de la Fontaine", "Signé : <PERSON_1>", JEAN_PIERRE),
        ("Maître Fontaine plaide.", "Maître <PERSON_1> plaide.", JEAN_PIERRE),
        ("Mme Lefèvre et Mlle Lefevre.", "Mme <PERSON_1> et Mlle <PERSON_1>.", "Claire Lefèvre"),
        ("Me Francois Dubois plaide.", "Me <PERSON_1> plaide.", "François Dubois"),
        ("Le dossier d'Hélène.", "Le dossier d'<PERSON_1>.", "Hélène Dubois"),
        ("J'ai parlé avec Hélène du bail.", "J'ai parlé avec <PERSON_1> du bail.", "Hélène Dubois"),
        ("Hablé con José de la venta.", "Hablé con <PERSON_1> de la venta.", JOSE),
        # Dutch: titles in lowercase, particles capitalised when the surname stands alone.
        ("Mevrouw Van der Berg belde.", "Mevrouw <PERSON_1> belde.", ANNA),
        ("Aan mevrouw van der Berg.", "Aan mevrouw <PERSON_1>.", ANNA),
        ("Aan mevr. Van der Berg.", "Aan mevr. <PERSON_1>.", ANNA),
        ("Aan dhr. De Vries.", "Aan dhr. <PERSON_1>.", "Pieter de Vries"),
        ("Aan de heer De Vries.", "Aan de heer <PERSON_1>.", "Pieter de Vries"),
        ("Meneer Jansen zei niets.", "Meneer <PERSON_1> zei niets.", "Pieter Jansen"),
        ("Anna van der Berg tekende.", "<PERSON_1> tekende.", ANNA),
        ("A. van der Berg tekende.", "<PERSON_1> tekende.", ANNA),
        # Spanish: titles and their abbreviations, double surnames, accents dropped.
        ("El Sr. López firmó.", "El Sr. <PERSON_1> firmó.", JOSE),
        ("La Sra. Lopez Garcia firmó.", "La Sra. <PERSON_1> firmó.", JOSE),
        ("D. José López firmó.", "D. <PERSON_1> firmó.", JOSE),
        ("Doña Lucía Pérez firmó.", "Doña <PERSON_1> firmó.", "Lucía Pérez Gómez"),
        ("Dña. Perez y Srta. Gómez.", "Dña. <PERSON_1> y Srta. <PERSON_1>.", "Lucía Pérez Gómez"),
        ("El señor García llamó.", "El señor <PERSON_1> llamó.", JOSE),
        ("JOSE MARIA LOPEZ llamó.", "<PERSON_1> llamó.", JOSE),
        # Companies with and without their legal form, and inside a longer name.
        ("Brightline Logistics Limited paid.", "<PERSON_1> paid.", BRIGHTLINE),
        ("Brightline Logistics paid.", "<PERSON_1> paid.", BRIGHTLINE),
        ("BRIGHTLINE LOGISTICS LTD. paid.", "<PERSON_1> paid.", BRIGHTLINE),
        ("Brightline paid.", "<PERSON_1> paid.", BRIGHTLINE),
        ("Die Nowak Design Studio GmbH zahlt.", "Die <PERSON_1> zahlt.", NOWAK),
        ("Nowak Design Studio zahlt.", "<PERSON_1> zahlt.", NOWAK),
        ("Van Dam Bouw B.V. betaalt.", "<PERSON_1> betaalt.", "Van Dam Bouw BV"),
        ("Ventas Rojo, S.L. paga.", "<PERSON_1> paga.", "Ventas Rojo SL"),
        ("Ventas Rojo paga.", "<PERSON_1> paga.", "Ventas Rojo, S.L."),
        ("The shop RAMAN TEA closed.", "The shop <PERSON_1> TEA closed.", "Priya Raman"),
        ("Nowak Design Studio billed.", "<PERSON_1> Design Studio billed.", "Piotr Nowak"),
    ],
)
def test_every_form_of_a_party_gets_its_placeholder(text: str, expected: str, party: str) -> None:
    assert masked(text, [party]) == (expected, {party})


def test_all_forms_of_one_party_share_its_placeholder_and_restore_as_its_name() -> None:
    text = "Helen Carter wrote. Ms Carter says Helen and H.M. CARTER are one; John agrees."
    result = scrub(text, known_names=[HELEN, "John Smith"])

    assert result.text == (
        "<PERSON_1> wrote. Ms <PERSON_1> says <PERSON_1> and <PERSON_1> are one; <PERSON_2> agrees."
    )
    assert result.mapping == {"<PERSON_1>": HELEN, "<PERSON_2>": "John Smith"}
    assert restore("Ask <PERSON_1>.", result.mapping) == f"Ask {HELEN}."


def test_a_party_given_surname_first_is_found_in_either_order() -> None:
    assert masked("Jürgen Müller and Herr Mueller", ["Müller, Jürgen"]) == (
        "<PERSON_1> and Herr <PERSON_1>",
        {"Müller, Jürgen"},
    )


@pytest.mark.parametrize(
    ("party", "text", "expected"),
    [
        ("Dr Helen Carter", "Helen wrote to Carter.", "<PERSON_1> wrote to <PERSON_1>."),
        ("Don Johnson", "Don wrote to Mr Johnson.", "<PERSON_1> wrote to Mr <PERSON_1>."),
        ("Jude Law", "Law said so.", "<PERSON_1> said so."),
        ("Acme Group", "Acme paid.", "<PERSON_1> paid."),
    ],
)
def test_titles_in_a_partys_name_are_dropped_and_surnames_are_no_company(
    party: str, text: str, expected: str
) -> None:
    assert masked(text, [party]) == (expected, {party})


def test_a_name_two_parties_share_gets_a_placeholder_of_its_own() -> None:
    result = scrub(
        "John called; John Smith and John Doe agreed.", known_names=["John Smith", "John Doe"]
    )

    assert result.text == "<PERSON_1> called; <PERSON_2> and <PERSON_3> agreed."
    assert result.mapping == {
        "<PERSON_1>": "John",
        "<PERSON_2>": "John Smith",
        "<PERSON_3>": "John Doe",
    }


@pytest.mark.parametrize(
    ("value", "party"),
    [
        ("Ms Carter", HELEN),
        ("CARTER, H.M.", HELEN),
        ("Helen's", HELEN),
        ("Sra. Lopez Garcia", JOSE),
        ("Brightline Logistics B.V.", BRIGHTLINE),
        # Names of people nobody listed stay keyed by what they say.
        ("Tom Baker", None),
        ("Helen Smith", None),
        ("Mr", None),
    ],
)
def test_party_of_names_the_party_a_found_value_is_a_form_of(value: str, party: str | None) -> None:
    parties = known_parties(frozenset(PARTIES))

    assert parties is not None
    assert parties.party_of(value) == party


# --- Look-alikes ---------------------------------------------------------------------------

WORD_NAMES = ["Will Turner", "May Chen", "Mark Hughes", "Grace Rose", "Frank Hope"]


@pytest.mark.parametrize(
    "text",
    [
        "We will write to the agent and may sue; mark the date.",
        "Will you sign the lease?",
        "May I ask for an extension?",
        "Mark the hearing in your diary.",
        "Grace periods apply to late rent.",
        "Hope this helps.",
        "Frank discussions followed.",
        "Rose by 5% in 2024, the rent did.",
        "The rent is due on 3 May 2026.",
        "The rent is due on May 3, 2026.",
        "The lease ends in May.",
        "Since May the tenant has paid nothing.",
        "The hearing is in May 2026 before the court.",
        "Under the Will the house passed to the tenant.",
        "LAST WILL AND TESTAMENT",
        "GRACE PERIOD",
    ],
)
def test_words_and_dates_that_look_like_a_party_are_left_alone(text: str) -> None:
    assert masked(text, WORD_NAMES) == (text, set())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Will told me the rent was late.", "<PERSON_1> told me the rent was late."),
        ("I asked Will about it.", "I asked <PERSON_1> about it."),
        ("May said no.", "<PERSON_1> said no."),
        ("Mark, can you call?", "<PERSON_1>, can you call?"),
        ("Dear Grace,", "Dear <PERSON_1>,"),
        ("Mrs May signed in May 2026.", "Mrs <PERSON_1> signed in May 2026."),
        ("Will Turner will sign.", "<PERSON_1> will sign."),
    ],
)
def test_a_name_that_is_also_a_word_is_a_name_where_the_context_says_so(
    text: str, expected: str
) -> None:
    assert masked(text, WORD_NAMES)[0] == expected


@pytest.mark.parametrize(
    ("text", "party", "other"),
    [
        # Another person sharing the party's given name is left to the detector of people
        # nobody listed, which sees the whole name and gives it a placeholder of its own.
        ("Helen Smith, a neighbour, saw it.", HELEN, "Helen Smith"),
        ("Jürgen Schmidt war Zeuge.", JURGEN, "Jürgen Schmidt"),
        ("Maja van den Berg was getuige.", "Maja Jansen", "Maja van den Berg"),
        ("José Fernández testificó.", JOSE, "José Fernández"),
        ("Ms Carter-Jones attended.", HELEN, "Carter-Jones"),
    ],
)
def test_another_person_sharing_a_partys_words_is_not_the_party(
    text: str, party: str, other: str
) -> None:
    assert scrub(text, known_names=[party]).mapping == {"<PERSON_1>": other}


@pytest.mark.parametrize(
    ("text", "party"),
    [
        # Longer words that hold the party's.
        ("Smithson and Carterton attended.", "John Smith"),
        # A company's generic words alone, and particles alone.
        ("Our design studio closed.", NOWAK),
        ("Design Studio and Logistics are headings.", NOWAK),
        ("Ein Brief von der Post.", ANNA),
    ],
)
def test_other_names_and_words_that_hold_a_partys_words_are_left_alone(
    text: str, party: str
) -> None:
    assert masked(text, [party]) == (text, set())


@pytest.mark.parametrize(
    ("party", "text", "expected"),
    [
        (
            "Mark Richter",
            "Der Richter hat entschieden. Herr Richter kam. Das Mark war weg.",
            "Der Richter hat entschieden. Herr <PERSON_1> kam. Das Mark war weg.",
        ),
        (
            "August Weber",
            "Am 3. August 2024 kam August. Im August zahlte Weber nicht.",
            "Am 3. August 2024 kam <PERSON_1>. Im August zahlte <PERSON_1> nicht.",
        ),
        (
            "Frank English",
            "Under English law, the English courts decide. English said yes.",
            "Under English law, the English courts decide. <PERSON_1> said yes.",
        ),
        (
            "Jan de Jong",
            "De Jong belde op 15 jan 2024. Jan 2024 was koud.",
            "<PERSON_1> belde op 15 jan 2024. Jan 2024 was koud.",
        ),
        (
            "Pilar Cruz Blanco",
            "La Cruz Roja ayudó. Pilar dijo que sí. Blanco y negro.",
            "La Cruz Roja ayudó. <PERSON_1> dijo que sí. Blanco y negro.",
        ),
        (
            "Claire Martin",
            "Il est claire que Martin a tort. Claire a signé. Saint-Martin est loin.",
            "Il est claire que <PERSON_1> a tort. <PERSON_1> a signé. Saint-Martin est loin.",
        ),
        (
            "Iris Bauer",
            "Die Iris des Auges. Iris Bauer klagt. Der Bauer pflügt.",
            "Die Iris des Auges. <PERSON_1> klagt. Der Bauer pflügt.",
        ),
        (
            "Sunny Patel",
            "It was sunny. Sunny days ahead. Sunny told me.",
            "It was sunny. Sunny days ahead. <PERSON_1> told me.",
        ),
    ],
)
def test_names_that_are_words_in_every_language_are_read_in_context(
    party: str, text: str, expected: str
) -> None:
    assert masked(text, [party])[0] == expected
