"""`make bench-autosave`: what one autosave costs the server, on the benchmark database.

The autosave endpoint is asked the way the article form asks it: a journalist's session, the
CSRF token, the whole form of a generated story as [name, value] pairs. Requests go through
Django's WSGI handler in this process (every middleware, the admin's login and permission
checks; no network), with production settings on PostgreSQL. Prints the per-request times
(median, p95, max), the queries one request makes and the plan of the upsert, once with the
autosave table nearly empty and once after filling it with BENCH_AUTOSAVE_ROWS other
people's autosaves: the upsert is one probe of the (user, form) unique index either way.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_10000 \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/autosave.py

Environment: BENCH_COUNT and BENCH_DATABASE_URL as for `make bench` (the database is made and
filled the same way when missing), BENCH_AUTOSAVE_REQUESTS=300, BENCH_AUTOSAVE_ROWS=100000.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import run

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_AUTOSAVE_REQUESTS", "300"))
FILLER_ROWS = int(os.environ.get("BENCH_AUTOSAVE_ROWS", "100000"))
USERNAME = "bench-autosave-journalist"


def setup():
    env = run.environment(run.PORT, page_cache=False, prefix=f"bench-autosave-{os.getpid()}")
    run.ensure_database(env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    # The test client's response.context, to read the form back as a browser would post it.
    setup_test_environment()


def journalist_with_a_draft():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from articles.models import Article, Autosave
    from authors.models import Author

    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "first_name": "Bench"}
    )
    user.groups.add(Group.objects.get(name="Journalist"))
    # The longest body among a sample of stories: the biggest form a journalist sends.
    source = (
        Article.objects.order_by("-pk").only("pk", "body")[:500].iterator()
        if Article.objects.exists()
        else []
    )
    longest = max(source, key=lambda a: len(a.body), default=None)
    article, created = Article.objects.get_or_create(
        slug="bench-autosave-draft",
        defaults={
            "headline": "A draft the bench autosaves",
            "body": longest.body if longest else "<p>Body.</p>",
            "status": Article.Status.DRAFT,
            "created_by": user,
        },
    )
    author, _ = Author.objects.get_or_create(user=user, defaults={"name": "Bench Journalist"})
    article.bylines.get_or_create(author=author)
    Autosave.objects.filter(user=user).delete()
    return user, article


def fill(user, count):
    """``count`` autosaves of other people's forms, so the table is not trivially small."""
    from django.contrib.auth import get_user_model

    from articles.models import Autosave

    have = Autosave.objects.exclude(user=user).count()
    if have >= count:
        return have
    others = [
        get_user_model().objects.get_or_create(username=f"bench-autosave-{n}")[0]
        for n in range(100)
    ]
    rows = [
        Autosave(
            user=others[n % 100],
            form_key=f"new-bench{n:012d}",
            fields=[["headline", f"Filler {n}"], ["body", "<p>" + "word " * 200 + "</p>"]],
            labels={},
        )
        for n in range(have, count)
    ]
    Autosave.objects.bulk_create(rows, batch_size=5000)
    return count


def measure(client, url, payload):
    """Per request: wall time, this process's CPU time and the time spent waiting on queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    waited, upserts = [], []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            if sql.startswith("INSERT"):
                # In autocommit: the statement's answer waits for its commit to be on disk.
                upserts[-1] += took
            else:
                waited[-1] += took

    wall, cpu = [], []
    with connection.execute_wrapper(timed):
        for n in range(REQUESTS):
            payload["fields"] = payload["fields"][:-1] + [["dek", f"Typed so far: {n}"]]
            body = {**payload, "fields": json.dumps(payload["fields"])}
            waited.append(0.0)
            upserts.append(0.0)
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.post(url, body)
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        client.post(url, {**payload, "fields": json.dumps(payload["fields"])})
    return {
        "wall": wall,
        "cpu": cpu,
        "reads": [w * 1000 for w in waited],
        "upsert": [w * 1000 for w in upserts],
        "queries": [q["sql"] for q in queries.captured_queries],
    }


def explain(queries):
    """Each query of one request under EXPLAIN ANALYZE (rolled back): its plan's scans and
    the database's own execution time, which the machine's load on this process leaves out."""
    from django.db import connection, transaction

    lines = []
    for sql in queries:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
            plan = [line for (line,) in cursor.fetchall()]
            transaction.set_rollback(True)
        scans = sorted(
            {
                part.strip().split(" (")[0].lstrip("-> ")
                for part in plan
                if " Scan" in part or "Arbiter" in part
            }
        )
        took = next(line for line in plan if line.startswith("Execution Time"))
        lines.append(f"{took:26} {sql.split()[0]:6} {'; '.join(scans)}")
    return lines


def report(label, measured):
    def spread(times):
        ordered = sorted(times)
        return statistics.median(ordered), statistics.quantiles(ordered, n=20)[-1]

    names = ("wall", "cpu", "reads", "upsert")
    line = {name: spread(measured[name]) for name in names}
    print(
        f"{label:30} "
        + "   ".join(f"{n} {line[n][0]:6.2f} / {line[n][1]:6.2f}" for n in names)
        + f"   {len(measured['queries'])} queries"
    )
    return {name: {"median_ms": m, "p95_ms": p} for name, (m, p) in line.items()}


def main():
    setup()
    from django.test import Client
    from django.urls import reverse

    from articles.models import Article, Autosave
    from tests.articles.admin_forms import post_data

    user, article = journalist_with_a_draft()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    change = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    form = post_data(change)
    pairs = [
        [name, str(one)]
        for name, value in form.items()
        for one in (value if isinstance(value, list) else [value])
    ]
    payload = {
        "csrfmiddlewaretoken": change.context["csrf_token"],
        "fields": pairs,
        "labels": "{}",
        "base_version": str(article.version),
    }
    url = reverse("admin:articles_article_autosave", args=[article.pk])
    size = len(json.dumps(pairs).encode())
    print(
        f"{Article.objects.count()} articles; the form posted is {len(pairs)} fields, "
        f"{size / 1024:.1f} KB; {REQUESTS} requests per row"
    )

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        "ms per request, median / p95 (cpu: this process; reads: waiting on the five reads;"
        " upsert: on the upsert and its commit)"
    )
    few = measure(client, url, payload)
    results = {"few autosaves": report(f"{Autosave.objects.count()} autosaves in the table", few)}
    fill(user, FILLER_ROWS)
    many = measure(client, url, payload)
    rows = Autosave.objects.count()
    results[f"{rows} autosaves"] = report(f"{rows} autosaves in the table", many)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("\nthe queries of one request, as the database runs them:")
    for line in explain(many["queries"]):
        print("  ", line)
    Autosave.objects.filter(user__username__startswith="bench-autosave-").delete()
    return results


if __name__ == "__main__":
    main()
