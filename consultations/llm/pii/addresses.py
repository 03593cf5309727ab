"""Postal addresses: US and UK, German and Dutch, French, Spanish and Italian."""

from __future__ import annotations

import re
from collections.abc import Iterator

from consultations.llm.pii.finders import either, finder, has_digits, matches, when
from consultations.llm.pii.kinds import Span

_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl"
    r"|Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Mews|Gardens)"
)
_US_STATE = (
    # The lookahead first (every use is followed by a space): most positions fail it at once
    # instead of trying every code.
    r"(?=[A-Z]{2}\s)(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE"
    r"|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
    r"|AS|GU|MP|PR|VI|FM|MH|PW|AA|AE|AP)"  # territories, and the armed forces' mail
)
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})"
# Three words at most: _find_city_state_zips tries the starts after the third space back.
_CITY = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}"
_STREET_WORD = r"(?:[A-Z][\w'.-]*|\d+(?:st|nd|rd|th))"
_STREET_ADDRESS = re.compile(
    rf"(?<![\w,.-])\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?,?\s+(?:{_STREET_WORD}\s+){{0,3}}?"
    rf"(?P<last>{_STREET_WORD})\s+(?P<suffix>{_STREET_SUFFIX})\b\.?"
    r"(?:\s+(?:NE|NW|SE|SW|N|S|E|W)\b)?"
    r"(?:,\s*(?:Suite|Apt|Apartment|Unit|Flat|Floor)\.?\s*#?\w+)?"
    rf"(?:,\s*{_CITY})?"
    rf"(?:,?\s+{_US_STATE}\s+\d{{5}}(?:-\d{{4}})?\b|,?\s+{_UK_POSTCODE}\b)?"
)
# "the 2019 Supreme Court" looks like a street address ending in "Court".
_COURTS = frozenset(
    {"High", "Supreme", "County", "Crown", "District", "Circuit", "Federal", "Family",
     "Magistrates", "Magistrates'", "Superior", "Appeals", "Appellate", "Tax", "Bankruptcy",
     "Commercial", "Chancery", "Probate", "Juvenile", "Claims", "Municipal", "Admiralty"}
)  # fmt: skip
_STATE_ZIP = re.compile(rf"\b{_US_STATE}\s+\d{{5}}")
_CITY_STATE_ZIP = re.compile(rf"(?:\b{_CITY},\s*)?\b{_US_STATE}\s+\d{{5}}(?:-\d{{4}})?\b")
# Where an address of a word-led pattern may start: any word's start.
_WORD_START = re.compile(r"\b\w")
_POSTCODE = re.compile(rf"\b{_UK_POSTCODE}\b")


def _find_city_state_zips(text: str) -> Iterator[Span]:
    """The matches of ``_CITY_STATE_ZIP``, tried only where they can start: at a state and ZIP
    code, or at a word of the city before it (three words, two spaces at most) and its
    comma."""
    consumed = 0
    for state in _STATE_ZIP.finditer(text):
        comma = state.start()
        while comma and text[comma - 1].isspace():
            comma -= 1
        lowest = max(_after_spaces_back(text, comma, 3), consumed)
        for candidate in _WORD_START.finditer(text, lowest, state.start() + 1):
            if found := _CITY_STATE_ZIP.match(text, candidate.start()):
                yield found.span()
                consumed = found.end()
                break


def _after_spaces_back(text: str, at: int, count: int) -> int:
    """Where the text after the ``count``-th space before ``at`` starts (0 if there are fewer):
    an address with fewer spaces than that before ``at`` starts there or later."""
    for _ in range(count):
        at = text.rfind(" ", 0, at)
        if at < 0:
            return 0
    return at + 1


def _is_street_address(match: re.Match[str]) -> bool:
    return not (match["suffix"] == "Court" and match["last"] in _COURTS)


# Addresses of any street name, anchored on what ends them: a city and a US state with its ZIP
# code or a UK postcode, or, in continental Europe, a street word (rue, Calle, Via) or a house
# number next to a postcode and a city.
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME = rf"[{_UPPER}][\w'.-]*"
_CITY_WORD = rf"[{_UPPER}][\w']*"  # no dot: the one after a city ends the sentence
_EU_CITY = rf"{_CITY_WORD}(?:[ -](?:[a-z]{{1,4}}[ -])?{_CITY_WORD}){{0,3}}"
# Ten spaces at most before the postcode's comma: _find_us_uk_addresses tries no start before.
_US_UK_ADDRESS = re.compile(
    r"(?<![\w,.-])(?:(?:Flat|Studio|Apartment|Unit) \w+, |\d{1,5}[A-Za-z]? )"
    rf"(?:{_NAME} ){{0,3}}{_NAME}"
    r"(?:,? (?:Suite|Apt\.?|Ste\.?|Unit|Flat) #?\w+)?"
    rf", {_CITY}, (?:{_US_STATE} \d{{5}}(?:-\d{{4}})?|{_UK_POSTCODE})\b"
    r"|\b(?:(?:Unit|PSC) \d+ Box \d+|(?:USNS|USNV|USS|USCGC) [A-Z]\w+), [AFD]PO A[AEP] \d{5}\b"
)
# Its postcode's comma, what every match ends with.
_US_UK_POSTCODE = re.compile(rf", (?:{_US_STATE} \d{{5}}|{_UK_POSTCODE}\b|[AFD]PO )")


def _find_us_uk_addresses(text: str) -> Iterator[Span]:
    """The matches of ``_US_UK_ADDRESS``, tried only before each postcode's comma: between a
    match's start and that comma are ten spaces at most (two in "Flat 2, ", three between four
    street words, two in a suite, one after it, two in a city)."""
    consumed = tried = 0
    for postcode in _US_UK_POSTCODE.finditer(text):
        comma = postcode.start()
        lowest = max(_after_spaces_back(text, comma, 11), tried, consumed)
        for candidate in _WORD_START.finditer(text, lowest, comma):
            start = candidate.start()
            if start >= consumed and (found := _US_UK_ADDRESS.match(text, start)):
                yield found.span()
                consumed = found.end()
        tried = comma


# Germany and the Netherlands: "Hauptstraße 5, 10115 Berlin", "Lilyweg 8, 9859 ZE, Bunde".
_NUMBERED_WORDS = (
    r"Article|Art|Section|Clause|Schedule|Paragraph|Para|Annex|Exhibit|Rule|Part|Chapter|Page"
    r"|Item|Invoice|Order|Claim|Case|Note|Version|Room|Box|No"
)
# Two words before the house number: _find_de_nl_addresses tries no start before them.
_DE_NL_STREET = (
    rf"(?!(?:{_NUMBERED_WORDS})\b){_NAME} \d{{1,5}}[a-z]?(?:[/-]\d{{1,5}})?, "
    rf"(?:\d{{5}}|\d{{4}} ?[A-Z]{{2}}),? (?!(?:EUR|Euros?|USD|GBP|CHF)\b){_EU_CITY}"
)
_DE_NL_ADDRESS = re.compile(rf"(?:{_NAME} )?{_DE_NL_STREET}")
_DE_NL_STREET_ONLY = re.compile(_DE_NL_STREET)
_DE_NL_START = re.compile(rf"(?<![\w-])[{_UPPER}]")
_NUMBERED_WORD = re.compile(rf"(?:{_NUMBERED_WORDS})\b")
_NAME_REST = re.compile(r"[\w'.-]*+")
# What follows every such house number: its postcode's first four digits.
_POSTCODE_AFTER = re.compile(r", \d{4}")


def _find_de_nl_addresses(text: str) -> Iterator[Span]:
    """The addresses of ``_DE_NL_ADDRESS`` from its possible starts, reading each word once.

    A name may start inside a word, after an apostrophe or a dot, and every start in a word
    reads to the word's end and goes on the same way from there. So the first start of a word
    is tried whole; a later one only when the first failed on being a numbered word ("Art."),
    and then once: if that one fails too, so does every start after it in the word.

    Only starts that can lead to a postcode are tried: an address's street is at most two words
    (no spaces in a word) before its house number, which ends in a digit or a letter right
    before ", " and the postcode. So the starts tried lie after the third space before each.
    """
    consumed = word_end = tried = 0
    settled = False  # no later start in this word can match
    for postcode in _POSTCODE_AFTER.finditer(text):
        number_end = postcode.start()
        before = text[number_end - 1 : number_end]
        if not (before.isdigit() or "a" <= before <= "z"):
            continue
        lowest = _after_spaces_back(text, number_end, 3)
        for candidate in _DE_NL_START.finditer(text, max(lowest, tried), number_end):
            start = candidate.start()
            if start < consumed:
                continue
            if start >= word_end:
                word_end = _NAME_REST.match(text, start).end()
                found = _DE_NL_ADDRESS.match(text, start)
                settled = not _NUMBERED_WORD.match(text, start)
            elif settled or _NUMBERED_WORD.match(text, start):
                continue
            else:
                found = _DE_NL_STREET_ONLY.match(text, start)
                settled = True
            if found:
                yield found.span()
                consumed = found.end()
        tried = max(tried, number_end)


_FR_ADDRESS = re.compile(
    r"(?<![\w-])(?:\d{1,4}(?: ?(?:bis|ter))?,? )?"
    r"(?i:rue|avenue|av\.|boulevard|bd|chemin|place|allée|impasse|quai|route|cours|square)\b"
    rf"[^,\n]{{1,40}}, \d{{5}} {_EU_CITY}"
)
# Every match ends in ", " and a postcode; before that comma it holds no line break and one
# comma at most (after a house number): _find_fr_addresses tries no start before them.
_FR_POSTCODE = re.compile(r", \d{5} ")


def _find_fr_addresses(text: str) -> Iterator[Span]:
    """The matches of ``_FR_ADDRESS``, tried only at the words before a postcode's comma."""
    consumed = tried = 0
    for postcode in _FR_POSTCODE.finditer(text):
        comma = postcode.start()
        previous = text.rfind(",", 0, comma)
        lowest = max(text.rfind("\n", 0, comma), text.rfind(",", 0, max(previous, 0))) + 1
        for candidate in _WORD_START.finditer(text, max(lowest, tried, consumed), comma):
            if found := _FR_ADDRESS.match(text, candidate.start()):
                yield found.span()
                consumed = found.end()
                break
        tried = comma


_ES_ADDRESS = re.compile(
    # "(?=[A-Z])" spares the positions no street word can start at the trial of every one.
    r"(?=[A-Z])(?<![\w-])(?:Calle|C/|Avenida|Avda\.|Paseo|Plaza|Camino|Callejón|Urbanización|Acceso"
    r"|Cañada|Pasaje|Pasadizo|Cuesta|Vial|Rambla|Ronda|Travesía|Glorieta|Carretera|Alameda"
    r"|Vía|Via)"
    rf"[^,\n]{{1,60}}?\d[^,\n]{{0,20}}, (?:{_EU_CITY}, \d{{5}}|\d{{5}} {_EU_CITY})"
)
_IT_ADDRESS = re.compile(
    r"(?=[A-Z])(?<![\w-])(?:Via|Viale|Piazza|Piazzale|Corso|Vicolo|Largo|Borgo|Stretto|Rotonda|Canale"
    r"|Incrocio|Contrada|Strada|Lungomare|Salita|Località)"
    r"[^,\n]{1,40}?,? \d{1,4}[A-Za-z]?(?:/\w+)?(?: (?:Piano|Appartamento|Interno|Scala) \w+)?"
    rf",? \d{{5}},? {_EU_CITY}(?: \([A-Z]{{2}}\))?"
)


# What these addresses' postal codes look like, for texts that have none to be passed by.
_FIVE_DIGITS = re.compile(r"(?<!\d)\d{5}(?!\d)")


# Every form has a house number or a postal code.
find_addresses = when(
    has_digits(1),
    either(
        finder(_STREET_ADDRESS, accept=_is_street_address),
        _find_us_uk_addresses,
        _find_de_nl_addresses,
        _find_fr_addresses,
        when(matches(_FIVE_DIGITS), finder(_ES_ADDRESS)),
        when(matches(_FIVE_DIGITS), finder(_IT_ADDRESS)),
        _find_city_state_zips,
        finder(_POSTCODE),
    ),
)
