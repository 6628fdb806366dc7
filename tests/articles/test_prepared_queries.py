"""Querysets compiled once and run with fresh values (`articles.prepared`, used by search)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from articles.prepared import PreparedQuery
from tests.factories import make_article

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
