"""The page cache: anonymous pages served with no query, purged exactly, never past a go-live."""

import os
import socket
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone
from taggit.models import Tag

from articles import caching
from articles.caching import article_keys, purge_keys
from articles.models import Article, RelatedArticle
from tests.articles.test_images import picture_bytes, saved_image
from tests.factories import make_article, make_author, make_section, make_source, make_user

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _cache_reachable():
    caching.breaker.reset()
    yield
    caching.breaker.reset()


def cache_state(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response.get("X-Page-Cache")


def warm(client, *urls):
    for url in urls:
        cache_state(client, url)
        assert cache_state(client, url) == "hit", url


@pytest.fixture
def newsroom(db):
    """Two stories in different sections with separate tags, authors and sources."""
    world, sport = make_section("World", slug="world"), make_section("Sport", slug="sport")
    ana, tom = make_author("Ana Lee"), make_author("Tom Ruiz")
    reuters, afp = make_source("Reuters"), make_source("AFP")
    nato = make_article(
        headline="NATO opens office",
        section=world,
        authors=[ana],
        sources=[reuters],
        tags=["NATO"],
    )
    final = make_article(
        headline="Cup final tonight",
        section=sport,
        authors=[tom],
        sources=[afp],
        tags=["Football"],
    )
    return {
        "nato": nato,
        "final": final,
        "world": world,
        "sport": sport,
        "ana": ana,
        "tom": tom,
        "reuters": reuters,
        "afp": afp,
    }


# Serving ---------------------------------------------------------------------------------------


def test_second_anonymous_view_of_an_article_is_served_from_cache_without_queries(
    client, newsroom, django_assert_num_queries
):
    url = newsroom["nato"].get_absolute_url()
    assert cache_state(client, url) == "miss"
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
    assert "NATO opens office" in response.content.decode()


def test_cached_page_tells_cdns_what_it_shows_and_how_long_to_keep_it(client, newsroom):
    story = newsroom["nato"]
    client.get(story.get_absolute_url())
    response = client.get(story.get_absolute_url())
    keys = set(response["Surrogate-Key"].split())
    assert {
        f"article-{story.pk}",
        f"section-{story.section_id}",
        f"author-{newsroom['ana'].pk}",
    } <= keys
    assert set(response["Cache-Tag"].split(",")) == keys
    control = response["Cache-Control"]
    assert "public" in control and "s-maxage=" in control and "stale-while-revalidate=" in control
    assert "Cookie" in response["Vary"]


def test_cached_page_answers_a_matching_etag_with_304(client, newsroom):
    url = newsroom["nato"].get_absolute_url()
    client.get(url)
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_tracking_parameters_share_the_cached_page(client, newsroom):
    url = newsroom["nato"].get_absolute_url()
    client.get(url)
    assert cache_state(client, url + "?utm_source=newsletter&fbclid=x") == "hit"


def test_logged_in_staff_are_never_served_or_stored_and_get_private_no_store(client, newsroom):
    url = newsroom["nato"].get_absolute_url()
    client.get(url)  # a reader's copy is in the cache
    editor = make_user("Editor")
    client.force_login(editor)
    for _ in range(2):
        response = client.get(url)
        assert response.get("X-Page-Cache") is None
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert "Surrogate-Key" not in response
    client.logout()
    client.cookies.clear()
    assert cache_state(client, url) == "hit"  # the staff visits stored nothing of their own


def test_preview_and_admin_are_never_cached(client, newsroom):
    editor = make_user("Editor")
    editor.user_permissions.add(*Permission.objects.filter(codename="edit_any_article"))
    client.force_login(editor)
    client.get("/admin/")
    client.logout()
    client.cookies.clear()
    response = client.get("/admin/login/")
    assert response.get("X-Page-Cache") is None
    assert (
        response.get("X-Page-Cache") is None and client.get("/healthz").get("X-Page-Cache") is None
    )


def test_a_response_that_sets_a_cookie_is_not_stored(rf, newsroom):
    def view(request):
        from django.http import HttpResponse

        response = caching.add_cache_keys(HttpResponse("hello"), "home")
        response.set_cookie("reader", "one")
        return response

    middleware = caching.PageCacheMiddleware(view)
    first = middleware(rf.get("/cookie-page/"))
    second = middleware(rf.get("/cookie-page/"))
    assert first.get("X-Page-Cache") is None and second.get("X-Page-Cache") is None
    assert second.cookies["reader"].value == "one"


def test_a_page_that_used_a_csrf_token_or_a_csp_nonce_is_not_stored(rf, newsroom):
    from django.http import HttpResponse
    from django.middleware.csp import ContentSecurityPolicyMiddleware, get_nonce
    from django.middleware.csrf import get_token

    def csrf_view(request):
        get_token(request)
        return caching.add_cache_keys(HttpResponse("form"), "home")

    def nonce_view(request):
        str(get_nonce(request))  # what {{ csp_nonce }} in a template does
        return caching.add_cache_keys(HttpResponse("script"), "home")

    for view in (csrf_view, nonce_view):
        middleware = caching.PageCacheMiddleware(view)
        for _ in range(2):
            request = rf.get(f"/{view.__name__}/")
            ContentSecurityPolicyMiddleware(view).process_request(request)
            assert middleware(request).get("X-Page-Cache") is None


def test_a_page_that_declared_no_keys_is_never_stored(rf, db):
    from django.http import HttpResponse

    middleware = caching.PageCacheMiddleware(lambda request: HttpResponse("anonymous"))
    middleware(rf.get("/no-keys/"))
    assert middleware(rf.get("/no-keys/")).get("X-Page-Cache") is None


# Exact purges ------------------------------------------------------------------------------------


def test_purging_a_story_refreshes_every_page_showing_it_and_nothing_else(client, newsroom):
    nato, final = newsroom["nato"], newsroom["final"]
    touched = [
        "/",
        nato.get_absolute_url(),
        "/world/",
        "/tags/nato/",
        newsroom["ana"].get_absolute_url(),
        newsroom["reuters"].get_absolute_url(),
        "/feeds/latest/rss/",
    ]
    untouched = [
        final.get_absolute_url(),
        "/sport/",
        "/tags/football/",
        newsroom["tom"].get_absolute_url(),
        newsroom["afp"].get_absolute_url(),
    ]
    warm(client, *touched, *untouched)

    purge_keys(article_keys(nato))

    assert {url: cache_state(client, url) for url in touched} == dict.fromkeys(touched, "miss")
    assert {url: cache_state(client, url) for url in untouched} == dict.fromkeys(untouched, "hit")


def test_news_sitemap_checks_one_key_yet_shows_every_story_change_at_once(
    client, newsroom, django_capture_on_commit_callbacks
):
    """However many stories it lists, the cached news sitemap depends on "sitemaps" (and the
    site) alone: every change to a listed story purges that key too."""
    nato = newsroom["nato"]
    warm(client, "/news-sitemap.xml")
    assert client.get("/news-sitemap.xml")["Surrogate-Key"] == "site sitemaps"

    with django_capture_on_commit_callbacks(execute=True):
        nato.headline = "NATO opens first Asian office"
        nato.save()
    response = client.get("/news-sitemap.xml")
    assert response["X-Page-Cache"] == "miss"
    assert "NATO opens first Asian office" in response.content.decode()

    warm(client, "/news-sitemap.xml")
    with django_capture_on_commit_callbacks(execute=True):
        newsroom["world"].slug = "international"
        newsroom["world"].save()
    assert "/international/" in client.get("/news-sitemap.xml").content.decode()


def test_editing_a_picked_related_story_refreshes_the_stories_pointing_to_it(
    client, newsroom, django_capture_on_commit_callbacks
):
    """An editor's pick shares no tag with the story showing it: its own keys must reach."""
    nato, final = newsroom["nato"], newsroom["final"]
    RelatedArticle.objects.create(article=nato, related=final, position=0)
    warm(client, nato.get_absolute_url())
    assert "Cup final tonight" in client.get(nato.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        final.headline = "Cup final postponed"
        final.save()
    assert "Cup final postponed" in client.get(nato.get_absolute_url()).content.decode()


def test_an_edited_headline_shows_at_once_after_the_purge(client, newsroom):
    nato = newsroom["nato"]
    url = nato.get_absolute_url()
    warm(client, url, "/world/")
    Article.objects.filter(pk=nato.pk).update(headline="NATO opens first Asian office")
    assert "NATO opens office" in client.get("/world/").content.decode()  # not yet purged
    purge_keys(article_keys(nato))
    assert "NATO opens first Asian office" in client.get(url).content.decode()
    assert "NATO opens first Asian office" in client.get("/world/").content.decode()


def test_saving_a_public_story_purges_its_pages_after_commit(
    client, newsroom, django_capture_on_commit_callbacks
):
    nato = newsroom["nato"]
    warm(client, nato.get_absolute_url(), "/sport/")
    with django_capture_on_commit_callbacks(execute=True):
        nato.dek = "A new standfirst."
        nato.save()
    assert cache_state(client, nato.get_absolute_url()) == "miss"
    assert cache_state(client, "/sport/") == "hit"


def test_moving_a_story_to_another_section_updates_both_section_pages(
    client, newsroom, django_capture_on_commit_callbacks
):
    nato = newsroom["nato"]
    warm(client, "/world/", "/sport/")
    with django_capture_on_commit_callbacks(execute=True):
        nato.section = newsroom["sport"]
        nato.save()
    assert "NATO opens office" not in client.get("/world/").content.decode()
    assert "NATO opens office" in client.get("/sport/").content.decode()


def test_renaming_a_tag_purges_its_page_and_the_stories_carrying_it_only(
    client, newsroom, django_capture_on_commit_callbacks
):
    nato, final = newsroom["nato"], newsroom["final"]
    warm(client, "/tags/nato/", nato.get_absolute_url(), final.get_absolute_url(), "/world/")
    warm(client, "/feeds/latest/rss/")
    with django_capture_on_commit_callbacks(execute=True):
        tag = Tag.objects.get(slug="nato")
        tag.name = "North Atlantic Treaty Organization"
        tag.save()
    assert "North Atlantic Treaty Organization" in client.get("/tags/nato/").content.decode()
    # Feeds list each story's tags as its categories.
    feed = client.get("/feeds/latest/rss/").content.decode()
    assert "<category>North Atlantic Treaty Organization</category>" in feed
    assert cache_state(client, nato.get_absolute_url()) == "miss"
    assert cache_state(client, final.get_absolute_url()) == "hit"
    assert cache_state(client, "/world/") == "hit"  # cards show no tags


def test_renaming_a_tag_or_an_author_refreshes_cached_searches_for_the_new_name(
    client, newsroom, django_capture_on_commit_callbacks
):
    warm(client, "/search/?q=alliance", "/search/?q=lee-park")
    with django_capture_on_commit_callbacks(execute=True):
        tag = Tag.objects.get(slug="nato")
        tag.name = "North Atlantic Alliance"
        tag.save()
    assert "NATO opens office" in client.get("/search/?q=alliance").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        newsroom["ana"].name = "Ana Lee-Park"
        newsroom["ana"].save()
    assert "NATO opens office" in client.get("/search/?q=lee-park").content.decode()


def test_renaming_an_author_purges_their_page_and_bylines_only(
    client, newsroom, django_capture_on_commit_callbacks
):
    ana, nato, final = newsroom["ana"], newsroom["nato"], newsroom["final"]
    # Her byline is on her story, on its card in every list, and in the feeds.
    showing = [nato.get_absolute_url(), "/", "/world/", "/tags/nato/", "/feeds/latest/rss/"]
    warm(client, ana.get_absolute_url(), final.get_absolute_url(), "/sport/", *showing)
    with django_capture_on_commit_callbacks(execute=True):
        ana.name = "Ana Lee-Park"
        ana.save()
    assert {url: "Ana Lee-Park" in client.get(url).content.decode() for url in showing} == (
        dict.fromkeys(showing, True)
    )
    assert cache_state(client, ana.get_absolute_url()) == "miss"
    assert cache_state(client, final.get_absolute_url()) == "hit"
    assert cache_state(client, "/sport/") == "hit"


def test_new_alt_text_on_an_authors_portrait_reaches_their_page(
    client, newsroom, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    ana, tom = newsroom["ana"], newsroom["tom"]
    ana.photo = saved_image(picture_bytes(size=(400, 400)), alt_text="Ana at her desk")
    ana.save()
    warm(client, ana.get_absolute_url(), tom.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        ana.photo.alt_text = "Ana Lee in the newsroom"
        ana.photo.save()
    assert 'alt="Ana Lee in the newsroom"' in client.get(ana.get_absolute_url()).content.decode()
    assert cache_state(client, tom.get_absolute_url()) == "hit"


def test_editing_a_source_purges_the_pages_citing_it_only(
    client, newsroom, django_capture_on_commit_callbacks
):
    reuters, nato, final = newsroom["reuters"], newsroom["nato"], newsroom["final"]
    warm(client, reuters.get_absolute_url(), nato.get_absolute_url(), final.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        reuters.name = "Reuters News Agency"
        reuters.save()
    assert "Reuters News Agency" in client.get(nato.get_absolute_url()).content.decode()
    assert cache_state(client, final.get_absolute_url()) == "hit"


def test_renaming_a_section_refreshes_the_navigation_on_every_page(
    client, newsroom, django_capture_on_commit_callbacks
):
    final = newsroom["final"]
    warm(client, final.get_absolute_url(), "/")
    with django_capture_on_commit_callbacks(execute=True):
        world = newsroom["world"]
        world.name = "International"
        world.save()
    assert "International" in client.get(final.get_absolute_url()).content.decode()
    assert "International" in client.get("/").content.decode()


def test_editing_a_draft_purges_nothing(client, newsroom, django_capture_on_commit_callbacks):
    draft = make_article(status=Article.Status.DRAFT, section=newsroom["world"])
    warm(client, "/", "/world/")
    with django_capture_on_commit_callbacks(execute=True):
        draft.headline = "Still a draft"
        draft.save()
    assert cache_state(client, "/") == "hit" and cache_state(client, "/world/") == "hit"


def test_a_page_rendered_while_a_purge_happened_is_not_stored(rf, db):
    from django.http import HttpResponse

    def view(request):
        # Another process publishes while this page is being rendered from old data.
        purge_keys({"home"})
        return caching.add_cache_keys(HttpResponse("old front page"), "home")

    middleware = caching.PageCacheMiddleware(view)
    middleware(rf.get("/racing/"))
    calls = []
    middleware.get_response = lambda request: calls.append(1) or view(request)
    middleware(rf.get("/racing/"))
    assert calls == [1]


# Time: scheduled go-live and expiry -------------------------------------------------------------


def test_scheduled_story_appears_through_the_cache_at_its_minute_without_any_purge(
    client, newsroom
):
    start = timezone.now().replace(microsecond=0)
    go_live = start + timedelta(minutes=10)
    with time_machine.travel(start, tick=False) as clock:
        make_article(
            headline="Scheduled summit story",
            section=newsroom["world"],
            status=Article.Status.PUBLISHED,
            publish_at=go_live,
        )
        warm(client, "/", "/world/")
        clock.move_to(go_live - timedelta(seconds=1))
        assert "Scheduled summit story" not in client.get("/").content.decode()
        clock.move_to(go_live)
        assert "Scheduled summit story" in client.get("/").content.decode()
        assert "Scheduled summit story" in client.get("/world/").content.decode()


def test_scheduling_a_story_after_pages_were_cached_still_shows_it_on_time(
    client, newsroom, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        warm(client, "/")
        with django_capture_on_commit_callbacks(execute=True):
            make_article(
                headline="Late-scheduled story",
                section=newsroom["world"],
                publish_at=start + timedelta(minutes=5),
            )
        warm(client, "/")  # readers keep the front page cached after the scheduling
        clock.move_to(start + timedelta(minutes=5))
        assert "Late-scheduled story" in client.get("/").content.decode()


def test_expired_story_leaves_cached_pages_at_its_expiry(client, newsroom):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        make_article(
            headline="Wire copy with rights",
            section=newsroom["world"],
            expires_at=start + timedelta(minutes=30),
        )
        warm(client, "/world/")
        clock.move_to(start + timedelta(minutes=30))
        assert "Wire copy with rights" not in client.get("/world/").content.decode()


def test_cdn_lifetime_never_reaches_past_the_next_go_live(client, newsroom):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        make_article(section=newsroom["world"], publish_at=start + timedelta(seconds=40))
        response = client.get("/")
    assert "s-maxage=40" in response["Cache-Control"]
    assert "max-age=40" in response["Cache-Control"]


def test_no_shared_copy_is_kept_or_served_stale_past_the_next_go_live(client, newsroom):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        make_article(section=newsroom["world"], publish_at=start + timedelta(seconds=40))
        response = client.get("/")
    control = {
        part.strip().partition("=")[0]: part.strip().partition("=")[2]
        for part in response["Cache-Control"].split(",")
    }
    assert int(control["s-maxage"]) + int(control["stale-while-revalidate"]) <= 40
    assert int(control["max-age"]) <= 40
    assert response["Surrogate-Control"] == "max-age=40"


def test_a_cache_that_hears_purges_may_keep_a_page_as_long_as_the_page_cache(client, newsroom):
    with override_settings(NEWSROOM_PAGE_CACHE_SECONDS=1800):
        response = client.get("/")
    assert response["Surrogate-Control"] == "max-age=1800"
    assert "s-maxage=300" in response["Cache-Control"]


@override_settings(NEWSROOM_PURGE_BACKEND="tests.articles.test_caching.RecordingBackend")
def test_scheduling_a_story_purges_its_pages_at_the_cdn_which_stored_them_unaware(
    newsroom, django_capture_on_commit_callbacks
):
    RecordingBackend.purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        story = make_article(
            section=newsroom["world"], publish_at=timezone.now() + timedelta(minutes=5)
        )
    assert any({caching.article_key(story), "home"} <= keys for keys in RecordingBackend.purged)


# Failures and backends --------------------------------------------------------------------------


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pages_and_purges_work_when_redis_is_down(client, newsroom):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/5",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=unreachable):
        for _ in range(2):
            response = client.get(newsroom["nato"].get_absolute_url())
            assert response.status_code == 200
            assert "NATO opens office" in response.content.decode()
        caching.breaker.reset()
        purge_keys(article_keys(newsroom["nato"]))  # logged, not raised


class RecordingBackend:
    purged = []

    def purge(self, keys, *, hard=False):
        RecordingBackend.purged.append(set(keys))


@override_settings(NEWSROOM_PURGE_BACKEND="tests.articles.test_caching.RecordingBackend")
def test_purge_backend_receives_the_same_keys_as_the_page_cache(newsroom):
    RecordingBackend.purged.clear()
    keys = article_keys(newsroom["nato"])
    purge_keys(keys)
    assert RecordingBackend.purged == [keys]


def test_http_purge_backend_sends_purge_with_surrogate_keys_to_configured_urls():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_PURGE(self):  # noqa: N802 - the HTTP method's name
            received.append((self.path, self.headers.get("Surrogate-Key"), self.headers["Host"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        caching.HttpPurgeBackend(urls=[url]).purge(["article-3", "home"])
    finally:
        thread.join(timeout=5)
        server.server_close()
    assert received == [("/", "article-3 home", f"127.0.0.1:{server.server_port}")]


# Across processes (needs Redis) -----------------------------------------------------------------


def redis_url():
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_reachable():
    try:
        import redis

        return redis.Redis.from_url(redis_url(), socket_connect_timeout=0.3).ping()
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis (TEST_REDIS_URL)")
def test_a_purge_in_another_process_stops_this_process_serving_the_stale_page(client, newsroom):
    prefix = f"newsroom-test-{uuid.uuid4().hex[:8]}"
    shared = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=shared):
        try:
            nato = newsroom["nato"]
            url = nato.get_absolute_url()
            warm(client, url)
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "REDIS_URL": redis_url(),
                "CACHE_KEY_PREFIX": prefix,
            }
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import django; django.setup(); from articles.caching import purge_keys; "
                    f"purge_keys(['article-{nato.pk}'])",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=60,
            )
            assert cache_state(client, url) == "miss"
        finally:
            import redis

            shared_redis = redis.Redis.from_url(redis_url())
            for key in shared_redis.scan_iter(f"{prefix}:*"):
                shared_redis.delete(key)
