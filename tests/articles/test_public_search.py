"""Reader search: ranked full text on PostgreSQL, a plain substring fallback elsewhere."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Byline
from articles.search import MAX_QUERY_LENGTH
from tests.factories import make_article, make_author, make_section

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fallback")


@pytest.fixture(autouse=True)
def _uncached(settings):
    # Content changes between searches here without a commit to trigger the cache purge.
    settings.NEWSROOM_PAGE_CACHE = False


def search(client, **params):
    response = client.get(reverse("articles:search"), params)
    assert response.status_code == 200
    return response


def headlines(response):
    return [a.headline for a in response.context["page"].items]


@pytest.fixture
def stories(db):
    world, science = make_section("World", slug="world"), make_section("Science", slug="science")
    now = timezone.now()
    return {
        "harbour": make_article(
            headline="Harbour cranes return to Gdańsk",
            section=world,
            dek="Port operators expect a record season.",
            body="<p>The terminal will hire more crane drivers.</p>",
            publish_at=now - timedelta(days=1),
        ),
        "telescope": make_article(
            headline="Telescope spots a river of young stars",
            section=science,
            dek="Astronomers describe the stream.",
            body="<p>It passes near the harbour of our solar system, loosely speaking.</p>",
            tags=["Astronomy"],
            publish_at=now - timedelta(days=10),
        ),
    }


def test_empty_search_shows_a_helpful_page_without_results(client, stories):
    response = search(client)
    page = response.content.decode()
    assert response.context["page"] is None
    assert "Type one or more words" in page


def test_search_finds_published_stories_by_headline_words(client, stories):
    assert headlines(search(client, q="cranes")) == ["Harbour cranes return to Gdańsk"]


def test_search_finds_by_tag_and_by_author_name(client, stories):
    Byline.objects.create(article=stories["harbour"], author=make_author("Maya Okafor"))
    assert headlines(search(client, q="astronomy")) == ["Telescope spots a river of young stars"]
    assert headlines(search(client, q="Okafor")) == ["Harbour cranes return to Gdańsk"]


def test_a_renamed_tag_finds_its_stories_by_the_new_name_only(client, stories):
    tag = stories["telescope"].tags.get(name="Astronomy")
    tag.name = "Stargazing"
    tag.save()
    assert headlines(search(client, q="stargazing")) == ["Telescope spots a river of young stars"]
    assert headlines(search(client, q="astronomy")) == []


def test_search_filters_by_section_and_date_range(client, stories):
    assert headlines(search(client, q="harbour", section="science")) == [
        "Telescope spots a river of young stars"
    ]
    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    assert headlines(search(client, q="harbour", since=since)) == [
        "Harbour cranes return to Gdańsk"
    ]
    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert headlines(search(client, q="harbour", until=until)) == [
        "Telescope spots a river of young stars"
    ]


def test_search_filters_combine_and_each_combination_answers_for_its_own_values(client, stories):
    today = timezone.localdate()
    week = {"since": (today - timedelta(days=14)).isoformat(), "until": today.isoformat()}
    assert headlines(search(client, q="harbour", section="science", **week)) == [
        "Telescope spots a river of young stars"
    ]
    assert headlines(search(client, q="harbour", section="world", **week)) == [
        "Harbour cranes return to Gdańsk"
    ]
    recent = {"since": (today - timedelta(days=3)).isoformat(), "until": today.isoformat()}
    assert headlines(search(client, q="harbour", section="science", **recent)) == []
    assert headlines(search(client, q="harbour", section="world", **recent)) == [
        "Harbour cranes return to Gdańsk"
    ]


def test_a_reversed_or_malformed_date_range_is_explained_not_a_server_error(client, stories):
    reversed_range = search(client, q="harbour", since="2026-05-01", until="2026-04-01")
    assert "must not be after" in reversed_range.content.decode()
    malformed = search(client, q="harbour", since="yesterday")
    assert "Enter a valid date" in malformed.content.decode()


def test_the_filters_keep_what_the_reader_chose_and_point_to_their_errors(client, stories):
    chosen = search(client, q="harbour", section="science", since="2026-05-01").content.decode()
    assert '<option value="science" selected>Science</option>' in chosen
    assert '<option value="" selected>' not in chosen
    assert '<input type="date" name="since" value="2026-05-01" id="id_since">' in chosen
    assert '<input type="date" name="until" id="id_until">' in chosen
    assert "aria-invalid" not in chosen

    fresh = search(client).content.decode()
    assert '<option value="" selected>All sections</option>' in fresh
    assert '<option value="world">World</option>' in fresh

    wrong = search(client, q="harbour", section="nowhere", until="soon").content.decode()
    assert 'id="id_section" aria-invalid="true" aria-describedby="id_section_error"' in wrong
    assert '<ul class="errorlist" id="id_section_error">' in wrong
    assert 'value="soon" aria-invalid="true" aria-describedby="id_until_error"' in wrong
    assert '<ul class="errorlist" id="id_until_error"><li>Enter a valid date.</li></ul>' in wrong
    assert '<input id="id_q" type="search" name="q" value="harbour"' in wrong  # words kept


def test_an_overlong_query_is_cut_to_the_stated_limit_and_says_so(client, stories):
    response = search(client, q="cranes " + "x" * 500)
    page = response.content.decode()
    assert response.context["was_cut"]
    assert len(response.context["query"]) == MAX_QUERY_LENGTH
    assert f"longer than {MAX_QUERY_LENGTH} characters" in page


@on_sqlite
def test_sqlite_fallback_matches_substrings_newest_first(client, stories):
    assert headlines(search(client, q="harbour")) == [
        "Harbour cranes return to Gdańsk",
        "Telescope spots a river of young stars",
    ]


@pytest.mark.postgres
@on_postgres
def test_postgres_ranks_headline_matches_above_body_matches(client, stories):
    # The telescope story is newer here, so only the ranking can put the harbour story first.
    Article.objects.filter(pk=stories["telescope"].pk).update(publish_at=timezone.now())
    assert headlines(search(client, q="harbour")) == [
        "Harbour cranes return to Gdańsk",
        "Telescope spots a river of young stars",
    ]


@pytest.mark.postgres
@on_postgres
def test_postgres_highlights_the_matching_words_in_a_snippet(client, stories):
    response = search(client, q="crane drivers")
    [article] = response.context["page"].items
    assert "<mark>crane</mark>" in article.snippet
    assert "<mark>crane</mark>" in response.content.decode()


@pytest.mark.postgres
@on_postgres
def test_postgres_highlights_a_match_far_into_a_long_story_in_any_word_form(client, db):
    links = "".join(
        f'<a href="https://example.org/report-{n}">report {n}</a> and more words. '
        for n in range(60)
    )
    make_article(
        headline="Long read", body=f"<p>{links}</p><p>Farmers fear the droughts to come.</p>"
    )
    for query in ("drought", "droughts"):
        [article] = search(client, q=query).context["page"].items
        assert "<mark>droughts</mark>" in article.snippet
        assert "href" not in article.snippet and "example.org" not in article.snippet


@pytest.mark.postgres
@on_postgres
def test_postgres_a_story_found_by_its_tags_shows_its_opening(client, db):
    make_article(
        headline="Budget day", body="<p>The minister rose at noon.</p>", tags=["Glaciology"]
    )
    [article] = search(client, q="glaciology").context["page"].items
    assert article.snippet.startswith("The minister rose at noon")


@pytest.mark.postgres
@on_postgres
def test_postgres_results_say_how_many_stories_match(client, stories):
    make_article(headline="Harbour tolls rise", body="<p>Ships pay more.</p>")
    assert "3 stories match, most relevant first." in search(client, q="harbour").content.decode()
    assert "1 story matches." in search(client, q="cranes").content.decode()


@pytest.mark.postgres
@on_postgres
def test_postgres_search_vector_follows_tag_and_byline_changes(client, stories):
    harbour = stories["harbour"]
    assert headlines(search(client, q="shipbuilding")) == []
    harbour.tags.add("Shipbuilding")
    assert headlines(search(client, q="shipbuilding")) == [harbour.headline]

    byline = Byline.objects.create(article=harbour, author=make_author("Ingrid Halvorsen"))
    assert headlines(search(client, q="Halvorsen")) == [harbour.headline]
    byline.delete()
    assert headlines(search(client, q="Halvorsen")) == []


@pytest.mark.postgres
@on_postgres
def test_postgres_snippet_escapes_markup_from_the_body(client, db):
    make_article(headline="Markup story", body="<p>Alpha &lt;b&gt;bold&lt;/b&gt; beta</p>")
    [article] = search(client, q="alpha").context["page"].items
    assert "<b>" not in article.snippet
    assert "&lt;b&gt;" in article.snippet


@pytest.mark.postgres
@on_postgres
def test_reader_and_editor_searches_go_through_the_full_text_index(db):
    from django.contrib.postgres.search import SearchQuery

    from articles import search as reader_search

    readers = (
        Article.objects.alias(indexed=reader_search.IndexedVector())
        .filter(indexed=SearchQuery("harbour", config="english"))
        .order_by()
        .values("pk")
    )
    editors = reader_search.editor_search(Article.objects.order_by().values("pk"), "harb")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # The query's expression must be the index's, to the last cast, for it to be used.
        for queryset in (readers, editors):
            assert "articles_article_search_by_year_gin" in queryset.explain()


@pytest.mark.postgres
@on_postgres
def test_the_search_vector_is_kept_in_the_row_not_moved_out(db):
    # Searches test and rank hundreds of vectors: fetching each from TOAST cost four times more.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'articles_article'::regclass "
            "AND attname = 'search_vector'"
        )
        assert cursor.fetchone() == ("m",)


@pytest.mark.postgres
@on_postgres
def test_the_last_page_of_a_full_pool_says_older_matches_need_the_dates(
    client, db, settings, monkeypatch
):
    settings.NEWSROOM_PAGE_SIZE = 1
    monkeypatch.setattr("articles.search.SEARCH_POOL", 2)
    monkeypatch.setattr("articles.public.views.SEARCH_POOL", 2)
    for hours in (1, 2, 3):
        make_article(
            headline=f"Glacier report {hours}", publish_at=timezone.now() - timedelta(hours=hours)
        )
    notice = "newest stories that match"
    first = search(client, q="glacier")
    assert headlines(first) == ["Glacier report 1"] and notice not in first.content.decode()
    assert "The 2 newest matching stories, most relevant first." in first.content.decode()
    # Ranked by relevance, not date: the links say pages, and how many there are.
    assert "Page 1 of 2" in first.content.decode() and "Next page" in first.content.decode()
    assert "Older stories" not in first.content.decode()
    last = search(client, q="glacier", page=2)
    assert headlines(last) == ["Glacier report 2"]
    assert "These are the 2 newest stories that match" in last.content.decode()
    assert client.get(reverse("articles:search"), {"q": "glacier", "page": 3}).status_code == 404


def _highlighting(queries):
    return [q["sql"] for q in queries if "ts_headline" in q["sql"]]


@pytest.mark.postgres
@on_postgres
def test_postgres_a_repeated_search_highlights_each_story_once_until_its_body_changes(
    client, stories
):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        [story] = search(client, q="crane drivers").context["page"].items
    assert "<mark>crane</mark> <mark>drivers</mark>" in story.snippet
    assert len(_highlighting(first.captured_queries)) == 1
    with CaptureQueriesContext(connection) as again:
        [story] = search(client, q="crane drivers").context["page"].items
    assert "<mark>crane</mark> <mark>drivers</mark>" in story.snippet
    assert _highlighting(again.captured_queries) == []

    # Changed behind the models' back (no signal): the body's digest is the passage's key.
    Article.objects.filter(pk=stories["harbour"].pk).update(
        body="<p>Night shifts for crane drivers start in May.</p>"
    )
    with CaptureQueriesContext(connection) as edited:
        [story] = search(client, q="crane drivers").context["page"].items
    assert story.snippet.startswith("Night shifts for <mark>crane</mark>")
    assert len(_highlighting(edited.captured_queries)) == 1


@pytest.mark.postgres
@on_postgres
def test_postgres_a_story_shows_each_search_its_own_passage(client, stories):
    telescope = stories["telescope"]
    telescope.body = (
        "<p>It passes near the harbour.</p><p>" + "Filler words here. " * 40 + "</p>"
        "<p>The stream is young.</p>"
    )
    telescope.save()
    by_harbour = search(client, q="harbour").content.decode()
    by_stream = search(client, q="stream").content.decode()
    assert "<mark>harbour</mark>. Filler words" in by_harbour
    assert "<mark>stream</mark> is young" in by_stream
    assert "<mark>harbour</mark>" not in by_stream
    # The story every listing shares keeps no search's passage.
    section = client.get(telescope.section.get_absolute_url()).content.decode()
    assert "<mark>" not in section
    assert "Astronomers describe the stream." in section


@pytest.mark.postgres
@on_postgres
def test_postgres_a_word_ending_a_paragraph_is_found(client, db):
    story = make_article(headline="Port news", body="<p>Ships wait.</p><p>Cranes idle.</p>")
    story.body = "<p>Ships wait in the harbour.</p><p>Officials blame the strike.</p>"
    story.save()
    assert headlines(search(client, q="harbour")) == ["Port news"]
    assert headlines(search(client, q="officials")) == ["Port news"]


@pytest.mark.postgres
@on_postgres
def test_postgres_renaming_a_tag_rebuilds_its_stories_in_batches(client, db, monkeypatch):
    import articles.search

    monkeypatch.setattr(articles.search, "REBUILD_BATCH", 2)
    rebuilt = []
    rebuild = articles.search._rebuild_batch
    monkeypatch.setattr(
        articles.search, "_rebuild_batch", lambda ids: rebuilt.append(ids) or rebuild(ids)
    )
    stories = [make_article(headline=f"Report {n}", tags=["Hydrology"]) for n in range(5)]
    make_article(headline="Elsewhere", tags=["Geology"])
    rebuilt.clear()
    tag = stories[0].tags.get()
    tag.name = "Water science"
    tag.save()
    assert sorted(pk for batch in rebuilt for pk in batch) == sorted(s.pk for s in stories)
    assert max(len(batch) for batch in rebuilt) == 2
    found = headlines(search(client, q='"water science"'))
    assert sorted(found) == sorted(s.headline for s in stories)
    assert headlines(search(client, q="hydrology")) == []


@pytest.mark.postgres
@on_postgres
def test_postgres_saving_an_author_or_tag_without_renaming_rebuilds_nothing(stories, monkeypatch):
    import articles.search

    queued = []
    monkeypatch.setattr(
        articles.search,
        "rebuild_search_vectors_naming",
        SimpleNamespace(enqueue=lambda *args: queued.append(args)),
    )
    author = make_author("Ingrid Halvorsen")
    Byline.objects.create(article=stories["harbour"], author=author)
    author.bio = "Covers ports and shipping."
    author.save()
    tag = stories["telescope"].tags.get()
    tag.save()
    assert queued == []
    author.name = "Ingrid Halvorsen-Berg"
    author.save()
    assert queued == [("author", author.pk)]


@pytest.mark.postgres
@on_postgres
def test_postgres_rebuilding_every_vector_finds_a_story_indexed_the_old_way(client, db):
    import io

    from django.core.management import call_command

    story = make_article(headline="Port news", body="<p>Ships wait in the harbour.</p><p>Yes.</p>")
    with connection.cursor() as cursor:  # as indexed before paragraphs were kept apart
        cursor.execute(
            "UPDATE articles_article SET search_vector = to_tsvector('english', %s) WHERE id = %s",
            ["Port news Ships wait in the harbour.Yes.", story.pk],
        )
    assert headlines(search(client, q="harbour")) == []
    out = io.StringIO()
    call_command("rebuild_search_vectors", stdout=out)
    assert "Rebuilt the search vectors of 1 story." in out.getvalue()
    assert headlines(search(client, q="harbour")) == ["Port news"]


AT_SUMMER_2026 = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.fixture
def archive_over_three_years(db):
    """Drought stories in each of three years, locust stories in the older two, and one
    matching neither; newest first, all before `AT_SUMMER_2026`."""
    from articles import search as reader_search

    world = make_section("World", slug="world")
    stories = [
        make_article(
            headline=f"Drought report {n}",
            section=world,
            body="<p>The drought goes on.</p>" + ("<p>Locusts follow.</p>" if year < 2026 else ""),
            publish_at=datetime(year, month, 1, 12, tzinfo=UTC),
        )
        for n, (year, month) in enumerate(
            ((2026, 6), (2026, 5), (2026, 2), (2025, 7), (2025, 3), (2024, 6), (2024, 1))
        )
    ]
    make_article(
        headline="Harbour news", section=world, publish_at=datetime(2026, 4, 1, tzinfo=UTC)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    reader_search._ARCHIVE.clear()
    reader_search._ESTIMATES.clear()
    yield stories
    reader_search._ARCHIVE.clear()
    reader_search._ESTIMATES.clear()


def _years(newest, oldest):
    return [f"_y{year}" for year in range(newest.year, oldest.year - 1, -1)]


@pytest.mark.postgres
@on_postgres
def test_postgres_a_word_neither_rare_nor_common_is_read_year_by_year_from_the_newest(
    archive_over_three_years, monkeypatch
):
    from articles import search as reader_search

    at = timezone.now()
    first = archive_over_three_years[-1].publish_at
    monkeypatch.setattr(reader_search, "AT_ONCE_UNDER", 2)
    monkeypatch.setattr(reader_search, "WALK_FROM_SHARE", 0.5)
    # PostgreSQL expects: most stories to match, too few to matter, some (stories: 8).
    for expected, matches in (([], 4), ([], 1), (_years(at, first), 3)):
        monkeypatch.setattr(reader_search, "_estimated_matches", lambda query, n=matches: n)
        assert reader_search._years_to_read(at, "drought", None, None) == expected
    since, until = at - timedelta(days=390), at - timedelta(days=370)
    assert reader_search._years_to_read(at, "drought", since, until) == _years(until, since)
    # A date filter reaching before the archive's first story: a story dated there since.
    since = first - timedelta(days=3 * 365)
    assert reader_search._years_to_read(at, "drought", since, None) == _years(at, since)


@pytest.mark.postgres
@on_postgres
def test_postgres_reading_year_by_year_finds_the_same_newest_matches_as_at_once(
    client, archive_over_three_years, monkeypatch
):
    from articles import search as reader_search

    at = AT_SUMMER_2026
    spans = []
    ranking = reader_search._RANKING.fetch

    def spied(**values):
        spans.append(values["years"].count("_y"))
        return ranking(**values)

    monkeypatch.setattr(reader_search._RANKING, "fetch", spied)
    monkeypatch.setattr(reader_search, "_estimated_matches", lambda query: 3)
    monkeypatch.setattr(reader_search, "AT_ONCE_UNDER", 2)
    monkeypatch.setattr(reader_search, "WALK_FROM_SHARE", 0.9)
    every_year = reader_search._years_to_read
    # Pools filling within a year, at a year's end, in an older year, never; a word first
    # found a year back. The years read by each query: the newest alone, then as many as the
    # matches found so far say the pool needs (all the rest when there were none).
    for word, pool, newest, read in (
        ("drought", 2, 2, [1]),
        ("drought", 3, 3, [1]),
        ("drought", 4, 4, [1, 1]),
        ("drought", 20, 7, [1, 2]),
        ("locust", 20, 4, [1, 2]),
    ):
        monkeypatch.setattr(reader_search, "SEARCH_POOL", pool)
        spans.clear()
        by_year = reader_search._ranked_ids(at, word, None, None, None)
        assert spans == read
        monkeypatch.setattr(reader_search, "_years_to_read", lambda *args: [])
        at_once = reader_search._ranked_ids(at, word, None, None, None)
        monkeypatch.setattr(reader_search, "_years_to_read", every_year)
        assert by_year == at_once
        matching = [s for s in archive_over_three_years if word in s.body.lower()]
        assert set(by_year) == {s.pk for s in matching[:newest]}
    # The page itself reads the same way.
    monkeypatch.setattr(reader_search, "SEARCH_POOL", 4)
    spans.clear()
    response = search(client, q="drought")
    assert response.context["results"].total == 4
    assert spans[0] == 1
    assert len(spans) > 1
