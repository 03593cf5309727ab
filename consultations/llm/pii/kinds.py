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

    # Hashed as the string it is (its name is its value, so the hash is Enum's own): in C,
    # rather than Enum's Python __hash__, for every set and dict the scrubber keys by kind.
    __hash__ = str.__hash__


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

# What a Finder may assume, and owes, in the scrubber (``scrubber._found``):
# - It gets the original text, the same string for every detector of one scrub: never another
#   detector's tokens ("[IBAN]", "<PERSON_1>"), so it needs no rule for them.
# - It yields spans (start, end) of that text, non-empty, in increasing order, none
#   overlapping the one before.
# - Where its span overlaps a detector listed before it, theirs stands: the span is dropped if
#   either is a secret or both are of one kind; an identity takes in identities of other kinds
#   it wholly contains and starts after (or ends before) one it overlaps at an edge. So order
#   the detectors, not the patterns.
# - The hints of ``finders.py`` (``has``, ``has_digits``, ``matches``) work
#   each fact of a text out once per scrub, however many detectors ask: gate freely with them.
#   A hint must pass every text the finder could find something in.
# - It runs in time linear in the text (tests/security/test_scrubber_linear_time.py).
# - Budget: the whole scrubber must run at 200 us per KB or less; a regex that is tried at
#   every position costs 10-60 us per KB on the corpus whatever it finds, so a finder is
#   gated by a hint, tried only at its labels (``finder(..., starts=...)``), or starts with a
#   character class or lookahead that fails most positions at once.
