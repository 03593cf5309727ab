"""Full-text search of documents' passages, on the database's own index of their
`search_text` (cases.search_terms: words stemmed and unaccented): MariaDB/MySQL's FULLTEXT
(natural-language relevance), SQLite's FTS5 (bm25). The index is made by migration 0005; on
another database there is none, and no search.

A query becomes its index terms (`query_terms`: each word's stems) and any of them may match:
relevance ranks the passages that hold more of the rarer terms first. MariaDB's InnoDB index
only sees committed rows, so a document is searchable once its extraction has committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from cases.search_terms import query_terms
from config.errors import DomainError


class SearchUnavailable(DomainError):
    status_code = 503
    default_detail = "Document search is not available on this database."


def passages_matching(
    query: str, *, document_ids: Iterable[int], limit: int
) -> list[tuple[int, float]]:
    """(passage id, relevance) of the passages of `document_ids` that best match `query`,
    best first, at most `limit`. The caller chooses the documents (those the user may see)."""
    terms = query_terms(query)
    ids = list(document_ids)
    if not terms or not ids or limit <= 0:
        return []
    # Only placeholders are formatted into the SQL below; every value is a parameter.
    in_documents = ", ".join(["%s"] * len(ids))
    if connection.vendor == "sqlite":
        sql = (
            "SELECT p.id, -bm25(cases_passage_fts) AS score FROM cases_passage_fts "  # noqa: S608
            "JOIN cases_passage p ON p.id = cases_passage_fts.rowid "
            f"WHERE cases_passage_fts MATCH %s AND p.document_id IN ({in_documents}) "
            "ORDER BY score DESC, p.id LIMIT %s"
        )
        params = [" OR ".join(f'"{term}"' for term in terms), *ids, limit]
    elif connection.vendor == "mysql":
        against = "MATCH(search_text) AGAINST (%s IN NATURAL LANGUAGE MODE)"
        sql = (
            f"SELECT id, {against} AS score FROM cases_passage "  # noqa: S608
            f"WHERE {against} AND document_id IN ({in_documents}) "
            "ORDER BY score DESC, id LIMIT %s"
        )
        text = " ".join(terms)
        params = [text, text, *ids, limit]
    else:
        raise SearchUnavailable()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(passage_id, float(score)) for passage_id, score in cursor.fetchall()]
