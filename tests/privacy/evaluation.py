"""Recall and precision of a PII detector on the labelled corpus (`corpus.jsonl`).

A labelled value is *found* when every one of its non-space characters lies inside a detected
span of its own type, and *leaked* when any of them lies inside no detected span at all: a
secret masked under another secret type is not found, but it is not leaked either. A detected
span is *correct* when it overlaps a labelled value of its type and masks no letter or digit
outside labelled values (a span that runs on into the next word is not). The scrubber's output is
mapped back to spans of the original text (:func:`scrubbed_spans`); the benchmark passes
Presidio's spans to :func:`evaluate` the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from consultations.llm.pii import SECRET_TYPES, EntityType, Scrubber

CORPUS = Path(__file__).with_name("corpus.jsonl")

Detected = tuple[str, int, int]  # entity type, start, end in the original text

# Tables the tests computed, shown in the terminal summary by this package's conftest.
REPORTS: dict[str, str] = {}


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    with CORPUS.open(encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines)


_TOKEN = re.compile(
    r"\[(?P<secret>{})\]|<(?P<identity>{})_\d+>".format(
        "|".join(kind for kind in EntityType if kind in SECRET_TYPES),
        "|".join(kind for kind in EntityType if kind not in SECRET_TYPES),
    )
)


def scrubbed_spans(original: str, scrubbed: str, mapping: dict[str, str]) -> list[Detected]:
    """Where in `original` each token of `scrubbed` stands.

    The scrubbed text is the original with some values swapped for tokens, so one regex made of
    its literal parts, with a lazy group per secret token and the mapped value (or, for a form of
    a party's name, a lazy group) per placeholder, matches the original and its groups are the
    spans.
    """
    pattern, kinds, cursor = [], [], 0
    for token in _TOKEN.finditer(scrubbed):
        pattern.append(re.escape(scrubbed[cursor : token.start()]))
        if token["secret"]:
            pattern.append("(.+?)")
            kinds.append(token["secret"])
        else:
            value = mapping[token.group()]
            words = r"\s+".join(re.escape(word) for word in value.split())
            # One placeholder stands for every form of a party's name ("Helen" and "Ms Carter"
            # are both <PERSON_1>, mapped to "Helen Carter"): the mapped value where it is
            # written out, else the shortest text that aligns, as for secrets.
            pattern.append(f"((?i:{words})|.+?)")
            kinds.append(token["identity"])
        cursor = token.end()
    pattern.append(re.escape(scrubbed[cursor:]))
    match = re.fullmatch("".join(pattern), original, re.DOTALL)
    if match is None:
        raise ValueError(f"scrubbed text does not align with its original: {scrubbed!r}")
    return [(kind, *match.span(number)) for number, kind in enumerate(kinds, start=1)]


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


def evaluate(
    items: Iterable[dict[str, Any]], detections: Iterable[list[Detected]]
) -> dict[str, Score]:
    """Scores per entity type; `detections[i]` are the spans detected in `items[i]`."""
    scores: dict[str, Score] = {kind.value: Score() for kind in EntityType}
    for item, detected in zip(items, detections, strict=True):
        text = item["text"]
        for entity in item["entities"]:
            score = scores[entity["type"]]
            score.labelled += 1
            chars = [i for i in range(entity["start"], entity["end"]) if not text[i].isspace()]
            same = [(s, e) for kind, s, e in detected if kind == entity["type"]]
            if all(any(s <= i < e for s, e in same) for i in chars):
                score.found += 1
            else:
                score.missed.append(f"{item['id']}: {entity['value']!r} ({entity['format']})")
            if not all(any(s <= i < e for _, s, e in detected) for i in chars):
                score.leaked += 1
        for kind, start, end in detected:
            score = scores.setdefault(kind, Score())
            score.detected += 1
            overlaps = any(
                e["type"] == kind and e["start"] < end and start < e["end"]
                for e in item["entities"]
            )
            if overlaps and all(
                any(e["start"] <= i < e["end"] for e in item["entities"])
                for i in range(start, end)
                if text[i].isalnum()
            ):
                score.correct += 1
            else:
                score.wrong.append(f"{item['id']}: {text[start:end]!r}")
    return scores


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
