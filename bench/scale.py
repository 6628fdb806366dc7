# ruff: noqa: S603 - a benchmark driver: it starts its own fixed commands.
"""How each page scales with the archive: uncached wall-clock times on two databases, measured
side by side.

Two processes of this checkout serve the pages through Django's WSGI handler (no server, no
network, page cache off), one on each database, and are asked in turn for bursts of the same
page, alternating which goes first, so that both see the same drift of a shared machine. For
each page: the p95 of every request's time on each database, and their ratio. Each database's
pages are its own, picked by the same rules (`bench/pages.py`).

    DJANGO_SETTINGS_MODULE=bench.settings DEBUG=0 SECRET_KEY=… ALLOWED_HOSTS=127.0.0.1 \\
    STATIC_ROOT=bench/results/static PAGE_CACHE=0 \\
    .venv/bin/python bench/scale.py \\
        postgres://postgres@127.0.0.1:5432/newsroom_bench_10000 \\
        postgres://postgres@127.0.0.1:5432/newsroom_bench_1000000 [--api] [rounds] [page ...]

Pages named after the rounds (say `search "search (common word)"`) are the only ones measured;
`--api` measures the content API's answers alone (the pages named "api …"). Beside the times,
each page's queries on each database (uncached, counted by `bench/pages.py`): a page whose
count grows with the archive shows it here.
"""

import json
import os
import statistics
import subprocess
import sys
from itertools import chain
from pathlib import Path

from compare import alternating, bench_data, stop

ROOT = Path(__file__).resolve().parent.parent
COMPARE = ROOT / "bench" / "compare.py"


def p95(times):
    return statistics.quantiles(times, n=20)[-1]


def main(small, large, rounds, only=(), api=False):
    # One client asking many times, here and in `bench/pages.py`: the API's budget per
    # address is lifted, or its answers would be 429s.
    os.environ["API_RATE_ANONYMOUS"] = "0"
    # Each database's own pages, picked by the same rules (`bench/pages.py`).
    data = {name: bench_data(url) for name, url in (("small", small), ("large", large))}
    for name, found in data.items():
        if failed := {page: code for page, code in found["status"].items() if code != 200}:
            raise SystemExit(f"On the {name} database: {failed}")
    pages = {name: found["pages"] for name, found in data.items()}
    queries = {name: found["queries"] for name, found in data.items()}
    if not only:
        only = [page for page in pages["small"] if page.startswith("api ") or not api]
    workers = {
        name: subprocess.Popen(
            [sys.executable, str(COMPARE), "--serve", str(ROOT), "--wall"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "DATABASE_URL": url, "PAGE_CACHE": "0"},
        )
        for name, url in (("small", small), ("large", large))
    }

    print(f"uncached ms per request, {rounds} alternating bursts per database")
    print(
        f"{'page':30} {'p95 small':>10} {'p95 large':>10} {'large ÷ small':>14} "
        f"{'queries small/large':>20}"
    )
    for page in only:
        paths = {name: pages[name][page] for name in workers}
        bursts = alternating(workers, paths, rounds, json.loads)
        small_p95, large_p95 = (p95(list(chain(*bursts[name]))) for name in ("small", "large"))
        counted = "/".join(str(queries[name][page]["uncached"]) for name in ("small", "large"))
        print(
            f"{page:30} {small_p95:10.2f} {large_p95:10.2f} {large_p95 / small_p95:14.2f} "
            f"{counted:>20}",
            flush=True,
        )
    stop(workers)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--api"]
    main(
        arguments[0],
        arguments[1],
        int(arguments[2]) if len(arguments) > 2 else 20,
        arguments[3:],
        api="--api" in sys.argv,
    )
