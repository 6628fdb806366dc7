# ruff: noqa: S603 - starts our own `manage.py run_worker`.
"""`make bench-webhooks`: how soon a webhook delivery leaves (see bench/README.md, "Webhooks").

Against the real task worker (`manage.py run_worker`, a separate process, default settings:
the database task backend, `--interval 1`) and a signature-checking receiver on
127.0.0.1:BENCH_WEBHOOKS_PORT (default 8120):

1. publish BENCH_WEBHOOKS_STORIES stories one at a time, a random 0-1.5 s apart, and time
   each `article.published` from the commit to its arrival at the receiver;
2. schedule as many stories to go live at random moments over the next
   BENCH_WEBHOOKS_SPREAD seconds (default 60, after 3 s), and time each delivery from its
   go-live to its arrival (each go-live also runs its purge and byline e-mail tasks).

Every arrival's signature is checked and repeats are counted: BENCH_WEBHOOKS_WORKERS=2 runs
two workers side by side, which must still send each delivery once.

Runs against BENCH_WEBHOOKS_DATABASE_URL (default: a fresh SQLite file in a temporary folder;
a PostgreSQL database is created if missing). Prints median, p95 and worst for each.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STORIES = int(os.environ.get("BENCH_WEBHOOKS_STORIES", "40"))
WORKERS = int(os.environ.get("BENCH_WEBHOOKS_WORKERS", "1"))
SPREAD = float(os.environ.get("BENCH_WEBHOOKS_SPREAD", "60"))
PORT = int(os.environ.get("BENCH_WEBHOOKS_PORT", "8120"))
TMP = Path(tempfile.mkdtemp(prefix="newsroom-bench-webhooks-"))
DATABASE_URL = os.environ.get("BENCH_WEBHOOKS_DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}")
ENV = {
    "DATABASE_URL": DATABASE_URL,
    "SECRET_KEY": "bench-only-not-secret",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1",
    "DJANGO_SETTINGS_MODULE": "newsroom.settings",
    "LOG_LEVEL": "ERROR",
    "ROUTINE_LOG_LEVEL": "ERROR",
}
TARGET = 2.0


def log(message):
    print(message, flush=True)


def setup_django():
    os.environ.update(ENV)
    if DATABASE_URL.startswith("postgres"):
        from urllib.parse import urlsplit

        import psycopg
        from psycopg import sql

        parts = urlsplit(DATABASE_URL)
        name = parts.path.lstrip("/")
        with psycopg.connect(f"{parts.scheme}://{parts.netloc}/postgres", autocommit=True) as c:
            if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Receiver:
    """Notes when each delivery arrives, by the story id it carries; checks its signature."""

    def __init__(self, port):
        self.secret = None
        self.arrivals = {}
        self.repeats = 0
        self.bad = 0
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                at = time.time()
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = base64.b64decode(receiver.secret.removeprefix("whsec_"))
                signed = f"{self.headers['webhook-id']}.{self.headers['webhook-timestamp']}."
                digest = hmac.new(key, signed.encode() + body, hashlib.sha256).digest()
                good = (
                    self.headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()
                )
                event = json.loads(body)
                with receiver.arrived:
                    if not good:
                        receiver.bad += 1
                    key = (event["type"], event["data"]["id"])
                    if key in receiver.arrivals:
                        receiver.repeats += 1
                    receiver.arrivals.setdefault(key, at)
                    receiver.arrived.notify_all()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, key, timeout=15):
        with self.arrived:
            self.arrived.wait_for(lambda: key in self.arrivals, timeout=timeout)
            return self.arrivals.get(key)


def summary(name, delays):
    unsorted, delays = delays, sorted(delays)
    p95 = delays[max(0, round(0.95 * len(delays)) - 1)]
    verdict = "within" if delays[-1] <= TARGET else "OVER"
    if os.environ.get("BENCH_WEBHOOKS_VERBOSE"):
        log(" ".join(f"{d:.2f}" for d in unsorted))
    log(
        f"{name:<38} n={len(delays):<3} median {statistics.median(delays):.3f} s  "
        f"p95 {p95:.3f} s  worst {delays[-1]:.3f} s  ({verdict} {TARGET:.0f} s)"
    )


def main():
    log(f"Database: {DATABASE_URL.split('@')[-1]}")
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from articles import workflow
    from articles.models import Article, Section, WorkerHeartbeat
    from tests.factories import make_user
    from webhooks.models import Endpoint, Event

    receiver = Receiver(PORT)
    run = timezone.now().strftime("%H%M%S")
    editor = make_user("Editor", username=f"bench-editor-{run}")
    Endpoint.objects.update(active=False)  # a rerun's earlier endpoints
    endpoint = Endpoint.objects.create(
        url=f"http://127.0.0.1:{PORT}/hook", events=list(Event.values), owner=editor
    )
    receiver.secret = endpoint.secret
    section, _ = Section.objects.get_or_create(slug="bench", defaults={"name": "Bench"})

    def story(n):
        return Article.objects.create(
            headline=f"Bench webhook story {run}-{n}", section=section, body="<p>Text.</p>"
        )

    started = timezone.now()
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "1", "--no-reload"],
            cwd=ROOT,
            env={**os.environ, **ENV},
        )
        for _ in range(WORKERS)
    ]
    log(f"Workers: {WORKERS}")
    try:
        # Timing starts once every worker has booted and made its first round (a heartbeat).
        deadline = time.monotonic() + 120
        while WorkerHeartbeat.objects.filter(seen_at__gte=started).count() < WORKERS:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start within 120 s")
            time.sleep(0.2)
        time.sleep(1)
        after_commit = []
        for n in range(STORIES):
            article = story(n)
            committed = {}
            with transaction.atomic():
                transaction.on_commit(lambda c=committed: c.setdefault("at", time.time()))
                workflow.publish(article, by=editor)
            arrived = receiver.wait_for(("article.published", article.pk))
            if arrived is None:
                raise SystemExit(f"story {article.pk}: no delivery within 15 s")
            after_commit.append(arrived - committed["at"])
            time.sleep(random.uniform(0, 1.5))  # noqa: S311 - spread over the worker's rounds
        summary("published now: commit -> arrival", after_commit)

        scheduled = []
        for n in range(STORIES):
            at = timezone.now() + timedelta(seconds=3 + random.uniform(0, SPREAD))  # noqa: S311
            article = story(f"s{n}")
            workflow.schedule(article, by=editor, at=at)
            article.refresh_from_db()
            scheduled.append((article.pk, article.go_live_at.timestamp()))
        after_go_live = []
        for pk, go_live in scheduled:
            arrived = receiver.wait_for(("article.published", pk), timeout=SPREAD + 30)
            if arrived is None:
                raise SystemExit(f"story {pk}: no delivery within {SPREAD + 30:.0f} s")
            after_go_live.append(arrived - go_live)
        summary("scheduled: go-live -> arrival", after_go_live)
        early = [d for d in after_go_live if d < 0]
        time.sleep(2)  # a late repeat would arrive now
        log(
            f"deliveries before their go-live: {len(early)}; bad signatures: {receiver.bad}; "
            f"deliveries received twice: {receiver.repeats}"
        )
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        receiver.httpd.shutdown()


if __name__ == "__main__":
    main()
