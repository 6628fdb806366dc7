"""`make bench-ingest`: the wire desk's numbers (see bench/README.md, "Wire and partner ingest").

1. 10,000 ninjs 3 items, one file each, through `manage.py ingest` (parse, validate against
   the IPTC schema, sanitise, store): total time and items per second.
2. The desk at 100,000 items (topped up with bulk inserts): the admin list as a journalist sees
   it, newest first, "not used yet", one source, and a search; median of 5 requests each.
3. Polling 50 sources served by a local HTTP server with ETags: requests made on the first
   round (200), at the next interval (all 304: nothing stored), and before it (none).

Runs against the database in BENCH_INGEST_DATABASE_URL (default: a fresh SQLite file in a
temporary folder; a PostgreSQL URL is created if missing and emptied of ingest rows first).
Uses the test settings (fast password hashing, immediate tasks, static files unhashed) so it
needs no collectstatic; everything measured is the project's own code path.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django_setup import setup_django  # noqa: E402

ITEMS_FROM_FILES = int(os.environ.get("BENCH_INGEST_FILES", "10000"))
DESK_ITEMS = int(os.environ.get("BENCH_INGEST_DESK", "100000"))
SOURCES = int(os.environ.get("BENCH_INGEST_SOURCES", "50"))
TMP = Path(tempfile.mkdtemp(prefix="newsroom-bench-ingest-"))
DATABASE_URL = os.environ.get("BENCH_INGEST_DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}")


def log(message):
    print(message, flush=True)


def ninjs(n, source_tag):
    return {
        "uri": f"urn:bench:{source_tag}:{n}",
        "type": "text",
        "version": "1",
        "versionCreated": "2026-01-01T06:00:00Z",
        "pubStatus": "usable",
        "urgency": 1 + n % 9,
        "by": f"By Reporter {n % 200}",
        "headlines": [{"role": "main", "value": f"Bench story number {n} about harbour {n % 97}"}],
        "descriptions": [{"role": "summary", "value": f"Summary of bench story {n}."}],
        "bodies": [
            {
                "role": "main",
                "contentType": "text/html",
                "value": "".join(
                    f"<p>Paragraph {p} of story {n}, with <b>some</b> markup and a "
                    f'<a href="https://wire.example/{n}">link</a>.</p>'
                    for p in range(8)
                ),
            }
        ],
        "subjects": [{"name": "Shipping"}, {"name": f"Harbour {n % 97}"}],
    }


def bench_files(source):
    from django.core.management import call_command

    folder = TMP / "drop"
    folder.mkdir()
    for n in range(ITEMS_FROM_FILES):
        (folder / f"{n:06d}.json").write_text(json.dumps(ninjs(n, "files")), encoding="utf-8")
    started, cpu_started = time.perf_counter(), time.process_time()
    call_command("ingest", source.slug, str(folder), stdout=open(os.devnull, "w"))  # noqa: SIM115
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stored = source.items.count()
    # On a shared machine the wall time includes waiting for a core; the process's own CPU
    # time says what the work costs (the database server's share excluded).
    log(
        f"files: {stored:,} ninjs items from {ITEMS_FROM_FILES:,} files in {elapsed:.1f} s "
        f"({stored / elapsed:,.0f} items/s; {cpu:.1f} s of CPU in this process; "
        f"load average {os.getloadavg()[0]:.1f}; target: under 60 s)"
    )
    return {"files_items": stored, "files_seconds": round(elapsed, 2), "files_cpu": round(cpu, 2)}


def top_up(sources):
    from django.utils import timezone

    from ingest.models import IncomingItem

    have = IncomingItem.objects.count()
    now = timezone.now()
    batch = []
    for n in range(have, DESK_ITEMS):
        moment = now - timedelta(seconds=n)
        batch.append(
            IncomingItem(
                source=sources[n % len(sources)],
                guid=f"urn:bench:topup:{n}",
                headline=f"Topped-up story {n} about harbour {n % 97}",
                dek=f"Summary of topped-up story {n}.",
                body=f"<p>Body of topped-up story {n}.</p>" * 6,
                byline=f"By Reporter {n % 200}",
                subjects=["Shipping"],
                urgency=1 + n % 9,
                received_at=moment,
                updated_at=moment,
                used_at=moment if n % 10 == 0 else None,
            )
        )
        if len(batch) == 5000:
            IncomingItem.objects.bulk_create(batch)
            batch = []
    IncomingItem.objects.bulk_create(batch)
    log(f"desk: {IncomingItem.objects.count():,} incoming items")


def bench_desk(source):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse

    user, _ = get_user_model().objects.get_or_create(username="bench-journalist", is_staff=True)
    user.groups.add(Group.objects.get(name="Journalist"))
    client = Client()
    client.force_login(user)
    url = reverse("admin:ingest_incomingitem_changelist")
    results = {}
    for label, query in [
        ("newest first", ""),
        ("not used yet", "?used=no"),
        ("one source", f"?source__id__exact={source.pk}"),
        ("search", "?q=harbour+42"),
    ]:
        times = []
        for _ in range(6):
            started = time.perf_counter()
            response = client.get(url + query)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        median = statistics.median(times[1:])  # the first request warms the caches
        results[label] = round(median, 1)
        log(f"desk at {DESK_ITEMS:,} items, {label}: {median:.0f} ms (target: under 300 ms)")
    return {"desk_ms": results}


def bench_polling(make_source):
    from django.utils import timezone

    from ingest import tasks
    from tests.ingest.feedserver import FeedServer
    from tests.ingest.samples import rss

    feed = rss(*({"title": f"Polled {i}", "guid": f"p{i}", "body": "<p>T.</p>"} for i in range(20)))
    with FeedServer() as server:
        now = timezone.now()
        for i in range(SOURCES):
            server.routes[f"/feed/{i}"] = (200, {"ETag": f'"v{i}"'}, feed)
            make_source(i, server.url(f"/feed/{i}"), now)
        from ingest.models import IncomingItem

        before = IncomingItem.objects.count()
        tasks.poll_due(now=now)
        first = len(server.requests)
        stored = IncomingItem.objects.count() - before
        tasks.poll_due(now=now + timedelta(minutes=5))
        early = len(server.requests) - first
        changed_at = IncomingItem.objects.order_by("-updated_at").values_list("updated_at").first()
        tasks.poll_due(now=now + timedelta(minutes=15))
        second = len(server.requests) - first - early
        not_modified = sum(
            1 for path, headers in server.requests[-second:] if headers.get("If-None-Match")
        )
        unchanged = (
            IncomingItem.objects.order_by("-updated_at").values_list("updated_at").first()
            == changed_at
        )
    log(
        f"polling {SOURCES} sources: {first} requests on the first round ({stored:,} items), "
        f"{early} before the interval, {second} at the next interval "
        f"({not_modified} conditional, all 304; items unchanged: {unchanged})"
    )
    return {
        "poll_first_round_requests": first,
        "poll_before_interval_requests": early,
        "poll_next_interval_requests": second,
        "poll_304_unchanged": unchanged,
    }


def main():
    setup_django(DATABASE_URL)
    from articles.models import Source
    from ingest.models import IncomingItem, IngestSource

    IncomingItem.objects.all().delete()
    IngestSource.objects.all().delete()
    outlet, _ = Source.objects.get_or_create(slug="bench-wire", defaults={"name": "Bench wire"})
    files_source = IngestSource.objects.create(
        name="Bench files", slug="bench-files", outlet=outlet, kind="ninjs3", arrival="files"
    )
    others = [
        IngestSource.objects.create(
            name=f"Bench desk {i}",
            slug=f"bench-desk-{i}",
            outlet=outlet,
            kind="ninjs3",
            arrival="files",
        )
        for i in range(4)
    ]
    log(f"database: {DATABASE_URL}")
    results = bench_files(files_source)
    top_up([files_source, *others])
    results |= bench_desk(others[0])

    def make_source(i, url, now):
        IngestSource.objects.create(
            name=f"Bench poll {i}",
            slug=f"bench-poll-{i}",
            outlet=outlet,
            kind="feed",
            arrival="poll",
            url=url,
            interval_minutes=15,
            next_poll_at=now,
        )

    results |= bench_polling(make_source)
    log(json.dumps(results))


if __name__ == "__main__":
    main()
