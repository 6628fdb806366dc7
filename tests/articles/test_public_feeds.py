"""RSS and Atom feeds parse cleanly and carry every credit, category, image and date."""

from datetime import timedelta

import feedparser
import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Byline
from tests.factories import make_article, make_author, make_section

from .public_helpers import make_picture

FEEDS = [
    ("articles:latest_rss", {}),
    ("articles:latest_atom", {}),
    ("articles:section_rss", {"slug": "world"}),
    ("articles:section_atom", {"slug": "world"}),
    ("articles:tag_rss", {"slug": "nato"}),
    ("articles:tag_atom", {"slug": "nato"}),
    ("authors:feed_rss", {"slug": "david-wyatt"}),
    ("authors:feed_atom", {"slug": "david-wyatt"}),
]


@pytest.fixture
def story(db):
    article = make_article(
        headline="NATO to open first Asian liaison office in Tokyo",
        section=make_section("World", slug="world"),
        tags=["NATO", "Japan"],
        dek="The office would be the alliance's first in Asia & the Pacific.",
        lead_image=make_picture("Flags outside the summit venue"),
    )
    Byline.objects.create(article=article, author=make_author("David Wyatt"), position=0)
    Byline.objects.create(
        article=article,
        author=make_author("Tom Ruiz"),
        role=Byline.Role.ADDITIONAL_REPORTING,
        position=1,
    )
    return article


@pytest.mark.parametrize(("name", "kwargs"), FEEDS)
def test_every_feed_parses_without_errors_and_lists_the_story(client, story, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    parsed = feedparser.parse(response.content)

    assert response.status_code == 200
    assert not parsed.bozo, parsed.get("bozo_exception")
    [entry] = parsed.entries
    assert entry.title == story.headline
    assert entry.link == "https://news.example" + story.get_absolute_url()


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_items_list_every_author_categories_image_and_dates(client, story, kind):
    parsed = feedparser.parse(client.get(reverse(f"articles:latest_{kind}")).content)
    [entry] = parsed.entries

    assert [a["name"] for a in entry.authors] == ["David Wyatt", "Tom Ruiz"]
    assert {t["term"] for t in entry.tags} == {"World", "NATO", "Japan"}
    [enclosure] = entry.enclosures
    assert enclosure["href"].startswith("https://news.example/media/")
    assert enclosure["type"] == "image/jpeg"
    assert entry.published_parsed is not None
    if kind == "atom":
        assert entry.updated_parsed is not None
        assert entry.authors[0]["href"] == "https://news.example/authors/david-wyatt/"


def test_feeds_use_the_site_url_never_the_request_host(client, story):
    body = client.get(reverse("articles:latest_atom"), HTTP_HOST="localhost").content
    assert b"localhost" not in body
    assert b'href="https://news.example/feeds/latest/atom/" rel="self"' in body


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_a_feed_answers_304_to_a_reader_that_already_has_it(client, story, kind):
    url = reverse(f"articles:latest_{kind}")
    first = client.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]

    by_etag = client.get(url, HTTP_IF_NONE_MATCH=etag)
    by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)

    assert by_etag.status_code == 304
    assert by_date.status_code == 304


def test_a_changed_feed_is_sent_again_to_a_reader_with_the_old_etag(client, story):
    url = reverse("articles:latest_rss")
    etag = client.get(url)["ETag"]
    story.headline = "NATO opens its first Asian liaison office"
    story.save()
    cache.clear()  # as the purge after commit would; this test is about the ETag alone

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert b"NATO opens its first Asian liaison office" in response.content


def test_feeds_carry_cache_keys(client, story):
    response = client.get(reverse("articles:section_rss", kwargs={"slug": "world"}))
    assert {"feeds", f"section-{story.section_id}"} <= response.cache_keys


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_titles_carry_no_markup_even_from_a_hostile_tag_name(client, db, kind):
    make_article(headline="Hostile <script>alert(1)</script> headline", tags=["<b>Bold</b> tag"])
    from taggit.models import Tag

    tag = Tag.objects.get()
    response = client.get(reverse(f"articles:tag_{kind}", kwargs={"slug": tag.slug}))
    # Escaped markup is still markup to readers that render titles as HTML.
    assert b"&lt;script" not in response.content
    assert b"&lt;b&gt;" not in response.content
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    assert feed.feed.title.startswith("Bold tag · ")
    assert feed.entries[0].title == "Hostile alert(1) headline"


def test_a_typo_fix_is_sent_again_to_a_reader_asking_only_by_date(client, story):
    url = reverse("articles:latest_rss")
    last_modified = client.get(url)["Last-Modified"]
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        story.body = "<p>A typo fixed, no public update.</p>"
        story.save()
    cache.clear()  # as the purge after commit would

    response = client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)

    assert response.status_code == 200
    assert response["Last-Modified"] != last_modified


def test_a_story_s_feed_item_follows_an_edit_in_every_feed(client, story, settings):
    settings.NEWSROOM_PAGE_CACHE = False
    feeds = [reverse(name, kwargs=kwargs) for name, kwargs in FEEDS]
    for url in feeds:
        assert client.get(url).status_code == 200

    Article.objects.filter(pk=story.pk).update(headline="NATO opens its Tokyo office")
    for url in feeds:
        entries = feedparser.parse(client.get(url).content).entries
        assert [entry.title for entry in entries] == ["NATO opens its Tokyo office"]
