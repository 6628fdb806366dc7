# ruff: noqa: S603 - a fault driver: it starts its own fixed commands.
"""`make faults`: break the task worker's world on purpose and count what survives.

Everything runs against servers of its own (`bench/throwaway.py`): a PostgreSQL cluster and a
Redis on free ports, a local SMTP sink that counts e-mails by `Message-ID`, and a local HTTP
receiver for the purges (`PURGE_URLS`). The worker is `manage.py run_worker`, as in production.

1. Outages: PostgreSQL is stopped for 1 to 30 seconds, ten times, under a running worker. After
   each, a side effect is recorded the moment PostgreSQL is back: how long until it is done,
   and did the worker process survive?
2. Kills: 100 stories are published (a purge now, a go-live purge and a byline e-mail each)
   while the worker is killed with SIGKILL at 10 random moments and restarted at once (as a
   supervisor would), with `manage.py run_side_effects` run beside it after each kill. Then:
   e-mails lost or duplicated at the SMTP sink, purges lost at the receiver.

    .venv/bin/python bench/faults.py [--quick] [--publishes 100] [--kills 10] [--seed 1]

`--quick` caps the outages at 5 seconds. Numbers are written up in `bench/README.md`.
"""

import argparse
import contextlib
import email
import os
import random
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.throwaway import Postgres, Redis, free_port, postgres_unavailable  # noqa: E402

OUTAGES = [1, 2, 3, 5, 8, 10, 15, 20, 25, 30]
DATABASE = "nr_worker_faults"


# The receivers ---------------------------------------------------------------------------------


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend. Counts each message once its data has arrived
    (the moment a real server takes responsibility for it); `greeting_delay` keeps each send
    in flight a little longer, so random kills land inside sends."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, greeting_delay):
        self.greeting_delay = greeting_delay
        self.messages = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), SmtpSession)


class SmtpSession(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        # A client killed mid-session is the point of the exercise, not an error.
        with contextlib.suppress(ConnectionError):
            self.converse()

    def converse(self):
        time.sleep(self.server.greeting_delay)
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                message = email.message_from_bytes(b"".join(data), policy=default_policy)
                with self.server.lock:
                    self.server.messages.append((message["Message-ID"], message["Subject"]))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb == "EHLO":
                self.reply("250 sink")
            else:
                self.reply("250 ok")


class PurgeReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port):
        self.keys = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), PurgeHandler)


class PurgeHandler(BaseHTTPRequestHandler):
    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        with self.server.lock:
            self.server.keys.append(self.headers.get("Surrogate-Key", ""))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# The worker ------------------------------------------------------------------------------------


class WorkerProcess:
    """`manage.py run_worker`, restarted by us when we kill it (a supervisor's job)."""

    def __init__(self, env, log):
        self.env, self.log = env, log
        self.process = None
        self.started = 0

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.2", "--no-reload"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.started += 1

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for_heartbeat():
    """Until the worker has started and beaten once: an outage before that tests nothing."""
    from articles.models import WorkerHeartbeat

    deadline = time.monotonic() + 60
    while not WorkerHeartbeat.objects.exists():
        if time.monotonic() > deadline:
            sys.exit("The worker did not start.")
        time.sleep(0.1)


# Scenarios -------------------------------------------------------------------------------------


def reconnect():
    from django.db import connections

    connections.close_all()


def outages(cluster, worker, durations):
    """Stop PostgreSQL under the worker; time from its return to a side effect done."""
    from django.db import transaction

    from articles import tasks
    from articles.models import SideEffect
    from tests.factories import make_article

    article = make_article(headline="Outage probe")
    results = []
    for number, seconds in enumerate(durations, start=1):
        cluster.stop("fast")
        time.sleep(seconds)
        cluster.start()
        back = time.monotonic()
        reconnect()
        with transaction.atomic():
            row = tasks.record(article=article, kind=tasks.PURGE, key=f"purge:outage:{number}")
        deadline = back + 60
        while time.monotonic() < deadline:
            if SideEffect.objects.filter(pk=row.pk, state=SideEffect.State.DONE).exists():
                break
            time.sleep(0.05)
        done = time.monotonic() - back if time.monotonic() < deadline else None
        survived = worker.alive()
        results.append((seconds, done, survived))
        shown = f"{done:.1f} s" if done is not None else "not within 60 s"
        print(
            f"  outage {number:2d}: PostgreSQL away {seconds:2d} s; worker "
            f"{'alive' if survived else 'DEAD'}; side effect done {shown} after its return",
            flush=True,
        )
        if not survived:
            worker.start()
        time.sleep(3)  # a few quiet rounds before the next outage: two outages, not one long one
    return results


def kills(worker, env, *, publishes, kill_count, seed, smtp, purges, lease):
    """Publish under random SIGKILLs of the worker; count what arrived."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from articles import workflow
    from articles.models import Article, SideEffect
    from tests.factories import make_article, make_user

    rng = random.Random(seed)
    editor = make_user("Editor")
    journalists = Group.objects.get(name="Journalist")
    stories = []
    for number in range(publishes):
        # No password: hashing a hundred of them would take longer than the rest.
        writer = get_user_model().objects.create_user(
            f"writer{number}", f"writer{number}@newsroom.invalid", None, is_staff=True
        )
        writer.groups.add(journalists)
        stories.append(
            make_article(
                status=Article.Status.DRAFT, created_by=writer, authors=[writer.author_profile]
            )
        )
    smtp.messages.clear()
    purges.keys.clear()
    # Kill after random publications, a random moment later: while its effects are in flight.
    kill_after = set(rng.sample(range(publishes), kill_count))
    catch_up = None
    for number, story in enumerate(stories):
        workflow.publish(story, by=editor)
        if number in kill_after:
            time.sleep(rng.uniform(0, 0.3))
            worker.kill()
            worker.start()
            if catch_up is None or catch_up.poll() is not None:
                # What an operator did by hand before: it must not repeat the worker's work.
                catch_up = subprocess.Popen(
                    [sys.executable, "manage.py", "run_side_effects"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        time.sleep(0.1)
    if catch_up is not None:
        catch_up.wait()

    # Rows a killed worker held come back when their lease ends, at the next sweep.
    deadline = time.monotonic() + lease + 60
    open_states = [SideEffect.State.PENDING, SideEffect.State.RUNNING]
    while time.monotonic() < deadline and SideEffect.objects.filter(state__in=open_states):
        time.sleep(0.5)
    time.sleep(1)  # the last messages' sockets

    ids = {story.pk for story in stories}
    expected = {tasks_message_id(story) for story in stories}
    mails = Counter(mid for mid, subject in smtp.messages if mid in expected)
    purged = Counter()
    for header in purges.keys:
        for key in header.split():
            if key.startswith("article-") and int(key.removeprefix("article-")) in ids:
                purged[int(key.removeprefix("article-"))] += 1
    rows = SideEffect.objects.filter(article_id__in=ids)
    states = Counter(rows.values_list("state", flat=True))
    return {
        "stories": publishes,
        "kills": len(kill_after),
        "mails_lost": len(expected - set(mails)),
        "mails_duplicated": sum(count - 1 for count in mails.values()),
        "mails_received": sum(mails.values()),
        "purges_lost": len(ids - set(purged)),
        "purge_requests": sum(purged.values()),
        "purge_effects_done": rows.filter(kind__in=["purge", "golive_purge"], state="done").count(),
        "states": dict(states),
        "claimed_again": rows.filter(attempts__gt=1).count(),
    }


def tasks_message_id(story):
    from articles import tasks
    from articles.models import SideEffect

    row = SideEffect.objects.filter(article=story, kind="golive_mail").first()
    return tasks.message_id(row) if row else None


# Main ------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="cap the outages at 5 seconds")
    parser.add_argument("--publishes", type=int, default=100)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--lease", type=int, default=5, help="side-effect lease, seconds")
    parser.add_argument("--smtp-delay", type=float, default=0.05, help="SMTP greeting delay")
    parser.add_argument("--skip-outages", action="store_true")
    parser.add_argument("--log", help="keep the worker's log in this file")
    options = parser.parse_args()
    reason = postgres_unavailable()
    if reason:
        sys.exit(f"Cannot run the faults: {reason}.")
    seed = options.seed if options.seed is not None else random.randrange(10**6)
    # Stopped from outside, still remove the servers of our own (the `finally` below).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))

    cluster = Postgres().initialise()
    redis = Redis()
    smtp = serve(SmtpSink(free_port(), options.smtp_delay))
    purges = serve(PurgeReceiver(free_port()))
    log_path = Path(options.log or tempfile.mkstemp(prefix="newsroom-faults-", suffix=".log")[1])
    log = log_path.open("w")
    worker = None
    try:
        cluster.start()
        cluster.create_database(DATABASE)
        redis.start()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DEBUG": "0",
            "SECRET_KEY": "faults-only-not-secret",
            "SITE_URL": "https://news.example",
            "ALLOWED_HOSTS": "news.example",
            "DATABASE_URL": cluster.url(DATABASE),
            "REDIS_URL": redis.url(),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.server_address[1]),
            "EMAIL_TIMEOUT": "3",
            "PURGE_URLS": f"http://127.0.0.1:{purges.server_address[1]}/",
            "SIDE_EFFECT_LEASE_SECONDS": str(options.lease),
            "WORKER_SWEEP_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        worker = WorkerProcess(env, log)
        worker.start()
        wait_for_heartbeat()

        if not options.skip_outages:
            durations = [min(d, 5) for d in OUTAGES] if options.quick else OUTAGES
            print(f"Outages of PostgreSQL under a running worker ({len(durations)}):", flush=True)
            results = outages(cluster, worker, durations)
            survived = sum(1 for _, done, alive in results if alive and done is not None)
            fast = sum(1 for _, done, alive in results if alive and done is not None and done < 5)
            worst = max((done for _, done, _ in results if done is not None), default=None)
            log.flush()
            lines = log_path.read_text().count("Database unavailable")
            print(
                f"  => worker survived {survived} of {len(results)} outages "
                f"({min(durations)}-{max(durations)} s), back to work within 5 s in {fast} of "
                f"{len(results)} (slowest {worst:.1f} s); {lines} 'Database unavailable' log "
                f"lines for {len(results)} outages",
                flush=True,
            )

        print(
            f"Publishing {options.publishes} stories, killing the worker {options.kills} times "
            f"(seed {seed}, lease {options.lease} s):",
            flush=True,
        )
        reconnect()
        numbers = kills(
            worker,
            env,
            publishes=options.publishes,
            kill_count=options.kills,
            seed=seed,
            smtp=smtp,
            purges=purges,
            lease=options.lease,
        )
        print(
            f"  e-mails: {numbers['mails_received']} received for {numbers['stories']} "
            f"stories: {numbers['mails_lost']} lost, {numbers['mails_duplicated']} duplicated"
        )
        print(
            f"  purges: {numbers['purges_lost']} stories never purged; "
            f"{numbers['purge_requests']} purge requests for {numbers['purge_effects_done']} "
            "purge side effects done (a purge is idempotent)"
        )
        print(
            f"  side effects by state: {numbers['states']}; "
            f"{numbers['claimed_again']} claimed again after their worker was killed"
        )
        print(f"  worker processes started: {worker.started}", flush=True)
    finally:
        if worker is not None:
            worker.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        smtp.shutdown()
        purges.shutdown()
        redis.close()
        cluster.close()
        log.close()
        if not options.log:
            log_path.unlink()


if __name__ == "__main__":
    main()
