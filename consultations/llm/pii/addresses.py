"""Postal addresses: US and UK, German and Dutch, French, Spanish and Italian."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from faker.providers.address.en_US import Provider as UsAddresses

from consultations.llm.pii.finders import (
    either,
    finder,
    finder_at,
    folded_once,
    matches,
    numbers,
    when,
)
from consultations.llm.pii.kinds import Finder, Span

_STREET_SUFFIXES = (
    *("Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Ln", "Boulevard", "Blvd", "Drive"),
    *("Dr", "Way", "Court", "Ct", "Place", "Pl", "Terrace", "Close", "Crescent", "Square", "Sq"),
    *("Parkway", "Pkwy", "Highway", "Hwy", "Mews", "Gardens"),
)
_STREET_SUFFIX = rf"(?:{'|'.join(_STREET_SUFFIXES)})"
_US_STATES = (
    *("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN"),
    *("IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH"),
    *("NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT"),
    *("VT", "VA", "WA", "WV", "WI", "WY"),
    *("AS", "GU", "MP", "PR", "VI", "FM", "MH", "PW", "AA", "AE", "AP"),  # territories, and the
)  # armed forces' mail
_US_STATE = rf"(?:{'|'.join(_US_STATES)})"
# After a postcode's first letter (the rest of "[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}").
_UK_POSTCODE_REST = r"[A-Z]?\d[A-Z\d]? ?\d[A-Z]{2}"
_UK_POSTCODE = rf"(?:[A-Z]{_UK_POSTCODE_REST})"
_CITY = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}"
_STREET_WORD = r"(?:[A-Z][\w'.-]*|\d+(?:st|nd|rd|th))"
# The first digit before the lookbehind (of the one character before it), so that the regex
# engine skips to digits.
_STREET_ADDRESS = re.compile(
    rf"\d(?<![\w,.-]\d)\d{{0,4}}[A-Za-z]?(?:-\d{{1,5}})?,?\s+(?:{_STREET_WORD}\s+){{0,3}}?"
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
_CITY_STATE_ZIP = re.compile(rf"(?:\b{_CITY},\s*)?\b{_US_STATE}\s+\d{{5}}(?:-\d{{4}})?\b")
# Tried only before the text's numbers (``_postcode_starts``).
_POSTCODE = re.compile(rf"[A-Z](?<!\w[A-Z]){_UK_POSTCODE_REST}\b")


def _postcode_starts(text: str) -> list[int]:
    """Where a UK postcode can start: one or two letters before a number ("SW1A 1AA", "M1
    1AE"), its first digit starting one of the text's numbers."""
    starts = []
    for start, _ in numbers(text):
        if start and text[start - 1].isalpha():
            if start >= 2 and text[start - 2].isalpha():
                starts.append(start - 2)
            starts.append(start - 1)
    return starts


def _is_street_address(match: re.Match[str]) -> bool:
    return not (match["suffix"] == "Court" and match["last"] in _COURTS)


# Addresses of any street name, anchored on what ends them: a city and a US state with its ZIP
# code or a UK postcode, or, in continental Europe, a street word (rue, Calle, Via) or a house
# number next to a postcode and a city.
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME = rf"[{_UPPER}][\w'.-]*"
_CITY_WORD = rf"[{_UPPER}][\w']*"  # no dot: the one after a city ends the sentence
# "Rothenburg ob der Tauber", "Egmond aan den Hoef", "'s-Heerenberg", "'t Loo Oldebroek".
_EU_CITY = rf"(?:'[st][ -])?{_CITY_WORD}(?:[ -](?:[a-z]{{1,4}}[ -]){{0,2}}{_CITY_WORD}){{0,3}}"
_US_UK_ADDRESS = re.compile(
    r"(?<![\w,.-])(?:(?:Flat|Studio|Apartment|Unit) \w+, |\d{1,5}[A-Za-z]? )"
    rf"(?:{_NAME} ){{0,3}}{_NAME}"
    r"(?:,? (?:Suite|Apt\.?|Ste\.?|Unit|Flat) #?\w+)?"
    rf", {_CITY}, (?:{_US_STATE} \d{{5}}(?:-\d{{4}})?|{_UK_POSTCODE})\b"
    r"|\b(?:(?:Unit|PSC) \d+,? Box \d+|(?:USNS|USNV|USS|USCGC) [A-Z]\w+), [AFD]PO A[AEP] \d{5}\b"
)
# Germany and the Netherlands: "Hauptstraße 5, 10115 Berlin", "Lilyweg 8, 9859 ZE, Bunde".
_NUMBERED_WORDS = (
    r"Article|Art|Section|Clause|Schedule|Paragraph|Para|Annex|Exhibit|Rule|Part|Chapter|Page"
    r"|Item|Invoice|Order|Claim|Case|Note|Version|Room|Box|No"
)
_DE_NL_STREET = (
    rf"(?!(?:{_NUMBERED_WORDS})\b){_NAME} \d{{1,5}}[a-z]?(?:[/-]\d{{1,5}})?, "
    rf"(?:\d{{5}}|\d{{4}} ?[A-Z]{{2}}),? (?!(?:EUR|Euros?|USD|GBP|CHF)\b){_EU_CITY}"
)
_DE_NL_ADDRESS = re.compile(rf"(?:{_NAME} )?{_DE_NL_STREET}")
_DE_NL_STREET_ONLY = re.compile(_DE_NL_STREET)
_DE_NL_START = re.compile(rf"(?=[{_UPPER}])(?<![\w-])[{_UPPER}]")
_NUMBERED_WORD = re.compile(rf"(?:{_NUMBERED_WORDS})\b")
_NAME_REST = re.compile(r"[\w'.-]*+")
# The ", " between a house number and its postal code, and its digits.
_HOUSE_NUMBER_END = re.compile(r", \d{4}")
# A house number's last digit and letter, ending at such a ", ".
_HOUSE_NUMBER_TAIL = re.compile(r"\d[a-z]?\Z")


def _find_de_nl_addresses(text: str) -> Iterator[Span]:
    """The addresses of ``_DE_NL_ADDRESS`` from its possible starts, reading each word once.

    A name may start inside a word, after an apostrophe or a dot, and every start in a word
    reads to the word's end and goes on the same way from there. So the first start of a word
    is tried whole; a later one only when the first failed on being a numbered word ("Art."),
    and then once: if that one fails too, so does every start after it in the word.

    An address starts in the two words before its house number, so only the starts there are
    tried, those of the words before each ", " and postal code's digits: a word starting
    after a space starts anew. A text without a house number before such a ", " is passed by.
    """
    ends = [end.start() for end in _HOUSE_NUMBER_END.finditer(text)]
    if not any(_HOUSE_NUMBER_TAIL.search(text, max(0, end - 2), end) for end in ends):
        return
    consumed = word_end = tried = 0
    settled = False  # no later start in this word can match
    for end in ends:
        space = end
        for _ in range(3):  # the spaces before the house number and the two words before it
            space = text.rfind(" ", tried, space)
            if space == -1:
                break
        for candidate in _DE_NL_START.finditer(text, tried if space == -1 else space + 1, end):
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
        tried = end


_FR_STREET_WORDS = (
    *("rue", "avenue", "av.", "boulevard", "bd", "chemin", "place", "allée", "impasse", "quai"),
    *("route", "cours", "square"),
)
_FR_STREET = rf"(?i:{'|'.join(map(re.escape, _FR_STREET_WORDS))})\b"
_FR_ADDRESS = re.compile(
    rf"(?<![\w-])(?:\d{{1,4}}(?: ?(?:bis|ter))?,? )?{_FR_STREET}[^,\n]{{1,40}}, \d{{5}} {_EU_CITY}"
)
_ES_STREET_WORDS = (
    *("Calle", "C/", "Avenida", "Avda.", "Paseo", "Plaza", "Camino", "Callejón", "Urbanización"),
    *("Acceso", "Cañada", "Pasaje", "Pasadizo", "Cuesta", "Vial", "Rambla", "Ronda", "Travesía"),
    *("Glorieta", "Carretera", "Alameda", "Vía", "Via", "C."),
)
_ES_ADDRESS = re.compile(
    rf"(?<![\w-])(?:{'|'.join(map(re.escape, _ES_STREET_WORDS))})"
    rf"[^,\n]{{1,60}}?\d[^,\n]{{0,20}}, (?:{_EU_CITY}, \d{{5}}|\d{{5}} {_EU_CITY})"
)
_IT_STREET_WORDS = (
    *("Via", "Viale", "Piazza", "Piazzale", "Corso", "Vicolo", "Largo", "Borgo", "Stretto"),
    *("Rotonda", "Canale", "Incrocio", "Contrada", "Strada", "Lungomare", "Salita", "Località"),
)
_IT_ADDRESS = re.compile(
    rf"(?<![\w-])(?:{'|'.join(_IT_STREET_WORDS)})"
    r"[^,\n]{1,40}?,? \d{1,4}[A-Za-z]?(?:/\w+)?(?: (?:Piano|Appartamento|Interno|Scala) \w+)?"
    rf",? \d{{5}},? {_EU_CITY}(?: \([A-Z]{{2}}\))?"
)


# Streets and their city without a postal code: "Hauptstraße 5 in Berlin", "Kerkstraat 12,
# Utrecht", "25 rue de la Paix, Paris", "Calle Mayor 10, Madrid", "Via Roma 12, Milano".
# Any capitalised word before a number is too loose here, so the street must say it is one:
# by its ending in German and Dutch, by its first word elsewhere. Read as one word and then
# checked from its end, a street's name is read once.
_DE_NL_STREET_ENDINGS = (
    *("straße", "strasse", "str.", "weg", "allee", "platz", "gasse", "ring", "damm", "ufer"),
    *("chaussee", "markt", "straat", "laan", "plein", "gracht", "kade", "singel", "dijk"),
    *("steeg", "hof", "pad", "dreef", "baan", "boulevard", "plantsoen"),
)
_ENDS_LIKE_A_STREET = "|".join(
    f"(?<={re.escape(ending)})" for ending in sorted(_DE_NL_STREET_ENDINGS, key=len, reverse=True)
)
# A word before the street's own only when that is the ending alone: "Berliner Straße".
_STREET_ADJECTIVE = (
    rf"[{_UPPER}][\w'-]*+ (?=(?i:{'|'.join(map(re.escape, _DE_NL_STREET_ENDINGS))})(?!\w))"
)
_HOUSE_NUMBER = r"\d{1,4}[a-z]?(?:[/-]\d{1,4}[a-z]?)?"
# A flat, floor or door after the house number: "9 Apt. 60", "6 Piso 2", "61 Appartamento 37".
_UNIT = (
    r"(?: (?:Apt\.|Apto\.|Piso|Puerta|Portal|Escalera|Appartamento|Piano|Interno|Scala)"
    r" \w{1,4})?"
)
_CITY_AFTER_STREET = rf"(?:, | in | te | en )(?!(?:EUR|Euros?|USD|GBP|CHF)\b){_EU_CITY}"
_DE_NL_STREET_CITY = re.compile(
    rf"(?<![\w'.-])(?:{_STREET_ADJECTIVE})?[{_UPPER}][\w'.-]*+(?i:{_ENDS_LIKE_A_STREET})"
    rf",? {_HOUSE_NUMBER}{_CITY_AFTER_STREET}"
)
_FR_STREET_CITY = re.compile(
    rf"(?<![\w-])\d{{1,4}}(?: ?(?:bis|ter))?,? {_FR_STREET}[^,\n\d]{{1,40}}{_CITY_AFTER_STREET}"
)
# A French street is written without its number too, with only names after its kind: "rue
# Alain Maréchal, Rousset", "avenue de Gosselin, Dumontboeuf" ("cours", "place" and "route"
# start other phrases: "au cours de la procédure, Maître ...").
_FR_NAMED_KINDS = ("rue", "avenue", "boulevard", "chemin", "allée", "impasse", "quai")
_FR_NAMED_STREET = (
    rf"(?:{'|'.join(_FR_NAMED_KINDS)})"
    rf" (?:(?:de la|de l'|du|des|de|d') ?)?{_CITY_WORD}(?: {_CITY_WORD}){{0,3}}"
)
_FR_NAMED_STREET_CITY = re.compile(
    rf"(?<![\w-]){_FR_NAMED_STREET}, (?:\d{{5}} )?(?!(?:EUR|Euros?|USD|GBP|CHF)\b){_EU_CITY}"
)
_ES_IT_STREET_WORDS = tuple(dict.fromkeys(_ES_STREET_WORDS + _IT_STREET_WORDS))
_ES_IT_STREET_CITY = re.compile(
    rf"(?<![\w-])(?:{'|'.join(map(re.escape, _ES_IT_STREET_WORDS))})"
    rf" [^,\n\d]{{1,50}}(?:, )?{_HOUSE_NUMBER}{_UNIT} ?{_CITY_AFTER_STREET}"
)


# Streets of any kind the US Postal Service knows ("Oval", "Junction", "Summit", "Loop"), as
# Faker lists them, with their city: many are common words ("Key", "Well", "Mission"), so the
# house number before and the city after the comma make the address.
_STREET_KINDS = tuple(sorted(set(UsAddresses.street_suffixes) | set(_STREET_SUFFIXES)))
_TOWN = r"(?:Mc|Mac|O')?[A-Z][a-z]+(?:[ -](?:Mc|Mac|O')?[A-Z][a-z]+){0,2}"
# "Order 5 Green Valley, Hope Ltd": a number after these words is no house number.
_NOT_AFTER_NUMBERED_WORDS = "".join(
    f"(?<!{word} )(?<!{word.lower()} )" for word in _NUMBERED_WORDS.split("|")
)
_US_UK_STREET_CITY = re.compile(
    r"(?<![\w,.-])(?:(?:Flat|Studio|Apartment|Unit) \w{1,4}(?:,[ \t]*|[ \t]*\n[ \t]*)"
    rf"|{_NOT_AFTER_NUMBERED_WORDS}\d{{1,5}}[A-Za-z]? )"
    rf"(?:{_NAME} ){{1,3}}(?:{'|'.join(_STREET_KINDS)})"
    r"(?: (?:Suite|Apt\.?|Ste\.?|Unit|Flat) #?\w{1,6})?"
    rf", {_TOWN}(?![\w'-])"
    rf"(?:,? {_US_STATE} \d{{5}}(?:-\d{{4}})?\b|, {_UK_POSTCODE}\b)?"
)


Anchors = Callable[[str], Iterator[Span]]


def _near(
    anchors: Anchors, patterns: tuple[re.Pattern[str], ...], *, before: int, after: int
) -> Finder:
    """Matches of ``patterns`` searched only around the places ``anchors`` finds: from
    ``before`` characters before each to ``after`` characters after it.

    A pattern starting with a lookbehind is tried at every position of a text; an anchor of
    plain words (a street's kind, a state and its ZIP code) lets the regex engine skip to their
    first letters. Each window is searched once, from the end of the last match in it.
    """

    def find(text: str) -> Iterator[Span]:
        consumed = 0
        for hit_start, hit_end in anchors(text):
            if hit_end <= consumed:
                continue
            start, end = max(consumed, hit_start - before), min(len(text), hit_end + after)
            while start < end:
                found = [m for m in (p.search(text, start, end) for p in patterns) if m]
                if not found:
                    break
                match = min(found, key=lambda m: (m.start(), -m.end()))
                yield match.span()
                consumed = start = match.end()

    return find


def _any_case(words: tuple[str, ...]) -> list[str]:
    """``words`` in lower case, capitalised and in capitals, for an anchor: an IGNORECASE one
    would be tried at every position."""
    variants = {case(word) for word in words for case in (str.lower, str.capitalize, str.upper)}
    return sorted(variants, key=len, reverse=True)


def _by_first_character(words: Iterable[str], *, after: str = "") -> str:
    """An alternation of ``words`` (the first that matches wins) grouped by their first
    character: the regex engine skips to those characters, and at each tries only the words
    that start with it rather than all of them. ``after``: what must come before the words,
    looked back for from their first character."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(
        f"{re.escape(first)}{f'(?<={after}{re.escape(first)})' if after else ''}"
        f"(?:{'|'.join(rests)})"
        for first, rests in groups.items()
    )


def _spans(pattern: re.Pattern[str]) -> Anchors:
    return lambda text: (match.span() for match in pattern.finditer(text))


# Where a house number follows a street's ending, found from the "," or " " before its digit,
# and looked back from there for an ending's last character, then for the endings of each
# length at once.
_DE_NL_STREET_ANCHOR = re.compile(
    r"(?:,(?= \d)| (?=\d))(?i:"
    + f"(?<=[{''.join(sorted({re.escape(end[-1]) for end in _DE_NL_STREET_ENDINGS}))}][ ,])(?:"
    + "|".join(
        f"(?<=(?:{'|'.join(re.escape(ending) for ending in endings)})[ ,])"
        for endings in (
            [ending for ending in _DE_NL_STREET_ENDINGS if len(ending) == length]
            for length in sorted({len(ending) for ending in _DE_NL_STREET_ENDINGS})
        )
    )
    + "))"
)


def _de_nl_street_anchors(text: str) -> Iterator[Span]:
    """The places just after a street's ending, before a comma or space and a digit."""
    return ((match.start(), match.start()) for match in _DE_NL_STREET_ANCHOR.finditer(text))


_FR_STREET_ANCHOR = re.compile(rf"(?:{_by_first_character(_any_case(_FR_STREET_WORDS))})\b")
_FR_POSTAL_CODE = re.compile(r", \d{5} ")
_FR_STREET_WORDS_LOWER = tuple(word.lower() for word in _FR_STREET_WORDS)


def _fr_street_anchors(text: str) -> Iterator[Span]:
    """The kinds of French streets with a house number just before them or a postal code
    after them, which every French address with a number has; the kinds of most texts
    ("place", "route", "cours") have neither, and their windows are not searched.

    The kinds are looked for by str.find in the text in lower case, then read as the anchor
    reads them: a pattern of words starting with common letters is slower to scan for."""
    lowered = folded_once(text)
    places = set()
    for word in _FR_STREET_WORDS_LOWER:
        start = lowered.find(word)
        while start != -1:
            places.add(start)
            start = lowered.find(word, start + 1)
    for start in sorted(places):
        kind = _FR_STREET_ANCHOR.match(text, start)
        if not kind:
            continue
        end = kind.end()
        if _ANY_DIGIT.search(text, max(0, start - 12), start) or _FR_POSTAL_CODE.search(
            text, end, end + 160
        ):
            yield start, end


_ES_IT_STREET_ANCHOR = re.compile(_by_first_character(_ES_IT_STREET_WORDS))
# The comma between a street's kind (or its flat's number) and its city, looked back from
# for the kinds of each length at once: commas are few, and a street's many kinds start at
# most capitals.
_STREET_KIND_ANCHOR = re.compile(
    r",(?= (?:Mc|Mac|O')?[A-Z])(?:(?<=\d,)|"
    + "|".join(
        f"(?<=(?:{'|'.join(kind for kind in _STREET_KINDS if len(kind) == length)}),)"
        for length in sorted({len(kind) for kind in _STREET_KINDS})
    )
    + ")"
)
_STATE_ZIP_ANCHOR = re.compile(rf"(?:{_by_first_character(_US_STATES)})\s+\d{{5}}")


# The ", " and postal code that end a US or UK address: the address is looked for only in the
# 160 characters before one (its pattern starts with a lookbehind, which would be tried at
# every position of the text).
_US_UK_POSTCODE_ANCHOR = re.compile(rf", (?:{_US_STATE} \d{{5}}|{_UK_POSTCODE}\b|[AFD]PO )")


_ANY_DIGIT = re.compile(r"\d")
# A street's kind after a space, which every street address has: found at a few capitals, it
# lets texts without one pass by the pattern tried at each of their digits.
_SPACE = r"\s"
_STREET_SUFFIX_AFTER_SPACE = re.compile(
    rf"(?:{_by_first_character(_STREET_SUFFIXES, after=_SPACE)})\b"
)
# A kind after a space, or a line's start: patterns starting with a literal are scanned fast
# (a class of both, twice as slow).
_FR_NAMED_KIND_AFTER = {
    after: re.compile(rf"{after}(?:{'|'.join(_FR_NAMED_KINDS)}) ") for after in (" ", "\n")
}


def _find_fr_named_streets(text: str) -> Iterator[Span]:
    """French streets without a number, tried only where their kind is."""
    consumed = 0
    starts = sorted(
        kind.start() + 1
        for kind in itertools.chain(
            _FR_NAMED_KIND_AFTER[" "].finditer(text), _FR_NAMED_KIND_AFTER["\n"].finditer(text)
        )
    )
    for at in itertools.chain((0,) if text.startswith(_FR_NAMED_KINDS) else (), starts):
        if at >= consumed and (match := _FR_NAMED_STREET_CITY.match(text, at)):
            yield match.span()
            consumed = match.end()


_FIND = either(
    when(matches(_STREET_SUFFIX_AFTER_SPACE), finder(_STREET_ADDRESS, accept=_is_street_address)),
    _near(_spans(_US_UK_POSTCODE_ANCHOR), (_US_UK_ADDRESS,), before=160, after=20),
    _find_de_nl_addresses,
    _near(_spans(_STREET_KIND_ANCHOR), (_US_UK_STREET_CITY,), before=100, after=40),
    # A city and its state's ZIP code, found from the ZIP code.
    _near(_spans(_STATE_ZIP_ANCHOR), (_CITY_STATE_ZIP,), before=60, after=20),
    finder_at(_POSTCODE, _postcode_starts),
    # Streets found from their kind or ending: with or without a postal code.
    _near(_de_nl_street_anchors, (_DE_NL_STREET_CITY,), before=80, after=120),
    _near(_fr_street_anchors, (_FR_ADDRESS, _FR_STREET_CITY), before=12, after=160),
    _find_fr_named_streets,
    _near(
        _spans(_ES_IT_STREET_ANCHOR),
        (_ES_ADDRESS, _IT_ADDRESS, _ES_IT_STREET_CITY),
        before=0,
        after=200,
    ),
)


def find_addresses(text: str) -> Iterator[Span]:
    # Every other form has a house number or a postal code.
    return _FIND(text) if _ANY_DIGIT.search(text) else _find_fr_named_streets(text)
