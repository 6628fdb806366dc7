# ruff: noqa: S603, S310 - a benchmark driver: it starts its own fixed commands, on loopback.
"""Resident memory of one gunicorn worker while it serves many distinct article pages.

Starts gunicorn (one sync worker, the settings of the environment, as for `bench/compare.py`)
in a checkout, asks it for every live article of the database in turn, uncached, and prints
the worker's resident memory (VmRSS) and CPU time per view every 1,000 views. A worker that
keeps nothing per story levels off after the first pages; one that keeps stories grows until
its stores are full.

    DJANGO_SETTINGS_MODULE=bench.settings DEBUG=0 SECRET_KEY=… ALLOWED_HOSTS=127.0.0.1 \\
    STATIC_ROOT=bench/results/static PAGE_CACHE=0 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_10000 \\
    .venv/bin/python bench/memory.py [checkout] [views] [port]
"""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def live_article_paths(tree):
    code = (
        "import django; django.setup()\n"
        "from articles.models import Article\n"
        "for a in Article.objects.published().select_related('section').only("
        "'slug', 'section__slug', 'first_published_at', 'publish_at', 'created_at'):\n"
        "    print(a.get_absolute_url())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def resident_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_of(master):
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def main(tree, views, port):
    paths = live_article_paths(tree)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "newsroom.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=tree,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        worker = worker_of(server.pid)
        print(f"{tree}: {len(paths)} live articles, {views} views", flush=True)
        print(f"views 0: {resident_kb(worker) / 1024:.1f} MB", flush=True)
        cpu = cpu_seconds(worker)
        for n in range(1, views + 1):
            path = paths[(n - 1) % len(paths)]
            with urllib.request.urlopen(f"{base}{path}", timeout=30) as answer:
                answer.read()
            if n % 1000 == 0:
                used, cpu = cpu_seconds(worker) - cpu, cpu_seconds(worker)
                print(
                    f"views {n}: {resident_kb(worker) / 1024:.1f} MB, "
                    f"{used:.1f} ms CPU per view over the last 1,000",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    tree = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else str(ROOT)
    main(
        tree,
        int(sys.argv[2]) if len(sys.argv) > 2 else 10_000,
        int(sys.argv[3]) if len(sys.argv) > 3 else 8720,
    )
