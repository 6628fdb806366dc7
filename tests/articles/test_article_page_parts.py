"""The article page's query (`for_detail()`): sources, corrections and tags read with the story,
its bylines, and its related stories."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, ArticleSource, Byline, Correction, RelatedArticle, Section
from articles.public.views import related_stories
from tests.factories import make_article, make_author, make_section, make_source

from .public_helpers import json_ld, make_picture


def live_article(slug):
    return Article.objects.published().for_detail().filter(slug=slug).first()


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
    loaded = live_article(story.slug)
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
    parts = live_article(bare.slug).detail_parts()
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


def test_an_uncached_article_page_follows_any_edit_to_what_it_shows(client, story, settings):
    """Edits made behind the models' backs (no signal, no purge) show on the next uncached
    view: nothing is kept per process."""
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
    url = story.get_absolute_url()
    first, again = (client.get(url).content.decode() for _ in range(2))
    assert first == again

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


@pytest.fixture
def reported(db):
    section = make_section("World", slug="world")
    photo = make_picture("Portrait of Ana Lee")
    ana = make_author("Ana Lee", photo=photo, job_title="Reporter")
    tom = make_author("Tom Ruiz")
    article = make_article(
        headline="Harbour strike ends",
        section=section,
        lead_image=make_picture(),
        tags=["Ports", "Strikes"],
        sources=[make_source("Wire Agency")],
    )
    Byline.objects.create(article=article, author=tom, position=1, role=Byline.Role.WITH)
    Byline.objects.create(article=article, author=ana, position=0)
    return article


def test_the_live_article_comes_with_its_section_image_and_bylines_in_order(reported):
    article = live_article(reported.slug)
    bylines = list(article.bylines.all())
    assert article == reported
    assert article.body == reported.body and article.publish_at == reported.publish_at
    assert article.section.name == "World"
    assert article.lead_image.alt_text == reported.lead_image.alt_text
    assert article.lead_image.rendition_index == reported.lead_image.rendition_index
    assert [(b.author.name, b.role) for b in bylines] == [
        ("Ana Lee", Byline.Role.WRITTEN_BY),
        ("Tom Ruiz", Byline.Role.WITH),
    ]
    assert bylines[0].author.photo.alt_text == "Portrait of Ana Lee"
    assert bylines[1].author.photo is None
    assert list(article.bylines.all()) == bylines
    parts = article.detail_parts()
    assert [t.name for t in parts.tags] == ["Ports", "Strikes"]
    assert [s.source.name for s in parts.sources] == ["Wire Agency"]
    assert article.get_absolute_url() == reported.get_absolute_url()


def test_the_live_article_is_none_unless_readers_may_see_it(reported):
    assert live_article("no-such-story") is None
    hidden = Article.objects.published(at=reported.publish_at - timedelta(seconds=1))
    assert not hidden.for_detail().filter(slug=reported.slug).exists()
    Article.objects.filter(pk=reported.pk).update(status=Article.Status.WITHDRAWN)
    assert live_article(reported.slug) is None


def test_related_stories_are_picks_in_order_then_the_newest_sharing_a_tag(reported):
    now = timezone.now()
    picked_second = make_article(headline="Picked second", publish_at=now - timedelta(days=3))
    picked_first = make_article(headline="Picked first", publish_at=now - timedelta(days=4))
    hidden_pick = make_article(headline="Picked, not live", status=Article.Status.DRAFT)
    for position, other in enumerate([picked_first, picked_second, hidden_pick]):
        RelatedArticle.objects.create(article=reported, related=other, position=position)
    make_article(headline="Older on ports", tags=["Ports"], publish_at=now - timedelta(days=2))
    make_article(headline="Newer on strikes", tags=["Strikes"], publish_at=now - timedelta(hours=3))
    make_article(headline="Newest, unrelated", tags=["Weather"])
    make_article(headline="Picked first", tags=["Ports"])  # same headline, not the pick

    related = related_of(reported)
    assert [a.headline for a in related] == [
        "Picked first",
        "Picked second",
        "Picked first",
        "Newer on strikes",
    ]
    assert related[0].pk == picked_first.pk and related[2].pk != picked_first.pk
    assert all(a.section.name for a in related)


def test_related_stories_show_a_pick_sharing_a_tag_once_and_fill_up_with_the_newest(reported):
    now = timezone.now()
    sharing = [
        make_article(
            headline=f"Ports {hours}h ago", tags=["Ports"], publish_at=now - timedelta(hours=hours)
        )
        for hours in (5, 2, 9, 3, 7, 4)
    ]
    RelatedArticle.objects.create(article=reported, related=sharing[1], position=0)  # 2h ago

    related = related_of(reported)
    assert [a.headline for a in related] == [
        "Ports 2h ago",
        "Ports 3h ago",
        "Ports 4h ago",
        "Ports 5h ago",
    ]


def related_of(article):
    return related_stories(article, tag_ids=[tag.pk for tag in article.detail_parts().tags])
