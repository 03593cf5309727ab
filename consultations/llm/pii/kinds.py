"""What the scrubber finds: the kinds of personal data, and the shapes of its detectors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
