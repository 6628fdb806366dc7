"""Search timings per word: how the ranking of the newest matches behaves for a word in most
stories, in some, in few and in none.

    DEBUG=0 SECRET_KEY=x ALLOWED_HOSTS=127.0.0.1 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_1000000 \\
    .venv/bin/python bench/search_words.py [word ...]

For each word, in one process, one search at a time: the median of five runs of
`articles.search.search_page` for the first page (its queries and Django's work, no template),
the part of it spent in the database, and the plan of its slowest query (EXPLAIN ANALYZE): the
node that reads the stories, how many rows of the articles table it read, and its execution
time. The default words are the generator's (see README: "The synthetic newsroom").
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from articles.search import search_page  # noqa: E402

WORDS = ("nato", "budget", "election", "inflation", "drought", "court", "harbour")
RUNS = 5


def plan_of(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    read, nodes = 0, []

    def walk(node):
        nonlocal read
        if node.get("Relation Name") == "articles_article":
            read += node["Actual Rows"] * node["Actual Loops"]
            read += node.get("Rows Removed by Filter", 0)
            nodes.append(node["Node Type"])
        for child in node.get("Plans", ()):
            walk(child)

    walk(plan[0]["Plan"])
    return "+".join(nodes), read, plan[0]["Execution Time"]


def main(words):
    request = RequestFactory().get("/search/")
    print(f"{'word':10} {'matches':>7} {'median ms':>9} {'db ms':>6} {'queries':>7}  slowest query")
    for word in words:
        search_page(request, word)
        runs = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                results = search_page(request, word)
                total = (time.perf_counter() - start) * 1000
            database = sum(float(q["time"]) for q in captured.captured_queries) * 1000
            runs.append((total, database))
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        node, read, ms = plan_of(slowest["sql"])
        print(
            f"{word:10} {results.total if results.total is not None else '-':>7} "
            f"{statistics.median(t for t, _ in runs):9.1f} "
            f"{statistics.median(d for _, d in runs):6.1f} {len(captured):7}  "
            f"{node}, {read} rows read, {ms:.1f} ms"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or WORDS)
