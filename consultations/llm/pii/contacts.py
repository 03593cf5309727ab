"""Ways to reach or tell a person: e-mail addresses, birth dates, IP addresses, phone numbers."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from consultations.llm.pii.finders import either, finder, has, has_digits, matches, when
from consultations.llm.pii.kinds import Span

# An address is found from the whole run of characters before its "@", read once; a pattern
# starting at each letter would read the run again after every "%" (which may begin one).
_EMAIL_LOCAL_RUN = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++(?=@)")
_EMAIL_START = re.compile(r"(?<![\w.+-])[A-Za-z0-9]")
_EMAIL_DOMAIN = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,}\b"
)


def _emails(text: str) -> Iterator[Span]:
    consumed = 0
    for run in _EMAIL_LOCAL_RUN.finditer(text):
        start = _EMAIL_START.search(text, max(run.start(), consumed), run.end())
        domain = _EMAIL_DOMAIN.match(text, run.end()) if start else None
        if start and domain:
            yield start.start(), domain.end()
            consumed = domain.end()


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}})"
)
_BIRTH_PLACE = r"\s+in\s+[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*,?"  # "born in Rome, on ..."


def _dob_pattern(place: str) -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:born(?:{place}\s+(?:on|in))?|d\.?o\.?b\b\.?|date\s+of\s+birth)"
        rf"(?:\s*[:-]\s*|\s+(?:is|was)\s+|\s+)(?P<value>{_DATE})\b",
        re.IGNORECASE,
    )


_DOB = _dob_pattern(rf"(?P<place>{_BIRTH_PLACE})?")
_DOB_WITHOUT_PLACE = _dob_pattern("")
_DOB_LABEL = re.compile(r"\b(?:born|d\.?o\.?b\b\.?|date\s+of\s+birth)", re.IGNORECASE)
_BORN_IN_WORDS = re.compile(r"born\s+in\s+[A-Z][\w'-]*+(?:\s+[A-Z][\w'-]*+)*+", re.IGNORECASE)


def _dobs(text: str) -> Iterator[Span]:
    """Birth dates after their label, reading the words of each birth place once.

    A birth place reads every word up to the first that starts otherwise (the date's digits)
    and then looks back for its "on" or "in". When none fits, none fits either for a "born in"
    further along the same words, which would read them again: that one is tried without a
    place.
    """
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


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?=\d)(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?!\.?\d)(?!\w)")
# "clause 14.2.1.3" and "version 1.2.0.4" have the shape of an address and are not one.
_NUMBERING_BEFORE = re.compile(
    r"(?:clauses?|sections?|§|para(?:graph)?s?|articles?|schedules?|rules?|version|v)\.?\s*$",
    re.IGNORECASE,
)
_IPV6_CANDIDATE = re.compile(
    r"(?=[0-9A-Fa-f]{0,4}:)(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
    r"(?![\w:]|\.\d)"
)


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
    r"(?<![\w+])(?:"
    # North American numbers first, so a number that follows one is not read into it; 001 is
    # +1 dialled from Europe.
    rf"(?:\+1|001)[ .-]?\(?\d{{3}}\)?[ .-]?\d{{3}}[ .-]?\d{{4}}{_EXTENSION}"
    r"|\+\d(?:[ .()-]{0,2}\d){7,14}"  # other international numbers: at most 15 digits (E.164)
    rf"|(?:1[ .-])?(?:\(\d{{3}}\)\s?|\d{{3}}[ .-])\d{{3}}[ .-]\d{{4}}{_EXTENSION}"  # US national
    r"|\(0\d{1,4}\)[ -]{0,2}\d(?:[ -]?\d){4,8}"  # European national, trunk code in brackets
    r"|0[1-9](?:[ .]\d{2}){4}"  # French national
    r"|0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}"  # UK national
    r"|0\d{2,5}[ /-]\d{4,8}"  # German national: area code, then the number in one group
    r")(?![\w-])"
)


def _is_phone(match: re.Match[str]) -> bool:
    number = match.group()
    # The European national forms are loose enough to need their digit count (10 or 11) checked.
    national = number.startswith(("0", "(0")) and not number.startswith("00")
    return not national or sum(char.isdigit() for char in number) in (10, 11)


find_emails = when(has("@"), _emails)
find_dobs = when(has_digits(4), _dobs)
# What every address holds, found from its ":" or "." by str's fast search: most texts with
# a colon (labels, times) or a digit have no two colons this close, or no octet between dots.
_TWO_COLONS = re.compile(r":[0-9A-Fa-f]{0,4}:")
_OCTET_BETWEEN_DOTS = re.compile(r"\.\d{1,3}\.")
find_ips = either(
    when(matches(_TWO_COLONS), finder(_IPV6_CANDIDATE, accept=_is_ipv6)),
    when(matches(_OCTET_BETWEEN_DOTS), finder(_IPV4, accept=_is_ipv4)),
)
find_phones = when(has_digits(7), finder(_PHONE, accept=_is_phone))
