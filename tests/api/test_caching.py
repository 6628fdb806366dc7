"""API answers go through the page cache like the pages: stored for anonymous clients with no
query on a hit, validated with ETag / Last-Modified (304), purged exactly when what they show
changes, and never past a scheduled go-live."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from articles import caching
from articles.models import Article, Correction
from tests.factories import make_article, make_author, make_section

from .conftest import bearer


@pytest.fixture(autouse=True)
def _cache_reachable():
    caching.breaker.reset()
    yield
    caching.breaker.reset()


@pytest.fixture
def story(db):
    return make_article(headline="Harbour reopens", authors=[make_author("Ana Lee")], tags=["Port"])


def warm(client, url):
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"


def every_url(story):
    return [
        "/api/v1/articles/",
        "/api/v1/articles/?tag=port",
        f"/api/v1/articles/{story.pk}/",
        f"/api/v1/articles/{story.pk}/ninjs",
        "/api/v1/ninjs/",
        "/api/v1/sections/",
        "/api/v1/tags/",
        "/api/v1/authors/",
        "/api/v1/sources/",
        "/api/v1/corrections/",
    ]


def test_a_second_anonymous_request_is_answered_from_the_cache_with_no_query(
    client, story, django_assert_num_queries
):
    for url in every_url(story):
        warm(client, url)
        with django_assert_num_queries(0):
            response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"


def test_answers_carry_the_pages_cache_headers_and_surrogate_keys(client, story):
    url = f"/api/v1/articles/{story.pk}/"
    warm(client, url)
    response = client.get(url)
    keys = set(response["Surrogate-Key"].split())
    assert {f"article-{story.pk}", f"section-{story.section_id}", "site"} <= keys
    control = response["Cache-Control"]
    assert "public" in control and "s-maxage=" in control
    listing = client.get("/api/v1/articles/")
    assert f"article-{story.pk}" in listing["Surrogate-Key"].split()


def test_etag_and_last_modified_answer_304(client, story):
    url = f"/api/v1/articles/{story.pk}/"
    first = client.get(url)
    assert first["ETag"] and first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    listing = client.get("/api/v1/articles/")
    assert client.get("/api/v1/articles/", HTTP_IF_NONE_MATCH=listing["ETag"]).status_code == 304


def test_an_edit_is_seen_at_once_and_changes_the_etag(
    client, story, django_capture_on_commit_callbacks
):
    url = f"/api/v1/articles/{story.pk}/"
    warm(client, url)
    warm(client, "/api/v1/articles/")
    etag = client.get(url)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        story.headline = "Harbour reopens after storm"
        story.save()
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["headline"] == "Harbour reopens after storm"
    assert client.get("/api/v1/articles/").json()["items"][0]["headline"] == (
        "Harbour reopens after storm"
    )


def test_a_correction_and_a_withdrawal_reach_cached_answers(
    client, story, django_capture_on_commit_callbacks
):
    url = f"/api/v1/articles/{story.pk}/"
    warm(client, url)
    warm(client, "/api/v1/corrections/")
    with django_capture_on_commit_callbacks(execute=True):
        Correction.objects.create(article=story, text="The harbour reopened on Monday.")
    assert client.get(url).json()["corrections"][0]["note"] == "The harbour reopened on Monday."
    assert len(client.get("/api/v1/corrections/").json()["items"]) == 1
    warm(client, "/api/v1/articles/")
    with django_capture_on_commit_callbacks(execute=True):
        story.status = Article.Status.WITHDRAWN
        story.save()
    assert client.get(url).status_code == 410
    assert client.get("/api/v1/articles/").json()["items"] == []


def test_a_scheduled_story_appears_in_cached_answers_at_its_second(client, db):
    start = timezone.now().replace(microsecond=0)
    go_live = start + timedelta(minutes=10)
    with time_machine.travel(start, tick=False) as clock:
        scheduled = make_article(headline="Summit opens", publish_at=go_live)
        make_article(headline="Earlier story", section=make_section())
        warm(client, "/api/v1/articles/")
        clock.move_to(go_live - timedelta(seconds=1))
        headlines = [i["headline"] for i in client.get("/api/v1/articles/").json()["items"]]
        assert "Summit opens" not in headlines
        assert client.get(f"/api/v1/articles/{scheduled.pk}/").status_code == 404
        clock.move_to(go_live)
        headlines = [i["headline"] for i in client.get("/api/v1/articles/").json()["items"]]
        assert headlines[0] == "Summit opens"
        assert client.get(f"/api/v1/articles/{scheduled.pk}/").status_code == 200


def test_token_answers_are_private_and_never_stored(client, story, published_token):
    url = f"/api/v1/articles/{story.pk}/"
    for _ in range(2):
        response = client.get(url, **bearer(published_token))
        assert "X-Page-Cache" not in response
        assert response["Cache-Control"] == "private, no-cache"


def test_head_answers_with_the_headers_of_get_and_no_body(client, story, settings):
    compared = ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Surrogate-Key")
    for cache in (False, True):
        settings.NEWSROOM_PAGE_CACHE = cache
        for url in every_url(story):
            head = client.head(url)  # first, so that it is not answered from the cache
            get = client.get(url)
            assert head.status_code == get.status_code == 200, url
            assert head.content == b"" and get.json(), url
            assert {name: head.get(name) for name in compared} == {
                name: get.get(name) for name in compared
            }, url
