"""The schedule through the page cache: a story saved through the models (a script, an
importer, the shell; no admin, no task worker) goes live, leaves its embargo or expires on
every cached page at its second, in this process and in another sharing the cache."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from articles import caching
from articles.models import Article, Byline
from tests.factories import make_article, make_author, make_section

ROOT = Path(__file__).resolve().parents[2]
HEADLINE = "Ceasefire signed at dawn in Geneva"


@pytest.fixture(autouse=True)
def _cache_reachable():
    caching.breaker.reset()
    yield
    caching.breaker.reset()


@pytest.fixture
def site(db):
    """A live story on every page the new one will reach, so each page exists and is cached."""
    world = make_section("World", slug="world")
    ana = make_author("Ana Lee")
    make_article(
        headline="Talks resume in Geneva",
        section=world,
        authors=[ana],
        tags=["Diplomacy"],
        publish_at=timezone.now() - timedelta(hours=3),
    )
    return {"world": world, "ana": ana}


def pages(site):
    return [
        "/",
        "/world/",
        "/tags/diplomacy/",
        site["ana"].get_absolute_url(),
        "/feeds/latest/rss/",
        "/news-sitemap.xml",
        "/search/?q=geneva",
    ]


def warm(client, urls):
    for url in urls:
        client.get(url)
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["X-Page-Cache"] == "hit", url


def showing(client, urls):
    """The pages on which the story's headline appears, each answered 200."""
    found = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if HEADLINE in response.content.decode():
            found.add(url)
    return found


def save_story(site, **times):
    """Saved through the models, as a script or an importer would: no workflow, no outbox."""
    story = Article(
        headline=HEADLINE,
        section=site["world"],
        status=Article.Status.PUBLISHED,
        dek="Both sides agreed overnight.",
        body="<p>The ceasefire holds from noon.</p>",
        **times,
    )
    story.save()
    Byline.objects.create(article=story, author=site["ana"], position=0)
    story.tags.add("Diplomacy")
    return story


def test_a_story_saved_through_the_models_goes_live_on_every_cached_page_at_its_second(
    client, site, django_capture_on_commit_callbacks
):
    urls = pages(site)
    start = timezone.now().replace(microsecond=0)
    go_live = start + timedelta(seconds=2)
    with time_machine.travel(start, tick=False) as clock:
        warm(client, urls)
        with django_capture_on_commit_callbacks(execute=True):
            save_story(site, publish_at=go_live)
        warm(client, urls)  # readers keep the pages cached after the save
        clock.move_to(go_live - timedelta(milliseconds=1))
        assert showing(client, urls) == set()
        clock.move_to(go_live)
        assert showing(client, urls) == set(urls)


def test_an_embargoed_story_appears_on_every_cached_page_when_the_embargo_lifts(
    client, site, django_capture_on_commit_callbacks
):
    urls = pages(site)
    start = timezone.now().replace(microsecond=0)
    lifted = start + timedelta(seconds=2)
    with time_machine.travel(start, tick=False) as clock:
        warm(client, urls)
        with django_capture_on_commit_callbacks(execute=True):
            save_story(site, publish_at=start - timedelta(minutes=5), embargo_until=lifted)
        warm(client, urls)
        clock.move_to(lifted - timedelta(milliseconds=1))
        assert showing(client, urls) == set()
        clock.move_to(lifted)
        assert showing(client, urls) == set(urls)


def test_an_expiring_story_leaves_every_cached_page_at_its_second(
    client, site, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(microsecond=0)
    expiry = start + timedelta(seconds=2)
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            story = save_story(site, publish_at=start - timedelta(minutes=5))
        urls = [*pages(site), story.get_absolute_url()]
        assert showing(client, urls) == set(urls)
        with django_capture_on_commit_callbacks(execute=True):
            story.expires_at = expiry
            story.save()
        warm(client, urls)
        clock.move_to(expiry - timedelta(milliseconds=1))
        assert showing(client, urls) == set(urls)
        clock.move_to(expiry)
        assert showing(client, urls[:-1]) == set()
        assert client.get(story.get_absolute_url()).status_code == 410


def test_a_schedule_change_no_signal_reports_is_followed_within_the_recheck_interval(client, site):
    """`QuerySet.update()` and raw SQL send no signal: the schedule is still read again
    from the database every `SCHEDULE_RECHECK_SECONDS`, so a change made at least that long
    before its moment is honoured (their content changes are not purged; see the README)."""
    story = save_story(site, publish_at=timezone.now() - timedelta(minutes=5))
    Article.objects.filter(pk=story.pk).update(status=Article.Status.DRAFT)
    cache.clear()
    urls = pages(site)
    start = timezone.now().replace(microsecond=0)
    go_live = start + timedelta(seconds=caching.SCHEDULE_RECHECK_SECONDS + 2)
    with time_machine.travel(start, tick=False) as clock:
        warm(client, urls)
        Article.objects.filter(pk=story.pk).update(
            status=Article.Status.PUBLISHED, publish_at=go_live
        )
        clock.move_to(go_live - timedelta(seconds=1))
        assert showing(client, urls) == set()
        clock.move_to(go_live)
        assert showing(client, urls) == set(urls)


# Across processes (needs Redis) -----------------------------------------------------------------


def redis_url():
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_reachable():
    try:
        import redis

        return redis.Redis.from_url(redis_url(), socket_connect_timeout=0.3).ping()
    except Exception:  # noqa: BLE001
        return False


def run_in_another_process(code, env):
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        check=True,
        timeout=120,
    )


def database_url_of_this_test():
    """The test database, when another process can open it (PostgreSQL; SQLite's test
    database lives in this process's memory)."""
    if connection.vendor != "postgresql":
        return None
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis (TEST_REDIS_URL)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_story_scheduled_in_another_process_goes_live_here_at_its_second(client, monkeypatch):
    """Another process saves a story to go live soon; this one has its pages cached and a
    schedule read before that save: at the story's second, no page here is served stale."""
    import redis

    prefix = f"newsroom-test-schedule-{os.getpid()}"
    shared = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": prefix,
        }
    }
    # Only the save's own news may reach this process in time, not the periodic re-read.
    monkeypatch.setattr(caching, "SCHEDULE_RECHECK_SECONDS", 3600)
    world = make_section("World", slug="world")
    make_article(headline="Talks resume in Geneva", section=world)
    go_live = (timezone.now() + timedelta(minutes=30)).replace(microsecond=0)
    env = {"REDIS_URL": redis_url(), "CACHE_KEY_PREFIX": prefix}
    try:
        with override_settings(CACHES=shared):
            warm(client, ["/", "/world/"])
            if database_url := database_url_of_this_test():
                # A real save in the other process, into this test's database.
                run_in_another_process(
                    "from datetime import datetime; from articles.models import Article, Section; "
                    f"Article.objects.create(headline={HEADLINE!r}, section=Section.objects.get("
                    "slug='world'), status='published', "
                    f"publish_at=datetime.fromisoformat({go_live.isoformat()!r}))",
                    {**env, "DATABASE_URL": database_url},
                )
            else:
                # SQLite's test database is this process's: the row is written here behind the
                # models' back, and the other process does what a save does after its commit.
                Article.objects.bulk_create(
                    [
                        Article(
                            headline=HEADLINE,
                            slug="ceasefire",
                            section=world,
                            status=Article.Status.PUBLISHED,
                            publish_at=go_live,
                        )
                    ]
                )
                run_in_another_process(
                    "from articles.caching import schedule_changed; schedule_changed()", env
                )
            with time_machine.travel(go_live - timedelta(seconds=1), tick=False) as clock:
                assert showing(client, ["/", "/world/"]) == set()
                assert client.get("/")["X-Page-Cache"] == "hit"
                clock.move_to(go_live)
                assert showing(client, ["/", "/world/"]) == {"/", "/world/"}
    finally:
        shared_redis = redis.Redis.from_url(redis_url())
        for key in shared_redis.scan_iter(f"{prefix}:*"):
            shared_redis.delete(key)
