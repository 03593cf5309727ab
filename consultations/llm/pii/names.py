"""The case's parties, by the names the caller gives."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from consultations.llm.pii.kinds import Finder, Span

TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lord|Lady|Judge|Justice"


def person_finder(known_names: Iterable[str]) -> Finder | None:
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

    titled = rf"|(?:{TITLES})\.?\s+(?P<surname>{alternation(surnames)})" if surnames else ""
    pattern = re.compile(rf"(?<!\w)(?:(?P<full>{alternation(names)}){titled})(?!\w)", re.IGNORECASE)

    def find(text: str) -> Iterator[Span]:
        for match in pattern.finditer(text):
            yield match.span("full") if match["full"] else match.span("surname")

    return find
