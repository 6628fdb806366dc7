"""Revisions: snapshots of every editable field with bylines, tags and sources; a readable
word-level diff; restore that destroys nothing; the latest revision found in constant time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import revisions
from articles.models import Article, Revision
from articles.workflow import NotAllowed
from tests.factories import make_article, make_author, make_source, make_user


@pytest.fixture
def editor(db):
    return make_user("Editor", first_name="Tom", last_name="Ruiz")


def test_a_revision_holds_the_content_bylines_tags_and_sources(editor):
    author = make_author("David Wyatt")
    source = make_source("korrespondent")
    article = make_article(
        headline="NATO to open an office", authors=[author], sources=[source], tags=["NATO"]
    )
    revision = revisions.store(article, by=editor)
    assert revision.number == 1
    assert revision.status == Article.Status.PUBLISHED
    assert revision.data["headline"] == "NATO to open an office"
    assert revision.data["bylines"] == [
        {"author": author.pk, "name": "David Wyatt", "role": "written_by"}
    ]
    assert revision.data["tags"] == ["NATO"]
    assert [s["name"] for s in revision.data["sources"]] == ["korrespondent"]
    assert revisions.store(article, by=editor).number == 2


def test_storing_many_writes_the_revisions_storing_each_would_in_a_fixed_number_of_queries(
    editor,
):
    writers = [make_author("David Wyatt"), make_author("Anna Berg")]
    first = make_article(
        headline="NATO to open an office",
        authors=writers,
        sources=[make_source("korrespondent"), make_source("wire")],
        tags=["NATO", "europe", "Brussels"],
    )
    second = make_article(headline="Ferry strike ends", authors=writers[1:], tags=["ferry"])
    third = make_article(headline="Harbour fees rise")
    revisions.store(second, by=editor)
    stories = [Article.objects.get(pk=story.pk) for story in (first, second, third)]
    # Numbers, bylines, tags, sources (and their sections), then one write, in a savepoint.
    with CaptureQueriesContext(connection) as captured:
        stored = revisions.store_many(stories, by=editor, note="Imported")
    assert len(captured) <= 9
    assert [revision.number for revision in stored] == [1, 2, 1]
    for story, revision in zip(stories, stored, strict=True):
        fresh = Article.objects.get(pk=story.pk)
        assert revision.data == revisions.snapshot(fresh)
        assert (revision.status, revision.created_by, revision.note) == (
            fresh.status,
            editor,
            "Imported",
        )


def test_the_diff_marks_changed_words_and_escapes_markup(editor):
    article = make_article(
        headline="NATO to open office in Tokio",
        body="<p>Michito Tsurouka said so.</p><p>Second paragraph.</p>",
    )
    old = revisions.store(article, by=editor)
    article.headline = "NATO to open office in Tokyo"
    article.body = "<p>Michito Tsuruoka said so &lt;b&gt;.</p><p>Second paragraph.</p>"
    article.save()
    article.tags.add("Japan")
    new = revisions.store(article, by=editor)
    changes = revisions.compare(old, new)
    texts = {str(label): (html, changed) for label, html, changed in changes["texts"]}
    headline_html, headline_changed = texts["headline"]
    assert headline_changed
    assert headline_html == "NATO to open office in <del>Tokio</del><ins>Tokyo</ins>"
    body_html, _ = texts["body"]
    assert "<del>Tsurouka</del><ins>Tsuruoka</ins>" in body_html
    assert "&lt;b&gt;" in body_html and "<b>" not in body_html
    assert texts["standfirst"][1] is False
    assert [(str(label), before, after) for label, before, after in changes["fields"]] == [
        ("tags", "—", "Japan")
    ]


def test_restoring_an_old_revision_creates_a_new_one_and_destroys_nothing(editor):
    first_author, second_author = make_author("Ana Lee"), make_author("Tom Ruiz")
    article = make_article(headline="First headline", authors=[first_author], tags=["NATO"])
    first = revisions.store(article, by=editor)
    article.headline = "Second headline"
    article.save()
    article.bylines.all().delete()
    article.bylines.create(author=second_author)
    article.tags.set(["Japan"])
    second = revisions.store(article, by=editor)

    restored, third = revisions.restore(article, first, by=editor)

    assert third.number == 3
    assert "Restored revision #1" in third.note
    restored.refresh_from_db()
    assert restored.headline == "First headline"
    assert [b.author for b in restored.bylines.all()] == [first_author]
    assert list(restored.tags.names()) == ["NATO"]
    assert Revision.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_a_journalist_cannot_restore_someone_elses_article(editor):
    journalist = make_user("Journalist")
    article = make_article(status=Article.Status.DRAFT, created_by=editor)
    revision = revisions.store(article, by=editor)
    with pytest.raises(NotAllowed):
        revisions.restore(article, revision, by=journalist)


def test_fetching_the_latest_revision_is_one_indexed_query(editor):
    article = make_article()
    other = make_article()
    Revision.objects.bulk_create(
        Revision(article=a, number=n, status="draft", data={})
        for n in range(1, 2001)
        for a in (article, other)
    )
    with CaptureQueriesContext(connection) as queries:
        latest = revisions.latest(article)
    assert latest.number == 2000
    assert len(queries) == 1
    assert "LIMIT 1" in queries[0]["sql"].upper()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's planner")
def test_latest_revision_uses_the_unique_index_with_100000_revisions(editor):
    article = make_article()
    others = [make_article() for _ in range(9)]
    Revision.objects.bulk_create(
        (
            Revision(article=a, number=n, status="draft", data={"n": n})
            for a in [article, *others]
            for n in range(1, 10_001)
        ),
        batch_size=5000,
    )
    assert Revision.objects.count() == 100_000
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_revision")
    queryset = Revision.objects.filter(article=article).order_by("-number")[:1]
    plan = queryset.explain()
    assert "unique_revision_number" in plan
    assert "Seq Scan" not in plan
    assert "Sort" not in plan
    assert revisions.latest(article).number == 10_000


def test_a_rewritten_passage_reads_as_one_removal_and_one_addition():
    html = revisions.word_diff(
        "Terminals from Gdańsk are hiring now.", "Ports expect a record now."
    )
    assert (
        html == "<del>Terminals from Gdańsk are hiring</del><ins>Ports expect a record</ins> now."
    )
