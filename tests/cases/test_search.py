"""Full-text search of passages (cases.search over cases.search_terms): words found in their
other forms and without their accents, the same passages found on MariaDB and SQLite, the
index kept in step with every write, the migration that fills it, and a normalizer linear in
its input.

Transactional tests: MariaDB's FULLTEXT index only sees committed rows.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.models import Document, Passage
from cases.search import passages_matching
from cases.search_terms import MAX_QUERY_WORDS, query_terms, search_text
from tests.factories import DocumentFactory, PassageFactory
from tests.security.linear_time import MOST_GROWTH, fit, growth

pytestmark = pytest.mark.django_db(transaction=True)

TERMINATES = "The tenant terminates the lease by giving three months notice."
TERMINATION = "Termination of the agreement requires the landlord's written consent."
RENT = "The rent is payable quarterly in advance."
ZURICH = "The hearing takes place before the commercial court of Zürich."
GENEVA = "Our Zurich office sends the papers to Geneva."
KUNDIGUNG = "Die Kündigung des Mietvertrags bedarf der Schriftform."
RESILIATION = "Le locataire peut résilier le bail à tout moment."
UK_WILL = "English law governs this will, wherever in the UK it is read."
CORPUS = (TERMINATES, TERMINATION, RENT, ZURICH, GENEVA, KUNDIGUNG, RESILIATION, UK_WILL)


@pytest.fixture
def corpus() -> Document:
    made = DocumentFactory()
    Passage.objects.bulk_create(
        Passage(document=made, position=position, page=1, start=0, end=len(text), text=text)
        for position, text in enumerate(CORPUS)
    )
    return made


def found(query: str, *documents: Document, limit: int = 10) -> list[str]:
    ranked = passages_matching(query, document_ids=[d.pk for d in documents], limit=limit)
    texts = dict(Passage.objects.values_list("pk", "text"))
    return [texts[pk] for pk, _ in ranked]


def test_a_word_finds_its_inflected_forms(corpus: Document) -> None:
    assert set(found("terminate", corpus)) == {TERMINATES, TERMINATION}
    assert set(found("When can the lease be terminated?", corpus)) >= {TERMINATES, TERMINATION}


def test_a_word_typed_without_its_accents_finds_it_with_them(corpus: Document) -> None:
    assert set(found("Zurich", corpus)) == {ZURICH, GENEVA}
    assert set(found("ZÜRICH", corpus)) == {ZURICH, GENEVA}


def test_a_word_written_with_a_separate_accent_is_one_word(corpus: Document) -> None:
    # "u" followed by U+0308 COMBINING DIAERESIS, as some PDFs' text layers spell "ü".
    assert set(found("Zu\u0308rich", corpus)) == {ZURICH, GENEVA}


def test_a_german_passage_is_stemmed_in_german(corpus: Document) -> None:
    assert found("Kündigungen", corpus) == [KUNDIGUNG]
    assert found("Kundigung", corpus) == [KUNDIGUNG]


def test_a_french_passage_is_found_by_another_form_of_its_verb(corpus: Document) -> None:
    assert found("Le bail peut-il être résilié ?", corpus)[0] == RESILIATION


def test_short_words_and_the_databases_stopwords_are_searched(corpus: Document) -> None:
    """InnoDB's FULLTEXT skips words under three letters and words such as "will": the index
    holds them padded, so MariaDB finds what SQLite finds."""
    assert found("UK", corpus) == [UK_WILL]
    assert found("will", corpus) == [UK_WILL]


def test_the_same_passages_match_on_every_database(corpus: Document) -> None:
    """Run on SQLite and on MariaDB (DATABASE_URL): the same passages match each query."""
    expected = {
        "terminating": {TERMINATES, TERMINATION},
        "landlords consenting": {TERMINATION},
        "payments quarterly": {RENT},
        "zurich court hearings": {ZURICH, GENEVA},
        "office paper": {GENEVA},
        "Mietverträge": {KUNDIGUNG},
        "UK": {UK_WILL},
        "nothing here matches": set(),
    }
    assert {query: set(found(query, corpus)) for query in expected} == expected
    assert found("zurich court hearings", corpus)[0] == ZURICH


def test_only_the_given_documents_are_searched(corpus: Document) -> None:
    other = DocumentFactory()
    PassageFactory(document=other, position=0, text="The tenant terminated it in Zürich.")
    assert set(found("terminate Zurich", corpus)) == {TERMINATES, TERMINATION, ZURICH, GENEVA}
    assert found("terminate Zurich", other) == ["The tenant terminated it in Zürich."]


def test_a_passage_saved_or_changed_is_searched_by_its_new_words() -> None:
    passage = PassageFactory(text="The deposit is returned after the lease expires.")
    assert found("returns", passage.document) == [passage.text]
    passage.text = "The guarantor indemnifies the landlord."
    passage.save(update_fields=["text"])
    assert found("returns", passage.document) == []
    assert found("indemnified", passage.document) == [passage.text]


def test_passages_rewritten_in_bulk_are_searched_by_their_new_words(corpus: Document) -> None:
    passages = list(Passage.objects.filter(document=corpus, text__in=[RENT, GENEVA]))
    for passage in passages:
        passage.text = passage.text.replace("quarterly", "fortnightly").replace("papers", "deeds")
    Passage.objects.bulk_update(passages, ["text"])
    assert found("fortnight", corpus) == [RENT.replace("quarterly", "fortnightly")]
    assert found("deed", corpus) == [GENEVA.replace("papers", "deeds")]
    assert found("quarter", corpus) == []


def test_the_migration_fills_the_index_of_passages_written_before_it() -> None:
    written = PassageFactory(text="The tenant terminates the lease in Zürich.")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("cases", "0004_passage_full_text_index")])
    try:
        executor = MigrationExecutor(connection)
        old = executor.loader.project_state([("cases", "0004_passage_full_text_index")]).apps
        old.get_model("cases", "Passage").objects.create(
            document_id=written.document_id,
            position=1,
            page=1,
            start=0,
            end=0,
            text="Termination needs written notice.",
        )
        # Back on 0004, the index is on the text again: the old search of plain words works.
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT count(*) FROM cases_passage_fts WHERE cases_passage_fts MATCH 'notice'"
                )
            else:
                cursor.execute(
                    "SELECT count(*) FROM cases_passage "
                    "WHERE MATCH(text) AGAINST ('notice' IN NATURAL LANGUAGE MODE)"
                )
            assert cursor.fetchone()[0] == 1
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    assert set(found("terminated zurich", written.document)) == {
        "The tenant terminates the lease in Zürich.",
        "Termination needs written notice.",
    }


def test_search_text_is_linear_in_its_input() -> None:
    for unit in (
        "The tenant terminates the lease in Zürich; die Kündigung erfolgt schriftlich. ",
        "a",  # one word as long as the text
        "u\u0308",  # a letter and a combining accent, again and again
        "é ",
        "_-_ ",
    ):
        assert growth(search_text, lambda size, unit=unit: fit(unit, size)) < MOST_GROWTH, unit


def test_query_terms_are_linear_in_the_query_and_bounded() -> None:
    assert growth(query_terms, lambda size: " ".join(str(n) for n in range(size))[:size]) < (
        MOST_GROWTH
    )
    many = " ".join(f"word{n}" for n in range(1000))
    assert query_terms(many) == [f"word{n}" for n in range(MAX_QUERY_WORDS)]
