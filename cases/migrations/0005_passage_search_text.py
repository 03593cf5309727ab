"""The full-text index moves from passages' text to their `search_text` (cases.search_terms:
the words stemmed and unaccented, the same on MariaDB and SQLite), filled here for the
passages already written, in batches.

Reversible: going back drops the new index and the column and builds migration 0004's index
on `text` again (on SQLite, filled from the passages already written)."""

from django.db import migrations, models

from cases.search_terms import search_text

BATCH = 1000

_OLD_SQLITE = [
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
    ("INSERT INTO cases_passage_fts(cases_passage_fts) VALUES ('rebuild')", None),
]
_OLD_MYSQL = [
    (
        "ALTER TABLE cases_passage ADD FULLTEXT INDEX cases_passage_text_fulltext (text)",
        "ALTER TABLE cases_passage DROP INDEX cases_passage_text_fulltext",
    )
]
# The words of `search_text` are letters, digits and the underscores that pad short words:
# FTS5's unicode61 tokenizer must keep underscores in words, as InnoDB's parser does. Folding
# and stemming are done already.
_NEW_SQLITE = [
    (
        "CREATE VIRTUAL TABLE cases_passage_fts USING fts5(search_text, "
        "content='cases_passage', content_rowid='id', "
        "tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")",
        "DROP TABLE cases_passage_fts",
    ),
    (
        "CREATE TRIGGER cases_passage_fts_insert AFTER INSERT ON cases_passage BEGIN "
        "INSERT INTO cases_passage_fts(rowid, search_text) VALUES (new.id, new.search_text); "
        "END",
        "DROP TRIGGER cases_passage_fts_insert",
    ),
    (
        "CREATE TRIGGER cases_passage_fts_delete AFTER DELETE ON cases_passage BEGIN "
        "INSERT INTO cases_passage_fts(cases_passage_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END",
        "DROP TRIGGER cases_passage_fts_delete",
    ),
    (
        "CREATE TRIGGER cases_passage_fts_update AFTER UPDATE OF search_text ON cases_passage "
        "BEGIN INSERT INTO cases_passage_fts(cases_passage_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO cases_passage_fts(rowid, search_text) VALUES (new.id, new.search_text); "
        "END",
        "DROP TRIGGER cases_passage_fts_update",
    ),
    ("INSERT INTO cases_passage_fts(cases_passage_fts) VALUES ('rebuild')", None),
]
_NEW_MYSQL = [
    (
        "ALTER TABLE cases_passage "
        "ADD FULLTEXT INDEX cases_passage_search_text_fulltext (search_text)",
        "ALTER TABLE cases_passage DROP INDEX cases_passage_search_text_fulltext",
    )
]


def _statements(index: str, vendor: str) -> list[tuple[str, str | None]]:
    indexes = {
        "old": {"sqlite": _OLD_SQLITE, "mysql": _OLD_MYSQL},
        "new": {"sqlite": _NEW_SQLITE, "mysql": _NEW_MYSQL},
    }
    return indexes[index].get(vendor, [])


def _creating(index: str):
    def create(apps, schema_editor):
        for sql, _drop in _statements(index, schema_editor.connection.vendor):
            schema_editor.execute(sql)

    return create


def _dropping(index: str):
    def drop(apps, schema_editor):
        for _create, sql in reversed(_statements(index, schema_editor.connection.vendor)):
            if sql is not None:
                schema_editor.execute(sql)

    return drop


def _backfill(apps, schema_editor):
    Passage = apps.get_model("cases", "Passage")
    last = 0
    while True:
        batch = list(Passage.objects.filter(pk__gt=last).order_by("pk").only("text")[:BATCH])
        if not batch:
            return
        for passage in batch:
            passage.search_text = search_text(passage.text)
        Passage.objects.bulk_update(batch, ["search_text"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    # MySQL cannot roll DDL back, and Django refuses DDL inside an atomic migration there; the
    # backfill commits batch by batch.
    atomic = False
    dependencies = [
        ("cases", "0004_passage_full_text_index"),
    ]

    operations = [
        migrations.RunPython(_dropping("old"), _creating("old")),
        migrations.AddField(
            model_name="passage",
            name="search_text",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text=(
                    "The text's words stemmed and unaccented, as full-text search compares them."
                ),
            ),
            preserve_default=False,
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
        migrations.RunPython(_creating("new"), _dropping("new")),
    ]
