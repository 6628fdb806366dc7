"""Uncached page timings in one process, one request at a time: the scale comparison.

wrk figures on a shared machine move with its load; a sequential in-process timing of the
same pages on two databases (10k and 1M articles) shows how the pages scale with the archive.

    DEBUG=0 SECRET_KEY=x ALLOWED_HOSTS=127.0.0.1 STATIC_ROOT=bench/results/static \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_10000 \\
    .venv/bin/python bench/timings.py

(`make bench` must have run once: it collects the static files this needs.)
Prints median and p95 over 20 requests per page, the p95 of the time spent in the database
(the part of a page that grows with the archive; the rest depends on what the page happens to
show: pictures, bylines, how many stories in 48 hours), and the query count.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import pages  # noqa: E402  (sets Django up)
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REQUESTS = 20


def main():
    client = Client()
    # One client asking as fast as it can: the API's budget per address would refuse it.
    with override_settings(NEWSROOM_PAGE_CACHE=False, NEWSROOM_API_RATE_ANONYMOUS=0):
        found = pages.pages()
        if only := os.environ.get("BENCH_ONLY"):
            found = {name: url for name, url in found.items() if name.startswith(only)}
        for name, url in found.items():
            client.get(url, HTTP_HOST="127.0.0.1")
            times, database = [], []
            for _ in range(REQUESTS):
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get(url, HTTP_HOST="127.0.0.1")
                    times.append((time.perf_counter() - start) * 1000)
                database.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
            times.sort()
            database.sort()
            p95 = int(REQUESTS * 0.95) - 1
            print(
                f"{name:22} {response.status_code}  median {times[REQUESTS // 2]:6.1f} ms  "
                f"p95 {times[p95]:6.1f} ms  database p95 {database[p95]:5.1f} ms  "
                f"queries {len(captured)}"
            )


if __name__ == "__main__":
    main()
