"""Keep each story's search vector in its table row (PostgreSQL only).

A vector of a seed-length story is about 3 kB: with PostgreSQL's default storage it is moved
out of the row into the TOAST table, and every search then fetches it from there, one index
lookup per story, to test a match and to rank. Storage MAIN keeps it in the row (the body is
moved out instead), which made finding and ranking the newest 500 matches of a common word
four times cheaper. Only values written from now on are stored this way: rewrite the vectors
of an existing archive with `UPDATE articles_article SET search_vector = search_vector ||
''::tsvector` followed by `VACUUM FULL articles_article`, at a quiet hour.
"""

from django.db import migrations


def keep_in_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE MAIN"
        )


def move_out_of_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0010_section_redirect")]

    operations = [migrations.RunPython(keep_in_row, move_out_of_row, elidable=False)]
