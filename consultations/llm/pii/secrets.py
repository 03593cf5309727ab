"""Secrets, masked for good: keys, passwords, IBANs, national numbers, cards, SSNs, passports."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from stdnum import luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.iso7064 import mod_97_10
from stdnum.it import codicefiscale
from stdnum.nl import bsn

from consultations.llm.pii.finders import (
    FOLD_TO_ASCII,
    either,
    finder,
    finder_at,
    folded_once,
    has,
    matches_at,
    numbers,
    occurrences,
    per_text,
    when,
)
from consultations.llm.pii.kinds import Detector, EntityType, Finder, Span


def _folded_has(*words: str) -> Callable[[str], bool]:
    """Texts whose folded copy contains one of ``words``."""

    def test(text: str) -> bool:
        lower = folded_once(text)
        return any(word in lower for word in words)

    return test


def after_label(
    labels: re.Pattern[str],
    pattern: re.Pattern[str],
    *,
    starts: tuple[str, ...],
    accept: Callable[[re.Match[str]], bool] | None = None,
) -> Finder:
    """Spans of ``pattern``'s ``value`` group matched where ``labels`` finds a label, both read
    on the folded text and written in lower case; every label starts with one of ``starts``.

    The labels are looked for only where one of ``starts`` is (str.find), and ``pattern``
    checks the word boundary with a lookbehind. Labels inside the last value are skipped, so
    each character is read by one match.
    """

    def find(text: str) -> Iterator[Span]:
        lower = folded_once(text)
        candidates = occurrences(lower, starts)
        if not candidates:
            return iter(())
        spans = []
        consumed = 0
        for label in matches_at(labels, lower, candidates):
            if label.start() < consumed:
                continue
            match = pattern.match(lower, label.start())
            if match and (accept is None or accept(match)):
                spans.append(match.span("value"))
                consumed = match.end()
        return iter(spans)

    return find


_PRIVATE_KEY_BLOCK = re.compile(
    # An unterminated block (a paste cut short) is masked to the end rather than leaked.
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|.*)",
    re.DOTALL,
)

# Keys known by their prefix: OpenAI and Anthropic, GitHub, GitLab, Hugging Face, npm, Slack,
# Stripe, AWS access key ids, Google, SendGrid, Shopify, Twilio, JSON Web Tokens. A key's body
# runs to the end of the run of characters it may hold and must not be followed by a word
# character. Every prefix in one such run reads to the same end, so each run is read once
# (``_RunEnds``), however many prefixes it holds.
# The prefixes are found by str.find (``_KEY_STARTS``) and the pattern is tried there only.
_KEY_PREFIX = re.compile(
    r"\b(?:(?P<openai>sk-)|(?P<github>gh[pousr]_)|(?P<github_pat>github_pat_)"
    r"|(?P<gitlab>glpat-)|(?P<huggingface>hf_)|(?P<npm>npm_)"
    r"|(?P<slack>xox[abeprs]-)|(?P<stripe>[rsp]k_(?:live|test)_)"
    r"|(?P<fixed>(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[A-Za-z0-9_-]{35}"
    # SendGrid's id and secret; Shopify's access, shared-secret and partner tokens; Twilio's
    # API key and account ids.
    r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}|shp(?:at|ss|ca|pa)_[0-9a-fA-F]{32}"
    r"|(?:SK|AC)[0-9a-f]{32})(?![\w-])"
    r"|(?P<jwt>eyJ))"
)
_KEY_CHARS = re.compile(r"[A-Za-z0-9_-]*+")
# The shortest body after each prefix, and the characters it is made of.
_KEY_BODIES = {
    "openai": (10, _KEY_CHARS),
    "github": (20, re.compile(r"[A-Za-z0-9]*+")),
    "github_pat": (20, re.compile(r"[A-Za-z0-9_]*+")),
    "gitlab": (20, _KEY_CHARS),
    "huggingface": (30, re.compile(r"[A-Za-z0-9]*+")),
    "npm": (36, re.compile(r"[A-Za-z0-9]*+")),
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


# Where each prefix starts; the ones with an underscore are looked for only in a text that has
# one (a single character is found at memory speed).
_KEY_STARTS = ("sk-", "xox", "eyJ", "glpat-")
# The prefixes starting with a capital A or S, found in one scan that skips to those two
# letters: cheaper than a str.find for each.
_KEY_CAPITAL_STARTS = re.compile(r"A(?:KIA|SIA|Iza|C[0-9a-f])|S(?:K[0-9a-f]|G\.)")
_KEY_STARTS_UNDERSCORED = (
    *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk_", "rk_", "pk_"),
    *("hf_", "npm_", "shp"),
)


def _find_prefixed_keys(text: str) -> Iterator[Span]:
    starts = occurrences(text, _KEY_STARTS)
    capitals = [match.start() for match in _KEY_CAPITAL_STARTS.finditer(text)]
    if capitals:
        starts = sorted(starts + capitals)
    if "_" in text:
        starts = sorted(starts + occurrences(text, _KEY_STARTS_UNDERSCORED))
    if not starts:
        return
    bodies = {
        name: (shortest, _RunEnds(text, chars)) for name, (shortest, chars) in _KEY_BODIES.items()
    }
    # The three segments of a token, each with its own reader, so each reads forward only.
    jwt = (_RunEnds(text, _KEY_CHARS), _RunEnds(text, _KEY_CHARS), _RunEnds(text, _KEY_CHARS))
    consumed = 0
    for prefix in matches_at(_KEY_PREFIX, text, starts):
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


_API_KEY_LABELS = (
    r"(?:(?:api|access|secret|private|client|auth|bearer|refresh)[ _-]?)?"
    r"(?:key|token|secret)(?:[ _-]?id)?s?|bearer"
)
_API_KEY_LABEL_STARTS = (
    *("api", "access", "secret", "private", "client", "auth", "bearer", "refresh", "key", "token"),
)
# Every label holds one of these: a text without any has no labelled key.
_API_KEY_LABEL_WORDS = ("key", "token", "secret", "bearer")
_API_KEY_LABELLED = re.compile(
    # Not \b: "aws_secret_access_key" ends in a label after an underscore.
    rf"(?<![a-z0-9])(?:{_API_KEY_LABELS})\b"
    r"(?:\s*[:=]\s*|\s+is\s+|\s+)[\"']?"
    r"(?P<value>[a-z0-9+/_\-.=]{19,}[a-z0-9+/_\-=])"
)


def _looks_random(match: re.Match[str]) -> bool:
    # After "key"/"token" a long run of plain letters is prose; real keys mix in digits or
    # base64 punctuation.
    value = match["value"]
    return any(c.isalpha() for c in value) and any(c.isdigit() or c in "+/=" for c in value)


# Labels of a password in the firm's languages: English, German, French, Dutch, Spanish,
# Italian. "clave" and "PIN" are words of prose too, but a value must follow them.
_PIN_LABELS = (
    r"pin(?:[\s-]?(?:code|number)|-?nummer)?|geheimzahl|code\s+pin|c[oó]digo\s+pin|codice\s+pin"
)
_PASSWORD_LABELS = (
    rf"password|passwd|pwd|passcode|pass\s?phrase|{_PIN_LABELS}"
    r"|passwort|kennwort|zugangscode"
    r"|mot\s+de\s+passe|code\s+(?:secret|d'acc[eè]s)|phrase\s+secr[eè]te"
    r"|wachtwoord|wachtzin|toegangscode"
    r"|contrase[nñ]a|clave(?:\s+de\s+acceso)?"
    r"|parola\s+d'ordine|frase\s+(?:segreta|de\s+paso)"
)
# Short forms, taken only before a colon or "=": "pw: X", "ww: X" (wachtwoord), "mdp : X".
_PASSWORD_ABBREVIATIONS = r"pw|ww|mdp"
_PASSWORD_LABEL_STARTS = (
    *("pass", "pw", "pin", "kennwort", "zugangscode", "geheimzahl", "mot", "cod", "cód"),
    *("phrase", "wacht", "toegangscode", "contrase", "clave", "parola", "frase", "ww", "mdp"),
)
# "the password is X", "das Passwort ist X", "le mot de passe est X", "la contraseña es X".
_PASSWORD_VERBS = r"is|was|ist|war|lautet|est|[ée]tait|es|era|è"
# Prose says "the password is required", "das Passwort ist falsch", "la contraseña es
# obligatoria": a secret after the verb is rarely one of these words.
_NOT_A_PASSWORD = (
    r"a|an|the|not|never|no|to|be|being|also|still|only|now|required|needed|mandatory|optional"
    r"|correct|incorrect|valid|invalid|wrong|missing|expired|changed|reset|stored|shared|known"
    r"|unknown|secret|confidential|protected|encrypted|hashed|case|that|too|very|empty|new"
    r"|nicht|kein|keine|ein|eine|der|die|das|falsch|richtig|korrekt|erforderlich|notwendig"
    r"|n[öo]tig|abgelaufen|ge[äa]ndert|gesperrt|geheim|bekannt|unbekannt|g[üu]ltig|ung[üu]ltig"
    r"|vergessen|zu|leer|noch|schon|auch|sicher|neu|dass"
    r"|pas|ne|un|une|le|la|les|requis|obligatoire|n[ée]cessaire|invalide|valide|expir[ée]"
    r"|faux|erron[ée]|chang[ée]|modifi[ée]|oubli[ée]|confidentiel|vide|trop|toujours|aussi"
    r"|d[ée]j[àa]|que"
    r"|niet|geen|een|het|de|verplicht|vereist|nodig|onjuist|juist|fout|verkeerd|ongeldig"
    r"|geldig|verlopen|gewijzigd|bekend|onbekend|te|ook|nog|al|dat"
    r"|el|los|las|obligatori[ao]|necesari[ao]|requerid[ao]|incorrect[ao]|correct[ao]"
    r"|inv[áa]lid[ao]|v[áa]lid[ao]|err[óo]ne[ao]|caducad[ao]|cambiad[ao]|secret[ao]"
    r"|confidencial|muy|demasiado|tambi[ée]n|ya|nueva|nuevo"
    r"|non|il|lo|obbligatori[ao]|necessari[ao]|richiest[ao]|errat[ao]|sbagliat[ao]|corrett[ao]"
    r"|scadut[ao]|cambiat[ao]|segret[ao]|troppo|anche|gi[àa]|che"
)
# Bounded: a quote that is never closed would otherwise be read to the end of the line from
# each label before it.
_QUOTED = r"\"[^\"\n]{1,100}\"|'[^'\n]{1,100}'|„[^“”\n]{1,100}[“”]|“[^”\n]{1,100}”|«[^»\n]{1,100}»"
# A passphrase is words: after its label and a colon, it runs to the end of its sentence or
# line, within 100 characters (past that, only its first word is taken, as for a password).
_PASSPHRASE_LABELS = r"pass\s?phrase|phrase\s+secr[eè]te|wachtzin|frase\s+(?:segreta|de\s+paso)"
_PASSPHRASE = r"[^\s\"'„“«\[][^\n]{0,99}?(?=[.!?;](?:\s|$)|\n|$)"
# A prose word, not a password, after the verb: followed by a space, sentence punctuation or
# the end ("is a^7W&#t" holds a password starting with "a").
_NO_PROSE_WORD = rf"(?!(?:{_NOT_A_PASSWORD})(?:[\s.,;:!?]|$))"
_PASSWORD = re.compile(
    rf"(?<!\w)(?:"
    # A passphrase label and a colon: the value is ``_PASSPHRASE``; where that does not fit, the
    # forms below read the label as a password's.
    rf"(?P<phrase>(?:{_PASSPHRASE_LABELS})s?\s*[:=][^\S\n]*+)"
    r"|"
    # "PIN 4711", "Meine PIN 4711 stand…": a PIN label needs no colon before a PIN's digits.
    rf"(?:{_PIN_LABELS})s?\s+(?=\d{{4,8}}(?!\w))"
    rf"|(?:{_PASSWORD_ABBREVIATIONS})\s*[:=]\s*"
    rf"|(?:{_PASSWORD_LABELS})s?"
    rf"(?:\s*[:=]\s*|\s+(?:{_PASSWORD_VERBS})\s+(?:set\s+to\s+)?{_NO_PROSE_WORD}"
    # "the password for the shared drive was X", "das Passwort für das Laufwerk war X": up to
    # six words between the label and its verb (each read once: they hold no space).
    rf"|(?P<words>(?:\s+[\w'\u2019-]++){{1,6}}?)\s+(?:{_PASSWORD_VERBS})\s+{_NO_PROSE_WORD}"
    r"|\s+(?=[\"'„“«])))"
    r"(?!\[[a-z_]+\])"  # already masked as another secret
    # Sentence punctuation right after the value is left in place: the value is the word up to
    # its last other character (backtracking over the trailing punctuation only, so a word of
    # any length is read once). A closing parenthesis is a character of a value that holds
    # symbols ("9)f4Q@rP)"); after letters and digits, ``_own_parenthesis`` decides.
    rf"(?P<value>(?(phrase){_PASSPHRASE}"
    rf"|(?:{_QUOTED}|[^\W_]++(?=[.,;:)\]]*+(?:\s|$))|\S(?:\S*[^\s.,;:\]])?)"
    r"(?=[.,;:)\]]*+(?:\s|$))))"
)


def _is_password(match: re.Match[str]) -> bool:
    """A value read after words that follow the label ("the password for the drive was X")
    is taken when it looks like a secret, not like the prose word of "the password for the
    account was reset": four characters or more, not all of them letters."""
    value = match["value"]
    return match["words"] is None or (len(value) >= 4 and not value.isalpha())


# How far back on its line an opening parenthesis is looked for.
_PARENTHESIS_REACH = 200


def _own_parenthesis(find: Finder) -> Finder:
    """``find``'s spans, a value of letters and digits taking in the ")" right after it unless
    a "(" left open before it on its line: "(password: hunter2)" closes a parenthesis of the
    prose, "password: Tr0ub4dor)" ends in its own."""

    def spans(text: str) -> Iterator[Span]:
        for start, end in find(text):
            if text[end : end + 1] == ")" and text[start:end].isalnum():
                line = max(text.rfind("\n", 0, start) + 1, start - _PARENTHESIS_REACH)
                if text.rfind("(", line, start) <= text.rfind(")", line, start):
                    end += 1
            yield start, end

    return spans


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


# The shortest number any format but an IBAN's or a codice fiscale's ends in (a NINO's or a
# NIR's six digits); those two start theirs right after a letter.
_LONG_NUMBER = 6


class _Numbers(NamedTuple):
    after_letters: list[int]  # where the numbers right after two letters start (IBANs')
    long: list[Span]  # the numbers of _LONG_NUMBER characters or more


def _sorted_numbers(text: str) -> _Numbers:
    spans = numbers(text)
    return _Numbers(
        after_letters=[start for start, _ in spans if _after_letters(text, start, 2)],
        long=[span for span in spans if span[1] - span[0] >= _LONG_NUMBER],
    )


_numbers = per_text(_sorted_numbers)


def _after_letters(text: str, at: int, count: int) -> bool:
    """Whether the ``count`` characters before ``at`` are letters (of any script: a superset
    of what an IGNORECASE [A-Z] matches)."""
    return at >= count and text[at - count : at].isalpha()


def _before_letter(text: str, at: int) -> bool:
    """Whether a letter comes at ``at``, or after a space or a dash there: where a check
    letter follows a number."""
    if text[at : at + 1] in " -":
        at += 1
    return text[at : at + 1].isalpha()


_SPACE_OR_DOT = re.compile(r"[ .]")


def _group_starts(text: str, number: Span, shortest: int) -> Iterator[int]:
    """Where a format of ``shortest`` characters or more, made of ``number``'s digits and
    starting after no word character or dash, could start: at the number, or at a group after
    a space or a dot in it."""
    start, end = number
    if end - start >= shortest:
        yield start
        for separator in _SPACE_OR_DOT.finditer(text, start, end - shortest):
            yield separator.end()


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
    # Not with finditer: a candidate may run on into the next IBAN, and the scan must resume
    # where the valid one ends, not where the candidate does. Its check digits start a number.
    pos = 0
    for number in _numbers(text).after_letters:
        start = number - 2
        if start < pos:
            continue
        match = _IBAN_CANDIDATE.match(text, start)
        if not match:
            continue
        body = _IBAN_BODIES.get(match.group()[:2].upper())
        iban = body.match(text, start) if body else None
        if (
            iban is not None
            and not text[iban.end() : iban.end() + 1].isalnum()
            and _iban_checksum_ok(ascii_upper(iban.group().replace(" ", "")))
        ):
            yield iban.span()
            pos = iban.end()


def _iban_checksum_ok(compact: str) -> bool:
    # ISO 7064's mod 97-10 of the number with its country and check digits moved to the end;
    # stdnum's iban.is_valid also checks each country's layout, at five times the cost, where
    # the length and the checksum already tell an IBAN from a reference.
    return mod_97_10.is_valid(compact[4:] + compact[:4])


# An IBAN of its country's length: letters and digits (``[^\W_]`` is what str.isalnum
# accepts), each after any number of spaces.
_IBAN_BODIES = {
    country: re.compile(rf"(?: *+[^\W_]){{{length}}}") for country, length in _IBAN_LENGTHS.items()
}


# Payment cards by ISO/IEC 7812 issuer range, and the lengths each brand issues: UATP (and
# JCB's old 1800 and 2131) 15 digits, Mir, Mastercard, Diners, Amex, JCB, Visa, the sixes of
# Discover, UnionPay and others, and Maestro, whose cards run from 12 to 19 digits (50,
# 56-58, 6304, 6390, 67 and the 0604 of older issuer tables): twelve digits are taken only
# there, as many references and invoice numbers have as many. Petroleum, health, telecom and
# national numbers (7 to 9) are no cards: a long file or invoice number starting with 7 or 8
# is left alone.
_MAESTRO = frozenset(range(12, 20))
_SIXTEEN_TO_NINETEEN = frozenset(range(16, 20))
_CARD_ISSUERS: dict[str, frozenset[int]] = {
    "1": frozenset({15}),
    "2131": frozenset({15}),
    **dict.fromkeys(("2200", "2201", "2202", "2203", "2204"), _SIXTEEN_TO_NINETEEN),
    **dict.fromkeys(
        (*(f"222{d}" for d in "123456789"), *(f"22{d}" for d in "3456789"), "23", "24", "25"),
        frozenset({16}),
    ),
    **dict.fromkeys(("26", "270", "271", "2720", "51", "52", "53", "54", "55"), frozenset({16})),
    **dict.fromkeys(
        ("300", "301", "302", "303", "304", "305", "3095", "36", "38", "39"),
        frozenset(range(14, 20)),
    ),
    **dict.fromkeys(("34", "37"), frozenset({15})),
    "35": _SIXTEEN_TO_NINETEEN,
    "4": frozenset({13, 16, 19}),
    # Discover, UnionPay, RuPay, InstaPayment and the rest of the sixes.
    "6": _SIXTEEN_TO_NINETEEN,
    **dict.fromkeys(("50", "56", "57", "58", "6304", "6390", "67", "0604"), _MAESTRO),
}
_NO_CARD: frozenset[int] = frozenset()


def _card_lengths(digits: str) -> frozenset[int]:
    """The lengths of the cards whose number starts with ``digits`` (ASCII), by the longest
    issuer prefix they start with."""
    for size in (4, 3, 2, 1):
        lengths = _CARD_ISSUERS.get(digits[:size])
        if lengths is not None:
            return lengths
    return _NO_CARD


_CARD_FIRST_DIGITS = "".join(sorted({prefix[0] for prefix in _CARD_ISSUERS}))

# A run of digit groups joined by single spaces or dashes; a leading "+" is a phone number.
_DIGIT_GROUP = re.compile(r"\d+")
_WORD_CHAR = re.compile(r"\w")
_CARD_MOST_DIGITS = 19
_CARD_GROUP_DIGITS = 3


def _digit_runs(text: str, number: Span) -> Iterator[list[Span]]:
    """The digit groups of each run of ``number``, in one pass over the groups.

    A run starts at a group after no letter, digit or "+" and ends at a group before no letter;
    a run after a "+" (a phone number's country code) loses that group, one that touches a
    word at its end loses its last, and one that goes on from a word ("FR76 3000…", "INV2024
    5500…") is the tail of a code, no card.
    """
    run: list[Span] = []
    for group in _DIGIT_GROUP.finditer(text, *number):
        start, end = group.span()
        if run and start == run[-1][1] + 1 and text[start - 1] in " -":
            run.append((start, end))
            continue
        yield from _trimmed(text, run)
        run = [(start, end)]
    yield from _trimmed(text, run)


def _trimmed(text: str, run: list[Span]) -> Iterator[list[Span]]:
    if run and run[0][0]:
        if text[run[0][0] - 1] == "+":
            run = run[1:]
        elif _WORD_CHAR.match(text, run[0][0] - 1):
            return
    if run and _WORD_CHAR.match(text, run[-1][1]):
        run = run[:-1]
    if run:
        yield run


def _find_cards(text: str) -> Iterator[Span]:
    """12-19 digit windows, on group boundaries, that start like a payment card, have one of
    its brand's lengths and pass Luhn.

    Windows rather than whole runs, so a card next to a year or a quantity is still found. One
    pass from left to right: a window holds at most 19 digits, so at most 19 groups, and each
    group starts a bounded number of windows.
    """
    for number in _numbers(text).long:
        if _CARD_WINDOW.search(text, *number):
            yield from _cards_in(text, number)


# What every card window holds: a group of three digits or more that starts like a card, and
# twelve digits in all, with single spaces or dashes between them. Most long numbers (phone
# numbers, dates, references) have none, and are passed over without reading their groups.
_CARD_WINDOW = re.compile(rf"[{_CARD_FIRST_DIGITS}]\d\d(?:[ -]?\d){{9}}")


def _cards_in(text: str, number: Span) -> Iterator[Span]:
    for groups in _digit_runs(text, number):
        if _card_shaped(text, groups):
            # A whole run of a card's shape that fails Luhn is a reference or a mistyped card,
            # not a card with a few digits around it: none of its windows is taken.
            if _card_window_end(text, groups, 0) == len(groups) - 1:
                yield groups[0][0], groups[-1][1]
            continue
        first = 0
        while first < len(groups):
            last = _card_window_end(text, groups, first)
            if last is None:
                first += 1
                continue
            yield groups[first][0], groups[last][1]
            first = last + 1


def _card_shaped(text: str, groups: list[Span]) -> bool:
    """Whether a run is printed as one card: groups of three digits or more, as many digits
    as its issuer's cards have."""
    if len(groups) > _CARD_MOST_DIGITS // _CARD_GROUP_DIGITS:
        return False
    if any(end - start < _CARD_GROUP_DIGITS for start, end in groups):
        return False
    digits = sum(end - start for start, end in groups)
    start = groups[0][0]
    return digits in _card_lengths(_ascii_digits(text[start : start + 4]))


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
        if size < _CARD_GROUP_DIGITS or digits + size > _CARD_MOST_DIGITS:
            break
        widest, digits = widest + 1, digits + size
    if text[groups[first][0]] not in _CARD_FIRST_DIGITS:
        return None
    widest_digits = _ascii_digits(
        "".join(text[start:end] for start, end in groups[first : widest + 1])
    )
    lengths = _card_lengths(widest_digits)
    for last in range(widest, first - 1, -1):
        window = widest_digits[:digits]
        if digits in lengths and luhn.is_valid(window):
            return last
        digits -= groups[last][1] - groups[last][0]
    return None


def _ascii_digits(digits: str) -> str:
    """``digits`` of any script, as \\d reads them, written 0-9."""
    if digits.isascii():
        return digits
    return "".join(str(int(char)) if char.isdigit() else char for char in digits)


# Areas 000, 666 and 9xx, group 00 and serial 0000 are never issued.
_SSN_SHAPE = r"(?!000|666|9\d\d)\d{3}[- ]?(?!00)\d{2}[- ]?(?!0000)\d{4}"
_SSN = re.compile(rf"(?<![\w-])(?=\d{{3}}-\d{{2}}-\d{{4}}){_SSN_SHAPE}(?![\w-])")
# Its first dash, a rare character the regex engine skips to.
_SSN_FIRST_DASH = re.compile(r"-(?=\d\d-\d)")


def _ssn_starts(text: str) -> list[int]:
    return [dash.start() - 3 for dash in _SSN_FIRST_DASH.finditer(text, 3)]


# After its label, an SSN may be written without dashes, or with spaces.
_SSN_LABELS = r"ssn|ss\s?#|social\s+security(?:\s+(?:number|no\b\.?|#))?"
_SSN_LABEL_STARTS = ("ss", "social")
_SSN_LABELLED = re.compile(
    rf"(?<!\w)(?:{_SSN_LABELS})\)?"
    # "Social Security number of Jane Roe: 078 05 1120": up to four words (each read once: they
    # hold no space), then a colon or "is".
    r"(?:(?:\s+[\w'\u2019.-]++){1,4}?(?:\s*[:#]\s*|\s+(?:is|was)\s+)"
    r"|\s*[:#]\s*|\s+(?:is|was)\s+|\s*)"
    rf"(?P<value>{_SSN_SHAPE})\b"
)

# HMRC's prefix rules, except that Q is allowed: "QQ 12 34 56 C" is the specimen on forms and
# gets pasted as often as real numbers.
_UK_NINO = re.compile(
    r"(?=[A-Za-z])\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
    re.IGNORECASE,
)


def _nino_starts(text: str) -> list[int]:
    # Two letters and a space or none, then six digits in pairs that are the whole number,
    # then a space or none and a letter.
    starts = []
    for start, end in _numbers(text).long:
        if end - start > _LONG_NUMBER + 2 or not _before_letter(text, end):
            continue
        if text[start - 1 : start] == " ":
            if _after_letters(text, start - 1, 2):
                starts.append(start - 3)
        elif _after_letters(text, start, 2):
            starts.append(start - 2)
    return starts


# France's NIR: sex, year, month, department (2A and 2B are Corsica), commune, order, then a
# two-digit key that makes the number a multiple of 97.
_FR_NIR = re.compile(
    r"(?=[12])(?<![\w-])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w-])",
    re.IGNORECASE,
)


def _is_fr_nir(match: re.Match[str]) -> bool:
    number = ascii_upper(match.group().replace(" ", ""))
    return number[3:5] in _NIR_MONTHS and nir.is_valid(number)


# Birth months INSEE writes: 01 to 12, 20 when unknown, 30 to 42 and 50 to 99 for numbers given
# from records without a month (stdnum checks the key only; the month tells a fifteen-digit
# reference from a NIR that passes the key by chance).
_NIR_MONTHS = frozenset(
    f"{month:02d}" for month in (*range(1, 13), 20, *range(30, 43), *range(50, 100))
)


def _nir_starts(text: str) -> list[int]:
    # Fifteen digits in one number, or six digits and up to three spaces before Corsica's letter.
    starts = []
    for number in _numbers(text).long:
        end = number[1]
        corsica = text[end : end + 1] in _CORSICA
        shortest = _LONG_NUMBER if corsica else _NIR_DIGITS
        starts += [
            start
            for start in _group_starts(text, number, shortest)
            if text[start] in "12" and not _NIR_DIGITS > end - start > _LONG_NUMBER + 3
        ]
    return starts


_NIR_DIGITS = 15
_CORSICA = frozenset("ABab")


# Spain's DNI (eight digits) and NIE (X, Y or Z and seven digits), then a check letter.
_ES_ID = re.compile(
    # Not the end of a dotted number such as an IP address.
    r"(?<![\w-])(?<!\d\.)(?P<number>[XYZ]-?\d{7}|\d{2}\.?\d{3}\.?\d{3})[ -]?(?P<letter>[A-Z])"
    r"(?![\w-])",
    re.IGNORECASE,
)


def _is_es_id(match: re.Match[str]) -> bool:
    number = ascii_upper(match["number"].replace(".", "")) + ascii_upper(match["letter"])
    return (nie if number[0] in "XYZ" else dni).is_valid(number)


def _es_id_starts(text: str) -> list[int]:
    # The digits end their number, before a space or a dash or none, and the check letter:
    # a NIE's seven after its letter and a dash or none, a DNI's eight with a dot or two.
    starts = []
    for start, end in _numbers(text).long:
        if not _before_letter(text, end):
            continue
        if end - start == 7:
            if text[start - 1 : start] in _NIE_LETTERS:
                starts.append(start - 1)
            elif start >= 2 and text[start - 1] == "-" and text[start - 2] in _NIE_LETTERS:
                starts.append(start - 2)
        starts += [dni for dni in (end - 10, end - 9, end - 8) if dni >= start]
    return starts


_NIE_LETTERS = frozenset("XYZxyz")


# Italy's codice fiscale: surname, name, birth date and place, then a check letter. Digits may
# be swapped for the letters LMNPQRSTUV when two people would share a code (omocodia).
_IT_DIGIT = "[0-9LMNPQRSTUV]"
_IT_CODICE_FISCALE = re.compile(
    rf"(?<![\w-])[A-Z]{{6}}{_IT_DIGIT}{{2}}[ABCDEHLMPRST]{_IT_DIGIT}{{2}}[A-Z]{_IT_DIGIT}{{3}}[A-Z]"
    r"(?![\w-])",
    re.IGNORECASE,
)


def _is_codice_fiscale(match: re.Match[str]) -> bool:
    return codicefiscale.is_valid(ascii_upper(match.group()))


# A codice fiscale is a word of exactly sixteen ASCII letters and digits (as folded): in the
# folded text written one byte a character (other characters as "?"), with those to "a" and
# the rest to a space, such words are found by bytes.find, at memory speed.
_ALNUM_TO_A = bytes(
    ord("a") if chr(byte) in "abcdefghijklmnopqrstuvwxyz0123456789" else ord(" ")
    for byte in range(256)
)
_SIXTEEN_ALNUM = b" " + b"a" * 16 + b" "


def _codice_fiscale_starts(text: str) -> list[int]:
    lower = folded_once(text)
    shape = b" " + lower.encode("ascii", "replace").translate(_ALNUM_TO_A) + b" "
    starts = []
    # The space before a word is at the word's own index in the text, the shape having one
    # in front; the one after a word may start the next.
    at = shape.find(_SIXTEEN_ALNUM)
    while at != -1:
        starts.append(at)
        at = shape.find(_SIXTEEN_ALNUM, at + len(_SIXTEEN_ALNUM) - 1)
    return starts


# The Netherlands' BSN: nine digits, only after its name (bare, it is any nine-digit number),
# that pass the "eleven test".
_NL_BSN_LABELS = r"bsn(?:-nummer)?|burgerservicenummer|sofi(?:nummer)?"
_NL_BSN_LABEL_STARTS = ("bsn", "burgerservicenummer", "sofi")
_NL_BSN = re.compile(
    rf"(?<!\w)(?:{_NL_BSN_LABELS})\b\s*(?:[:#]|is)?\s*"
    # Written 1234.56.782, 1234 56 782 or 123 456 782.
    r"(?P<value>\d{4}(?P<sep>[. ]?)\d{2}(?P=sep)\d{3}|\d{3}(?P<sep3>[. ])\d{3}(?P=sep3)\d{3})"
    r"(?![\w-])"
)


def _is_nl_bsn(match: re.Match[str]) -> bool:
    return bsn.is_valid(match["value"])


# Germany's tax identification number (Steuer-ID, IdNr): eleven digits with a check digit,
# only after its name.
_DE_TAX_ID_LABELS = (
    r"steuer[- ]?(?:id(?:nr\b\.?)?|identifikationsnummer)|steuerliche\s+identifikationsnummer"
    r"|identifikationsnummer|idnr\b\.?"
)
_DE_TAX_ID_LABEL_STARTS = ("steuer", "identifikationsnummer", "idnr")
_DE_TAX_ID = re.compile(
    rf"(?<!\w)(?:{_DE_TAX_ID_LABELS})(?:\s*\(idnr\.?\))?"
    r"(?:\s*[:#]\s*|\s+(?:ist|lautet)\s+|\s*)(?P<value>\d{2} ?\d{3} ?\d{3} ?\d{3})(?![\w-])"
)


def _is_de_tax_id(match: re.Match[str]) -> bool:
    return idnr.is_valid(match["value"])


# A passport number after its name in the firm's languages ("Reisepassnummer", "numéro de
# passeport", "paspoort", "número de pasaporte", "passaporto n."): six to nine letters and
# digits, which covers every country's layout (US and UK nine digits, Germany's C01X00T47,
# France's 12AB34567, Spain's AAA123456, the Netherlands' NXC3F1D47, Italy's YA1234567).
_PASSPORT_LABELS = (
    # "Reisepasses, Nummer X", "my passport, number X": the label inflected, then a comma.
    r"(?:passport|reisepass|passeport|paspoort|pasaporte|passaporto)(?:e?s)?"
    r"(?:-?(?:nummer|nr\b\.?))?"
    r"|pass(?:nummer|-?nr\b\.?)"
)
_PASSPORT_LABEL_STARTS = ("pas", "reisepass")
_PASSPORT = re.compile(
    rf"(?<!\w)(?:{_PASSPORT_LABELS})"
    r"(?:,?\s*(?:(?:no|nr|num|number|nummer|n[úu]mero|num[ée]ro)\b\.?|n\.?\s?[°º]|n\.|#))?"
    r"(?:\s*[:#]\s*|\s+(?:is|ist|lautet|est|es|è)\s+|\s*)"
    # Germany's nine characters come from an alphabet without vowels (nor B, D, Q, S), so may
    # be all letters and still no word.
    r"(?P<value>(?=[a-z0-9]{0,8}\d)[a-z0-9]{6,9}|[cfghjk][cfghjklmnprtvwxyz]{8})(?![a-z0-9])"
)

# Keys first: they contain digit runs that would otherwise be read as cards or SSNs. National
# numbers, checksummed too, before cards: a French NIR has a card's length.
SECRET_DETECTORS: tuple[Detector, ...] = (
    (
        EntityType.API_KEY,
        either(
            when(has("-----BEGIN "), finder(_PRIVATE_KEY_BLOCK)),
            _find_prefixed_keys,
            when(
                _folded_has(*_API_KEY_LABEL_WORDS),
                after_label(
                    re.compile(_API_KEY_LABELS),
                    _API_KEY_LABELLED,
                    starts=_API_KEY_LABEL_STARTS,
                    accept=_looks_random,
                ),
            ),
        ),
    ),
    (
        EntityType.PASSWORD,
        either(
            _own_parenthesis(
                after_label(
                    re.compile(f"{_PASSWORD_LABELS}|{_PASSWORD_ABBREVIATIONS}"),
                    _PASSWORD,
                    starts=_PASSWORD_LABEL_STARTS,
                    accept=_is_password,
                )
            ),
            when(has("://"), _find_url_passwords),
        ),
    ),
    (EntityType.IBAN, _find_ibans),
    (
        EntityType.NATIONAL_ID,
        either(
            finder_at(_UK_NINO, _nino_starts),
            finder_at(_FR_NIR, _nir_starts, accept=_is_fr_nir),
            finder_at(_ES_ID, _es_id_starts, accept=_is_es_id),
            finder_at(_IT_CODICE_FISCALE, _codice_fiscale_starts, accept=_is_codice_fiscale),
            after_label(
                re.compile(_NL_BSN_LABELS),
                _NL_BSN,
                starts=_NL_BSN_LABEL_STARTS,
                accept=_is_nl_bsn,
            ),
            after_label(
                re.compile(_DE_TAX_ID_LABELS),
                _DE_TAX_ID,
                starts=_DE_TAX_ID_LABEL_STARTS,
                accept=_is_de_tax_id,
            ),
        ),
    ),
    (EntityType.CARD_NUMBER, _find_cards),
    (
        EntityType.SSN,
        either(
            finder_at(_SSN, _ssn_starts),
            # "ss" starts many words, but "ss #" has a "#".
            when(
                _folded_has("ssn", "social", "#"),
                after_label(re.compile(_SSN_LABELS), _SSN_LABELLED, starts=_SSN_LABEL_STARTS),
            ),
        ),
    ),
    (
        EntityType.PASSPORT,
        after_label(re.compile(_PASSPORT_LABELS), _PASSPORT, starts=_PASSPORT_LABEL_STARTS),
    ),
)
