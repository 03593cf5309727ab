"""Personal data scrubbing for everything that leaves the firm toward the LLM.

Secrets (card numbers, IBANs, SSNs, national identity numbers, passports, API keys, passwords)
are masked for good as ``[CARD_NUMBER]``, ``[IBAN]``...: nothing keeps the original. Identities
(the case's parties named by the caller, emails, phones, postal addresses, dates of birth, IP
addresses) become numbered placeholders such as ``<PERSON_1>``; the originals stay in the firm in
the mapping, and :func:`restore` puts them back into the model's answer.

Secrets are detected first, so a card number can never be mistaken for a phone number, and each
detector runs on the text the previous ones produced. Everything here is compiled regexes plus a
few checksums: no Django, no model, no network.

Every detector runs in time linear in its text, since any client chooses the text: a pattern's
unbounded parts are possessive or can only be entered from one start, and where a pattern would
read the same run again from each of its positions (digit groups, an e-mail's local part, a
key's body, a birth place's words), a small function reads the run once and checks the rest.
``tests/security/test_scrubber_linear_time.py`` holds every detector to it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class EntityType(StrEnum):
    CARD_NUMBER = "CARD_NUMBER"
    IBAN = "IBAN"
    SSN = "SSN"
    NATIONAL_ID = "NATIONAL_ID"
    PASSPORT = "PASSPORT"
    API_KEY = "API_KEY"
    PASSWORD = "PASSWORD"
    PERSON = "PERSON"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    ADDRESS = "ADDRESS"
    DOB = "DOB"
    IP = "IP"


SECRET_TYPES: frozenset[EntityType] = frozenset(
    {
        EntityType.CARD_NUMBER,
        EntityType.IBAN,
        EntityType.SSN,
        EntityType.NATIONAL_ID,
        EntityType.PASSPORT,
        EntityType.API_KEY,
        EntityType.PASSWORD,
    }
)

Span = tuple[int, int]
Finder = Callable[[str], Iterator[Span]]
Detector = tuple[EntityType, Finder]


def _finder(
    pattern: re.Pattern[str], *, accept: Callable[[re.Match[str]], bool] | None = None
) -> Finder:
    """Spans of a pattern's ``value`` group (or of the whole match) that ``accept`` agrees to."""
    group = "value" if "value" in pattern.groupindex else 0

    def find(text: str) -> Iterator[Span]:
        for match in pattern.finditer(text):
            if accept is None or accept(match):
                yield match.span(group)

    return find


# --- Hints: cheap tests that every text with a match passes ------------------------------
# A regex tries to match at each position of a text, so each detector costs tens of
# microseconds a kilobyte even where it finds nothing; most texts have no "@", no "passport"
# and often no digit, and str's substring search rules them out in a fraction of that time.

Hint = Callable[[str], bool]


def _when(hint: Hint, finder: Finder) -> Finder:
    """``finder``, run only on the texts that pass ``hint``."""

    def find(text: str) -> Iterator[Span]:
        return finder(text) if hint(text) else iter(())

    return find


def _has(*literals: str) -> Hint:
    """Texts containing one of ``literals``, exactly as written."""
    return lambda text: any(literal in text for literal in literals)


# The letters other than A-Z that an IGNORECASE pattern matches for an ASCII letter.
_FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _has_word(*words: str) -> Hint:
    """Texts containing one of ``words`` (lowercase ASCII) in any case, as an IGNORECASE
    pattern reads them."""

    def test(text: str) -> bool:
        folded = (text if text.isascii() else text.translate(_FOLD_TO_ASCII)).lower()
        return any(word in folded for word in words)

    return test


_ANY_DIGIT = re.compile(r"\d")


def _has_digits(count: int) -> Hint:
    """Texts with at least ``count`` digits, of any script as \\d reads them (the ASCII ones,
    nearly always there if any is, are counted first)."""

    def test(text: str) -> bool:
        ascii_digits = sum(text.count(digit) for digit in "0123456789")
        if ascii_digits >= count or text.isascii():
            return ascii_digits >= count
        return len(_ANY_DIGIT.findall(text)) >= count

    return test


def _has_run(length: int) -> Hint:
    """Texts with ``length`` characters in a row and no space among them."""
    return lambda text: any(len(word) >= length for word in text.split())


def _matches(pattern: re.Pattern[str]) -> Hint:
    return lambda text: pattern.search(text) is not None


def _either(*finders: Finder) -> Finder:
    """Several finders as one, in text order, so placeholders are numbered as values appear;
    of two overlapping spans the one starting first (then the longer) wins."""

    def find(text: str) -> Iterator[Span]:
        spans = sorted((span for f in finders for span in f(text)), key=lambda s: (s[0], -s[1]))
        covered = 0
        for start, end in spans:
            if start >= covered:
                yield start, end
                covered = end

    return find


# --- Secrets -------------------------------------------------------------------------------

_PRIVATE_KEY_BLOCK = re.compile(
    # An unterminated block (a paste cut short) is masked to the end rather than leaked.
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|.*)",
    re.DOTALL,
)

# Keys known by their prefix: OpenAI and Anthropic, GitHub, Slack, Stripe, AWS access key
# ids, Google, JSON Web Tokens. A key's body runs to the end of the run of characters it may
# hold and must not be followed by a word character. Every prefix in one such run reads to the
# same end, so each run is read once (``_RunEnds``), however many prefixes it holds.
_KEY_PREFIX = re.compile(
    r"\b(?:(?P<openai>sk-)|(?P<github>gh[pousr]_)|(?P<github_pat>github_pat_)"
    r"|(?P<slack>xox[abeprs]-)|(?P<stripe>[rsp]k_(?:live|test)_)"
    r"|(?P<fixed>(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[A-Za-z0-9_-]{35})(?![\w-])"
    r"|(?P<jwt>eyJ))"
)
_KEY_CHARS = re.compile(r"[A-Za-z0-9_-]*+")
# The shortest body after each prefix, and the characters it is made of.
_KEY_BODIES = {
    "openai": (10, _KEY_CHARS),
    "github": (20, re.compile(r"[A-Za-z0-9]*+")),
    "github_pat": (20, re.compile(r"[A-Za-z0-9_]*+")),
    "slack": (10, re.compile(r"[A-Za-z0-9-]*+")),
    "stripe": (16, re.compile(r"[A-Za-z0-9]*+")),
}
_WORD_OR_DASH = re.compile(r"[\w-]")


class _RunEnds:
    """Where a run of characters starting at a position ends, for positions that only grow:
    a position inside the last run read shares its end."""

    def __init__(self, text: str, chars: re.Pattern[str]) -> None:
        self._text, self._chars, self._end = text, chars, -1

    def __call__(self, at: int) -> int:
        if at >= self._end:
            self._end = self._chars.match(self._text, at).end()
        return self._end


def _find_prefixed_keys(text: str) -> Iterator[Span]:
    bodies = {
        name: (shortest, _RunEnds(text, chars)) for name, (shortest, chars) in _KEY_BODIES.items()
    }
    # The three segments of a token, each with its own reader, so each reads forward only.
    jwt = (_RunEnds(text, _KEY_CHARS), _RunEnds(text, _KEY_CHARS), _RunEnds(text, _KEY_CHARS))
    consumed = 0
    for prefix in _KEY_PREFIX.finditer(text):
        start, kind = prefix.start(), prefix.lastgroup
        if start < consumed:
            continue
        if kind == "fixed":
            end: int | None = prefix.end()
        elif kind == "jwt":
            end = _jwt_end(text, prefix.end(), jwt)
        else:
            shortest, run_end = bodies[kind]
            end = run_end(prefix.end())
            if end - prefix.end() < shortest or _WORD_OR_DASH.match(text, end):
                end = None
        if end is not None:
            yield start, end
            consumed = end


def _jwt_end(text: str, body: int, segments: tuple[_RunEnds, ...]) -> int | None:
    """Where the JSON Web Token whose header starts at ``body`` ends: three segments of ten or
    more characters joined by dots, then no word character."""
    end = body - 1
    for number, run_end in enumerate(segments):
        start = end + 1
        end = run_end(start)
        if end - start < 10 or (number < 2 and text[end : end + 1] != "."):
            return None
    return None if _WORD_OR_DASH.match(text, end) else end


_API_KEY_PREFIXES = (
    *("sk-", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox"),
    *("AIza", "k_live_", "k_test_", "eyJ"),
)

_API_KEY_LABELLED = re.compile(
    # Not \b: "aws_secret_access_key" ends in a label after an underscore.
    r"(?<![A-Za-z0-9])(?:(?:(?:api|access|secret|private|client|auth|bearer|refresh)[ _-]?)?"
    r"(?:key|token|secret)(?:[ _-]?id)?s?|bearer)\b"
    r"(?:\s*[:=]\s*|\s+is\s+|\s+)[\"']?"
    r"(?P<value>[A-Za-z0-9+/_\-.=]{19,}[A-Za-z0-9+/_\-=])",
    re.IGNORECASE,
)


def _looks_random(match: re.Match[str]) -> bool:
    # After "key"/"token" a long run of plain letters is prose; real keys mix in digits or
    # base64 punctuation.
    value = match["value"]
    return any(c.isalpha() for c in value) and any(c.isdigit() or c in "+/=" for c in value)


# Prose says "the password is required"; a secret after "is" is rarely one of these words.
_NOT_A_PASSWORD = (
    r"a|an|the|not|never|no|to|be|being|also|still|only|now|required|needed|mandatory|optional"
    r"|correct|incorrect|valid|invalid|wrong|missing|expired|changed|reset|stored|shared|known"
    r"|unknown|secret|confidential|protected|encrypted|hashed|case"
)
_PASSWORD = re.compile(
    r"\b(?:password|passwd|pwd|passcode|pass\s?phrase|pin(?:\s+code)?)s?"
    rf"(?:\s*[:=]\s*|\s+(?:is|was)\s+(?:set\s+to\s+)?(?!(?:{_NOT_A_PASSWORD})\b))"
    r"(?!\[[A-Z_]+\])"  # already masked as another secret
    # Sentence punctuation right after the value is left in place: the value is the word up to
    # its last other character (backtracking over the trailing punctuation only, so a word of
    # any length is read once).
    r"(?P<value>\"[^\"\n]+\"|'[^'\n]+'|\S(?:\S*[^\s.,;:)\]])?)(?=[.,;:)\]]*+(?:\s|$))",
    re.IGNORECASE,
)
# The password of a URL's user info: postgres://user:password@host/db. Found from its "://"
# and read back to the scheme, since a scheme pattern would start again at every letter of a
# long dotted word.
_URL_AFTER_SCHEME = re.compile(r"://[^\s:/@]++:(?P<value>[^\s/@]++)@")
_URL_SCHEME_START = re.compile(r"\b[A-Za-z]")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")


def _find_url_passwords(text: str) -> Iterator[Span]:
    consumed = 0
    for match in _URL_AFTER_SCHEME.finditer(text):
        scheme = match.start()
        # Each character is read back once: the scheme's characters stop at the previous "://".
        while scheme > consumed and text[scheme - 1] in _SCHEME_CHARS:
            scheme -= 1
        if _URL_SCHEME_START.search(text, scheme, match.start()):
            yield match.span("value")
            consumed = match.end()


# Lengths from the SWIFT IBAN registry: with the mod-97 checksum they tell an IBAN from a
# reference number, and they say where an IBAN ends when a word follows it.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}", re.IGNORECASE)


def _ascii_upper(text: str) -> str:
    """Upper case within A-Z, for the checksums of what an IGNORECASE pattern matched: str.upper
    leaves a Turkish İ or a Kelvin sign outside it."""
    return text.translate(_FOLD_TO_ASCII).upper()


def _find_ibans(text: str) -> Iterator[Span]:
    # Searched by hand rather than with finditer: a candidate may run on into the next IBAN,
    # and the scan must resume where the valid one ends, not where the candidate does.
    pos = 0
    while match := _IBAN_CANDIDATE.search(text, pos):
        start = match.start()
        length = _IBAN_LENGTHS.get(match.group()[:2].upper())
        end = _end_after_n_alnum(text, start, length) if length else None
        if end is not None and not text[end : end + 1].isalnum():
            compact = _ascii_upper(text[start:end].replace(" ", ""))
            if _iban_checksum_ok(compact):
                yield start, end
                pos = end
                continue
        pos = start + 1


def _end_after_n_alnum(text: str, start: int, count: int) -> int | None:
    seen = 0
    for index in range(start, len(text)):
        char = text[index]
        if char.isalnum():
            seen += 1
            if seen == count:
                return index + 1
        elif char != " ":
            return None
    return None


def _iban_checksum_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


# ISO/IEC 7812's major industry identifiers of payment cards: airlines (UATP), banking and
# finance (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). Petroleum,
# health, telecom and national numbers (7 to 9) are left alone: a long file or invoice number
# starting with 7 or 8 is no card.
_CARD_FIRST_DIGITS = "123456"

# A run of digit groups joined by single spaces or dashes; a leading "+" is a phone number.
_DIGIT_GROUP = re.compile(r"\d+")
_WORD_CHAR = re.compile(r"\w")
_CARD_DIGITS = range(13, 20)
_CARD_GROUP_DIGITS = 3


def _digit_runs(text: str) -> Iterator[list[Span]]:
    """The digit groups of each run, in one pass over the groups.

    A run starts at a group after no letter, digit or "+" and ends at a group before no letter;
    a run that touches a word at either end loses that group instead, as ``\b``-like
    lookarounds would cut it.
    """
    run: list[Span] = []
    for group in _DIGIT_GROUP.finditer(text):
        start, end = group.span()
        if run and start == run[-1][1] + 1 and text[start - 1] in " -":
            run.append((start, end))
            continue
        yield from _trimmed(text, run)
        run = [(start, end)]
    yield from _trimmed(text, run)


def _trimmed(text: str, run: list[Span]) -> Iterator[list[Span]]:
    if run and run[0][0] and (text[run[0][0] - 1] == "+" or _WORD_CHAR.match(text, run[0][0] - 1)):
        run = run[1:]
    if run and _WORD_CHAR.match(text, run[-1][1]):
        run = run[:-1]
    if run:
        yield run


def _find_cards(text: str) -> Iterator[Span]:
    """13-19 digit windows, on group boundaries, that start like a payment card and pass Luhn.

    Windows rather than whole runs, so a card next to a year or a quantity is still found. One
    pass from left to right: a window holds at most 19 digits, so at most 19 groups, and each
    group starts a bounded number of windows.
    """
    for groups in _digit_runs(text):
        first = 0
        while first < len(groups):
            last = _card_window_end(text, groups, first)
            if last is None:
                first += 1
                continue
            yield groups[first][0], groups[last][1]
            first = last + 1


def _card_window_end(text: str, groups: list[Span], first: int) -> int | None:
    """The last group of the longest card window starting at group ``first``, if any.

    Cards are printed in groups of 3+ digits, so a window of several groups stops before a
    shorter one (lists of small numbers are not cards), and at 19 digits: six groups at most.
    """
    widest, digits = first, groups[first][1] - groups[first][0]
    if digits < _CARD_GROUP_DIGITS:
        return None  # too short to be a card alone, or to start a grouped one
    while widest + 1 < len(groups):
        size = groups[widest + 1][1] - groups[widest + 1][0]
        if size < _CARD_GROUP_DIGITS or digits + size > _CARD_DIGITS[-1]:
            break
        widest, digits = widest + 1, digits + size
    if text[groups[first][0]] not in _CARD_FIRST_DIGITS:
        return None
    widest_digits = "".join(text[start:end] for start, end in groups[first : widest + 1])
    for last in range(widest, first - 1, -1):
        window = widest_digits[:digits]
        if len(window) in _CARD_DIGITS and _luhn_ok(window):
            return last
        digits -= groups[last][1] - groups[last][0]
    return None


# A digit in an even place from the right is doubled, and a two-digit result summed: 9 -> 18 -> 9.
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def _luhn_ok(digits: str) -> bool:
    if not digits.isascii():  # another script's digits, as \d reads them
        digits = "".join(str(int(char)) for char in digits)
    doubled = digits[-2::-2].translate(_LUHN_DOUBLED)
    return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0


# Areas 000, 666 and 9xx, group 00 and serial 0000 are never issued.
_SSN_SHAPE = r"(?!000|666|9\d\d)\d{3}[- ]?(?!00)\d{2}[- ]?(?!0000)\d{4}"
_SSN = re.compile(rf"(?<![\w-])(?=\d{{3}}-\d{{2}}-\d{{4}}){_SSN_SHAPE}(?![\w-])")
_SSN_LABELLED = re.compile(
    rf"\b(?:SSN|social\s+security\s+(?:number|no\.?))\s*(?:[:#]|is)?\s*(?P<value>{_SSN_SHAPE})\b",
    re.IGNORECASE,
)

# HMRC's prefix rules, except that Q is allowed: "QQ 12 34 56 C" is the specimen on forms and
# gets pasted as often as real numbers.
_UK_NINO = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    re.IGNORECASE,
)

# France's NIR: sex, year, month, department (2A and 2B are Corsica), commune, order, then a
# two-digit key that makes the number a multiple of 97.
_FR_NIR = re.compile(
    r"(?<![\w-])(?P<body>[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3})"
    r" ?(?P<key>\d{2})(?![\w-])",
    re.IGNORECASE,
)


def _is_fr_nir(match: re.Match[str]) -> bool:
    body = match["body"].replace(" ", "").upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(match["key"])


# Spain's DNI (eight digits) and NIE (X, Y or Z and seven digits), then a check letter.
_ES_ID = re.compile(
    r"(?<![\w-])(?P<number>[XYZ]-?\d{7}|\d{2}\.?\d{3}\.?\d{3})[ -]?(?P<letter>[A-Z])(?![\w-])",
    re.IGNORECASE,
)
_ES_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _is_es_id(match: re.Match[str]) -> bool:
    number = match["number"].upper().replace("-", "").replace(".", "")
    number = str("XYZ".index(number[0])) + number[1:] if number[0] in "XYZ" else number
    return _ES_LETTERS[int(number) % 23] == match["letter"].upper()


# Italy's codice fiscale: surname, name, birth date and place, then a check letter. Digits may
# be swapped for the letters LMNPQRSTUV when two people would share a code (omocodia).
_IT_DIGIT = "[0-9LMNPQRSTUV]"
_IT_CODICE_FISCALE = re.compile(
    rf"(?<![\w-])[A-Z]{{6}}{_IT_DIGIT}{{2}}[ABCDEHLMPRST]{_IT_DIGIT}{{2}}[A-Z]{_IT_DIGIT}{{3}}[A-Z]"
    r"(?![\w-])",
    re.IGNORECASE,
)
_IT_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3,
    6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
], strict=True))  # fmt: skip
_IT_EVEN = {char: int(char) if char.isdigit() else ord(char) - ord("A") for char in _IT_ODD}


def _is_codice_fiscale(match: re.Match[str]) -> bool:
    code = _ascii_upper(match.group())
    total = sum(
        _IT_ODD[char] if position % 2 == 0 else _IT_EVEN[char]
        for position, char in enumerate(code[:15])
    )
    return chr(ord("A") + total % 26) == code[15]


# The Netherlands' BSN: nine digits, only after its name (bare, it is any nine-digit number),
# that pass the "eleven test".
_NL_BSN = re.compile(
    r"\b(?:BSN|burgerservicenummer|sofi(?:nummer)?)\b\s*(?:[:#]|is)?\s*"
    r"(?P<value>\d{4}\.?\d{2}\.?\d{3})(?![\w-])",
    re.IGNORECASE,
)


def _is_nl_bsn(match: re.Match[str]) -> bool:
    digits = [int(char) for char in match["value"] if char.isdigit()]
    weighted = sum(
        digit * weight for digit, weight in zip(digits[:8], range(9, 1, -1), strict=True)
    )
    return (weighted - digits[8]) % 11 == 0


_PASSPORT = re.compile(
    r"\bpassport(?:\s+(?:no|nr|num|number)\b\.?|\s*#)?\s*(?:[:#]|is)?\s*"
    r"(?P<value>(?=[A-Z0-9]*\d)[A-Z0-9]{6,9})(?![A-Z0-9])",
    re.IGNORECASE,
)

# Keys first: they contain digit runs that would otherwise be read as cards or SSNs. National
# numbers, checksummed too, before cards: a French NIR has a card's length.
_SECRET_DETECTORS: tuple[Detector, ...] = (
    (
        EntityType.API_KEY,
        _either(
            _when(_has("-----BEGIN "), _finder(_PRIVATE_KEY_BLOCK)),
            _when(_has(*_API_KEY_PREFIXES), _find_prefixed_keys),
            _when(
                _has_word("key", "token", "secret", "bearer"),
                _when(_has_run(20), _finder(_API_KEY_LABELLED, accept=_looks_random)),
            ),
        ),
    ),
    (
        EntityType.PASSWORD,
        _either(
            _when(_has_word("pass", "pwd", "pin"), _finder(_PASSWORD)),
            _when(_has("://"), _find_url_passwords),
        ),
    ),
    (EntityType.IBAN, _when(_has_digits(2), _find_ibans)),
    (
        EntityType.NATIONAL_ID,
        _either(
            _when(_has_digits(6), _finder(_UK_NINO)),
            _when(_has_digits(14), _finder(_FR_NIR, accept=_is_fr_nir)),
            _when(_has_digits(7), _finder(_ES_ID, accept=_is_es_id)),
            # Omocodia may leave a codice fiscale without a digit.
            _when(_has_run(16), _finder(_IT_CODICE_FISCALE, accept=_is_codice_fiscale)),
            _when(_has_word("bsn", "burgerservice", "sofi"), _finder(_NL_BSN, accept=_is_nl_bsn)),
        ),
    ),
    (EntityType.CARD_NUMBER, _when(_has_digits(13), _find_cards)),
    (EntityType.SSN, _when(_has_digits(9), _either(_finder(_SSN), _finder(_SSN_LABELLED)))),
    (EntityType.PASSPORT, _when(_has_word("passport"), _finder(_PASSPORT))),
)


# --- Identities ----------------------------------------------------------------------------

# An address is found from the whole run of characters before its "@", read once; a pattern
# starting at each letter would read the run again after every "%" (which may begin one).
_EMAIL_LOCAL_RUN = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++(?=@)")
_EMAIL_START = re.compile(r"(?<![\w.+-])[A-Za-z0-9]")
_EMAIL_DOMAIN = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,}\b"
)


def _find_emails(text: str) -> Iterator[Span]:
    consumed = 0
    for run in _EMAIL_LOCAL_RUN.finditer(text):
        start = _EMAIL_START.search(text, max(run.start(), consumed), run.end())
        domain = _EMAIL_DOMAIN.match(text, run.end()) if start else None
        if start and domain:
            yield start.start(), domain.end()
            consumed = domain.end()


_TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lord|Lady|Judge|Justice"

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


def _find_dobs(text: str) -> Iterator[Span]:
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


_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl"
    r"|Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Mews|Gardens)"
)
_US_STATE = (
    r"(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE"
    r"|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
    r"|AS|GU|MP|PR|VI|FM|MH|PW|AA|AE|AP)"  # territories, and the armed forces' mail
)
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})"
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
_POSTCODE = re.compile(rf"\b{_UK_POSTCODE}\b")


def _is_street_address(match: re.Match[str]) -> bool:
    return not (match["suffix"] == "Court" and match["last"] in _COURTS)


# Addresses of any street name, anchored on what ends them: a city and a US state with its ZIP
# code or a UK postcode, or, in continental Europe, a street word (rue, Calle, Via) or a house
# number next to a postcode and a city.
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME = rf"[{_UPPER}][\w'.-]*"
_CITY_WORD = rf"[{_UPPER}][\w']*"  # no dot: the one after a city ends the sentence
_EU_CITY = rf"{_CITY_WORD}(?:[ -](?:[a-z]{{1,4}}[ -])?{_CITY_WORD}){{0,3}}"
_US_UK_ADDRESS = re.compile(
    r"(?<![\w,.-])(?:(?:Flat|Studio|Apartment|Unit) \w+, |\d{1,5}[A-Za-z]? )"
    rf"(?:{_NAME} ){{0,3}}{_NAME}"
    r"(?:,? (?:Suite|Apt\.?|Ste\.?|Unit|Flat) #?\w+)?"
    rf", {_CITY}, (?:{_US_STATE} \d{{5}}(?:-\d{{4}})?|{_UK_POSTCODE})\b"
    r"|\b(?:(?:Unit|PSC) \d+ Box \d+|(?:USNS|USNV|USS|USCGC) [A-Z]\w+), [AFD]PO A[AEP] \d{5}\b"
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
_DE_NL_START = re.compile(rf"(?<![\w-])[{_UPPER}]")
_NUMBERED_WORD = re.compile(rf"(?:{_NUMBERED_WORDS})\b")
_NAME_REST = re.compile(r"[\w'.-]*+")


def _find_de_nl_addresses(text: str) -> Iterator[Span]:
    """The addresses of ``_DE_NL_ADDRESS`` from its possible starts, reading each word once.

    A name may start inside a word, after an apostrophe or a dot, and every start in a word
    reads to the word's end and goes on the same way from there. So the first start of a word
    is tried whole; a later one only when the first failed on being a numbered word ("Art."),
    and then once: if that one fails too, so does every start after it in the word.
    """
    consumed = word_end = 0
    settled = False  # no later start in this word can match
    for candidate in _DE_NL_START.finditer(text):
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


_FR_ADDRESS = re.compile(
    r"(?<![\w-])(?:\d{1,4}(?: ?(?:bis|ter))?,? )?"
    r"(?i:rue|avenue|av\.|boulevard|bd|chemin|place|allée|impasse|quai|route|cours|square)\b"
    rf"[^,\n]{{1,40}}, \d{{5}} {_EU_CITY}"
)
_ES_ADDRESS = re.compile(
    r"(?<![\w-])(?:Calle|C/|Avenida|Avda\.|Paseo|Plaza|Camino|Callejón|Urbanización|Acceso"
    r"|Cañada|Pasaje|Pasadizo|Cuesta|Vial|Rambla|Ronda|Travesía|Glorieta|Carretera|Alameda"
    r"|Vía|Via)"
    rf"[^,\n]{{1,60}}?\d[^,\n]{{0,20}}, (?:{_EU_CITY}, \d{{5}}|\d{{5}} {_EU_CITY})"
)
_IT_ADDRESS = re.compile(
    r"(?<![\w-])(?:Via|Viale|Piazza|Piazzale|Corso|Vicolo|Largo|Borgo|Stretto|Rotonda|Canale"
    r"|Incrocio|Contrada|Strada|Lungomare|Salita|Località)"
    r"[^,\n]{1,40}?,? \d{1,4}[A-Za-z]?(?:/\w+)?(?: (?:Piano|Appartamento|Interno|Scala) \w+)?"
    rf",? \d{{5}},? {_EU_CITY}(?: \([A-Z]{{2}}\))?"
)


# What these addresses' postal codes look like, for texts that have none to be passed by.
_US_UK_ADDRESS_HINT = re.compile(rf", (?:{_US_STATE} \d{{5}}|{_UK_POSTCODE}\b|[AFD]PO )")
_DE_NL_ADDRESS_HINT = re.compile(r"\d, \d{4}")
_FIVE_DIGITS = re.compile(r"(?<!\d)\d{5}(?!\d)")

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


def _person_finder(known_names: Iterable[str]) -> Finder | None:
    """Full names anywhere, case-insensitively; a surname alone only after a title."""
    names = {" ".join(name.split()) for name in known_names}
    # Capitals as typed in a heading: "WEIß" is "WEISS", which ignoring case does not match.
    names |= {name.upper() for name in names}
    names.discard("")
    if not names:
        return None
    # "Mr Smith", and also "Mr van der Berg", "Ms Da Silva": every run of words that ends a
    # name, after its first.
    surnames = {
        " ".join(words[i:]) for words in map(str.split, names) for i in range(1, len(words))
    }

    def alternation(values: set[str]) -> str:
        # Longest first, so "Anna Maria Lopez" wins over "Anna Maria".
        ordered = sorted(values, key=len, reverse=True)
        return "|".join(r"\s+".join(map(re.escape, value.split())) for value in ordered)

    titled = rf"|(?:{_TITLES})\.?\s+(?P<surname>{alternation(surnames)})" if surnames else ""
    pattern = re.compile(rf"(?<!\w)(?:(?P<full>{alternation(names)}){titled})(?!\w)", re.IGNORECASE)

    def find(text: str) -> Iterator[Span]:
        for match in pattern.finditer(text):
            yield match.span("full") if match["full"] else match.span("surname")

    return find


@functools.lru_cache(maxsize=1024)
def _identity_detectors(known_names: frozenset[str]) -> tuple[Detector, ...]:
    # Kept per set of names (the caller's and a case's parties recur), the detectors holding
    # no state: building them costs more than scrubbing a question.
    # Emails before names and phones (they contain both); addresses before phones (house
    # numbers and ZIP codes are digits).
    person = _person_finder(known_names)
    return (
        (EntityType.EMAIL, _when(_has("@"), _find_emails)),
        *(((EntityType.PERSON, person),) if person else ()),
        (EntityType.DOB, _when(_has_digits(4), _find_dobs)),
        (
            EntityType.IP,
            _either(
                _when(_has(":"), _finder(_IPV6_CANDIDATE, accept=_is_ipv6)),
                _when(_has_digits(4), _finder(_IPV4, accept=_is_ipv4)),
            ),
        ),
        (
            EntityType.ADDRESS,
            # Every form below has a house number or a postal code.
            _when(
                _has_digits(1),
                _either(
                    _finder(_STREET_ADDRESS, accept=_is_street_address),
                    _when(_matches(_US_UK_ADDRESS_HINT), _finder(_US_UK_ADDRESS)),
                    _when(_matches(_DE_NL_ADDRESS_HINT), _find_de_nl_addresses),
                    _when(_matches(_FIVE_DIGITS), _finder(_FR_ADDRESS)),
                    _when(_matches(_FIVE_DIGITS), _finder(_ES_ADDRESS)),
                    _when(_matches(_FIVE_DIGITS), _finder(_IT_ADDRESS)),
                    _when(_matches(_STATE_ZIP), _finder(_CITY_STATE_ZIP)),
                    _finder(_POSTCODE),
                ),
            ),
        ),
        (EntityType.PHONE, _when(_has_digits(7), _finder(_PHONE, accept=_is_phone))),
    )


# --- Replacing and restoring ---------------------------------------------------------------


def _run(text: str, detectors: Iterable[Detector], token: Callable[[EntityType, str], str]) -> str:
    for kind, find in detectors:
        parts: list[str] = []
        cursor = 0
        for start, end in find(text):
            parts += [text[cursor:start], token(kind, text[start:end])]
            cursor = end
        if parts:
            text = "".join([*parts, text[cursor:]])
    return text


def _secret_token(kind: EntityType, value: str) -> str:
    return f"[{kind}]"


@dataclass
class Scrubbed:
    text: str
    mapping: dict[str, str]
    counts: dict[str, int]


class Scrubber:
    """One request's scrubbing state, so its message, context and history share numbering."""

    def __init__(self, *, known_names: Iterable[str] = ()) -> None:
        self._detectors = _SECRET_DETECTORS + _identity_detectors(frozenset(known_names))
        self._mapping: dict[str, str] = {}
        self._placeholders: dict[tuple[EntityType, str], str] = {}
        self._numbers: Counter[EntityType] = Counter()
        self._counts: Counter[str] = Counter()

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self._mapping)

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def scrub(self, text: str) -> str:
        return _run(text, self._detectors, self._token)

    def _token(self, kind: EntityType, value: str) -> str:
        self._counts[kind.value] += 1
        if kind in SECRET_TYPES:
            return _secret_token(kind, value)
        key = (kind, " ".join(value.casefold().split()))
        if key not in self._placeholders:
            self._numbers[kind] += 1
            placeholder = f"<{kind}_{self._numbers[kind]}>"
            self._placeholders[key] = placeholder
            self._mapping[placeholder] = value
        return self._placeholders[key]


def scrub(text: str, *, known_names: Iterable[str] = ()) -> Scrubbed:
    scrubber = Scrubber(known_names=known_names)
    scrubbed = scrubber.scrub(text)
    return Scrubbed(text=scrubbed, mapping=scrubber.mapping, counts=scrubber.counts)


_PLACEHOLDER = re.compile(
    rf"<(?:{'|'.join(kind for kind in EntityType if kind not in SECRET_TYPES)})_\d+>",
    re.IGNORECASE,
)


def restore(text: str, mapping: dict[str, str]) -> str:
    """Put the originals back; models sometimes change a placeholder's case, so case is ignored."""
    originals = {placeholder.upper(): value for placeholder, value in mapping.items()}
    return _PLACEHOLDER.sub(lambda m: originals.get(m.group().upper(), m.group()), text)


def unrestored_placeholders(text: str) -> list[str]:
    """Placeholders left after :func:`restore`: ones the model invented or mangled."""
    return list(dict.fromkeys(match.group() for match in _PLACEHOLDER.finditer(text)))


def mask_secrets(text: str) -> str:
    """Mask secrets only, for logs and records of text that is not sent to the model."""
    return _run(text, _SECRET_DETECTORS, _secret_token)
