"""Purges sent to a CDN (Varnish, nginx) over HTTP: one it refuses or that times out is kept
in the outbox and sent again until the CDN takes it."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from articles import caching, tasks, workflow
from articles.models import Article, SideEffect
from tests.articles.test_caching import closed_port
from tests.factories import make_article, make_section, make_user


class FakeCdn:
    """A purge endpoint answering with ``status`` (or sleeping ``delay`` seconds first)."""

    def __init__(self, status=200, delay=0.0):
        self.status, self.delay, self.received, self.soft = status, delay, [], []
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):  # noqa: N802 - the HTTP method's name
                cdn.received.append(self.headers.get("Surrogate-Key"))
                cdn.soft.append(self.headers.get("Soft-Purge") == "1")
                time.sleep(cdn.delay)
                self.send_response(cdn.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cdn(settings):
    made = []

    def start(**options):
        made.append(FakeCdn(**options))
        settings.NEWSROOM_PURGE_URLS = [made[-1].url]
        settings.NEWSROOM_PURGE_BACKEND = "articles.caching.HttpPurgeBackend"
        settings.NEWSROOM_PURGE_TIMEOUT = 0.5
        return made[-1]

    yield start
    for server in made:
        server.close()


def test_the_http_backend_raises_naming_each_cdn_that_refused_timed_out_or_was_unreachable():
    working, refusing, slow = FakeCdn(), FakeCdn(status=405), FakeCdn(delay=2)
    unreachable = f"http://127.0.0.1:{closed_port()}/"
    try:
        backend = caching.HttpPurgeBackend(
            urls=[refusing.url, slow.url, unreachable, working.url], timeout=0.5
        )
        with pytest.raises(caching.PurgeFailed) as failure:
            backend.purge(["article-3", "home"])
    finally:
        for server in (working, refusing, slow):
            server.close()
    message = str(failure.value)
    assert refusing.url in message and "405" in message
    assert slow.url in message and "timed out" in message
    assert unreachable in message
    assert working.url not in message
    assert working.received == ["article-3 home"], "the others are still purged"


def test_a_purge_the_cdn_refuses_after_a_save_is_kept_in_the_outbox_and_retried(
    db, cdn, django_capture_on_commit_callbacks
):
    section = make_section("Local")
    server = cdn(status=405)
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="Harbour reopens", section=section)
    row = SideEffect.objects.get(kind=tasks.CDN_PURGE)
    assert row.state == SideEffect.State.PENDING
    assert caching.article_key(story) in row.payload["keys"]
    assert "405" in row.last_error

    # Still refused at the retry: kept, with a later try.
    later = timezone.now() + timedelta(minutes=1)
    assert tasks.sweep(now=later) == {"failed": 1}
    row.refresh_from_db()
    assert row.state == SideEffect.State.PENDING and row.due_at > later

    server.status = 200
    assert tasks.sweep(now=row.due_at) == {"done": 1}
    row.refresh_from_db()
    assert row.state == SideEffect.State.DONE
    assert server.received[-1] == " ".join(row.payload["keys"])


def test_a_purge_that_times_out_is_kept_in_the_outbox(db, cdn, django_capture_on_commit_callbacks):
    section = make_section("Local")
    cdn(delay=2)
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="Ferry delayed", section=section)
    row = SideEffect.objects.get(kind=tasks.CDN_PURGE)
    assert row.state == SideEffect.State.PENDING
    assert "timed out" in row.last_error


def test_a_purge_the_cdn_takes_leaves_nothing_in_the_outbox(
    db, cdn, django_capture_on_commit_callbacks
):
    server = cdn()
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(headline="Bridge opens")
    assert not SideEffect.objects.filter(kind=tasks.CDN_PURGE).exists()
    assert any(caching.article_key(story) in keys.split() for keys in server.received)


# Soft and hard purges ---------------------------------------------------------------------------
# A soft purge lets the CDN keep the expired pages for an outage; a hard one drops them.


def test_an_edit_purges_softly_and_a_withdrawal_hard(db, cdn, django_capture_on_commit_callbacks):
    server = cdn()
    editor = make_user("Editor")
    story = make_article(headline="Harbour reopens", section=make_section("Local"))
    story.headline = "Harbour reopens at dawn"
    with django_capture_on_commit_callbacks(execute=True):
        story.save()
    assert server.soft == [True]
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw(story, by=editor, reason="Legal advice.")
    assert server.soft[1:] == [False]
    assert caching.article_key(story) in server.received[-1].split()


def test_a_deleted_story_is_purged_hard(db, cdn, django_capture_on_commit_callbacks):
    server = cdn()
    story = make_article(headline="Harbour reopens")
    with django_capture_on_commit_callbacks(execute=True):
        story.delete()
    assert server.soft == [False]


def test_the_worker_purges_a_go_live_softly_and_an_expiry_hard(
    db, cdn, django_capture_on_commit_callbacks
):
    server = cdn()
    editor = make_user("Editor")
    now = timezone.now()
    story = make_article(
        status=Article.Status.DRAFT, publish_at=None, expires_at=now + timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        workflow.schedule(story, by=editor, at=now + timedelta(hours=1))
    server.received.clear(), server.soft.clear()
    with time_machine.travel(now + timedelta(hours=1, seconds=1), tick=False):
        tasks.sweep()
    assert server.soft == [True]
    with time_machine.travel(now + timedelta(hours=2, seconds=1), tick=False):
        tasks.sweep()
    assert server.soft == [True, False]
    assert caching.article_key(story) in server.received[-1].split()


def test_a_hard_purge_the_cdn_refused_is_retried_hard(db, cdn, django_capture_on_commit_callbacks):
    server = cdn(status=405)
    story = make_article(headline="Harbour reopens")
    with django_capture_on_commit_callbacks(execute=True):
        story.delete()
    row = SideEffect.objects.get(kind=tasks.CDN_PURGE)
    server.status = 200
    assert tasks.sweep(now=row.due_at) == {"done": 1}
    assert server.soft == [False, False]
