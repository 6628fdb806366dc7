"""Querysets compiled once and run with fresh values, and the article page read through them."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix
from django.utils import timezone

from articles.article_page import AUTHOR_COLUMNS, live_article
from articles.models import Article, Byline, RelatedArticle, Section
from articles.paths import reverse_path
from articles.prepared import PreparedQuery
from authors.models import Author
from tests.factories import make_article, make_author, make_section, make_source

from .public_helpers import make_picture

BY_SLUG = PreparedQuery(
    lambda slug, at: (
        Article.objects.published(at=at).filter(slug=slug).values("id", "headline", "publish_at")
    ),
    slug=str,
    at=datetime,
)


def test_a_prepared_query_answers_like_the_queryset_it_was_built_from(db):
    story = make_article(headline="Port reopens")
    now = timezone.now()
    expected = list(
        Article.objects.published(at=now)
        .filter(slug=story.slug)
        .values("id", "headline", "publish_at")
    )
    assert BY_SLUG.rows(slug=story.slug, at=now) == expected
    assert expected[0]["publish_at"] == story.publish_at  # converted like values() does


def test_a_prepared_query_uses_the_values_of_each_call_not_the_first(db):
    first = make_article()
    second = make_article(publish_at=timezone.now() + timedelta(hours=2))
    now = timezone.now()
    assert [row["id"] for row in BY_SLUG.rows(slug=first.slug, at=now)] == [first.pk]
    assert BY_SLUG.rows(slug=second.slug, at=now) == []  # not live yet
    later = now + timedelta(hours=3)
    assert [row["id"] for row in BY_SLUG.rows(slug=second.slug, at=later)] == [second.pk]


def test_a_prepared_query_refuses_a_parameter_that_never_reaches_the_sql(db):
    ignoring_slug = PreparedQuery(
        lambda slug: Article.objects.filter(headline="x").values("id"), slug=str
    )
    with pytest.raises(ValueError, match="slug"):
        ignoring_slug.rows(slug="anything")


def test_a_prepared_query_refuses_model_instances_and_unknown_parameter_types():
    with pytest.raises(TypeError):
        PreparedQuery(lambda day: Article.objects.all(), day=float)
    with pytest.raises(TypeError, match="values"):
        PreparedQuery(lambda slug: Article.objects.filter(slug=slug), slug=str).rows(slug="x")


def test_a_prepared_query_is_logged_as_sql_that_runs(db):
    story = make_article()
    with CaptureQueriesContext(connection) as captured:
        BY_SLUG.rows(slug=story.slug, at=timezone.now())
    (logged,) = captured.captured_queries
    with connection.cursor() as cursor:  # the logged text is complete SQL, values included
        cursor.execute(logged["sql"])
        assert [row[0] for row in cursor.fetchall()] == [story.pk]


@pytest.fixture
def story(db):
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


def test_the_live_article_comes_with_its_section_image_and_bylines_in_order(story):
    article, bylines, related, sections = live_article(story.slug)
    assert article == story
    assert article.body == story.body and article.publish_at == story.publish_at
    assert article.section.name == "World"
    assert article.lead_image.alt_text == story.lead_image.alt_text
    assert article.lead_image.rendition_index == story.lead_image.rendition_index
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
    assert article.get_absolute_url() == story.get_absolute_url()
    assert sections == list(Section.objects.all())  # the navigation, in its order


def test_the_live_article_is_none_unless_readers_may_see_it(story):
    assert live_article("no-such-story") is None
    assert live_article(story.slug, at=story.publish_at - timedelta(seconds=1)) is None
    assert live_article(story.slug, at=story.publish_at) is not None
    Article.objects.filter(pk=story.pk).update(status=Article.Status.WITHDRAWN)
    assert live_article(story.slug) is None


def test_related_stories_are_picks_in_order_then_the_newest_sharing_a_tag(story):
    now = timezone.now()
    picked_second = make_article(headline="Picked second", publish_at=now - timedelta(days=3))
    picked_first = make_article(headline="Picked first", publish_at=now - timedelta(days=4))
    hidden_pick = make_article(headline="Picked, not live", status=Article.Status.DRAFT)
    for position, other in enumerate([picked_first, picked_second, hidden_pick]):
        RelatedArticle.objects.create(article=story, related=other, position=position)
    make_article(headline="Older on ports", tags=["Ports"], publish_at=now - timedelta(days=2))
    make_article(headline="Newer on strikes", tags=["Strikes"], publish_at=now - timedelta(hours=3))
    make_article(headline="Newest, unrelated", tags=["Weather"])
    make_article(headline="Picked first", tags=["Ports"])  # same headline, not the pick

    _, _, related, _ = live_article(story.slug)
    assert [a.headline for a in related] == [
        "Picked first",
        "Picked second",
        "Picked first",
        "Newer on strikes",
    ]
    assert related[0].pk == picked_first.pk and related[2].pk != picked_first.pk
    assert all(a.section.name for a in related)


def test_an_author_read_with_the_article_has_what_the_page_shows_and_defers_the_rest(story):
    _, bylines, _, _ = live_article(story.slug)
    stored = Author.objects.get(name="Ana Lee")
    loaded = bylines[0].author
    for column in AUTHOR_COLUMNS:
        assert getattr(loaded, column) == getattr(stored, column), column
    assert loaded.get_deferred_fields() == {
        "user_id",
        "public_email",
        "website",
        "active",
        "created_at",
        "modified_at",
    }
    photo = loaded.photo
    assert (photo.alt_text, photo.rendition_index) == (
        stored.photo.alt_text,
        stored.photo.rendition_index,
    )


def test_addresses_reversed_once_match_django_and_follow_the_script_prefix(db):
    args = {"section": "world", "year": "2026", "month": "03", "day": "01", "slug": "s"}
    assert reverse_path("articles:detail", **args) == reverse("articles:detail", kwargs=args)
    set_script_prefix("/news/")
    try:
        assert reverse_path("articles:detail", **args).startswith("/news/world/")
    finally:
        set_script_prefix("/")
    assert reverse_path("articles:detail", **args).startswith("/world/")


def test_related_stories_show_a_pick_sharing_a_tag_once_and_fill_up_with_the_newest(story):
    now = timezone.now()
    sharing = [
        make_article(
            headline=f"Ports {hours}h ago", tags=["Ports"], publish_at=now - timedelta(hours=hours)
        )
        for hours in (5, 2, 9, 3, 7, 4)
    ]
    RelatedArticle.objects.create(article=story, related=sharing[1], position=0)  # 2h ago

    _, _, related, _ = live_article(story.slug)
    assert [a.headline for a in related] == [
        "Ports 2h ago",
        "Ports 3h ago",
        "Ports 4h ago",
        "Ports 5h ago",
    ]


NEWEST_PAGE = PreparedQuery(
    lambda at, start, stop: (
        Article.objects.published(at=at).values("id").order_by("-publish_at", "-id")[start:stop]
    ),
    shape=("start", "stop"),
    at=datetime,
)


def test_a_prepared_query_is_compiled_once_for_each_shape_and_answers_each_page(db):
    now = timezone.now()
    stories = [make_article(publish_at=now - timedelta(hours=hours)) for hours in range(1, 6)]
    ids = [story.pk for story in stories]
    assert [r["id"] for r in NEWEST_PAGE.rows(at=now, start=0, stop=2)] == ids[:2]
    assert [r["id"] for r in NEWEST_PAGE.rows(at=now, start=2, stop=4)] == ids[2:4]
    assert [r["id"] for r in NEWEST_PAGE.rows(at=now, start=4, stop=6)] == ids[4:]
    shapes = {shape for _alias, shape in NEWEST_PAGE._compiled}
    assert {(0, 2), (2, 4), (4, 6)} <= shapes


def test_a_prepared_query_keeps_a_bounded_number_of_shapes(db, monkeypatch):
    monkeypatch.setattr("articles.prepared.MAX_SHAPES", 2)
    query = PreparedQuery(
        lambda start, stop, at: Article.objects.published(at=at).values("id")[start:stop],
        shape=("start", "stop"),
        at=datetime,
    )
    now = timezone.now()
    for start in range(5):
        query.rows(at=now, start=start, stop=start + 1)
    assert [shape for _alias, shape in query._compiled] == [(3, 4), (4, 5)]


def test_a_prepared_query_refuses_a_shape_that_is_not_a_whole_number(db):
    with pytest.raises(TypeError, match="shape"):
        NEWEST_PAGE.rows(at=timezone.now(), start="0; DROP TABLE x", stop=2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_only_queries_asked_to_are_prepared_on_the_server(db):
    make_article()
    unprepared = PreparedQuery(
        lambda at: Article.objects.published(at=at).values("id", "headline")[:3],
        prepare=False,
        at=datetime,
    )
    unprepared.rows(at=timezone.now())
    BY_SLUG.rows(slug="x", at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any('"headline", "articles_article"."publish_at"' in s for s in statements)
    assert not any("LIMIT 3" in s for s in statements)


def test_a_shape_may_leave_out_an_optional_parameter_and_use_it_in_another(db):
    query = PreparedQuery(
        lambda at, slug, by_slug: (
            Article.objects.published(at=at).filter(slug=slug)
            if by_slug
            else Article.objects.published(at=at)
        ).values("id"),
        shape=("by_slug",),
        optional=("slug",),
        at=datetime,
        slug=str,
    )
    first, second = make_article(), make_article()
    now = timezone.now()
    assert {r["id"] for r in query.rows(at=now, slug="", by_slug=0)} == {first.pk, second.pk}
    assert [r["id"] for r in query.rows(at=now, slug=second.slug, by_slug=1)] == [second.pk]
