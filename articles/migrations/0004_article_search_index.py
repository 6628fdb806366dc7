"""A GIN index on the stored search vector, on PostgreSQL only (SQLite searches without it)."""

from django.db import migrations

INDEX = "articles_article_search_vector_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON articles_article USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def fill_vectors(apps, schema_editor):
    """Articles written before search existed get their vector now."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from articles.search import update_search_vector

    Article = apps.get_model("articles", "Article")
    for pk in Article.objects.values_list("pk", flat=True).iterator():
        update_search_vector(pk)


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_newsroom_roles")]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
        migrations.RunPython(fill_vectors, migrations.RunPython.noop),
    ]
