"""`make bench-import-queries`: count the queries a WordPress import makes per post.

Writes a synthetic export (`bench/wxr.py --posts BENCH_IMPORT_POSTS --seed 7`, default 300
posts, 60 authors, 200 tags, a picture on every tenth post with its file in the uploads),
imports it into a fresh database and counts
every statement the import sends, by kind (savepoints, reads, inserts, updates, deletes).
Pictures, authors, sections and tags made on first use are counted with the posts, as they
are in a real first import.

Environment (optional):
  BENCH_IMPORT_POSTS=300
  BENCH_IMPORT_QUERIES_DATABASE_URL  default: a fresh SQLite file in a temporary folder;
      a postgres:// URL is dropped and created afresh (name it for this bench alone)
"""

import os
import secrets
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTS = int(os.environ.get("BENCH_IMPORT_POSTS", "300"))


def fresh_postgres(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main():
    folder = Path(tempfile.mkdtemp(prefix="import-queries-"))
    url = os.environ.get("BENCH_IMPORT_QUERIES_DATABASE_URL") or f"sqlite:///{folder}/db.sqlite3"
    if url.startswith("postgres"):
        fresh_postgres(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ.setdefault("MEDIA_ROOT", str(folder / "media"))
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import wxr
    from wordpress.importer import Importer

    export = folder / "export.xml"
    uploads = folder / "uploads"
    wxr.main(
        [str(export), "--posts", str(POSTS), "--authors", "60", "--tags", "200", "--seed", "7"]
        + ["--uploads", str(uploads)]
    )
    call_command("migrate", "--noinput", verbosity=0)
    with CaptureQueriesContext(connection) as captured:
        report = Importer(export, uploads=uploads).run()
    kinds = Counter(q["sql"].split(None, 1)[0].upper() for q in captured.captured_queries)
    posts = report.posts["imported"]
    print(f"database: {connection.vendor}; export: {POSTS} posts; imported {posts}")
    print(f"queries: {len(captured)} ({len(captured) / posts:.1f} a post)")
    for kind, count in kinds.most_common():
        print(f"  {kind:<10} {count:>7} ({count / posts:.1f} a post)")


if __name__ == "__main__":
    main()
