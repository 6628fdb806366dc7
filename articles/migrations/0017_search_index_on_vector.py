"""The full-text index on the stored search vector alone, in place of 0016's index of the
vector plus a publication-year lexeme: searches now match `search_vector` itself.

PostgreSQL only, so it is made here rather than declared in `Article.Meta.indexes`: SQLite
has no GIN indexes, and Django recreates a model's declared indexes whenever it rebuilds the
table on SQLite (most field changes), which would fail there. Built without locking out
writers, then the old index is dropped."""

import importlib

from django.db import migrations

INDEX = "articles_article_search_vector_gin"
BY_YEAR = "articles_article_search_by_year_gin"


def _run(schema_editor, *statements):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Building over a large archive outlasts the site's statement timeout.
    schema_editor.execute("SET statement_timeout = 0")
    try:
        for statement in statements:
            schema_editor.execute(statement)
    finally:
        schema_editor.execute("RESET statement_timeout")


def on_vector(apps, schema_editor):
    _run(
        schema_editor,
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON articles_article "
        "USING gin (search_vector)",
        f"DROP INDEX CONCURRENTLY IF EXISTS {BY_YEAR}",
    )


def by_year(apps, schema_editor):
    importlib.import_module("articles.migrations.0016_search_index_by_year").by_year(
        apps, schema_editor
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0016_search_index_by_year")]

    operations = [migrations.RunPython(on_vector, by_year, elidable=False)]
