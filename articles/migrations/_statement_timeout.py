"""For migrations that build an index over the archive (the loader skips this module: its name
starts with an underscore)."""


def without_statement_timeout(apps, schema_editor):
    """Building an index over a large archive takes longer than the statement timeout the
    site's connections have; the calling migration's transaction has none."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL statement_timeout = 0")
