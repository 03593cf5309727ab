"""The full-text index of passages' text that cases.search reads: a FULLTEXT index on
MariaDB/MySQL; on SQLite an FTS5 table over cases_passage, kept in step by triggers."""

from django.db import migrations

_SQLITE = [
    (
        "CREATE VIRTUAL TABLE cases_passage_fts USING fts5(text, content='cases_passage', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        "DROP TABLE cases_passage_fts",
    ),
    (
        "CREATE TRIGGER cases_passage_fts_insert AFTER INSERT ON cases_passage BEGIN "
        "INSERT INTO cases_passage_fts(rowid, text) VALUES (new.id, new.text); END",
        "DROP TRIGGER cases_passage_fts_insert",
    ),
    (
        "CREATE TRIGGER cases_passage_fts_delete AFTER DELETE ON cases_passage BEGIN "
        "INSERT INTO cases_passage_fts(cases_passage_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); END",
        "DROP TRIGGER cases_passage_fts_delete",
    ),
    (
        "CREATE TRIGGER cases_passage_fts_update AFTER UPDATE OF text ON cases_passage BEGIN "
        "INSERT INTO cases_passage_fts(cases_passage_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); "
        "INSERT INTO cases_passage_fts(rowid, text) VALUES (new.id, new.text); END",
        "DROP TRIGGER cases_passage_fts_update",
    ),
]
_MYSQL = [
    (
        "ALTER TABLE cases_passage ADD FULLTEXT INDEX cases_passage_text_fulltext (text)",
        "ALTER TABLE cases_passage DROP INDEX cases_passage_text_fulltext",
    )
]


def _statements(vendor: str) -> list[tuple[str, str]]:
    return {"sqlite": _SQLITE, "mysql": _MYSQL}.get(vendor, [])


def _create(apps, schema_editor):
    for create, _drop in _statements(schema_editor.connection.vendor):
        schema_editor.execute(create)


def _drop(apps, schema_editor):
    for _create_sql, drop in reversed(_statements(schema_editor.connection.vendor)):
        schema_editor.execute(drop)


class Migration(migrations.Migration):
    # MySQL cannot roll DDL back, and Django refuses DDL inside an atomic migration there.
    atomic = False
    dependencies = [
        ("cases", "0003_documents"),
    ]

    operations = [migrations.RunPython(_create, _drop)]
