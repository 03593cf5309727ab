"""Reading a finished document's text: leftover placeholders and its numbered sections.

Both functions take plain text from anywhere: the assembled draft, or the LLM's polished
version of it, which may add Markdown (``## 1. Parties``, ``**1. Parties**``). Pure regexes,
no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each alternative is a way a draft shows that a fact is still to be filled in. Every repeat is
# bounded, so a long line of LLM output cannot make the scan quadratic.
_PLACEHOLDER = re.compile(
    r"""
      \{\{[^{}\n]{0,100}\}\} | \{%[^{}\n]{0,100}%\}  # template syntax never rendered
    | \[[ \t]{0,3}(?:[●•*…]|\.{2,5})?[ \t]{0,3}\]    # [●], [•], [...], [ ]
    | \[[A-Z][A-Z0-9 _./&'-]{0,60}\]                 # [CLIENT NAME], [DATE], a masked [IBAN]
    | \[(?i:insert|enter|add|specify)\b[^\]\n]{0,100}\]  # [insert date of lease]
    | <[A-Z][A-Z0-9]{0,30}(?:_[A-Z0-9]{1,10}){0,4}>    # <PERSON_1>: an identity not restored
    | _{3,}                                          # a blank to be filled in by hand
    | \b(?:TBD|TBC|TBA|TODO|XXX+)\b
    """,
    re.VERBOSE,
)

# "1. Parties", "## 1. Parties", "**1. Parties**", "**1.** Parties", "1. PARTIES". The number
# must be followed by a dot, so sub-clauses ("1.1 The Parties ...") are never headings. No two
# repeats sit side by side, so matching stays linear however long the line.
_HEADING = re.compile(
    r"^[ \t]*(?:\#{1,6}[ \t]*)?(?:(?:\*\*|__)[ \t]*)?"
    r"(?P<number>[0-9]{1,2})\.(?:\*\*|__)?[ \t]+(?P<heading>.*)$"
)
_MAX_HEADING_LENGTH = 80


@dataclass(frozen=True)
class Section:
    number: int
    heading: str
    body: str


def find_placeholders(text: str) -> list[str]:
    """Leftover placeholders in a draft (``[CLIENT NAME]``, ``{{ x }}``, ``<PERSON_1>``,
    ``____``, ``TBD``, ``[●]``...), each once, in the order they first appear."""
    return list(dict.fromkeys(match.group(0) for match in _PLACEHOLDER.finditer(text)))


def _heading_of(line: str, expected: int) -> str | None:
    """The heading if ``line`` opens section number ``expected``, else None.

    Only the next number in sequence counts, and a heading reads like a title (starts with a
    letter, short, no closing punctuation): that keeps numbered lists inside a section body,
    which an LLM likes to write, from being taken for sections.
    """
    match = _HEADING.match(line)
    if match is None or int(match["number"]) != expected:
        return None
    heading = match["heading"].strip("*_ \t\r")
    if (
        not heading[:1].isalpha()
        or len(heading) > _MAX_HEADING_LENGTH
        or heading.endswith((".", ",", ";", ":"))
    ):
        return None
    return heading


def sections_of(text: str) -> list[Section]:
    """The numbered sections of a finished text, in order. Whatever comes before section 1
    (a title, the parties to a letter) belongs to no section; a section's body runs to the
    next section's heading or to the end of the text."""
    sections: list[Section] = []
    heading: str | None = None
    body: list[str] = []

    def close() -> None:
        if heading is not None:
            sections.append(Section(len(sections) + 1, heading, "\n".join(body).strip()))

    for line in text.splitlines():
        expected = len(sections) + (2 if heading is not None else 1)
        found = _heading_of(line, expected)
        if found is None:
            body.append(line)
            continue
        close()
        heading, body = found, []
    close()
    return sections


def tidy(text: str) -> str:
    """Rendered template text without the blank lines and trailing spaces that template tags
    leave behind: no trailing whitespace, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
