from __future__ import annotations

import pytest

from consultations.retrieval import Source
from consultations.services.citations import CitationFilter, cite
from tests.security.linear_time import MOST_GROWTH, growth


def source(number: int, text: str = "The tenant may terminate on three months' notice.") -> Source:
    return Source(
        passage_id=100 + number,
        document_id=number,
        title=f"Lease {number}.pdf",
        page=number + 1,
        text=text,
        document_sha256="0" * 64,
    )


SOURCES = [source(1), source(2), source(3)]


def test_citations_become_references_in_the_order_first_cited_and_are_numbered_so() -> None:
    cited = cite("Three months [2]. Written notice [2, 1]. Again [2].", SOURCES)

    assert cited.answer == "Three months [1]. Written notice [1, 2]. Again [1]."
    assert [ref["documentId"] for ref in cited.references] == [2, 1]
    assert cited.references[0] == {
        "type": "document",
        "documentId": 2,
        "title": "Lease 2.pdf",
        "page": 3,
        "quote": "The tenant may terminate on three months' notice.",
    }
    assert cited.dropped == 0


def test_an_invented_citation_is_taken_out_and_counted() -> None:
    cited = cite("Three months [1]. Or six [7]. Both [3, 9].", SOURCES)

    assert cited.answer == "Three months [1]. Or six. Both [2]."
    assert [ref["documentId"] for ref in cited.references] == [1, 3]
    assert cited.dropped == 2


def test_an_answer_without_sources_is_left_as_it_is() -> None:
    cited = cite("See [1] of the statute.", [])

    assert (cited.answer, cited.references, cited.dropped) == ("See [1] of the statute.", [], 0)


def test_a_long_passage_is_quoted_shortened_at_a_word() -> None:
    cited = cite("Yes [1].", [source(1, "word " * 200)])

    quote = cited.references[0]["quote"]
    assert len(quote) <= 301
    assert quote.endswith("word…")


@pytest.mark.parametrize(
    "answer",
    [
        "Three months [1]. Or six [7]. Both [3, 9].",
        "[1][2] at the start, [12] and [3] at the end [2]",
        "Brackets that are no citation: [a], [1 and [ 2], [1,2,3,4,5,6] [",
    ],
)
def test_a_streamed_answer_is_cited_as_if_it_came_whole(answer: str) -> None:
    whole = cite(answer, SOURCES)
    for split in range(len(answer) + 1):
        citations = CitationFilter(SOURCES)
        shown = citations.feed(answer[:split]) + citations.feed(answer[split:])
        shown += citations.flush()

        assert shown == whole.answer, split
        assert citations.cited() == whole


def test_reading_citations_takes_linear_time() -> None:
    assert growth(lambda text: cite(text, SOURCES), lambda n: "[1, 2, 3, 4" * n) < MOST_GROWTH
    assert growth(lambda text: cite(text, SOURCES), lambda n: "[" * n) < MOST_GROWTH
