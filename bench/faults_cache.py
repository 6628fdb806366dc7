# ruff: noqa: S603, S607 - a fault drill: it starts its own fixed commands.
"""Redis faults under reader load: how soon the page cache comes back, and stale reads.

Runs on its own: a throwaway SQLite newsroom (the demo content), a redis-server of its own
and gunicorn (2 sync workers, production settings) on free ports, and 4 reader threads
requesting the home page and one story in a loop. Two scenarios:

* restart: Redis is stopped for a second and started again empty. Printed: the hit rate per
  second, and how long after Redis returned the hit rate was back above 90%.
* freeze: Redis is frozen (SIGSTOP) for three seconds, the story's headline is changed
  meanwhile by another process (`Article.save()`, whose purge cannot reach Redis), then
  Redis resumes with all its data (SIGCONT). Printed: the stale reads, i.e. responses to
  requests begun after the edit was committed that still show the old headline, before and
  after Redis returned.

    .venv/bin/python bench/faults_cache.py [--project DIR]

``--project`` runs another checkout's code (e.g. to compare with an earlier version); this
script, its database and Redis stay the same. Numbers go in bench/README.md.
"""

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
READERS = 4
OLD, NEW = "Fault drill: the old headline", "Fault drill: the new headline"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message):
    print(f"[faults] {message}", file=sys.stderr, flush=True)


class Redis:
    def __init__(self, directory):
        self.port, self.directory, self.process = free_port(), directory, None

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Readers:
    """Reader threads recording (start, end, path, X-Page-Cache, old headline shown)."""

    def __init__(self, base, paths):
        self.base, self.paths = base, paths
        self.records, self.stopping = [], threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(READERS)]

    def run(self, number):
        i = number
        while not self.stopping.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            began = time.monotonic()
            try:
                with urllib.request.urlopen(self.base + path, timeout=10) as answer:  # noqa: S310
                    body = answer.read().decode()
                    state = answer.headers.get("X-Page-Cache") or "none"
            except (urllib.error.URLError, OSError):
                body, state = "", "error"
            self.records.append((began, time.monotonic(), path, state, OLD in body))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()


def hit_rate(records, start, end):
    window = [r for r in records if start <= r[0] < end]
    return (sum(r[3] == "hit" for r in window) / len(window)) if window else None, len(window)


def recovery_seconds(records, returned, *, target=0.9, window=1.0, until=30.0):
    """Seconds from ``returned`` to the start of the first one-second window at or above
    ``target`` hit rate."""
    step = 0.1
    t = returned
    while t < returned + until:
        rate, count = hit_rate(records, t, t + window)
        if rate is not None and count >= 5 and rate >= target:
            return t - returned
        t += step
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default=str(HERE), help="checkout whose code is served")
    args = parser.parse_args()
    project = Path(args.project).resolve()
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="newsroom-faults-"))
    redis = Redis(work)
    redis.start()
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "PAGE_CACHE", "REDIS_URL", "DATABASE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{work / 'newsroom.sqlite3'}",
            "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "HTTPS": "0",
            "STATIC_ROOT": str(work / "static"),
            "MEDIA_ROOT": str(work / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )

    def manage(*command, capture=False):
        return subprocess.run(
            [python, "manage.py", *command],
            cwd=project,
            env=env,
            check=True,
            capture_output=capture,
            text=True,
        )

    log(f"building a demo newsroom in {work}")
    manage("migrate", "--noinput", "-v0")
    manage("load_demo", capture=True)
    manage("collectstatic", "--noinput", "-v0")
    story_path = (
        manage(
            "shell",
            "-c",
            "from articles.models import Article; a = Article.objects.published().first(); "
            f"a.headline = {OLD!r}; a.save(); print(a.get_absolute_url())",
            capture=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    gunicorn_log = open(work / "gunicorn.log", "w")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "newsroom.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stderr=gunicorn_log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()  # noqa: S310
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        paths = ["/", story_path]

        log("scenario 1: Redis stopped for 1 s and started again, empty")
        with Readers(base, paths) as readers:
            time.sleep(5)
            redis.stop()
            time.sleep(1)
            redis.start()
            returned = time.monotonic()
            time.sleep(15)
        records = readers.records
        recovered = recovery_seconds(records, returned)
        rates = []
        for second in range(-3, 15):
            rate, count = hit_rate(records, returned + second, returned + second + 1)
            rates.append(f"{second:+d}s:{'-' if rate is None else f'{rate:.0%}'}")
        before, _ = hit_rate(records, returned - 6, returned - 1)
        print("\nRestart (Redis down 1 s, 4 readers, gunicorn 2 workers)")
        print(f"  requests: {len(records)}; hit rate before the outage: {before:.0%}")
        print(f"  hit rate per second from Redis's return: {' '.join(rates)}")
        print(
            "  hit rate back above 90%: "
            + (f"{recovered:.1f} s after Redis returned" if recovered is not None else "never")
        )

        log("scenario 2: Redis frozen 3 s while the story's headline is edited elsewhere")
        with Readers(base, paths) as readers:
            time.sleep(5)
            os.kill(redis.process.pid, signal.SIGSTOP)
            time.sleep(0.5)
            manage(
                "shell",
                "-c",
                "from articles.models import Article; "
                f"a = Article.objects.get(headline={OLD!r}); a.headline = {NEW!r}; a.save()",
                capture=True,
            )
            committed = time.monotonic()
            time.sleep(max(0.0, 3 - (committed - readers.records[-1][0])))
            os.kill(redis.process.pid, signal.SIGCONT)
            returned = time.monotonic()
            time.sleep(10)
        records = readers.records
        during = [r for r in records if committed <= r[0] < returned and r[4]]
        after = [r for r in records if r[0] >= returned and r[4]]
        last_stale = max((r[0] - returned for r in after), default=None)
        recovered = recovery_seconds(records, returned)
        print("\nFreeze (Redis stopped with SIGSTOP ~3 s, headline edited by another process)")
        print(f"  requests: {len(records)}")
        print(f"  stale reads while frozen (after the edit): {len(during)}")
        print(
            f"  stale reads after Redis returned: {len(after)}"
            + (f" (the last {last_stale:.1f} s after)" if after else "")
        )
        print(
            "  hit rate back above 90%: "
            + (f"{recovered:.1f} s after Redis returned" if recovered is not None else "never")
        )
        with open(work / "gunicorn.log") as output:
            warnings = sum("Page cache" in line for line in output)
        print(f"\nPage-cache log lines in gunicorn's output, both scenarios: {warnings}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        gunicorn_log.close()
        if redis.process.poll() is None:
            os.kill(redis.process.pid, signal.SIGCONT)
            redis.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
