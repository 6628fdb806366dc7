"""An index on tagged items by article id as PostgreSQL compares it (PostgreSQL only).

Articles have 64-bit ids while taggit stores `object_id` as a 32-bit integer, so every
"articles with this tag" query compares `object_id::bigint` with the article id. No plain index
serves that comparison: a tag page then hashes every story of a big topic (seconds at a million
articles) instead of walking the newest stories and probing this index (milliseconds).
"""

from django.db import migrations

INDEX = "taggeditem_object_bigint_tag"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON taggit_taggeditem "
            "(((object_id)::bigint), tag_id, content_type_id)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_article_schedule_indexes"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
