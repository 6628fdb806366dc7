# ruff: noqa: S603 - a benchmark driver: it starts its own fixed commands.
"""CPU per request of the same pages in two checkouts, measured side by side.

On a shared machine the speed of the CPU itself drifts by half within minutes, so two
benchmark runs made one after the other compare the machine as much as the code. This starts
one process per checkout, each serving the pages through Django's WSGI handler (no server, no
network), and asks them in turn for short bursts of the same page, alternating which goes
first: both see the same drift, and the ratio of each pair is read, not the absolute times.

    git worktree add /tmp/newsroom-base <ref>
    DJANGO_SETTINGS_MODULE=bench.settings DEBUG=0 SECRET_KEY=… ALLOWED_HOSTS=127.0.0.1 \\
    STATIC_ROOT=bench/results/static PAGE_CACHE=0 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench_10000 \\
    .venv/bin/python bench/compare.py /tmp/newsroom-base [rounds]

Prints, for the floor and each page of `bench/pages.py`, the median CPU time per request of
each checkout and the median and quartiles of new ÷ base over the rounds (20 by default).
"""

import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BURST = 20


def serve(tree, wall=False):
    """In a checkout: answer "<page path>" lines with this process's CPU ms per request (with
    ``wall``: the wall-clock ms of each request of the burst, as a JSON list)."""
    os.chdir(tree)
    sys.path.insert(0, tree)
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()

    def call(path):
        path_info, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        status = []
        body = app(environ, lambda s, headers, exc_info=None: status.append(s))
        b"".join(body)
        body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path} answered {status[0]} in {tree}")

    for line in sys.stdin:
        path = line.strip()
        if wall:
            times = []
            for _ in range(BURST):
                started = time.perf_counter()
                call(path)
                times.append((time.perf_counter() - started) * 1000)
            print(json.dumps(times), flush=True)
            continue
        started = time.process_time()
        for _ in range(BURST):
            call(path)
        print((time.process_time() - started) / BURST * 1000, flush=True)


def bench_pages(database_url=None):
    """The bench pages (`bench/pages.py`) of the configured database, or of this one."""
    return bench_data(database_url)["pages"]


def bench_data(database_url=None):
    """What `bench/pages.py` prints for the configured database, or for this one: the pages,
    and each one's queries and status."""
    env = {**os.environ, "DATABASE_URL": database_url} if database_url else None
    return json.loads(
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "pages.py")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    )


def main(base, rounds):
    pages = bench_pages()
    pages = {"floor": "/bench/floor/", **pages}
    workers = {
        name: subprocess.Popen(
            [sys.executable, __file__, "--serve", tree],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, tree in (("base", str(Path(base).resolve())), ("new", str(ROOT)))
    }

    print(f"CPU ms per request, {rounds} alternating bursts of {BURST}; base = {base}")
    for page, path in pages.items():
        times = alternating(workers, {"base": path, "new": path}, rounds, float)
        ratios = [n / b for n, b in zip(times["new"], times["base"], strict=True)]
        q1, median, q3 = statistics.quantiles(ratios, n=4)
        print(
            f"{page:22} base {statistics.median(times['base']):6.2f}  "
            f"new {statistics.median(times['new']):6.2f}  "
            f"new/base {median:.3f} (quartiles {q1:.3f}-{q3:.3f})",
            flush=True,
        )
    stop(workers)


def alternating(workers, paths, rounds, read):
    """Each worker's answers (read from its line with ``read``) to ``rounds`` bursts of its
    path, after one to warm it (connections, compiled queries, templates); the two workers
    take turns, alternating which goes first."""

    def burst(name):
        worker = workers[name]
        worker.stdin.write(paths[name] + "\n")
        worker.stdin.flush()
        return read(worker.stdout.readline())

    first, second = workers
    for name in workers:
        burst(name)
    answers = {name: [] for name in workers}
    for i in range(rounds):
        for name in (first, second) if i % 2 == 0 else (second, first):
            answers[name].append(burst(name))
    return answers


def stop(workers):
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2], wall="--wall" in sys.argv)
    else:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
