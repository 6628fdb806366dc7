"""The full-text index holds each story's vector plus a lexeme naming its publication year
(`articles.search.IndexedVector`), so a search can ask it for some years' matches. PostgreSQL
only; built without locking out writers, then the old index is dropped and the statistics the
planner needs for the new expression are gathered."""

from django.db import migrations

OLD = "articles_article_search_vector_gin"
NEW = "articles_article_search_by_year_gin"
# Must stay the expression `IndexedVector` writes, or searches stop using the index.
EXPRESSION = (
    "(search_vector || array_to_tsvector(array_remove(ARRAY['_y' || "
    "(extract(year FROM (publish_at AT TIME ZONE 'UTC')))::integer::text], NULL)))"
)


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


def by_year(apps, schema_editor):
    _run(
        schema_editor,
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NEW} ON articles_article USING gin ({EXPRESSION})",
        f"DROP INDEX CONCURRENTLY IF EXISTS {OLD}",
        "ANALYZE articles_article",
    )


def by_vector(apps, schema_editor):
    _run(
        schema_editor,
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD} ON articles_article USING gin (search_vector)",
        f"DROP INDEX CONCURRENTLY IF EXISTS {NEW}",
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("articles", "0015_featured_lead_index")]

    operations = [migrations.RunPython(by_year, by_vector, elidable=False)]
