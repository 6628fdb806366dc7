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
        postgres://postgres@127.0.0.1:5432/newsroom_bench_1000000 [rounds] [page ...]

Pages named after the rounds (say `search "search (common word)"`) are the only ones measured.
"""

import json
import os
import statistics
import subprocess
import sys
from itertools import chain
from pathlib import Path

from compare import alternating, bench_pages, stop

ROOT = Path(__file__).resolve().parent.parent
COMPARE = ROOT / "bench" / "compare.py"


def p95(times):
    return statistics.quantiles(times, n=20)[-1]


def main(small, large, rounds, only=()):
    # Each database's own pages, picked by the same rules (`bench/pages.py`).
    pages = {name: bench_pages(url) for name, url in (("small", small), ("large", large))}
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
    print(f"{'page':22} {'p95 small':>10} {'p95 large':>10} {'large ÷ small':>14}")
    for page in only or pages["small"]:
        paths = {name: pages[name][page] for name in workers}
        bursts = alternating(workers, paths, rounds, json.loads)
        small_p95, large_p95 = (p95(list(chain(*bursts[name]))) for name in ("small", "large"))
        print(
            f"{page:22} {small_p95:10.2f} {large_p95:10.2f} {large_p95 / small_p95:14.2f}",
            flush=True,
        )
    stop(workers)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20, sys.argv[4:])
