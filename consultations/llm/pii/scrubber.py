"""Replacing what the detectors find with tokens, and restoring placeholders in answers."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from consultations.llm.pii.addresses import find_addresses
from consultations.llm.pii.contacts import find_dobs, find_emails, find_ips, find_phones
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
        names = frozenset(known_names)
        self._detectors = SECRET_DETECTORS + identity_detectors(names)
        self._parties = known_parties(names)
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
