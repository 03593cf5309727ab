"""Recall, precision and look-alikes kept, of a PII detector on the generated corpus.

A labelled value is *found* when every one of its non-space characters lies inside a detected
span of its own type, and *leaked* when any of them lies inside no detected span at all: a
secret masked under another secret type is not found, but it is not leaked either. A detected
span is *correct* when it overlaps a labelled value of its type and masks no letter or digit
outside labelled values, except a name's title ("Ms", "Herr"), its possessive ("'s") and the
rest of a business named after it ("Nowak [Design Studio]"), which may go either way. A
look-alike (a keep item) is *intact* when none of its letters and digits is
masked.

The scrubber's output is mapped back to spans of the original text (:func:`scrubbed_spans`);
the benchmark passes Presidio's spans to :func:`evaluate` the same way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from consultations.llm.pii import SECRET_TYPES, EntityType, Scrubber
from tests.privacy.generate_corpus import generate

Detected = tuple[str, int, int]  # entity type, start, end in the original text

# Tables the tests computed, shown in the terminal summary by this package's conftest.
REPORTS: dict[str, str] = {}


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    """The labelled texts, generated once per process (seeded: the same every time)."""
    return tuple(generate())


_TOKEN = re.compile(
    r"\[(?P<secret>{})\]|<(?P<identity>{})_\d+>".format(
        "|".join(kind for kind in EntityType if kind in SECRET_TYPES),
        "|".join(kind for kind in EntityType if kind not in SECRET_TYPES),
    )
)


# How many choices the alignment that keeps placeholders to their mapped values may try.
_STRICT_STEPS = 10_000


@cache
def _spelled(value: str) -> re.Pattern[str]:
    """A mapped value as it may be written: any case, any run of spaces between its words."""
    return re.compile(r"\s+".join(re.escape(word) for word in value.split()), re.IGNORECASE)


def scrubbed_spans(original: str, scrubbed: str, mapping: dict[str, str]) -> list[Detected]:
    """Where in `original` each token of `scrubbed` stands.

    The scrubbed text is the original with some values swapped for tokens: its literal parts,
    found in turn in the original, bound the tokens' spans. A placeholder's mapped value need
    not be the text it replaced (one party's placeholder stands for "Helen", "Ms Carter" and
    "Helen Carter" alike, mapped to the full name), so a placeholder, like a secret, spans the
    mapped value where that fits, else the shortest text after which the next literal part
    follows; where that choice leaves a later part unplaced, the next one is tried. (A regex
    with a group per token does the same but compiles each text's literal parts: four times
    slower on the corpus.) Where two tokens are parted only by text that also occurs inside
    the first one, the split between them is a guess.
    """
    tokens = list(_TOKEN.finditer(scrubbed))
    bounds = [0, *(i for t in tokens for i in t.span()), len(scrubbed)]
    literals = [scrubbed[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True)]
    last = len(original) - len(literals[-1])
    misaligned = ValueError(f"scrubbed text does not align with its original: {scrubbed!r}")
    if not tokens:
        if original != scrubbed:
            raise misaligned
        return []
    if not (original.startswith(literals[0]) and original.endswith(literals[-1])):
        raise misaligned

    def ends(index: int, start: int, strict: bool) -> Iterator[int]:
        """Where token `index`, starting at `start`, may end: its mapped value first, and when
        `strict`, a placeholder nowhere else."""
        if index == len(tokens) - 1:
            yield from [last] if last > start else []
            return
        token, after = tokens[index], literals[index + 1]
        if token["identity"] and (value := mapping.get(token.group(), "").strip()):
            spelled = _spelled(value).match(original, start)
            if spelled and original.startswith(after, spelled.end()):
                yield spelled.end()
            if strict:
                return
        end = original.find(after, start + 1)
        while 0 <= end <= last:
            yield end
            end = original.find(after, end + 1)

    def search(strict: bool, budget: int) -> list[tuple[int, int]] | None:
        """Depth first, each token's end a choice point; spans[k] is token k's current end."""
        spans: list[tuple[int, int]] = []
        choices = [ends(0, len(literals[0]), strict)]
        while len(spans) < len(tokens):
            budget -= 1
            if not choices or not budget:
                return None
            index = len(choices) - 1
            start = len(literals[0]) if index == 0 else spans[-1][1] + len(literals[index])
            end = next(choices[-1], None)
            if end is None:
                choices.pop()
                if spans:
                    spans.pop()
                continue
            spans.append((start, end))
            if index + 1 < len(tokens):
                choices.append(ends(index + 1, end + len(literals[index + 1]), strict))
        return spans

    # A placeholder that spells its mapped value settles where a secret before it ends (a
    # private key's lines, then a name); failing that, placeholders take any text.
    spans = search(strict=True, budget=_STRICT_STEPS) or search(strict=False, budget=-1)
    if spans is None:
        raise misaligned
    return [
        (token["secret"] or token["identity"], start, end)
        for token, (start, end) in zip(tokens, spans, strict=True)
    ]


def scrubber_detections(item: dict[str, Any]) -> list[Detected]:
    """What the product's scrubber masks in one corpus text, given the case's parties."""
    scrubber = Scrubber(known_names=item["known_names"])
    scrubbed = scrubber.scrub(item["text"])
    return scrubbed_spans(item["text"], scrubbed, scrubber.mapping)


@dataclass
class Score:
    labelled: int = 0
    found: int = 0
    leaked: int = 0
    detected: int = 0
    correct: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.found / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.detected if self.detected else None


@dataclass
class Kept:
    items: int = 0
    intact: int = 0
    broken: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.intact / self.items if self.items else None


@dataclass
class Scores:
    """Every view of one detector on the corpus."""

    by_type: dict[str, Score]
    by_locale: dict[str, Score]
    by_type_and_locale: dict[tuple[str, str], Score]
    by_group: dict[str, Score]  # all, secrets, identities, and names by who listed them
    by_format: dict[tuple[str, str], Score]
    keep: dict[str, Kept]  # per keep kind, and "all"
    keep_by_locale: dict[str, Kept]


_POSSESSIVE = re.compile(r"['\u2019]s?\b")


def _marks(length: int, spans: Iterable[tuple[int, int]]) -> bytearray:
    marks = bytearray(length)
    for start, end in spans:
        marks[start:end] = b"\1" * (end - start)
    return marks


def _excusable(text: str, entity: dict[str, Any]) -> tuple[int, int]:
    """A label's span, widened over its title and possessive: masking those is no error."""
    start, end = entity["start"], entity["end"]
    if entity["type"] == EntityType.PERSON:
        if title := entity.get("title"):
            start = max(0, text.rfind(title, 0, start))
        if possessive := _POSSESSIVE.match(text, end):
            end = possessive.end()
        end += len(entity.get("suffix", ""))
    return start, end


def groups(entity: dict[str, Any]) -> Iterator[str]:
    """The summary rows an entity counts in."""
    yield "all"
    yield "secrets" if entity["type"] in SECRET_TYPES else "identities"
    if entity["type"] == EntityType.PERSON:
        if entity.get("listed"):
            yield "names: listed parties"
        else:
            yield "names: nobody listed"
            yield f"names: nobody listed, {entity['source']}"


def format_key(entity: dict[str, Any]) -> tuple[str, str]:
    """The format an entity is tallied under: a phone's layout without its country."""
    fmt = entity["format"]
    if entity["type"] in {EntityType.PHONE, EntityType.IBAN}:
        fmt = fmt.split("/", 1)[1]
    return entity["type"], fmt


def score(items: Iterable[dict[str, Any]], detections: Iterable[list[Detected]]) -> Scores:
    """Scores of `detections[i]`, the spans detected in `items[i]`, in every view."""
    scores = Scores(
        by_type={kind.value: Score() for kind in EntityType},
        by_locale=defaultdict(Score),
        by_type_and_locale=defaultdict(Score),
        by_group=defaultdict(Score),
        by_format=defaultdict(Score),
        keep=defaultdict(Kept),
        keep_by_locale=defaultdict(Kept),
    )
    for item, detected in zip(items, detections, strict=True):
        text, entities = item["text"], item["entities"]
        length = len(text)
        masked = _marks(length, ((s, e) for _, s, e in detected))
        masked_as: dict[str, bytearray] = {}
        for kind, start, end in detected:
            masked_as.setdefault(kind, bytearray(length))[start:end] = b"\1" * (end - start)
        locale = scores.by_locale[item["locale"]]
        for entity in entities:
            kind, start, end = entity["type"], entity["start"], entity["end"]
            chars = [i for i in range(start, end) if not text[i].isspace()]
            own = masked_as.get(kind, b"")
            found = bool(own) and all(own[i] for i in chars)
            leaked = not all(masked[i] for i in chars)
            rows = [
                scores.by_type[kind],
                locale,
                scores.by_type_and_locale[kind, item["locale"]],
                scores.by_format[format_key(entity)],
            ]
            rows += [scores.by_group[name] for name in groups(entity)]
            for row in rows:
                row.labelled += 1
                row.found += found
                row.leaked += leaked
            if not found:
                scores.by_type[kind].missed.append(
                    f"{item['id']}: {entity['value']!r} ({entity['format']})"
                )
        labelled = _marks(length, (_excusable(text, e) for e in entities))
        for kind, start, end in detected:
            correct = any(
                e["type"] == kind and e["start"] < end and start < e["end"] for e in entities
            ) and all(labelled[i] for i in range(start, end) if text[i].isalnum())
            klass = "secrets" if kind in SECRET_TYPES else "identities"
            type_row = scores.by_type.setdefault(kind, Score())
            for row in (type_row, locale, scores.by_group["all"], scores.by_group[klass]):
                row.detected += 1
                row.correct += correct
            if not correct:
                type_row.wrong.append(f"{item['id']}: {text[start:end]!r}")
        for keep in item["keep"]:
            intact = not any(
                masked[i] for i in range(keep["start"], keep["end"]) if text[i].isalnum()
            )
            for kept in (
                scores.keep[keep["kind"]],
                scores.keep["all"],
                scores.keep_by_locale[item["locale"]],
            ):
                kept.items += 1
                kept.intact += intact
            if not intact:
                scores.keep[keep["kind"]].broken.append(f"{item['id']}: {keep['value']!r}")
    return scores


def evaluate(
    items: Iterable[dict[str, Any]], detections: Iterable[list[Detected]]
) -> dict[str, Score]:
    """Scores per entity type; `detections[i]` are the spans detected in `items[i]`."""
    return score(items, detections).by_type


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def table(scores: dict[str, Score]) -> str:
    """A Markdown table: recall and precision per entity type, secrets first."""
    order = sorted(scores, key=lambda kind: (kind not in SECRET_TYPES, kind))
    lines = [
        "| entity type | class | labelled | found | leaked | recall | detected | precision |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in order:
        s = scores[kind]
        if not (s.labelled or s.detected):
            continue
        klass = "secret" if kind in SECRET_TYPES else "identity"
        lines.append(
            f"| {kind} | {klass} | {s.labelled} | {s.found} | {s.leaked} | {_percent(s.recall)} "
            f"| {s.detected} | {_percent(s.precision)} |"
        )
    return "\n".join(lines)


def summary_table(scores: Scores) -> str:
    """Recall per group (secrets, identities, names by who listed them), then per locale with
    its precision and look-alikes kept."""
    lines = [
        "| group | labelled | found | leaked | recall | precision |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in sorted(scores.by_group.items()):
        lines.append(
            f"| {name} | {s.labelled} | {s.found} | {s.leaked} | {_percent(s.recall)} "
            f"| {_percent(s.precision)} |"
        )
    lines += [
        "",
        "| locale | labelled | recall | leaked | detected | precision | look-alikes | kept |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for locale, s in sorted(scores.by_locale.items()):
        kept = scores.keep_by_locale[locale]
        lines.append(
            f"| {locale} | {s.labelled} | {_percent(s.recall)} | {s.leaked} | {s.detected} "
            f"| {_percent(s.precision)} | {kept.items} | {_percent(kept.rate)} |"
        )
    return "\n".join(lines)


def locale_table(scores: Scores) -> str:
    """Recall per type (rows) and locale (columns)."""
    locales = sorted(scores.by_locale)
    lines = [
        "| entity type | " + " | ".join(locales) + " |",
        "| --- |" + " ---: |" * len(locales),
    ]
    for kind in sorted(scores.by_type, key=lambda kind: (kind not in SECRET_TYPES, kind)):
        row = [scores.by_type_and_locale.get((kind, locale)) for locale in locales]
        if any(row):
            cells = [_percent(s.recall) if s else "-" for s in row]
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def keep_table(scores: Scores) -> str:
    """Look-alikes left intact, per kind."""
    lines = ["| look-alike | items | intact | kept |", "| --- | ---: | ---: | ---: |"]
    for kind, kept in sorted(scores.keep.items(), key=lambda pair: (pair[0] == "all", pair[0])):
        lines.append(f"| {kind} | {kept.items} | {kept.intact} | {_percent(kept.rate)} |")
    return "\n".join(lines)


def formats_missed_table(scores: Scores) -> str:
    """The formats not all found, worst first: where the next detector work is."""
    lines = ["| type | format | labelled | recall |", "| --- | --- | ---: | ---: |"]
    rows = [(key, s) for key, s in scores.by_format.items() if s.found < s.labelled]
    for (kind, fmt), s in sorted(rows, key=lambda row: (row[1].recall, row[0])):
        lines.append(f"| {kind} | {fmt} | {s.labelled} | {_percent(s.recall)} |")
    return "\n".join(lines)
