"""Django in this process, on a database of the benchmark's own (created when missing)."""

import os


def setup_django(database_url):
    """Point the test settings at ``database_url``, create a PostgreSQL database that does not
    exist yet, set Django up and migrate."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    if database_url.startswith("postgres"):
        from urllib.parse import urlsplit

        import psycopg
        from psycopg import sql

        parts = urlsplit(database_url)
        name = parts.path.lstrip("/")
        admin_url = f"{parts.scheme}://{parts.netloc}/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
