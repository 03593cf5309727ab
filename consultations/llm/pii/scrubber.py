"""Replacing what the detectors find with tokens, and restoring placeholders in answers."""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from consultations.llm.pii.addresses import find_addresses
from consultations.llm.pii.contacts import find_dobs, find_emails, find_ips, find_phones
from consultations.llm.pii.kinds import SECRET_TYPES, Detector, EntityType
from consultations.llm.pii.names import person_finder
from consultations.llm.pii.secrets import SECRET_DETECTORS


@functools.lru_cache(maxsize=1024)
def identity_detectors(known_names: frozenset[str]) -> tuple[Detector, ...]:
    # Kept per set of names (the caller's and a case's parties recur), the detectors holding
    # no state: building them costs more than scrubbing a question.
    # Emails before names and phones (they contain both); addresses before phones (house
    # numbers and ZIP codes are digits).
    person = person_finder(known_names)
    return (
        (EntityType.EMAIL, find_emails),
        *(((EntityType.PERSON, person),) if person else ()),
        (EntityType.DOB, find_dobs),
        (EntityType.IP, find_ips),
        (EntityType.ADDRESS, find_addresses),
        (EntityType.PHONE, find_phones),
    )


Found = tuple[int, int, EntityType]


def _found(text: str, detectors: Iterable[Detector]) -> list[Found]:
    """Every detector's spans in the original text, without overlaps, in text order.

    A detector ranks below the ones before it: where its span overlaps theirs, theirs stand.
    An identity may still take in identities it wholly contains (a street named after a party:
    the whole address is masked, and restores whole), and starts after, or ends before, one it
    only overlaps at an edge (a party's name read as the first word of a street). Nothing
    overlaps a secret.
    """
    taken: list[Found] = []
    starts: list[int] = []
    for kind, find in detectors:
        for start, end in find(text):
            first = bisect.bisect_right(starts, start)
            if first and taken[first - 1][1] > start:
                first -= 1
            last = bisect.bisect_left(starts, end, lo=first)
            if first < last:
                overlapped = taken[first:last]
                if kind in SECRET_TYPES or any(k in SECRET_TYPES for _, _, k in overlapped):
                    continue
                if overlapped[0][0] < start:
                    start = _after_spaces(text, overlapped[0][1])
                    first += 1
                if overlapped[-1][1] > end and first < last:
                    end = _before_spaces(text, overlapped[-1][0])
                    last -= 1
                if start >= end:
                    continue
            starts[first:last] = [start]
            taken[first:last] = [(start, end, kind)]
    return taken


def _after_spaces(text: str, at: int) -> int:
    return len(text) - len(text[at:].lstrip())


def _before_spaces(text: str, at: int) -> int:
    return len(text[:at].rstrip())


def _run(text: str, detectors: Iterable[Detector], token: Callable[[EntityType, str], str]) -> str:
    """``text`` with what ``detectors`` find replaced by ``token``'s values, called in text
    order so that placeholders are numbered as the values appear."""
    parts: list[str] = []
    cursor = 0
    for start, end, kind in _found(text, detectors):
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
        self._detectors = SECRET_DETECTORS + identity_detectors(frozenset(known_names))
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
    return _run(text, SECRET_DETECTORS, _secret_token)
