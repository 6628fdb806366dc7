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
        postgres://postgres@127.0.0.1:5432/newsroom_bench_1000000 [rounds]
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPARE = ROOT / "bench" / "compare.py"


def p95(times):
    return statistics.quantiles(times, n=20)[-1]


def main(small, large, rounds):
    # Each database's own pages, picked by the same rules (`bench/pages.py`).
    pages = {
        name: json.loads(
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "pages.py")],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "DATABASE_URL": url},
            ).stdout
        )["pages"]
        for name, url in (("small", small), ("large", large))
    }
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

    def burst(name, path):
        worker = workers[name]
        worker.stdin.write(path + "\n")
        worker.stdin.flush()
        return json.loads(worker.stdout.readline())

    print(f"uncached ms per request, {rounds} alternating bursts per database")
    print(f"{'page':22} {'p95 small':>10} {'p95 large':>10} {'large ÷ small':>14}")
    for page in pages["small"]:
        for name in workers:  # warm: connections, compiled queries, templates
            burst(name, pages[name][page])
        times = {name: [] for name in workers}
        for i in range(rounds):
            for name in ("small", "large") if i % 2 == 0 else ("large", "small"):
                times[name] += burst(name, pages[name][page])
        small_p95, large_p95 = p95(times["small"]), p95(times["large"])
        print(
            f"{page:22} {small_p95:10.2f} {large_p95:10.2f} {large_p95 / small_p95:14.2f}",
            flush=True,
        )
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20)
