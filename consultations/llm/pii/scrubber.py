"""Replacing what the detectors find with tokens, and restoring placeholders in answers.

Every detector reads the original text once; their spans are merged (``_found``: the detector
listed first wins an overlap) and the result is built in one pass, in text order, so that
placeholders are numbered as values appear. Compared with running each detector on the text the
previous ones produced, no detector pays for rebuilding the text or for reading tokens, a text's
facts are worked out once for all hints, and a mapped value is always the original's text, never
one holding another placeholder (which restore() would leave in the answer).
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from consultations.llm.pii.addresses import find_addresses
from consultations.llm.pii.contacts import find_dobs, find_emails, find_ips, find_phones
from consultations.llm.pii.finders import one_text
from consultations.llm.pii.gazetteer import gazetteer
from consultations.llm.pii.kinds import SECRET_TYPES, Detector, EntityType
from consultations.llm.pii.names import known_parties
from consultations.llm.pii.people import find_people
from consultations.llm.pii.secrets import SECRET_DETECTORS


@functools.lru_cache(maxsize=1024)
def identity_detectors(known_names: frozenset[str]) -> tuple[Detector, ...]:
    # Kept per set of names (the caller's and a case's parties recur), the detectors holding
    # no state: building them costs more than scrubbing a question.
    # Emails before names and phones (they contain both); addresses before phones (house
    # numbers and ZIP codes are digits).
    parties = known_parties(known_names)
    return (
        (EntityType.EMAIL, find_emails),
        *(((EntityType.PERSON, parties.find),) if parties else ()),
        (EntityType.PERSON, find_people),
        (EntityType.DOB, find_dobs),
        (EntityType.IP, find_ips),
        (EntityType.ADDRESS, find_addresses),
        (EntityType.PHONE, find_phones),
    )


Found = tuple[int, int, EntityType]


def _found(text: str, detectors: Iterable[Detector]) -> list[Found]:
    """Every detector's spans in the original text, without overlaps, in text order.

    A detector ranks below the ones before it: where its span overlaps theirs, theirs stand.
    An identity may still take in identities of other kinds it wholly contains (a street named
    after a party: the whole address is masked, and restores whole), and starts after, or ends
    before, one it only overlaps at an edge (a party's name read as the first word of a street).
    Nothing overlaps a secret, nor a value of its own kind found first (a party's surname
    stands inside "J. Carter", which the finder of people nobody listed reads whole).
    """
    taken: list[Found] = []
    for kind, find in detectors:
        # One merge of this detector's spans, in order, with those taken: linear in both.
        merged: list[Found] = []
        at = 0  # taken[at:] are not yet in merged
        for start, end in find(text):
            while at < len(taken) and taken[at][1] <= start:
                merged.append(taken[at])
                at += 1
            last = at
            while last < len(taken) and taken[last][0] < end:
                last += 1
            inside, after = at, last  # taken[inside:after] are inside this span
            if at < last:
                if any(k in SECRET_TYPES or k is kind for _, _, k in taken[at:last]):
                    continue  # a secret, or a value of its kind found first, stands
                if taken[at][0] < start:
                    start = _after_spaces(text, taken[at][1])
                    inside += 1
                if inside < after and taken[after - 1][1] > end:
                    end = _before_spaces(text, taken[after - 1][0])
                    after -= 1
                if start >= end:
                    continue
            merged += taken[at:inside]
            merged.append((start, end, kind))
            at = after  # what was inside is taken in
        taken = merged + taken[at:]
    return taken


def _after_spaces(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _before_spaces(text: str, at: int) -> int:
    while at and text[at - 1].isspace():
        at -= 1
    return at


class _Recent:
    """What the detectors found in recent texts, by a digest of the text and the detectors:
    the same texts come back (a case's system prompt on every question of the case, a question
    asked again, the transcript masked again when recorded), and finding costs far more than a
    lookup. Only spans are kept, never a text: the key is a digest."""

    _SIZE = 1024

    def __init__(self) -> None:
        self._found: dict[tuple[tuple[Detector, ...], bytes], list[Found]] = {}
        self._lock = threading.Lock()

    def found(self, text: str, detectors: tuple[Detector, ...]) -> list[Found]:
        key = (detectors, hashlib.blake2b(text.encode(errors="surrogatepass")).digest())
        with self._lock:
            found = self._found.get(key)
        if found is None:
            with one_text(text):
                found = _found(text, detectors)
            with self._lock:
                if len(self._found) >= self._SIZE:
                    del self._found[next(iter(self._found))]
                self._found[key] = found
        return found

    def clear(self) -> None:
        """Forget every text: for the benchmarks, which time finding, not looking up."""
        with self._lock:
            self._found.clear()


recent = _Recent()


def _run(
    text: str, detectors: tuple[Detector, ...], token: Callable[[EntityType, str], str]
) -> str:
    """``text`` with what ``detectors`` find replaced by ``token``'s values, called in text
    order so that placeholders are numbered as the values appear."""
    found = recent.found(text, detectors)
    parts: list[str] = []
    cursor = 0
    for start, end, kind in found:
        parts += [text[cursor:start], token(kind, text[start:end])]
        cursor = end
    if not parts:
        return text
    parts.append(text[cursor:])
    return "".join(parts)


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
        names = frozenset(known_names)
        self._detectors = SECRET_DETECTORS + identity_detectors(names)
        self._parties = known_parties(names)
        self._mapping: dict[str, str] = {}
        self._placeholders: dict[tuple[EntityType, str], str] = {}
        # A value written again (a name, an e-mail) gets its placeholder without being read
        # again.
        self._by_value: dict[tuple[EntityType, str], str] = {}
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
        placeholder = self._by_value.get((kind, value))
        if placeholder is None:
            placeholder = self._by_value[kind, value] = self._placeholder(kind, value)
        return placeholder

    def _placeholder(self, kind: EntityType, value: str) -> str:
        # Every form of a party's name ("Helen", "Ms Carter", "CARTER, Helen") is that party,
        # restored as the name the caller gave; other values are keyed by what they say.
        party = None
        if kind is EntityType.PERSON and self._parties is not None:
            party = self._parties.party_of(value)
        original = party or value
        key = (kind, " ".join(original.casefold().split()))
        if key not in self._placeholders:
            self._numbers[kind] += 1
            placeholder = f"<{kind}_{self._numbers[kind]}>"
            self._placeholders[key] = placeholder
            self._mapping[placeholder] = original
        return self._placeholders[key]


def warm_up() -> None:
    """Load the name lists and compile the patterns a first scrub would, so that a web or
    worker process pays for them (a fraction of a second) when it starts, not on a question."""
    gazetteer()
    scrub("Dr Jane Doe (jane@example.org) paid with 4111 1111 1111 1111.", known_names=["Jo Ng"])


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


def placeholders_defused(text: str) -> str:
    """Quoted text (a document's passage) with anything shaped like a placeholder stripped of
    its angle brackets: "<PERSON_1>" written in a document names nobody the scrubber named,
    and left as it is, restore() would put the person the scrubber called so into the answer
    wherever the model repeats it."""
    return _PLACEHOLDER.sub(lambda match: match.group()[1:-1], text)


def unrestored_placeholders(text: str) -> list[str]:
    """Placeholders left after :func:`restore`: ones the model invented or mangled."""
    return list(dict.fromkeys(match.group() for match in _PLACEHOLDER.finditer(text)))


def mask_secrets(text: str) -> str:
    """Mask secrets only, for logs and records of text that is not sent to the model."""
    return _run(text, SECRET_DETECTORS, _secret_token)
