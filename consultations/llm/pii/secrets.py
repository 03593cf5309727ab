"""Secrets, masked for good: keys, passwords, IBANs, national numbers, cards, SSNs, passports."""

from __future__ import annotations

import re
from collections.abc import Iterator

from consultations.llm.pii.finders import (
    FOLD_TO_ASCII,
    either,
    finder,
    has,
    has_digits,
    has_run,
    has_word,
    long_runs,
    when,
)
from consultations.llm.pii.kinds import Detector, EntityType, Span

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
    # The prefixes' first letters up front, so most positions fail one test, not every prefix.
    r"\b(?=[sgxrpAe])(?:(?P<openai>sk-)|(?P<github>gh[pousr]_)|(?P<github_pat>github_pat_)"
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
# "sk-" and ten characters: no key is shorter, and none holds a space, so only the runs without
# one that are this long are read.
_SHORTEST_KEY = 13


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
    runs = long_runs(text, _SHORTEST_KEY)
    for prefix in (prefix for run in runs for prefix in _KEY_PREFIX.finditer(text, *run)):
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


_API_KEY_LABEL_STARTS = (
    *("api", "access", "secret", "private", "client", "auth", "bearer", "refresh"),
    *("key", "token"),
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


def ascii_upper(text: str) -> str:
    """Upper case within A-Z, for the checksums of what an IGNORECASE pattern matched: str.upper
    leaves a Turkish İ or a Kelvin sign outside it."""
    return text.translate(FOLD_TO_ASCII).upper()


def _find_ibans(text: str) -> Iterator[Span]:
    # Searched by hand rather than with finditer: a candidate may run on into the next IBAN,
    # and the scan must resume where the valid one ends, not where the candidate does.
    pos = 0
    while match := _IBAN_CANDIDATE.search(text, pos):
        start = match.start()
        length = _IBAN_LENGTHS.get(match.group()[:2].upper())
        end = _end_after_n_alnum(text, start, length) if length else None
        if end is not None and not text[end : end + 1].isalnum():
            compact = ascii_upper(text[start:end].replace(" ", ""))
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
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_WORD_CHAR = re.compile(r"\w")
_CARD_DIGITS = range(13, 20)
_CARD_GROUP_DIGITS = 3


def _digit_runs(text: str, shortest: int) -> Iterator[list[Span]]:
    """The digit groups of each run of at least ``shortest`` characters.

    A run starts at a group after no letter, digit or "+" and ends at a group before no letter;
    a run that touches a word at either end loses that group instead, as ``\b``-like
    lookarounds would cut it. Most runs (years, amounts) are too short to be split at all.
    """
    for run in _DIGIT_RUN.finditer(text):
        if run.end() - run.start() >= shortest:
            groups = [group.span() for group in _DIGIT_GROUP.finditer(text, *run.span())]
            yield from _trimmed(text, groups)


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
    for groups in _digit_runs(text, _CARD_DIGITS[0]):
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
    # The excluded prefixes are checked behind the two letters, and only before a digit: most
    # pairs of letters in prose fail the digit first.
    r"\b[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z](?= ?\d)(?<!BG|GB|KN|NK|NT|TN|ZZ)"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    re.IGNORECASE,
)

# France's NIR: sex, year, month, department (2A and 2B are Corsica), commune, order, then a
# two-digit key that makes the number a multiple of 97.
_FR_NIR = re.compile(
    r"(?=[12])(?<![\w-])(?P<body>[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3})"
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
    code = ascii_upper(match.group())
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
SECRET_DETECTORS: tuple[Detector, ...] = (
    (
        EntityType.API_KEY,
        either(
            when(has("-----BEGIN "), finder(_PRIVATE_KEY_BLOCK)),
            when(has(*_API_KEY_PREFIXES), _find_prefixed_keys),
            when(
                has_word("key", "token", "secret", "bearer"),
                when(
                    has_run(20),
                    finder(_API_KEY_LABELLED, accept=_looks_random, starts=_API_KEY_LABEL_STARTS),
                ),
            ),
        ),
    ),
    (
        EntityType.PASSWORD,
        either(
            finder(_PASSWORD, starts=("pass", "pwd", "pin")),
            when(has("://"), _find_url_passwords),
        ),
    ),
    (EntityType.IBAN, when(has_digits(2), _find_ibans)),
    (
        EntityType.NATIONAL_ID,
        either(
            when(has_digits(6), finder(_UK_NINO)),
            when(has_digits(14), finder(_FR_NIR, accept=_is_fr_nir)),
            when(has_digits(7), finder(_ES_ID, accept=_is_es_id)),
            # Omocodia may leave a codice fiscale without a digit.
            finder(_IT_CODICE_FISCALE, accept=_is_codice_fiscale, within_runs=16),
            finder(_NL_BSN, accept=_is_nl_bsn, starts=("bsn", "burgerservice", "sofi")),
        ),
    ),
    (EntityType.CARD_NUMBER, when(has_digits(13), _find_cards)),
    (
        EntityType.SSN,
        either(
            when(has_digits(9), finder(_SSN)),
            finder(_SSN_LABELLED, starts=("ssn", "social")),
        ),
    ),
    (EntityType.PASSPORT, finder(_PASSPORT, starts=("passport",))),
)
