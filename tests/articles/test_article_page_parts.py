"""The article page reads sources, corrections and tags from the article's own row."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.article_page import live_article
from articles.models import Article, ArticleSource, Correction, Section
from tests.factories import make_article, make_section, make_source

from .public_helpers import json_ld


def news_article(page):
    return next(block for block in json_ld(page) if block["@type"] == "NewsArticle")


@pytest.fixture
def story(db):
    article = make_article(
        headline="Harbour strike ends after three days",
        section=make_section("World", slug="world"),
    )
    for name in ["Ports", "strikes", "Baltic"]:  # shown in the order they were added
        article.tags.add(name)
    wire, paper = make_source("Wire Agency"), make_source("Harbour Gazette")
    wire.homepage_url = "https://wire.example/"
    wire.save()
    # Written out of order: the page shows them by position.
    ArticleSource.objects.create(article=article, source=paper, position=2, note="Interview.")
    ArticleSource.objects.create(
        article=article,
        source=wire,
        position=0,
        relation=ArticleSource.Relation.WIRE,
        original_url="https://wire.example/strike",
        original_headline="Dockers walk out",
    )
    later = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)  # the night clocks change
    Correction.objects.create(
        article=article,
        kind=Correction.Kind.UPDATE,
        text="Adds the port's reply.",
        created_at=later,
    )
    Correction.objects.create(
        article=article,
        text="The strike lasted three days, not four.",
        created_at=later - timedelta(hours=2),
    )
    return article


def shown(parts):
    return {
        "sources": [
            (
                link.pk,
                link.relation,
                link.original_url,
                link.original_headline,
                link.note,
                link.position,
                link.source.pk,
                link.source.name,
                link.source.slug,
                link.source.kind,
                link.source.homepage_url,
            )
            for link in parts.sources
        ],
        "corrections": [(c.pk, c.kind, c.text, c.created_at) for c in parts.corrections],
        "tags": [(t.pk, t.name, t.slug) for t in parts.tags],
    }


def test_detail_parts_from_the_article_row_match_the_database(story):
    loaded, *_ = live_article(story.slug)
    with CaptureQueriesContext(connection) as captured:
        parts = loaded.detail_parts()
    assert not captured.captured_queries
    fallback = Article.objects.get(pk=story.pk).detail_parts()
    assert shown(parts) == shown(fallback)
    assert [link.source.name for link in parts.sources] == ["Wire Agency", "Harbour Gazette"]
    assert [c.kind for c in parts.corrections] == ["correction", "update"]
    assert parts.corrections[1].created_at == datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
    assert timezone.is_aware(parts.corrections[0].created_at)
    assert [t.name for t in parts.tags] == ["Ports", "strikes", "Baltic"]


def test_an_article_with_no_sources_corrections_or_tags_has_empty_parts(db):
    bare = make_article(headline="Quiet day at the harbour")
    parts = live_article(bare.slug)[0].detail_parts()
    assert (parts.sources, parts.corrections, parts.tags) == ([], [], [])


def test_article_page_shows_parts_read_from_the_row(client, story):
    page = client.get(story.get_absolute_url()).content.decode()
    assert page.index("Wire Agency") < page.index("Harbour Gazette")
    assert "Dockers walk out" in page and "Interview." in page
    assert page.index("not four") < page.index("Adds the port")
    assert page.index(">Ports<") < page.index(">strikes<") < page.index(">Baltic<")
    data = news_article(page)
    assert data["keywords"] == ["Ports", "strikes", "Baltic"]
    assert [w["publisher"]["name"] for w in data["isBasedOn"]] == ["Wire Agency", "Harbour Gazette"]
    assert [c["text"] for c in data["correction"]] == ["The strike lasted three days, not four."]
    assert data["correction"][0]["datePublished"] == "2026-03-28T23:30:15+00:00"  # whole seconds


def test_a_story_shown_again_follows_any_edit_to_what_its_page_shows(
    client, story, settings, monkeypatch
):
    """The page's story, head and related cards are made once per row of its queries; edits
    made behind the models' backs (no signal, no purge) change the rows, and so the page."""
    from articles import views
    from authors.models import Author
    from tests.factories import make_author

    settings.NEWSROOM_PAGE_CACHE = False
    author = make_author("Ana Lee")
    story.bylines.create(author=author, position=0)
    neighbour = make_article(
        headline="Cranes idle at the terminal",
        section=story.section,
        tags=["Ports"],
        publish_at=story.publish_at - timedelta(hours=1),
    )
    made = []
    make = views._make_story_context
    monkeypatch.setattr(
        views, "_make_story_context", lambda *args: made.append(args[0].pk) or make(*args)
    )
    url = story.get_absolute_url()
    first, again = (client.get(url).content.decode() for _ in range(2))
    assert first == again
    assert made == [story.pk]

    Article.objects.filter(pk=story.pk).update(headline="Harbour strike ends after four days")
    Author.objects.filter(pk=author.pk).update(name="Ana Lee-Park")
    Correction.objects.filter(article=story).update(text="Corrected once more.")
    ArticleSource.objects.filter(article=story).update(note="Reached by phone.")
    Section.objects.filter(pk=story.section_id).update(name="Globe")
    Article.objects.filter(pk=neighbour.pk).update(headline="Cranes move again")
    page = client.get(url).content.decode()
    assert "Harbour strike ends after four days</h1>" in page
    assert '"headline": "Harbour strike ends after four days"' in page  # the JSON-LD
    assert "Ana Lee-Park" in page
    assert "Corrected once more." in page
    assert "not four" not in page
    assert "Reached by phone." in page
    assert ">Globe</a>" in page
    assert "Cranes move again" in page
    assert "Cranes idle" not in page
    assert made == [story.pk, story.pk]


def test_a_preview_is_made_afresh_every_time(client, story, django_user_model, monkeypatch):
    from articles import views

    made = []
    make = views._make_story_context
    monkeypatch.setattr(
        views, "_make_story_context", lambda *args: made.append(args[2]) or make(*args)
    )
    article, bylines, related, sections = live_article(story.slug)
    for _ in range(2):
        views.article_context(article, None, is_preview=True, bylines=bylines, related=related)
    assert made == [True, True]
