"""Contract analysis policies: the firm's rule checks for each kind of contract, run offline.

A policy is data: the clauses its kind of contract must contain, wording the firm treats as
risky, and numeric limits (terms, notice periods, payment days, deposits, fees). ``check`` is
deterministic, so the offline provider can answer with it alone, the LLM analysis merges its
own findings into it, and drafting checks generated documents with it. A policy's ``version``
goes into the cache key: change it whenever a rule changes.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cached_property

SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Finding:
    rule: str
    clause: str
    severity: str
    evidence: str  # quoted exactly from the contract; "" when a clause is missing
    message: str
    suggestion: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# Evidence is the sentence a match sits in, so a reviewer sees the clause in context. A newline
# ends one only before a capital, a number or a bullet (headings and list items carry no full
# stop): text pasted from a PDF wraps mid-sentence.
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n(?=[ \t]*+(?:[A-Z0-9(\u2022*-]|\n|$))")
_MAX_EVIDENCE = 500


class Contract:
    """One text under check, with what several rules read from it worked out once per text:
    where its sentences end and its monthly rent. A rule that looked these up again for each
    match would read the text once per match, and a text full of matches would cost the square
    of its length."""

    def __init__(self, text: str) -> None:
        self.text = text
        # A sentence's first and last non-space characters, by where it starts and ends: the
        # spaces around a sentence are skipped once, however many matches it holds.
        self._words_from: dict[int, int] = {}
        self._words_to: dict[int, int] = {}

    @cached_property
    def _sentence_ends(self) -> list[int]:
        return [match.end() for match in _SENTENCE_END.finditer(self.text)]

    @cached_property
    def monthly_rent(self) -> float | None:
        """The rent the lease states as monthly, if any: a deposit given as an amount is
        measured in months of it."""
        rent = next(filter(None, (pattern.search(self.text) for pattern in _MONTHLY_RENT)), None)
        return _money(rent["amount"]) if rent is not None else None

    def evidence(self, match: re.Match[str]) -> str:
        """The sentence ``match`` sits in, trimmed; the match alone when that sentence is
        longer than _MAX_EVIDENCE. A match that opens a line (a lowercase one too) starts its
        sentence there."""
        text, start, end = self.text, match.start(), match.end()
        ends = self._sentence_ends
        before = bisect.bisect_right(ends, start)
        left = ends[before - 1] if before else 0
        after = bisect.bisect_right(ends, end)
        right = ends[after] if after < len(ends) else len(text)
        line = start
        # Matches start on a word, so this walks back over the spaces before one match only.
        while line > left and text[line - 1] in " \t":
            line -= 1
        if line > left and text[line - 1] == "\n":
            left = line
        first, last = self._first_word_from(left), self._last_word_to(right)
        if last - first <= _MAX_EVIDENCE:
            return text[first:last]
        return match.group().strip()

    def _first_word_from(self, left: int) -> int:
        if left not in self._words_from:
            self._words_from[left] = _SPACES.match(self.text, left).end()
        return self._words_from[left]

    def _last_word_to(self, right: int) -> int:
        if right not in self._words_to:
            last = right
            while last > 0 and self.text[last - 1].isspace():
                last -= 1
            self._words_to[right] = last
        return self._words_to[right]


_SPACES = re.compile(r"\s*+")


@dataclass(frozen=True, kw_only=True)
class RequiredClause:
    key: str
    clause: str
    severity: str
    pattern: re.Pattern[str]  # the clause is present when this matches anywhere
    suggestion: str

    def check(self, contract: Contract) -> list[Finding]:
        if self.pattern.search(contract.text):
            return []
        return [
            Finding(
                rule=f"required.{self.key}",
                clause=self.clause,
                severity=self.severity,
                evidence="",
                message=f"No {self.clause.lower()} clause was found.",
                suggestion=self.suggestion,
            )
        ]


@dataclass(frozen=True, kw_only=True)
class RiskyWording:
    key: str
    clause: str
    severity: str
    pattern: re.Pattern[str]
    message: str
    suggestion: str

    def check(self, contract: Contract) -> list[Finding]:
        evidence = dict.fromkeys(map(contract.evidence, self.pattern.finditer(contract.text)))
        return [
            Finding(
                rule=f"wording.{self.key}",
                clause=self.clause,
                severity=self.severity,
                evidence=quote,
                message=self.message,
                suggestion=self.suggestion,
            )
            for quote in evidence
        ]


@dataclass(frozen=True, kw_only=True)
class NumericLimit:
    """A quantity found by ``patterns`` (group ``qty`` is quoted in the message) must stay
    within ``minimum``/``maximum`` once ``measure`` has turned it into a number."""

    key: str
    clause: str
    severity: str
    patterns: tuple[re.Pattern[str], ...]
    measure: Callable[[re.Match[str], Contract], float | None]
    message: str  # formatted with {quantity}
    suggestion: str
    minimum: float | None = None
    maximum: float | None = None

    def check(self, contract: Contract) -> list[Finding]:
        findings: dict[str, Finding] = {}
        # Several patterns may find the same quantity, each from its own start.
        measured: set[tuple[int, int]] = set()
        for pattern in self.patterns:
            for match in pattern.finditer(contract.text):
                if match.span("qty") in measured:
                    continue
                measured.add(match.span("qty"))
                value = self.measure(match, contract)
                if value is None or not self._breached(value):
                    continue
                quote = contract.evidence(match)
                findings.setdefault(
                    quote,
                    Finding(
                        rule=f"limit.{self.key}",
                        clause=self.clause,
                        severity=self.severity,
                        evidence=quote,
                        message=self.message.format(quantity=match["qty"].strip()),
                        suggestion=self.suggestion,
                    ),
                )
        return list(findings.values())

    def _breached(self, value: float) -> bool:
        return (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        )


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    version: str
    description: str
    rules: tuple[RequiredClause | RiskyWording | NumericLimit, ...] = ()

    def check(self, text: str) -> list[Finding]:
        """Findings in the order of the policy's rules, each rule's in the order of the text."""
        contract = Contract(text)
        return [finding for rule in self.rules for finding in rule.check(contract)]


# --- Quantities ----------------------------------------------------------------------------

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_NUMBER_WORDS = {"a": 1, "an": 1, **_UNITS, **_TEENS, **_TENS}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TEENS, *_TENS, "hundred"], key=len, reverse=True))

# Contracts write "one hundred and twenty (120) days". Where the words and the figure disagree
# the words prevail, as courts read them, so the figure in brackets is only skipped over. A
# number below a thousand takes four words at most ("nine hundred and ninety-nine"); five are
# read, and no more: a number read to the end of any run of number words was read again from
# each word of the run.
_NUMBER = (
    rf"\b(?P<num>\d++(?:\.\d++)?"
    rf"|(?:{_NUMBER_WORD})(?:(?:[- ]|\s++and\s++)(?:{_NUMBER_WORD})){{0,4}}"
    r"|an?)\b(?:\s*+\(\d++(?:\.\d++)?\))?"
)
_DURATION = (
    rf"(?P<qty>{_NUMBER}\s++"
    r"(?P<unit>(?:(?:calendar|business|working)\s++)?days?|(?:calendar\s++)?(?:week|month|year)s?)\b)"
)
_DAYS_PER_UNIT = {
    "day": 1.0,
    "business day": 7 / 5,
    "working day": 7 / 5,
    "week": 7.0,
    "month": 365.25 / 12,
    "year": 365.25,
}
_YEAR = _DAYS_PER_UNIT["year"]
_MONTH = _DAYS_PER_UNIT["month"]
_AMOUNT = r"[$£€]\s?\d[\d,]*+(?:\.\d++)?"
_MONTHLY_RENT = (
    _rx(rf"\bmonthly\s++rent\b[^.]{{0,60}}?(?P<amount>{_AMOUNT})"),
    _rx(
        rf"\brent\b[^.]{{0,60}}?(?P<amount>{_AMOUNT})"
        r"(?=[^.]{0,40}?\b(?:per|a|each)\s++(?:calendar\s++)?month\b)"
    ),
)


def _number(match: re.Match[str]) -> float:
    number = match["num"].lower()
    if number[0].isdigit():
        return float(number)
    value = 0
    for word in re.findall(r"[a-z]+", number):
        if word == "hundred":
            value = max(value, 1) * 100
        elif word != "and":
            value += _NUMBER_WORDS[word]
    return float(value)


def _figure(match: re.Match[str], _contract: Contract) -> float:
    return _number(match)


def _days(match: re.Match[str], _contract: Contract) -> float:
    # "Net 90" has no unit: payment terms are counted in days.
    unit = " ".join((match.groupdict().get("unit") or "day").lower().split())
    return _number(match) * _DAYS_PER_UNIT[unit.removeprefix("calendar ").removesuffix("s")]


def _months_of_rent(match: re.Match[str], contract: Contract) -> float | None:
    if not match.groupdict().get("amount"):
        return _number(match)
    if not contract.monthly_rent:
        return None
    return _money(match["amount"]) / contract.monthly_rent


def _money(amount: str) -> float:
    return float(re.sub(r"[^\d.]", "", amount))


# --- Rule tables ---------------------------------------------------------------------------

_COMMON_WORDING = (
    RiskyWording(
        key="perpetual",
        clause="Term",
        severity="medium",
        pattern=_rx(r"\bperpetu(?:al|ally|ity)\b"),
        message="A perpetual obligation never ends and may be unenforceable or unfair.",
        suggestion="Replace the perpetual term with a fixed period; keep indefinite protection "
        "only for trade secrets.",
    ),
    RiskyWording(
        key="irrevocable",
        clause="Irrevocability",
        severity="medium",
        pattern=_rx(r"\birrevocabl[ey]\b"),
        message="An irrevocable grant or commitment cannot be withdrawn, even after a breach.",
        suggestion="Make the grant revocable on breach or on termination of the agreement.",
    ),
    RiskyWording(
        key="unlimited_liability",
        clause="Limitation of liability",
        severity="high",
        pattern=_rx(
            r"\bunlimited\s++liability\b",
            r"\bliability\b[^.]{0,60}?\b(?:shall|will)\s++be\s++unlimited\b",
            r"\bliability\s++is\s++unlimited\b",
            r"\bwithout\s++(?:any\s++)?limit(?:ation)?\s++(?:of|on|to)\s++"
            r"(?:its\s++|their\s++)?liability",
        ),
        message="Liability is unlimited.",
        suggestion="Cap liability, for example at the fees paid in the previous 12 months.",
    ),
    RiskyWording(
        key="sole_discretion",
        clause="Discretion",
        severity="medium",
        pattern=_rx(
            r"\b(?:sole|absolute|unfettered)\s++(?:and\s++(?:sole|absolute|unfettered)\s++)?"
            r"discretion\b"
        ),
        message="One party decides at its sole discretion, with no standard to hold it to.",
        suggestion="Require decisions to be reasonable and made in good faith.",
    ),
    RiskyWording(
        key="without_notice",
        clause="Notice",
        severity="medium",
        pattern=_rx(r"\bwithout\s++(?:(?:any|prior|further|advance)\s++){0,4}notice\b"),
        message="A right can be exercised without notice.",
        suggestion="Require written notice and a reasonable period to respond or cure.",
    ),
    RiskyWording(
        key="automatic_renewal",
        clause="Renewal",
        severity="medium",
        pattern=_rx(
            r"\bauto(?:matic(?:ally)?|-)?\s*+(?:be\s++)?renew\w*+",
            r"\brenew\w*+\s++automatically\b",
        ),
        message="The agreement renews automatically unless someone remembers to stop it.",
        suggestion="Renew only by written agreement, or require a reminder before renewal and a "
        "right to cancel.",
    ),
    RiskyWording(
        key="worldwide_non_compete",
        clause="Non-compete",
        severity="high",
        pattern=_rx(
            r"\b(?:non[- ]?)?compet\w*+\b[^.]{0,200}?\b(?:worldwide|world-wide|globally"
            r"|anywhere\s++in\s++the\s++world|throughout\s++the\s++world)\b",
            r"\b(?:worldwide|world-wide|global)\s++non[- ]?compet\w*+",
        ),
        message="The non-compete covers the whole world, which courts rarely enforce.",
        suggestion="Limit the restriction to the territories where the business actually operates.",
    ),
    RiskyWording(
        key="waiver_of_rights",
        clause="Waiver",
        severity="high",
        pattern=_rx(
            r"\bwaive[sd]?\b[^.]{0,20}?\b(?:any\s++and\s++)?all\s++(?:of\s++(?:its|his|her|their)\s++)?"
            r"(?:rights|claims|remedies)\b"
        ),
        message="A party waives all of its rights or claims.",
        suggestion="Waive only specific, identified rights, and keep statutory rights.",
    ),
    RiskyWording(
        key="broad_indemnity",
        clause="Indemnity",
        severity="high",
        pattern=_rx(r"\bindemnif(?:y|ies|ied|ication)\b[^.]{0,200}?\bany\s++and\s++all\b"),
        message="The indemnity covers any and all losses, without limit or fault.",
        suggestion="Limit the indemnity to third-party claims caused by the indemnifying "
        "party's breach or negligence, and cap it.",
    ),
)

_NOTICE_TOO_SHORT = NumericLimit(
    key="notice_period",
    clause="Notice period",
    severity="medium",
    patterns=(
        _rx(rf"{_DURATION}['\u2019]?s?\s++(?:prior\s++|advance\s++)?(?:written\s++)?notice\b"),
        _rx(
            r"\bnotice\s++(?:period\s++)?of\s++(?:at\s++least\s++|(?:not|no)\s++less\s++than\s++)?"
            rf"{_DURATION}"
        ),
        _rx(
            rf"\bnotice\s++period\s++(?:is|shall\s++be|will\s++be)\s++(?:at\s++least\s++)?{_DURATION}"
        ),
    ),
    measure=_days,
    minimum=30,
    message="A notice period of {quantity} is shorter than the firm's 30-day minimum.",
    suggestion="Give at least 30 days' written notice.",
)

_NDA = Policy(
    name="nda",
    title="Non-disclosure agreement",
    version="2026-11-1",
    description="Confidentiality agreements: what is protected, for how long, and what "
    "happens to the materials at the end.",
    rules=(
        RequiredClause(
            key="confidential_information",
            clause="Definition of confidential information",
            severity="high",
            pattern=_rx(
                r"\bconfidential\s++information[\"\u201d\']?\s*+(?:\([^)]{0,200}\)\s*+)?"
                r"(?:means|shall\s++mean|includes|shall\s++include|is\s++defined|refers\s++to)\b",
                r"\bdefinition\s++of\s++[\"\u201c]?confidential\s++information\b",
            ),
            suggestion="Define confidential information precisely, with examples.",
        ),
        RequiredClause(
            key="term",
            clause="Term",
            severity="medium",
            pattern=_rx(
                r"\b(?:term|duration)\b[^.]{0,120}?\b(?:years?|months?|until|expir\w*+)\b",
                r"\bfor\s++a\s++period\s++of\b",
                r"\bshall\s++(?:survive|remain\s++in\s++(?:full\s++)?(?:force|effect))\b",
                r"\bperpetu(?:al|ally|ity)\b",
            ),
            suggestion="State how long the agreement and the confidentiality obligations last.",
        ),
        RequiredClause(
            key="return_or_destruction",
            clause="Return or destruction of materials",
            severity="medium",
            pattern=_rx(
                r"\b(?:return|destroy|destruction|delete|erase)\w*+\b[^.]{0,150}?"
                r"\b(?:confidential|materials?|documents?|copies|information|records)\b"
            ),
            suggestion="Require the recipient to return or destroy all confidential materials "
            "on request or at the end of the agreement, and to confirm it in writing.",
        ),
        RequiredClause(
            key="governing_law",
            clause="Governing law",
            severity="medium",
            pattern=_rx(
                r"\bgoverning\s++law\b",
                r"\bgoverned\s++by\b[^.]{0,80}?\blaws?\b",
                r"\bconstrued\s++in\s++accordance\s++with\b[^.]{0,80}?\blaws?\b",
            ),
            suggestion="Name the law that governs the agreement and the courts that hear disputes.",
        ),
        RequiredClause(
            key="exclusions",
            clause="Exclusions and permitted disclosures",
            severity="medium",
            pattern=_rx(
                r"\b(?:shall\s++not|does\s++not|will\s++not)\s++(?:include|apply\s++to)\b",
                r"\b(?:exclusions?|permitted\s++disclosures?)\b",
                r"\b(?:publicly\s++available|public\s++domain|independently\s++developed)\b",
                r"\brequired\s++(?:to\s++be\s++disclosed\s++)?by\s++(?:law|a\s++court|court\s++order)\b",
            ),
            suggestion="Exclude public, already known and independently developed information, "
            "and allow disclosures required by law.",
        ),
        *_COMMON_WORDING,
        NumericLimit(
            key="confidentiality_term",
            clause="Term",
            severity="medium",
            patterns=(
                _rx(rf"\b(?:term|period|duration)\s++of\s++{_DURATION}"),
                _rx(
                    r"\b(?:survive|remain\s++in\s++(?:full\s++)?(?:force|effect)|continue|last)\b"
                    rf"[^.]{{0,40}}?\bfor\s++{_DURATION}"
                ),
            ),
            measure=_days,
            maximum=5 * _YEAR,
            message="A term of {quantity} is longer than the firm's 5-year maximum.",
            suggestion="Limit the confidentiality term to 5 years or less, except for trade "
            "secrets.",
        ),
    ),
)

_EMPLOYMENT = Policy(
    name="employment",
    title="Employment contract",
    version="2026-11-1",
    description="Employment contracts: pay, role, hours, notice and the restrictions on the "
    "employee during and after employment.",
    rules=(
        RequiredClause(
            key="compensation",
            clause="Salary and compensation",
            severity="high",
            pattern=_rx(
                r"\b(?:salary|wages?|compensation|remuneration|base\s++pay|hourly\s++rate"
                r"|pay\s++rate)\b"
            ),
            suggestion="State the salary or rate, how often it is paid and how it is reviewed.",
        ),
        RequiredClause(
            key="position",
            clause="Position and duties",
            severity="medium",
            pattern=_rx(
                r"\b(?:position|job\s++title|duties|responsibilities|job\s++description)\b",
                r"\b(?:employ(?:s|ed)?|engage[sd]?|hire[sd]?|appoint(?:s|ed)?)\b[^.]{0,60}?\bas\b",
            ),
            suggestion="State the job title and the main duties.",
        ),
        RequiredClause(
            key="termination_notice",
            clause="Termination notice",
            severity="high",
            pattern=_rx(
                r"\bterminat\w*+\b[^.]{0,200}?\bnotice\b",
                r"\bnotice\b[^.]{0,200}?\bterminat\w*+",
                r"\bnotice\s++period\b",
            ),
            suggestion="State the notice each party must give to end the employment.",
        ),
        RequiredClause(
            key="working_hours",
            clause="Working hours",
            severity="medium",
            pattern=_rx(
                r"\b(?:working|normal|business|office|core)\s++hours\b",
                r"\bhours\s++of\s++work\b",
                r"\bhours\s++(?:per|a|each)\s++(?:week|day)\b",
            ),
            suggestion="State the normal working hours and how overtime is handled.",
        ),
        RequiredClause(
            key="confidentiality",
            clause="Confidentiality",
            severity="medium",
            pattern=_rx(r"\bconfidential(?:ity)?\b"),
            suggestion="Add a confidentiality clause covering the employer's information.",
        ),
        *_COMMON_WORDING,
        RiskyWording(
            key="unpaid_overtime",
            clause="Working hours",
            severity="medium",
            pattern=_rx(
                r"\b(?:additional|extra|overtime)\s++hours\b[^.]{0,120}?\bwithout\s++"
                r"(?:(?:additional|extra|further)\s++)?(?:pay|compensation|remuneration)\b",
                r"\bunpaid\s++overtime\b",
            ),
            message="Extra hours are required without pay.",
            suggestion="Pay or give time off for overtime, within the legal limits.",
        ),
        NumericLimit(
            key="non_compete_duration",
            clause="Non-compete",
            severity="high",
            patterns=(
                _rx(rf"\bnon[- ]?compet\w*+\b[^.]{{0,250}}?{_DURATION}"),
                # The first "compete" after "not" only (atomic): trying each later one
                # too read the 200 characters after every one of them again.
                _rx(
                    r"\b(?:not|refrain\s++from)\b(?>[^.]{0,80}?\bcompet)\w*+\b"
                    rf"[^.]{{0,200}}?{_DURATION}"
                ),
                _rx(
                    rf"{_DURATION}[^.]{{0,150}}?\b(?:not|refrain\s++from)\b"
                    r"[^.]{0,80}?\bcompet\w*+"
                ),
            ),
            measure=_days,
            maximum=12 * _MONTH,
            message="A non-compete of {quantity} is longer than the firm's 12-month maximum.",
            suggestion="Limit the non-compete to 12 months or less after the employment ends.",
        ),
        NumericLimit(
            key="weekly_hours",
            clause="Working hours",
            severity="medium",
            patterns=(
                _rx(
                    r"(?P<qty>(?<![\d.])(?P<num>\d{2,3}(?:\.\d++)?)\s++hours)\s++"
                    r"(?:per|a|each|in\s++any)\s++week\b"
                ),
            ),
            measure=_figure,
            maximum=48,
            message="{quantity} a week is above the 48-hour weekly limit.",
            suggestion="Keep normal hours at or under 48 a week, or obtain a written opt-out.",
        ),
        _NOTICE_TOO_SHORT,
    ),
)

_SERVICES = Policy(
    name="services-agreement",
    title="Services agreement",
    version="2026-11-1",
    description="Agreements to provide services: what is delivered, how it is paid, who owns "
    "the results and how much each side can lose.",
    rules=(
        RequiredClause(
            key="scope",
            clause="Scope of services",
            severity="high",
            pattern=_rx(
                r"\bscope\s++of\s++(?:the\s++)?(?:services|work)\b",
                r"\bstatement\s++of\s++work\b",
                r"\b(?:shall|will|agrees\s++to)\s++(?:provide|perform|deliver|render)\b[^.]{0,100}?"
                r"\bservices\b",
                r"\bservices\b[^.]{0,60}?\b(?:described|set\s++out|specified|listed|detailed)\b",
            ),
            suggestion="Describe the services, deliverables and service levels, or attach a "
            "statement of work.",
        ),
        RequiredClause(
            key="fees",
            clause="Fees and payment terms",
            severity="high",
            pattern=_rx(
                r"\b(?:fees?|charges|price|rates?|compensation)\b[^.]{0,150}?"
                r"\b(?:pay|paid|payable|invoice\w*+|due)\b",
                r"\b(?:pay|paid|payable|invoice\w*+)\b[^.]{0,150}?"
                r"\b(?:fees?|charges|price|rates?)\b",
                r"\b(?:pay|paid|payable)\b[^.]{0,60}?\binvoices?\b",
                r"\binvoices?\b[^.]{0,60}?\b(?:payable|due|paid)\b",
                r"\bpayment\s++terms\b",
            ),
            suggestion="State the fees, when they are invoiced and when payment is due.",
        ),
        RequiredClause(
            key="limitation_of_liability",
            clause="Limitation of liability",
            severity="high",
            pattern=_rx(
                r"\blimitation\s++of\s++liability\b",
                r"\b(?:aggregate|total|maximum|entire)\s++liability\b",
                r"\bliab(?:le|ility)\b[^.]{0,120}?"
                r"\b(?:shall\s++not\s++exceed|limited\s++to|capped\s++at)",
                r"\bin\s++no\s++event\b[^.]{0,120}?\bliable\b",
            ),
            suggestion="Cap each party's liability and exclude indirect and consequential loss.",
        ),
        RequiredClause(
            key="termination",
            clause="Termination",
            severity="medium",
            pattern=_rx(r"\bterminat(?:e|ed|es|ion)\b"),
            suggestion="Say how and when either party may end the agreement, and what happens "
            "then.",
        ),
        RequiredClause(
            key="intellectual_property",
            clause="Intellectual property",
            severity="medium",
            pattern=_rx(
                r"\bintellectual\s++property\b",
                r"\bcopyrights?\b",
                r"\bwork\s++product\b",
                r"\bdeliverables?\b[^.]{0,100}?\b(?:own|owned|ownership|vest|assign|licen[cs]e)",
            ),
            suggestion="Say who owns the deliverables and what licence the other party gets.",
        ),
        *_COMMON_WORDING,
        NumericLimit(
            key="payment_days",
            clause="Payment terms",
            severity="medium",
            patterns=(
                _rx(
                    r"\b(?:pay|paid|payable|payment|settle[sd]?|due)\b[^.]{0,100}?"
                    rf"\b(?:within|(?:no|not)\s++later\s++than)\s++{_DURATION}"
                ),
                _rx(
                    rf"\b(?:within|(?:no|not)\s++later\s++than)\s++{_DURATION}[^.]{{0,60}}?"
                    r"\b(?:invoice|receipt)"
                ),
                _rx(r"\bnet\s++(?P<qty>(?P<num>\d{1,3}))\b(?!\s*+%)"),
            ),
            measure=_days,
            maximum=60,
            message="Payment terms of {quantity} are longer than the firm's 60-day maximum.",
            suggestion="Require payment within 30 days of invoice, 60 at most.",
        ),
        _NOTICE_TOO_SHORT,
    ),
)

_LEASE = Policy(
    name="lease",
    title="Residential or commercial lease",
    version="2026-11-1",
    description="Leases: rent, term, deposit, who repairs what, and how the tenancy ends.",
    rules=(
        RequiredClause(
            key="rent",
            clause="Rent",
            severity="high",
            pattern=_rx(
                rf"\brent\b[^.]{{0,120}}?(?:{_AMOUNT}|\b\d[\d,]*+(?:\.\d++)?\s*+"
                r"(?:dollars|pounds|euros|USD|GBP|EUR)\b)",
                r"\b(?:monthly|annual|yearly|weekly)\s++rent\b",
                r"\brent\b[^.]{0,80}?\b(?:per|a|each)\s++(?:calendar\s++)?"
                r"(?:month|week|annum|year)\b",
            ),
            suggestion="State the rent, when it is due and how it is paid.",
        ),
        RequiredClause(
            key="term",
            clause="Term",
            severity="high",
            pattern=_rx(
                r"\bterm\s++of\s++(?:this\s++)?(?:lease|tenancy|agreement)\b",
                r"\b(?:lease|tenancy)\s++term\b",
                r"\bfor\s++a\s++(?:fixed\s++)?(?:term|period)\s++of\b",
                r"\bcommenc\w*+\b[^.]{0,150}?\b(?:end\w*+|expir\w*+|terminat\w*+)\b",
                r"\bmonth[- ]to[- ]month\b",
                r"\bperiodic\s++tenancy\b",
            ),
            suggestion="State the start date and the length of the tenancy.",
        ),
        RequiredClause(
            key="deposit",
            clause="Security deposit",
            severity="medium",
            pattern=_rx(r"\bdeposit\b"),
            suggestion="State the deposit, where it is held and when it is returned.",
        ),
        RequiredClause(
            key="repairs",
            clause="Repairs and maintenance",
            severity="medium",
            pattern=_rx(r"\brepairs?\b", r"\bmaint(?:ain|ains|ained|enance)\b"),
            suggestion="Say which repairs the landlord makes and which the tenant makes.",
        ),
        RequiredClause(
            key="notice_termination",
            clause="Notice and termination",
            severity="medium",
            pattern=_rx(
                r"\bnotice\b[^.]{0,200}?\b(?:terminat\w*+|vacate|quit)\b",
                r"\b(?:terminat\w*+|end\s++(?:the|this)\s++(?:lease|tenancy))\b[^.]{0,200}?"
                r"\bnotice\b",
                r"\bbreak\s++clause\b",
            ),
            suggestion="State how either party may end the tenancy and the notice required.",
        ),
        *_COMMON_WORDING,
        RiskyWording(
            key="entry_at_any_time",
            clause="Landlord's access",
            severity="high",
            pattern=_rx(r"\benter\b[^.]{0,100}?\bat\s++any\s++time\b"),
            message="The landlord may enter the premises at any time.",
            suggestion="Allow entry only at reasonable times after at least 24 hours' notice, "
            "except in an emergency.",
        ),
        NumericLimit(
            key="deposit_amount",
            clause="Security deposit",
            severity="medium",
            patterns=(
                _rx(
                    rf"\bdeposit\b[^.]{{0,120}}?(?P<qty>{_NUMBER}\s++(?:calendar\s++)?"
                    r"months?['\u2019]?s?\s++(?:of\s++)?(?:the\s++)?(?:monthly\s++)?rent)\b"
                ),
                _rx(
                    rf"(?P<qty>{_NUMBER}\s++(?:calendar\s++)?months?['\u2019]?s?\s++(?:of\s++)?"
                    r"(?:the\s++)?(?:monthly\s++)?rent)\b[^.]{0,80}?\bdeposit\b"
                ),
                _rx(rf"\bdeposit\b[^.]{{0,60}}?(?P<qty>(?P<amount>{_AMOUNT}))"),
            ),
            measure=_months_of_rent,
            maximum=2,
            message="A security deposit of {quantity} is more than two months' rent.",
            suggestion="Limit the deposit to two months' rent or less (or the legal cap where "
            "lower).",
        ),
        NumericLimit(
            key="late_fee",
            clause="Late fee",
            severity="medium",
            patterns=(
                _rx(
                    r"\blate\s++(?:payment\s++)?(?:fee|charge|penalty)\b[^.]{0,120}?"
                    r"(?P<qty>(?P<num>\d++(?:\.\d++)?)\s*+(?:%|per\s*+cent|percent))"
                ),
                _rx(
                    r"(?P<qty>\b(?P<num>\d++(?:\.\d++)?)\s*+(?:%|per\s*+cent|percent))"
                    r"[^.]{0,60}?\blate\s++(?:payment\s++)?(?:fee|charge|penalty)\b"
                ),
            ),
            measure=_figure,
            maximum=10,
            message="A late fee of {quantity} is above the firm's 10% maximum.",
            suggestion="Keep late fees at or under 10% of the overdue amount (or the legal cap "
            "where lower).",
        ),
        _NOTICE_TOO_SHORT,
    ),
)

POLICIES: dict[str, Policy] = {
    policy.name: policy for policy in (_NDA, _EMPLOYMENT, _SERVICES, _LEASE)
}


class UnknownPolicy(KeyError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown policy {name!r}; known policies: {', '.join(POLICIES)}.")
        self.name = name

    def __str__(self) -> str:
        # KeyError would show the message in quotes, as if it were the missing key.
        return str(self.args[0])


def get_policy(name: str) -> Policy:
    """The policy called ``name``; case and "_" for "-" are forgiven."""
    try:
        return POLICIES[name.strip().lower().replace("_", "-")]
    except KeyError:
        raise UnknownPolicy(name) from None


# --- Combining findings --------------------------------------------------------------------


def _field(finding: Finding | Mapping[str, object], name: str) -> str:
    value = getattr(finding, name) if isinstance(finding, Finding) else finding.get(name)
    return "" if value is None else str(value).strip()


def _severity(finding: Finding | Mapping[str, object]) -> str:
    # Anything outside the three levels (a model's "critical", a typo) counts as medium.
    severity = _field(finding, "severity").lower()
    return severity if severity in SEVERITIES else "medium"


def risk_level(findings: Iterable[Finding | Mapping[str, object]]) -> str:
    """The overall risk of a contract from its findings.

    "high" if any finding is high or three or more are medium; "medium" if any finding is
    medium or three or more are low; otherwise "low" (also when there are no findings).
    """
    counts = Counter(_severity(finding) for finding in findings)
    if counts["high"] or counts["medium"] >= 3:
        return "high"
    if counts["medium"] or counts["low"] >= 3:
        return "medium"
    return "low"


def _normalised(value: str) -> str:
    return " ".join(value.casefold().split())


def _as_finding(finding: Finding | Mapping[str, object]) -> Finding:
    return Finding(
        rule=_field(finding, "rule"),
        clause=_field(finding, "clause"),
        severity=_severity(finding),
        evidence=_field(finding, "evidence"),
        message=_field(finding, "message"),
        suggestion=_field(finding, "suggestion"),
    )


def merge_findings(
    rule_findings: Iterable[Finding], llm_findings: Iterable[Finding | Mapping[str, object]]
) -> list[Finding]:
    """Rule findings first, then the model's, without repeats.

    Two findings are the same when they quote the same evidence (case and spacing aside) and
    share their rule id or their clause name. The model's findings are cleaned: missing fields
    become "", an unknown severity becomes "medium", and entries that are not objects or say
    nothing (no rule, clause or message) are dropped.
    """
    merged: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    llm = (
        _as_finding(f)
        for f in llm_findings
        if isinstance(f, Finding | Mapping)
        and any(_field(f, n) for n in ("rule", "clause", "message"))
    )
    for finding in (*rule_findings, *llm):
        evidence = _normalised(finding.evidence)
        keys = {
            (kind, _normalised(value), evidence)
            for kind, value in (("rule", finding.rule), ("clause", finding.clause))
            if value
        }
        if keys & seen:
            continue
        seen |= keys
        merged.append(finding)
    return merged


def suggestions_for(findings: Iterable[Finding | Mapping[str, object]]) -> list[str]:
    """The findings' suggestions, each once, in the order of the findings."""
    return list(dict.fromkeys(s for f in findings if (s := _field(f, "suggestion"))))
