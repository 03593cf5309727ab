"""Ways to reach or tell a person: e-mail addresses, birth dates, IP addresses, phone numbers."""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Iterator

import phonenumbers
from phonenumbers import PhoneMetadata, region_codes_for_country_code

from consultations.llm.pii.finders import either, folded, folded_once, has_digits
from consultations.llm.pii.kinds import Span

# The characters of an address's local part. Its run ends at the "@" and starts after the last
# character outside it, found by stripping the run from the text before the "@": a pattern
# starting with a lookbehind would be tried at every position of the text.
_LOCAL_PART_CHARS = string.ascii_letters + string.digits + "._%+-"
_EMAIL_START = re.compile(r"(?<![\w.+-])[A-Za-z0-9]")
_EMAIL_DOMAIN = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,}\b"
)


def find_emails(text: str) -> Iterator[Span]:
    """Addresses, each from the run of local-part characters before an "@".

    A local part has no "@", so its run starts after the previous one: each character is
    stripped once.
    """
    consumed = run_from = 0
    at = text.find("@")
    while at != -1:
        run_start = run_from + len(text[run_from:at].rstrip(_LOCAL_PART_CHARS))
        start = _EMAIL_START.search(text, max(run_start, consumed), at) if run_start < at else None
        domain = _EMAIL_DOMAIN.match(text, at) if start else None
        if start and domain:
            yield start.start(), domain.end()
            consumed = domain.end()
        run_from = at + 1
        at = text.find("@", run_from)


# Month names and their abbreviations in English, German, French, Dutch, Spanish and Italian,
# with and without their accents ("März", "Maerz", "février", "fevrier").
_MONTH_NAMES = (
    *("january", "february", "march", "april", "may", "june", "july", "august", "september"),
    *("october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug"),
    *("sep", "sept", "oct", "nov", "dec"),
    *("januar", "jänner", "februar", "märz", "maerz", "marz", "mai", "juni", "juli"),
    *("oktober", "dezember", "mär", "okt", "dez"),
    *("janvier", "février", "fevrier", "mars", "avril", "juin", "juillet", "août", "aout"),
    *("septembre", "octobre", "novembre", "décembre", "decembre", "janv", "févr", "fevr"),
    *("avr", "juil", "déc"),
    *("januari", "februari", "maart", "mei", "augustus", "mrt"),
    *("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre"),
    *("setiembre", "octubre", "noviembre", "diciembre", "ene", "abr", "ago", "dic"),
    *("gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre"),
    *("dicembre", "gen", "mag", "giu", "lug", "ott"),
)
# Longest first, so "marzo" is not read as "mar".
_MONTH = rf"(?:{'|'.join(sorted(set(_MONTH_NAMES), key=len, reverse=True))})\b\.?"
_YEAR = r"\d{4}"
# "3rd", "1er", "1st", "12.", "5º", "le 1er", "el 5 de".
_DAY = r"\d{1,2}(?:st|nd|rd|th|er|e|º|°|\.)?"
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[/.-] ?\d{1,2}[/.-] ?\d{2,4}"
    rf"|{_DAY}\s+(?:(?:of|de)\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}"
    rf"|{_MONTH}\s+(?:de\s+)?{_YEAR})"
)
# A birth's label in each language: "born", "DOB", "geboren am", "geb.", "Geburtsdatum",
# "né(e) le", "date de naissance", "geboren op", "geboortedatum", "nacido/a el", "fecha de
# nacimiento", "F. nac.", "nato il", "data di nascita".
_BORN = (
    # "né" and "nato" only before what introduces a date or a place: "ne" and "nato" are
    # parts and abbreviations of other words ("NATO in April 1949").
    # Grouped by first letter, so that at each of those letters (common ones) only the labels
    # starting with it are tried.
    r"b(?:orn|irth\s?date)"
    r"|g(?:eboren|eb\.|eburtsdatum|eburtstag|eboortedatum)"
    r"|n(?:[ée]e?(?:\(e\))?(?=\s*:|\s+(?:le|à|a|en)\s)|acid[oa](?:/a)?|aci[óo](?!\w)"
    r"|at[oa](?=\s*:|\s+(?:il|a)\s))"
    r"|d(?:\.?o\.?b\b\.?|ate\s+of\s+birth|ate\s+de\s+naissance|ata\s+di\s+nascita)"
    r"|f(?:echa\s+de\s+nacimiento|\.\s?(?:de\s+)?nac\.)"
)
# Words between a label and its date: "born on (the)", "geboren am", "né le", "geboren op",
# "nacido el (día)", "nato il", "born in" (a month and a year).
_ON = r"(?:\s+(?:on|in|am|le|op|el|il))?(?:\s+(?:the|d[ií]a))?"
# "born in Rome, on ...", "geboren in Köln am ...", "né à Lyon le ...", "geboren te Utrecht op
# ...", "nacido en Sevilla el ...", "nato a Roma il ...".
_BIRTH_PLACE = r"\s+(?:in|à|a|te|en)\s+[a-z][\w'-]*(?:\s+[a-z][\w'-]*)*,?"


def _dob_pattern(place: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<!\w)(?:{_BORN}){place}{_ON}"
        rf"(?:\s*[:-]\s*|\s+(?:is|was|ist|war|est|es|è)\s+|\s+)(?P<value>{_DATE})(?!\w)"
    )


_DOB = _dob_pattern(rf"(?P<place>{_BIRTH_PLACE})?")
_DOB_WITHOUT_PLACE = _dob_pattern("")
_DOB_LABEL = re.compile(_BORN)
_BORN_IN_WORDS = re.compile(
    rf"(?:{_BORN})\s+(?:in|à|a|te|en)\s+[a-z][\w'-]*+(?:\s+[a-z][\w'-]*+)*+"
)


# Every label of _BORN holds one of these (folded), or is "né" as _NE_LABEL reads it: a text
# with none has no birth date, and its labels' first letters, common ones, are not looked for.
_LABEL_PARTS = (
    *("born", "gebor", "geb.", "geburts", "geboo", "birth", "dob", "d.o", "do.b", "naissance"),
    *("nacid", "nació", "nacio", "nacimiento", "nac.", "nato", "nata", "nascita"),
)
# German and Dutch put the date before the participle: "ist am 3. Mai 1980 geboren", "is op
# 12-03-1980 in Utrecht geboren"; it is looked for in the words before each "geboren" a
# forward label did not read.
_DATE_BEFORE_BORN = re.compile(
    rf"(?<!\w)(?:am|op)\s+(?P<value>{_DATE})\s+(?:(?:in|te)\s+[\w'-]+\s+)?\Z"
)
_BEFORE_BORN = 40
_NE_LABEL = re.compile(r"n[ée]e?(?:\(e\))?(?=\s*:|\s+(?:le|à|a|en)\s)")


def find_dobs(text: str) -> Iterator[Span]:
    """Birth dates after their label, reading the words of each birth place once.

    The patterns read the text folded to lower case, where the labels' first letters are
    found quickly (see :func:`after_label`). A text without a label's letters is passed by
    (every date has four digits, so no count of them is needed).

    A birth place reads every word up to the first that starts otherwise (the date's digits)
    and then looks back for its "on" or "in". When none fits, none fits either for a "born in"
    further along the same words, which would read them again: that one is tried without a
    place.
    """
    text = folded_once(text)
    if not any(part in text for part in _LABEL_PARTS) and not _NE_LABEL.search(text):
        return
    consumed = placeless_until = 0
    for label in _DOB_LABEL.finditer(text):
        start = label.start()
        if start < consumed:
            continue
        pattern = _DOB_WITHOUT_PLACE if start < placeless_until else _DOB
        match = pattern.match(text, start)
        if pattern is _DOB and not (match and match["place"]):
            words = _BORN_IN_WORDS.match(text, start)
            placeless_until = words.end() if words else start
        if match:
            yield match.span("value")
            consumed = match.end()
        elif label.group() == "geboren":
            before = _DATE_BEFORE_BORN.search(text, max(consumed, start - _BEFORE_BORN), start)
            if before:
                yield before.span("value")
                consumed = label.end()


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?!\.?\d)(?!\w)")
# "clause 14.2.1.3" and "version 1.2.0.4" have the shape of an address and are not one.
_NUMBERING_BEFORE = re.compile(
    r"(?:clauses?|sections?|§|para(?:graph)?s?|articles?|schedules?|rules?|version|v)\.?\s*$",
    re.IGNORECASE,
)
_IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
    r"(?![\w:]|\.\d)"
)


_DOTTED_NUMBERS = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
# The first dot of four dotted numbers, and the first colon of an IPv6 address: patterns that
# start with a character rarer than a digit, which the regex engine skips to.
_FIRST_DOT = re.compile(r"\.(?=\d{1,3}\.\d{1,3}\.\d)")
_FIRST_COLON = re.compile(r":(?=[0-9A-Fa-f]{0,4}:)")


def _starts_before(
    anchors: re.Pattern[str], pattern: re.Pattern[str], text: str, *, reach: int, last: int
) -> Iterator[re.Match[str]]:
    """The matches ``pattern.finditer(text)`` would give, when each starts from ``reach`` to
    ``last`` characters before a place ``anchors`` finds.

    Only those starts are tried, each once, in order; a pattern starting with a digit or a
    lookbehind would be tried at every one of the text's many digits or positions.
    """
    start = 0
    for anchor in anchors.finditer(text):
        start = max(start, anchor.start() - reach)
        while start <= anchor.start() - last:
            match = pattern.match(text, start)
            if match:
                yield match
                start = match.end()
            else:
                start += 1


def _ipv4s(text: str) -> Iterator[Span]:
    # An address starts after no digit or dot, so never inside the dotted numbers before it.
    for hit in _starts_before(_FIRST_DOT, _DOTTED_NUMBERS, text, reach=3, last=1):
        match = _IPV4.match(text, hit.start())
        if match and _is_ipv4(match):
            yield match.span()


def _ipv6s(text: str) -> Iterator[Span]:
    for match in _starts_before(_FIRST_COLON, _IPV6_CANDIDATE, text, reach=4, last=0):
        if _is_ipv6(match):
            yield match.span()


def _is_ipv4(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 20) : match.start()]
    return not _NUMBERING_BEFORE.search(before)


def _is_ipv6(match: re.Match[str]) -> bool:
    candidate = match.group()
    if not any(char.isalnum() for char in candidate):
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


_EXTENSION = r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?"
_PHONE = re.compile(
    # The lookahead lets the regex engine skip to a number's first characters.
    # Not after other groups of digits: the end of a longer number.
    r"(?=[+(\d])(?<![\w+])(?<!\d[ ./-])(?:"
    # North American numbers first, so a number that follows one is not read into it; 001 is
    # +1 dialled from Europe.
    rf"(?:\+1|001)[ .-]?\(?\d{{3}}\)?[ .-]?\d{{3}}[ .-]?\d{{4}}{_EXTENSION}"
    # Other international numbers, after "+" or the "00" dialled from Europe: at most 15
    # digits (E.164); "+49 (0)30 1234567" too.
    r"|(?P<international>(?:\+|00(?=[1-9]))\d(?:[ ./()-]{0,2}\d){7,14})"
    rf"|(?:1[ .-])?(?:\(\d{{3}}\)\s?|\d{{3}}[ .-])\d{{3}}[ .-]\d{{4}}{_EXTENSION}"  # US national
    r"|(?P<national>\(0\d{1,4}\)[ -]{0,2}\d(?:[ -]?\d){4,8}"  # trunk code in brackets
    r"|0[1-9](?:[ .]\d{2}){4}"  # French: 01 42 68 53 00, 06.12.34.56.78
    r"|0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}"  # British: 020 7946 0958, 07700 900123
    r"|0\d{2,5} ?[/-] ?\d{3,8}|0\d{2,5} \d{4,8})"  # German: 030/1234567, 030 12345678
    # Spanish and Italian numbers have no trunk 0: 612 345 678, 91 123 45 67, 333 123 4567.
    r"|(?P<grouped>[3-9]\d{1,2}(?: \d{2,4}){2,3})"
    # A national number as one run of digits, like a reference number: told apart by the
    # words before it.
    r"|(?P<run>\d{9,12})"
    # Any other groups of digits ("612/324435", "030.800594", "02 1293 0458"): a number only
    # after a phone word.
    # Dates, amounts ("192.135"), numbers in fours (cards, accounts, parcels), IP addresses
    # and case numbers ("813/2022", "RG 24/88994") have their shape and are passed by here,
    # where it costs least.
    r"|(?!\d\d?(?P<sep_a>[./-])\d\d?(?P=sep_a)\d\d(?:\d\d)?(?![./-]?\d)"
    r"|\d{4}(?P<sep_b>[./-])\d\d?(?P=sep_b)\d\d?(?![./-]?\d)"
    r"|\d{1,3}[. ]\d{3}(?![./ -]?\d)|\d{4}(?P<sep_c>[ -])\d{4}(?P=sep_c)\d{4}"
    rf"|(?:{_OCTET}\.){{3}}{_OCTET}(?![.\d])|\d{{1,5}}/\d{{1,5}}(?![./ -]?\d))"
    r"(?P<loose>\d(?:[ ./-]?\d){5,14})"
    r")(?![\w-])"
)
# The regions whose numbers the firm's clients write, for numbers given without their country.
_REGIONS = ("GB", "DE", "FR", "NL", "ES", "IT", "BE", "AT", "CH", "US")
_GROUPED_REGIONS = ("ES", "IT")


def _national_shapes(region: str) -> tuple[str, tuple[tuple[frozenset[int], re.Pattern[str]], ...]]:
    """The country code of ``region`` and, for each region sharing it, the lengths and the
    pattern its metadata allows any valid national number (its general description)."""
    code = PhoneMetadata.metadata_for_region(region).country_code
    metadata = map(PhoneMetadata.metadata_for_region, region_codes_for_country_code(code))
    return str(code), tuple(
        (
            frozenset(each.general_desc.possible_length),
            re.compile(each.general_desc.national_number_pattern),
        )
        for each in metadata
    )


# A grouped number (digits and spaces, from 3 to 9) is parsed in a region without a national
# prefix as those very digits, unless it starts with the country code: phonenumbers then finds
# it valid only in those lengths and that shape. Parsing costs some 20 us a region; most
# grouped digits (dates, amounts, references) have neither.
_GROUPED_SHAPES = {
    region: _national_shapes(region)
    for region in _GROUPED_REGIONS
    if not PhoneMetadata.metadata_for_region(region).national_prefix_for_parsing
}


def _may_be_valid(number: str, region: str) -> bool:
    if region not in _GROUPED_SHAPES or not number.isascii():
        return True
    code, shapes = _GROUPED_SHAPES[region]
    digits = number.replace(" ", "")
    return digits.startswith(code) or any(
        (not lengths or len(digits) in lengths) and shape.fullmatch(digits)
        for lengths, shape in shapes
    )


# The nearest of these words before a number says whether it is a phone number or a
# reference, in the firm's languages, in lower case: whole words, and stems read with their
# endings ("llamarme", "chiamarmi", "erreichen", "rappeler", "terugbellen", "Reisepassnummer").
# "no", "nr" and "number" follow either kind of word ("Tel. Nr.", "Order no."): neither.
_PHONE_WORDS = frozenset(
    {"tel", "tél", "mobil", "mobile", "cell", "cellular", "cellulare", "fax", "text", "sms",
     "whatsapp", "handy", "mobilnummer", "rufnummer", "angerufen", "festnetz", "portable",
     "mobiel", "gebeld", "bellen", "belde", "belt", "bereikbaar", "móvil", "movil", "appeler",
     "appelez", "appelle", "appellez", "appelé", "appelée", "appelez-moi"}
)  # fmt: skip
# Not "appel": the "Cour d'appel"'s.
_PHONE_STEMS = (
    *("phon", "call", "dial", "reach", "contact", "kontakt", "telefon", "tele", "télé", "anruf"),
    *("rückruf", "ruckruf", "erreich", "rappel", "joindre", "joignable", "llam", "chiam"),
    *("richiam", "terugbel", "opbel", "reperibil"),
)
_REFERENCE_WORDS = frozenset(
    {"invoice", "order", "ref", "reference", "case", "claim", "file", "account", "acct",
     "customer", "contract", "policy", "ticket", "id", "rechnung", "bestellung", "auftrag",
     "aktenzeichen", "az", "zeichen", "kundennummer", "vertrag", "facture", "commande", "dossier",
     "référence", "contrat", "factuur", "bestelling", "referentie", "kenmerk", "zaak",
     "klantnummer", "factura", "pedido", "expediente", "referencia", "contrato", "fattura",
     "ordine", "pratica", "riferimento", "tracking", "sendungsnummer", "suivi", "seguimiento",
     "spedizione", "passport", "passeport", "pasaporte", "passaporto", "ssn", "social", "bsn",
     "burgerservicenummer", "tax", "iban", "konto", "compte", "cuenta", "conto", "rekening", "rg",
     "ruolo", "autos", "rolnummer"}
)  # fmt: skip
_REFERENCE_STEMS = ("reisepass", "paspoort", "steuer")
_LETTERS = re.compile(r"[^\W\d_]+")
_CONTEXT_BEFORE = 40


def _valid_in(number: str, regions: tuple[str, ...]) -> bool:
    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True
    return False


def _is_international(number: str) -> bool:
    """A number after "+" or "00" whose country code and length are possible."""
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse("+" + number.lstrip("+0")))
    except phonenumbers.NumberParseException:
        return False


def _context(text: str, start: int) -> str | None:
    """Whether the nearest telling word before ``start`` is a "phone" or a "reference" word.

    The words are read from the number backwards, skipping e-mail addresses ("tele2.fr",
    "dialloguy@"), and a first word the window cuts."""
    first = max(0, start - _CONTEXT_BEFORE)
    chunks = folded(text[first:start]).split()
    if first and chunks and not text[first - 1].isspace():
        del chunks[0]
    for chunk in reversed(chunks):
        if "@" in chunk:
            continue
        for word in reversed(_LETTERS.findall(chunk)):
            if word in _PHONE_WORDS or word.startswith(_PHONE_STEMS):
                return "phone"
            if word in _REFERENCE_WORDS or word.startswith(_REFERENCE_STEMS):
                return "reference"
    return None


def _is_dialable(number: str) -> bool:
    """Whether ``number``'s digits have a length some region's numbers have."""
    digits = "".join(filter(str.isdigit, number))
    return any(phonenumbers.is_possible_number_string(digits, region) for region in _REGIONS)


_SEPARATORS = " ./-"


def _among_digits(text: str, start: int, end: int) -> bool:
    """Whether the number from ``start`` to ``end`` follows other groups of digits, as the end
    of a reference, a tracking number or an account number does ("Reference 3845 086129
    6629"), or has decimals, as an amount does ("132 242,54 €"). (A year after a number is cut
    from it, not taken for more of it.)"""
    return (start >= 2 and text[start - 1] in _SEPARATORS and text[start - 2].isdigit()) or (
        text[end : end + 1] == "," and text[end + 1 : end + 2].isdigit()
    )


_LAST_GROUP = re.compile(r"[ ./()-]+\d+$")
# A year or a count after an international number may be read into it; a few groups are cut
# from its end before it is given up.
_GROUPS_TO_CUT = 2


# Every number has six digits or more, joined by what separates its groups (and an extension
# after them): the numbers are looked for only where such digits are.
_DIGIT_GROUPS = re.compile(r"\d(?:[\s+()./-]*+\d){5}(?:[\s+()./-]*+\d)*+")
# How far a number reads past its last group's digits: " ext. 12345" and the character after.
_EXTENSION_READ = 12


def _phone_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_PHONE.finditer(text)``, each searched in its digits' window.

    A number starts at its first digit or at the "+" or "(" before it, ends in its window or
    in an extension after it, and reads no further, so each window gives the matches of the
    whole text there; _PHONE would be tried at each of the text's digits, and more.
    """
    consumed = 0
    for digits in _DIGIT_GROUPS.finditer(text):
        start, end = max(consumed, digits.start() - 1), digits.end()
        while match := _PHONE.search(text, start, end + _EXTENSION_READ):
            if match.start() >= end:
                break
            yield match
            consumed = start = match.end()


def _phones(text: str) -> Iterator[Span]:
    for match in _phone_matches(text):
        start, end = match.span()
        number = match.group()
        if _among_digits(text, start, end):
            continue
        if match["international"]:
            # "00" starts reference numbers too ("Order reference 00539540967005").
            if number.startswith("00") and _context(text, start) == "reference":
                continue
            if length := _international_length(number):
                yield start, start + length
        elif _is_laid_out(match):
            yield start, end
        else:
            # Other shapes are told from references by the words before them.
            context = _context(text, start)
            if context == "phone":
                found = _is_dialable(number) and not _is_amount(text, start, end)
            else:
                found = context is None and (
                    _is_valid_national(match)
                    or (_alone_on_its_line(text, start, end) and _valid_in(number, _REGIONS))
                )
            if found:
                yield start, end


# A currency before or after an amount: "1.234.567 €", "EUR 1.234.567", "$1,234,567".
_CURRENCY_AFTER = re.compile(r" ?(?:€|\$|£|eur\b|euros?\b|usd\b|gbp\b|chf\b|dollars?\b)")
_CURRENCY_BEFORE = re.compile(r"(?:€|\$|£|eur|usd|gbp|chf) ?\Z")


def _is_amount(text: str, start: int, end: int) -> bool:
    """Whether the digits from ``start`` to ``end`` are an amount of money, after a phone word
    ("the phone bill came to 1.234.567 €")."""
    return bool(
        _CURRENCY_AFTER.match(folded(text[end : end + 8]))
        or _CURRENCY_BEFORE.search(folded(text[max(0, start - 4) : start]))
    )


def _alone_on_its_line(text: str, start: int, end: int) -> bool:
    """A number on a line of its own, as under a signature's name, needs no phone word."""
    return text[start - 1 : start] == "\n" and text[end : end + 1] in ("\n", "")


def _is_laid_out(match: re.Match[str]) -> bool:
    """A North American number, or a national number with its trunk 0 and 10 or 11 digits:
    laid out as only phone numbers are."""
    if match["national"]:
        return sum(char.isdigit() for char in match.group()) in (10, 11)
    return not (match["grouped"] or match["run"] or match["loose"])


def _is_valid_national(match: re.Match[str]) -> bool:
    """A grouped number valid in Spain or Italy, or a run of digits starting with a trunk 0
    and valid in a region (loose groups are numbers only after a phone word)."""
    number = match.group()
    if match["grouped"]:
        regions = tuple(region for region in _GROUPED_REGIONS if _may_be_valid(number, region))
        return _valid_in(number, regions)
    return bool(match["run"]) and number.startswith("0") and _valid_in(number, _REGIONS)


def _international_length(number: str) -> int:
    """The length of the number ``number`` starts with, or 0; a year or a count after it may
    be read into it, so a few groups are cut from its end before it is given up."""
    for _ in range(_GROUPS_TO_CUT + 1):
        if _is_international(number):
            return len(number)
        cut = _LAST_GROUP.search(number)
        if cut is None:
            break
        number = number[: cut.start()]
    return 0


_IPV4_OR_IPV6 = either(_ipv6s, _ipv4s)


def find_ips(text: str) -> Iterator[Span]:
    # IPv4 addresses come in order and apart, as either() would give them; a text without a
    # colon has no other. (No count of digits: the anchors find their dots and colons sooner.)
    return _IPV4_OR_IPV6(text) if ":" in text else _ipv4s(text)


_SEVEN_DIGITS = has_digits(7)


def find_phones(text: str) -> Iterator[Span]:
    # Seven digits are asked of a text's numbers together, once one is found.
    spans = list(_phones(text))
    return iter(spans if spans and _SEVEN_DIGITS(text) else ())
