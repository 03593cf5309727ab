"""The case's parties, in every form a text writes their names.

People rarely write a party's name the way the case record does: "Helen", "Ms Carter",
"H.M. Carter", "Carter, Helen", "CARTER Helen", "Mueller" for "Müller", "Brightline Logistics"
for "Brightline Logistics Ltd", "Nowak Design Studio" for the party Nowak. So a name is not
matched as a whole: each of its words is looked up on its own, case and diacritics folded, and
the words found side by side, with the particles, initials and legal forms between and around
them, make one span. Every form of one party gets that party's placeholder.

A name that is also a word ("Will", "May", "Mark", "Grace", "Rose") is a name only where the
text says so: never in lowercase, always after a title or in a run of the party's other names,
mid-sentence when capitalised, and at a sentence's start or in capitals only when what follows
is what follows a person ("Mark told me", not "Mark the date"). A month name beside a day or a
year ("May 2026") is a date. A party's given name directly followed by another capitalised name
("Helen Smith" for the party Helen Carter) is somebody else, left to the detector of people
nobody listed.

Linear time, and no pattern compiled per case: the text is folded once (to ASCII bytes, with
vowels made alike so that "Lopez" finds "López" and the other way round), each of the parties'
words is searched in it with ``bytes.find``, and the few hits are checked in Python, each with
a few anchored patterns over a bounded window around it.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from consultations.llm.pii.gazetteer import gazetteer
from consultations.llm.pii.kinds import Span


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Titles and salutations before a name, as written in English, German, French, Dutch and
# Spanish. Case is ignored, except for the short ones that are also words or initials.
_TITLES = (
    "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lord|Lady|Judge|Justice|Master|Madam|Rev"
    "|Herr|Herrn|Frau|Fräulein|Monsieur|Madame|Mademoiselle|Mme|Mmes|Mlle|Maître|Docteur"
    "|mevrouw|meneer|mevr|mw|dhr|de heer|heer|drs|ir|señor|señora|señorita|Sra|Srta|Don|Doña|Dña"
    "|Dear|Hi|Hello|Hey|Thanks|Liebe|Lieber|Hallo|Cher|Chère|Bonjour|Beste|Geachte|Hoi|Hola"
    "|Estimado|Estimada|Querido|Querida"
)
_CASED_TITLES = "M|MM|Me|D|Sr|Pr"
_TITLE_BEFORE = re.compile(rf"(?<![^\W_])(?:(?i:{_TITLES})|{_CASED_TITLES})\.?[ \t\u00a0]{{1,3}}\Z")
_TITLE_WORDS = frozenset(
    word.casefold() for word in f"{_TITLES}|{_CASED_TITLES}".replace(" ", "|").split("|")
)

# Words inside a name that are no name on their own.
_PARTICLES = _set(
    "van von der den den ter ten te de del della di da das dos du la le les zu zum vom y e"
    " bin ibn al el mac st"
)
_CONNECTORS = _set("& + and und et en y of the")
# Legal forms, written with or without their dots ("B.V.", "BV"); the two-letter ones only in
# capitals, since "sa", "ag" or "co" are also words.
_LEGAL_FORMS = (
    "Ltd|Limited|LLC|LLP|Inc|Incorporated|Corp|Corporation|Company|plc|GmbH|gGmbH|mbH|OHG"
    "|SAS|SASU|SARL|EURL|SCI|SNC|SLU|SAU|BVBA|SPRL|VOF|SpA|Srl|Sàrl|Ltda"
)
_CASED_LEGAL_FORMS = "AG|KG|SE|SA|SL|BV|NV|CV|Co|eV|UG|AB|AS|Oy"


def _dotted(form: str) -> str:
    return r"\.?[ \t\u00a0]?".join(map(re.escape, form)) + r"\.?"


_LEGAL_FORM = re.compile(
    r"(?:,?[ \t\u00a0]+(?:&[ \t\u00a0]*Co\.?[ \t\u00a0]+)?"
    rf"(?:(?i:{'|'.join(map(_dotted, _LEGAL_FORMS.split('|')))})"
    rf"|{'|'.join(map(_dotted, _CASED_LEGAL_FORMS.split('|')))})(?![^\W_]))+"
)
_LEGAL_WORDS = frozenset(
    form.casefold() for form in f"{_LEGAL_FORMS}|{_CASED_LEGAL_FORMS}".split("|")
)
# What a form of a party's name holds besides the party's words.
_NOT_NAMES = _TITLE_WORDS | _PARTICLES | _CONNECTORS | _LEGAL_WORDS
# Words of a company's name that do not name it on their own ("Logistics", "Design").
_GENERIC_COMPANY_WORDS = _set(
    "logistics design studio studios group holding holdings international global services"
    " service solutions consulting consultants partners associates trading systems technologies"
    " technology tech software media capital management construction properties property"
    " investments bank insurance industries enterprises ventures networks digital energy foods"
    " retail legal law finance financial estates homes care health medical transport agency"
    " gruppe dienstleistungen verwaltung immobilien bau handel beratung technik"
    " société groupe conseil services immobilier bureau"
    " groep diensten bouw beheer vastgoed advies"
    " grupo servicios construcciones inmobiliaria asesores consultores"
    " europe europa uk usa america deutschland france nederland españa"
)

# The generic words that end only a company's name ("Law", "Bank" are also surnames).
_COMPANY_ENDINGS = _set(
    "group holding holdings partners associates studio studios logistics solutions services"
    " consulting trading gruppe groupe groep grupo"
)
# Titles a caller may write into a party's name ("Dr Helen Carter"); not "Don", a name too.
_NAME_TITLES = _set(
    "mr mrs ms miss mx dr prof sir dame lord lady herr frau m mme mlle me maître mevrouw"
    " meneer mevr dhr sr sra srta dña"
)

# Names that are also words (German nouns among them, capitalised but after an article).
# Capitalisation says nothing for the second set, nationalities, capitalised anywhere.
_WORDS_TOO = _set(
    "will may mark rose sunny grace bill frank guy hope iris victor joy faith april june august"
    " art bob pat sue don dawn summer holly ivy lily daisy heather amber ruby pearl crystal"
    " penny rob jack chase drew lance rich sterling grant gene hunter major king earl dale"
    " glen reed wade dusty misty river sky storm autumn winter star angel honey ginger olive"
    " violet jade hazel willow brook robin jay sandy rusty ray nick rocky max cash price page"
    " ward young long short white black brown green gray grey baker cook hall hill wood stone"
    " banks bush bell fox hunt moss lane field marsh mills parks rice rush wolf bird swan crane"
    " lamb little strong sharp wise fair good noble love sweet"
    " petit blanc martin roux fontaine mercier boulanger lebrun claire blanche constance"
    " blanco rubio moreno delgado calvo bravo cruz rey leal vega pastor santos luz paz sol"
    " mar pilar gloria victoria dolores mercedes consuelo rosa"
    " roos bakker visser jong"
    " richter koch bauer fischer schneider weber becker fuchs vogel hahn kaiser könig graf"
    " schäfer zimmermann ernst"
)
_ALWAYS_CAPITALISED = _set(
    "english french german dutch spanish scott welsh irish british england france holland"
)
_MONTHS = _set(
    "january february march april may june july august september october november december"
    " jan feb mar apr jun jul aug sep sept oct nov dec januar februar märz mai juni juli"
    " oktober dezember janvier février mars avril juin juillet août septembre octobre"
    " novembre décembre januari februari maart mei augustus enero febrero marzo abril mayo"
    " junio julio agosto septiembre octubre noviembre diciembre"
)
_DATE_AFTER = re.compile(r"[ \t\u00a0]{0,3},?[ \t\u00a0]{0,3}\d")
_DATE_BEFORE = re.compile(
    r"(?:\d[^\W\d_]{0,2}\.?|\d[^\W\d_]{0,2}[ \t\u00a0]+of|(?<![^\W_])(?i:in|since|during|until"
    r"|till|early|late|mid|next|last|this|end of|im|seit|bis|anfang|ende|mitte|en|depuis"
    r"|début|fin|sinds|tot|vanaf|eind|desde|hasta))[ \t\u00a0]+\Z"
)
_DETERMINER_BEFORE = re.compile(
    r"(?<![^\W_])(?i:(the|a|an|this|that|my|your|his|her|our|their|its|last|no|any|every|each"
    r"|der|die|das|den|dem|des|ein|eine|einen|einem|einer|le|la|les|un|une|du|ce|cette|het"
    r"|een|el|los|las|una|su|sus|mi))[ \t\u00a0]+\Z"
)
_SENTENCE_START_BEFORE = re.compile(r"(?:\A|[.!?:;\n])[ \t\u00a0\"'“\u2018(\[*•-]*\Z")
# What follows a person at the start of a sentence: "Mark told me", "Will, can you…".
_NEXT = re.compile(r"[ \t\u00a0]{0,3}(?:([^\W\d_]{1,40})(?![^\W\d_])|[,;:!)'\u2019\n]|\Z)")
_PERSON_VERBS = _set(
    "said says told tells wrote writes asked asks called calls is was has had would could did"
    " does and or also never always still just then thinks thought wants wanted knows knew went"
    " came sent gave took made got left signed agreed replied confirmed emailed lives lived"
    " works worked explained paid owes refused"
    " hat ist war sagt sagte schrieb und hatte wird kam meint meinte"
    " est dit était et avait écrit heeft zegt zei schreef dijo ha tiene era escribió había"
)
_MODALS = _set("will may can")
_SPACES = frozenset(" \t\u00a0")
_JOINERS = frozenset("-'\u2019")
_FIRST = operator.itemgetter(0)  # a hit's start
_NEXT_WORD = re.compile(r"[ \t\u00a0]{1,3}([^\W\d_][\w'\u2019-]{0,40})(?![\w'\u2019-])")
_WORD_BEFORE = re.compile(r"(?<![^\W_])([^\W\d_]+)[ \t\u00a0]+\Z")
_INITIAL_BEFORE = re.compile(r"(?<![^\W_])([^\W\d_])(?:\.-?|-)?[ \t\u00a0]*\Z")
_GAP_TOKEN = re.compile(r"[ \t\u00a0]+|[^\W\d_]+\.?|\S")
_VALUE_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
# The widest gap between two words of one name: "van der", "de la", initials, "&".
_MOST_GAP = 24
# Bounded windows before a hit, for titles and dates; every pattern read after a hit is bounded
# too, so that no run of spaces or letters is read again from each hit before it.
_WINDOW = 24

# Folding a text for the search: one ASCII byte per character, so that offsets carry over;
# anything outside ASCII becomes "?", and so do the letters that carry diacritics in these
# languages, so that "López", "Lopez" and "LÓPEZ" all read "l?p?z".
_PROJECT = bytes.maketrans(b"aeiouycn'", b"?????????")
# Folding a word for the lookup.
_SPECIAL = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "\u0131": "i",
     "\u2019": "'", "\u2018": "'", "\u02bc": "'"}
)  # fmt: skip
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


@functools.lru_cache(maxsize=4096)
def _canon(word: str) -> str:
    """Lowercase, without diacritics: "Müller" and "MULLER" are "muller"."""
    if word.isascii():
        return word.lower()
    lowered = word.lower().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFD", lowered)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _forms(word: str) -> tuple[str, str]:
    """A word's folded forms: "Müller" is both "muller" and "mueller"."""
    return _canon(word), _canon(word.lower().translate(_GERMAN))


def _project(text: str) -> bytes:
    return text.encode("ascii", "replace").lower().translate(_PROJECT)


def _bounded(text: str, start: int, end: int) -> bool:
    """A whole word: no letter or digit on either side, nor a hyphen joining another word
    ("Carter" is not in "Smith-Carter"). An apostrophe may stand on either side: "d'Hélène",
    "Helen's"."""
    if start and (
        text[start - 1].isalnum()
        or (text[start - 1] == "-" and start > 1 and text[start - 2].isalnum())
    ):
        return False
    return end == len(text) or not (
        text[end].isalnum()
        or (text[end] == "-" and end + 1 < len(text) and text[end + 1].isalnum())
    )


@dataclass(frozen=True)
class _Party:
    name: str
    words: tuple[str, ...]  # folded, in order, without particles and legal forms
    connectors: frozenset[str]  # the particles and connectors its name holds
    before: dict[str, tuple[str, ...]]  # a word's particles, "berg": ("van", "der")
    initials: str  # of the given names, "hm" for Helen Margaret Carter
    anchors: frozenset[str]  # words that name the party on their own
    company: bool
    spellings: dict[str, str]  # every folded spelling of a word: the word, "mueller": "muller"

    @property
    def first(self) -> str:
        return self.words[0]


def _party(name: str) -> _Party | None:
    raw = name.split()
    if (
        "," in name
        and len(raw) > 1
        and not any(_canon(w.strip(",")).replace(".", "") in _LEGAL_WORDS for w in raw)
    ):
        surname, _, given = name.partition(",")  # "Müller, Jürgen"
        raw = given.split() + surname.split()
    while len(raw) > 1 and raw[0].strip(".").casefold() in _NAME_TITLES:
        raw = raw[1:]
    folded = [_canon(word.strip(".,")) for word in raw]
    legal = [word.replace(".", "") in _LEGAL_WORDS for word in folded]
    generic = sum(word in _GENERIC_COMPANY_WORDS for word in folded[1:])
    company = any(legal) or "&" in folded or generic > 1 or folded[-1] in _COMPANY_ENDINGS
    connectors = _CONNECTORS if company else _PARTICLES
    words: list[str] = []
    spellings: dict[str, str] = {}
    before: dict[str, tuple[str, ...]] = {}
    pending: list[str] = []
    initials: list[str] = []  # of each given name in order, "jp" for Jean-Pierre, "f" for F.
    for position, (word, is_legal) in enumerate(zip(folded, legal, strict=True)):
        if is_legal or not word:
            continue
        if word in connectors and 0 < position < len(folded) - 1:
            pending.append(word)
            continue
        initials.append("".join(part[:1] for part in word.split("-")))
        if len(word) == 1:  # "John F. Kennedy"
            continue
        before[word] = tuple(pending)
        pending = []
        words.append(word)
        spellings |= dict.fromkeys(_forms(raw[position].strip(".,")), word)
    if not words:
        return None
    if company:
        anchors = frozenset(w for w in words if w not in _GENERIC_COMPANY_WORDS) or {words[0]}
    else:
        anchors = frozenset(words)
    return _Party(
        name=" ".join(name.split()),
        words=tuple(words),
        connectors=frozenset(w for w in folded if w in connectors),
        before=before,
        initials="".join(initials[:-1]),  # the surname's is no initial of a given name
        anchors=frozenset(anchors),
        company=company,
        spellings=spellings,
    )


@dataclass(frozen=True)
class _Word:
    """One spelling of the parties' words, and what the finder needs to know of it."""

    owners: dict[int, str]  # each party whose name holds it: the name's word it spells
    words: frozenset[str]  # those words
    connectors: frozenset[str]  # the particles and connectors of those parties' names
    anchor: bool  # names a party on its own
    given: bool  # a person's name before the surname
    surname: bool  # only ever a person's surname
    word_too: bool  # also a word ("Will", "Grace"): read in context
    capitalised_too: bool  # a word that is capitalised anyway (nationalities, German nouns)
    month: bool
    plain: bool  # a name and nothing else: capitalised, it names its party anywhere


@dataclass(slots=True)
class _Run:
    """Words of one party side by side in a text."""

    start: int
    end: int
    first: dict[int, str]  # the first word's owners
    parties: set[int]
    words: set[str]
    strong: bool = False
    capitalised: bool = False
    anchors: int = 0


class Parties:
    """The case's parties: :meth:`find` spans of their names in a text, :meth:`party_of` the
    party a found name belongs to."""

    def __init__(self, parties: Iterable[_Party]) -> None:
        self._parties = tuple(parties)
        self._companies = {index for index, party in enumerate(self._parties) if party.company}
        owners: dict[str, dict[int, str]] = {}
        for index, party in enumerate(self._parties):
            for spelling, word in party.spellings.items():
                owners.setdefault(spelling, {})[index] = word
        self._words = {spelling: self._word(of) for spelling, of in owners.items()}
        self._ascii_keys = {
            spelling.encode(): word for spelling, word in self._words.items() if spelling.isascii()
        }
        # The German spellings written back too: "Müller" for the party "Mueller".
        respelled = {
            spelling.replace("ae", "ä").replace("oe", "ö").replace("ue", "ü").replace("ss", "ß")
            for spelling in self._words
        }
        self._projected_keys = frozenset(map(_project, {*self._words, *respelled}))

    def _word(self, owners: dict[int, str]) -> _Word:
        # One pass over the word's owners (nearly always one): built for every word of every
        # party each time a case's parties are first seen.
        connectors: set[str] = set()
        anchor = given = False
        surname = True
        for index, word in owners.items():
            party = self._parties[index]
            connectors |= party.connectors
            anchor = anchor or word in party.anchors
            last = party.words[-1] == word
            given = given or (not party.company and not last)
            surname = surname and not party.company and last and len(party.words) > 1
        canonical = frozenset(owners.values())
        return _Word(
            owners=owners,
            words=canonical,
            connectors=frozenset(connectors),
            anchor=anchor,
            given=given,
            surname=surname,
            word_too=not canonical.isdisjoint(_WORDS_TOO),
            capitalised_too=not canonical.isdisjoint(_ALWAYS_CAPITALISED),
            month=not canonical.isdisjoint(_MONTHS),
            plain=canonical.isdisjoint(_WORDS_TOO) and canonical.isdisjoint(_ALWAYS_CAPITALISED),
        )

    def _lookup(self, token: str) -> _Word | None:
        word = self._words.get(_canon(token))
        if word is None and not token.isascii():  # "Müller" for the party "Mueller"
            word = self._words.get(_canon(token.lower().translate(_GERMAN)))
        return word

    def _hits(self, text: str) -> list[tuple[int, int, _Word]]:
        hits = []
        if text.isascii():
            space = text.lower().encode()
            for key, word in self._ascii_keys.items():
                start = space.find(key)
                while start >= 0:
                    end = start + len(key)
                    if _bounded(text, start, end):
                        hits.append((start, end, word))
                    start = space.find(key, start + 1)
        else:
            space = _project(text)
            for key in self._projected_keys:
                start = space.find(key)
                while start >= 0:
                    end = start + len(key)
                    if _bounded(text, start, end) and (found := self._lookup(text[start:end])):
                        hits.append((start, end, found))
                    start = space.find(key, start + 1)
        hits.sort(key=_FIRST)
        return hits

    def find(self, text: str) -> Iterator[Span]:
        runs: list[_Run] = []
        run: _Run | None = None  # the last
        for start, end, word in self._hits(text):
            capitalised = text[start].isupper()
            # "will", "may", "grace" in lowercase are words, even beside the party's name.
            if (word.word_too and not capitalised) or (
                (word.given and self._somebody_else(text, end, word))
                or (
                    word.surname
                    # right after a word of the parties, told without a pattern
                    and (run is None or start - run.end > 1)
                    and self._another_given_name(text, start)
                )
                or (word.month and _dated(text, start, end))
            ):
                continue
            if run is not None and start < run.end:  # two spellings overlapping: the first
                continue
            if (
                run is None
                or start - run.end > _MOST_GAP
                or not self._joins(text, run, start, word)
            ):
                run = _Run(start, end, word.owners, set(word.owners), set())
                runs.append(run)
            else:
                run.end = end
                run.parties &= word.owners.keys()
            run.words |= word.words
            run.strong = run.strong or (
                word.anchor and capitalised and (word.plain or self._strong(text, start, end, word))
            )
            run.capitalised |= capitalised
            run.anchors += word.anchor
        covered = 0
        for run in runs:
            if (span := self._accepted(text, run)) is not None:
                # A run widened back over its particles never reaches into the previous span.
                yield max(span[0], covered), span[1]
                covered = span[1]

    def _somebody_else(self, text: str, end: int, word: _Word) -> bool:
        """A given name directly followed by a surname that is not the party's: "Helen Smith"
        and "Maja van den Berg" are not the parties Helen Carter and Maja Jansen."""
        if text[end : end + 1] not in _SPACES:  # the common case, told without a pattern
            return False
        following = _NEXT_WORD.match(text, end)
        if following is None:
            return False
        # "Helen Carter's", "Helen Williams'"
        name = following[1].removesuffix("'s").removesuffix("\u2019s").rstrip("'\u2019")
        if len(name) < 2:
            return False
        folded = _canon(name)
        if folded in word.connectors:
            return False
        if name.islower():
            return folded in _PARTICLES and _particles_then_name(text, following.end())
        other = self._lookup(name)
        return name[0].isupper() and (other is None or not other.owners.keys() & word.owners.keys())

    def _another_given_name(self, text: str, start: int) -> bool:
        """A surname directly after a first name that is not the party's: "Nancy Johnson" is
        not the party Jennifer Johnson (nor "Jennifer Nancy Johnson" another person)."""
        if text[start - 1 : start] not in _SPACES or not text[start - 2 : start - 1].isalpha():
            return False  # the common case, told without a pattern
        before = _WORD_BEFORE.search(text, max(0, start - _WINDOW), start)
        if (
            before is None
            or not before[1][0].isupper()
            or text[before.start() - 1 : before.start()] in _JOINERS  # "Friedrich-Karl"
            or self._lookup(before[1])
        ):
            return False
        if _canon(before[1]) not in gazetteer().first_names:
            return False
        earlier = _WORD_BEFORE.search(text, max(0, before.start() - _WINDOW), before.start())
        return earlier is None or self._lookup(earlier[1]) is None

    def _strong(self, text: str, start: int, end: int, word: _Word) -> bool:
        """Whether this capitalised word, also a word, alone names its party here."""
        determiner = _DETERMINER_BEFORE.search(text, max(0, start - _WINDOW), start)
        # "la" in "de la Fontaine" is the name's, not an article.
        if determiner and _canon(determiner[1]) not in word.connectors:
            return False
        at_start = _SENTENCE_START_BEFORE.search(text, max(0, start - _WINDOW), start)
        if not (at_start or word.capitalised_too or text[start:end].isupper()):
            return True
        following = _NEXT.match(text, end)
        if following is None:
            return False
        verb = following[1]
        if verb is None:
            return True
        if verb == "a":  # French "Claire a signé", but not "Will a court…", "May a tenant…"
            return not word.words & _MODALS
        return verb.islower() and (verb in _PERSON_VERBS or (len(verb) > 4 and verb.endswith("ed")))

    def _joins(self, text: str, run: _Run, start: int, word: _Word) -> bool:
        """Whether the text between a run and the next word is what a name holds between its
        words: spaces, its particles, its initials, and a comma before the given name when
        reversed ("Carter, Helen"). The caller keeps gaps to _MOST_GAP characters."""
        common = run.parties & word.owners.keys()
        if not common:
            return False
        gap = text[run.end : start]
        if gap == " ":
            return True
        tokens = _GAP_TOKEN.findall(gap)
        if not any(token[0] in " \t\u00a0" or token == "," for token in tokens):
            return False
        members = [self._parties[p] for p in common]
        for token in tokens:
            if token[0] in " \t\u00a0":
                continue
            if token == ",":
                if any(
                    word.owners[p] == self._parties[p].first
                    and self._parties[p].first not in run.words
                    for p in common
                ):
                    continue
                return False
            folded = _canon(token.rstrip("."))
            if any(folded in party.connectors for party in members):
                continue
            if (
                len(folded) == 1
                and token[0].isupper()
                and any(folded in party.initials for party in members)
            ):
                continue
            return False
        return True

    def _accepted(self, text: str, run: _Run) -> Span | None:
        """The run's span, widened to its particles, initials and legal form, if the run names
        the party: a strong word, two of its names, all of a company's words, or a title."""
        start = self._widened(text, run)
        # Particles or initials before a surname make it a name too: "J.-P. de la Fontaine".
        if not (
            run.strong
            or run.anchors >= 2
            or start < run.start
            or self._whole(run)
            or (self._person(run) and _title_before(text, start))
        ):
            return None
        end = run.end
        if text[end : end + 1] in (" ", ",") and not self._person(run):
            end = legal.end() if (legal := _LEGAL_FORM.match(text, end)) else end
        return start, end

    def _whole(self, run: _Run) -> bool:
        """Whether the run holds all the words of a party's name (at least two, one of them
        capitalised): "jane doe", "Design Studio" for the party Design Studio Ltd."""
        return run.capitalised and any(
            len(words := self._parties[p].words) > 1 and run.words.issuperset(words)
            for p in run.parties
        )

    def _person(self, run: _Run) -> bool:
        return not run.parties <= self._companies

    def _widened(self, text: str, run: _Run) -> int:
        """The run's start, moved back over the party's particles ("van der Berg") and initials
        ("H.M. Carter") written before it."""
        start = run.start
        if start < 2:
            return start
        for p in run.parties:
            party, first = self._parties[p], run.first[p]
            cursor = start
            for particle in reversed(party.before[first]):
                before = _WORD_BEFORE.search(text, max(0, cursor - _WINDOW), cursor)
                if before is None or _canon(before[1]) != particle:
                    break
                cursor = before.start()
            else:
                # All the party's particles, as its name writes them: "dat van Orleans zei",
                # "van der Veen, Zoë" for the party Zoë van der Veen.
                start = cursor
            if not party.company and first != party.first and _after_initial(text, start):
                start = _initials_before(text, start, party.initials)
        return start

    def party_of(self, value: str) -> str | None:
        """The party whose name ``value`` is a form of, if exactly one party's is: its words
        are the party's, or titles, particles, initials and legal forms."""
        candidates: set[int] | None = None
        for token in _VALUE_WORD.findall(value):
            if token.endswith(("'s", "\u2019s")):
                token = token[:-2]
            word = self._lookup(token)
            if word is not None:
                owners = word.owners.keys()
                candidates = set(owners) if candidates is None else candidates & owners
                continue
            folded = _canon(token.rstrip("."))
            if len(folded) > 1 and folded not in _NOT_NAMES:
                return None
        if candidates is None or len(candidates) != 1:
            return None
        return self._parties[candidates.pop()].name


def _particles_then_name(text: str, cursor: int) -> bool:
    """Whether particles and a capitalised word follow: " den Berg", not " du bail"."""
    for _ in range(3):
        following = _NEXT_WORD.match(text, cursor)
        if following is None:
            return False
        if following[1][0].isupper():
            return True
        if _canon(following[1]) not in _PARTICLES:
            return False
        cursor = following.end()
    return False


def _after_initial(text: str, start: int) -> bool:
    """Whether an initial may stand right before ``start``: "H. ", "H.", "H ", a cheap test
    before the pattern."""
    before = text[max(0, start - 3) : start].rstrip(" \t\u00a0")
    return bool(before) and (
        before[-1] == "." or (before[-1].isupper() and not before[-2:-1].isalpha())
    )


def _title_before(text: str, start: int) -> bool:
    """Whether a title or a salutation stands right before ``start``: spaces first, told
    without the pattern."""
    return text[start - 1 : start] in _SPACES and bool(
        _TITLE_BEFORE.search(text, max(0, start - _WINDOW), start)
    )


def _dated(text: str, start: int, end: int) -> bool:
    """A month's name beside a day or a year, or after "in", "since"…: a date."""
    return bool(
        _DATE_AFTER.match(text, end) or _DATE_BEFORE.search(text, max(0, start - _WINDOW), start)
    )


def _initials_before(text: str, start: int, initials: str) -> int:
    """``start`` moved back over initials of the party written before it, "H.M. " or "J.-P. "
    (starting with its first given name's)."""
    letters: list[tuple[int, str]] = []
    cursor = start
    while len(letters) < len(initials):
        initial = _INITIAL_BEFORE.search(text, max(0, cursor - 4), cursor)
        if initial is None or not initial[1].isupper():
            break
        cursor = initial.start()
        letters.append((cursor, _canon(initial[1])))
    # The nearest letters that, read in order, start with the first initial and follow the
    # given names.
    for count in range(len(letters), 0, -1):
        written = "".join(letter for _, letter in reversed(letters[:count]))
        if written[0] == initials[0] and _in_order(written, initials):
            return letters[count - 1][0]
    return start


def _in_order(letters: str, initials: str) -> bool:
    remaining = iter(initials)
    return all(letter in remaining for letter in letters)


@functools.lru_cache(maxsize=1024)
def known_parties(known_names: Iterable[str]) -> Parties | None:
    """The parties of these names (a hashable collection, kept per set of names: the caller's
    and a case's parties recur), or None when there are none."""
    # One party per name however it is cased ("JANE DOE", "Jane Doe"), as typed rather than
    # in capitals.
    unique: dict[tuple[str, ...], _Party] = {}
    for name in sorted(set(known_names), key=lambda name: (name.isupper(), name)):
        if (party := _party(name)) is not None:
            unique.setdefault(party.words, party)
    return Parties(unique.values()) if unique else None
