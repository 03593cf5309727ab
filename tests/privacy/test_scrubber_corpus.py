"""The scrubber on the labelled corpus: every secret found, identities above measured floors.

The floors are the levels measured when the corpus was written (see the table this prints in
the terminal summary); a change to the scrubber that finds less, or masks more that is not
personal data, fails here. Raise a floor when the scrubber gets better.
"""

from __future__ import annotations

from collections import Counter

import pytest

from consultations.llm.pii import SECRET_TYPES, EntityType
from tests.privacy.evaluation import (
    REPORTS,
    Score,
    corpus,
    evaluate,
    scrubber_detections,
    table,
)

# (recall, precision) at least, per identity type, as measured on this corpus. Names are the
# case's parties, which the product always gives the scrubber. A phone written as one run of
# digits is told from a reference number by the words before it.
IDENTITY_FLOORS = {
    EntityType.PERSON: (1.0, 1.0),
    EntityType.EMAIL: (1.0, 1.0),
    EntityType.PHONE: (0.99, 0.99),
    EntityType.ADDRESS: (0.99, 1.0),
    EntityType.DOB: (1.0, 1.0),
    EntityType.IP: (1.0, 1.0),
}
# Secrets are never missed, and on this corpus nothing else is masked as one.
SECRET_PRECISION_FLOOR = 1.0


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    items = corpus()
    scores = evaluate(items, [scrubber_detections(item) for item in items])
    REPORTS["PII scrubber on the labelled corpus (tests/privacy/corpus.jsonl)"] = table(scores)
    return scores


def test_corpus_labels_match_their_texts() -> None:
    items = corpus()
    for item in items:
        for entity in item["entities"]:
            assert item["text"][entity["start"] : entity["end"]] == entity["value"], item["id"]
            assert entity["type"] in EntityType.__members__, item["id"]


def test_corpus_covers_every_type_in_several_locales_and_formats() -> None:
    items = corpus()
    locales = Counter(item["locale"] for item in items)
    formats: dict[str, set[str]] = {}
    for item in items:
        for entity in item["entities"]:
            formats.setdefault(entity["type"], set()).add(entity["format"])

    assert len(items) >= 300
    assert len(locales) >= 7
    assert set(formats) == set(EntityType.__members__)
    assert sum(1 for item in items if not item["entities"]) >= 50  # negatives only
    assert len(formats["CARD_NUMBER"]) >= 12
    assert len(formats["API_KEY"]) >= 10
    assert len(formats["NATIONAL_ID"]) >= 8


@pytest.mark.parametrize("kind", sorted(SECRET_TYPES))
def test_every_secret_is_found(scores: dict[str, Score], kind: EntityType) -> None:
    score = scores[kind]

    assert score.labelled >= 20
    assert score.missed == []
    assert score.leaked == 0
    assert score.precision is not None
    assert score.precision >= SECRET_PRECISION_FLOOR, score.wrong


@pytest.mark.parametrize("kind", sorted(IDENTITY_FLOORS))
def test_identity_recall_and_precision_hold_their_floors(
    scores: dict[str, Score], kind: EntityType
) -> None:
    score = scores[kind]
    recall_floor, precision_floor = IDENTITY_FLOORS[kind]

    assert score.labelled >= 20
    assert score.recall is not None
    assert score.precision is not None
    assert score.recall >= recall_floor, score.missed
    assert score.precision >= precision_floor, score.wrong


def test_numbers_that_are_not_personal_data_are_left_alone() -> None:
    negatives = [item for item in corpus() if not item["entities"]]

    masked = {item["id"]: found for item in negatives if (found := scrubber_detections(item))}

    # A few ten-digit invoice numbers starting with 0 have a UK phone number's shape.
    assert len(masked) <= 2, masked
    assert all(kind == EntityType.PHONE for spans in masked.values() for kind, _, _ in spans)
