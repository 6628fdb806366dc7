"""Every public route answers 200, 301, 404 or 410 as readers and crawlers expect."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from articles.models import ArticleRedirect
from tests.factories import make_article, make_author, make_section, make_source


@pytest.fixture
def story(db):
    return make_article(
        headline="Harbour reopens after storm",
        section=make_section("World", slug="world"),
        tags=["Weather"],
        authors=[make_author("Ana Lee")],
        sources=[make_source("Nikkei Asia")],
    )


def test_every_public_route_answers_200(client, story):
    urls = [
        "/",
        "/world/",
        story.get_absolute_url(),
        "/tags/weather/",
        "/authors/ana-lee/",
        "/sources/nikkei-asia/",
        "/search/",
        "/search/?q=harbour",
        "/corrections/",
        "/feeds/latest/rss/",
        "/feeds/latest/atom/",
        "/feeds/sections/world/rss/",
        "/feeds/tags/weather/atom/",
        "/feeds/authors/ana-lee/rss/",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/sitemap-sections.xml",
        "/sitemap-tags.xml",
        "/sitemap-authors.xml",
        "/news-sitemap.xml",
        "/robots.txt",
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/no-such-section/",
        "/tags/no-such-tag/",
        "/authors/nobody/",
        "/sources/nobody/",
        "/world/2026/01/01/no-such-story/",
        "/feeds/sections/no-such-section/rss/",
        "/feeds/authors/nobody/atom/",
        "/world/2026/1/1/harbour-reopens-after-storm/",
    ],
)
def test_unknown_addresses_get_the_styled_not_found_page(client, story, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


def test_article_url_carries_its_first_publication_date_in_the_newsroom_zone(db):
    # 23:30 UTC on 28 March is already 29 March in Berlin (00:30 CET).
    first = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 3, 29, 12, 0, tzinfo=UTC), tick=False):
        article = make_article(
            headline="Clocks go forward",
            section=make_section(slug="world"),
            publish_at=first,
            first_published_at=first,
        )
        assert article.get_absolute_url() == "/world/2026/03/29/clocks-go-forward/"


def test_a_live_story_under_a_wrong_date_or_section_redirects_to_its_address(client, story):
    """Our choice: a wrong date or section for a live story is a 301, not a 404."""
    right = story.get_absolute_url()
    for wrong in [
        "/politics/2001/01/01/harbour-reopens-after-storm/",
        right.replace("/world/", "/business/"),
    ]:
        response = client.get(wrong)
        assert response.status_code == 301
        assert response["Location"] == right


def test_changing_a_published_story_s_slug_keeps_the_old_address_answering_301(client, story):
    old = story.get_absolute_url()
    story.slug = "harbour-reopens-after-the-storm"
    story.save()

    response = client.get(old)

    assert response.status_code == 301
    assert response["Location"] == story.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200


def test_moving_a_published_story_to_another_section_redirects_the_old_address(client, story):
    old = story.get_absolute_url()
    story.section = make_section("Business", slug="business")
    story.save()

    response = client.get(old)

    assert response.status_code == 301
    assert response["Location"].startswith("/business/")


def test_moving_a_story_back_to_an_earlier_slug_serves_it_there_again(client, story):
    first = story.get_absolute_url()
    story.slug = "second-slug"
    story.save()
    story.slug = "harbour-reopens-after-storm"
    story.save()

    assert client.get(first).status_code == 200
    assert not ArticleRedirect.objects.filter(old_path=first).exists()
    assert (
        client.get(
            "/world/"
            + first.split("/world/")[1].replace("harbour-reopens-after-storm", "second-slug")
        ).status_code
        == 301
    )


def test_renaming_a_draft_records_no_redirect(db):
    draft = make_article(headline="Not yet", status="draft")
    draft.slug = "still-not-yet"
    draft.save()
    assert not ArticleRedirect.objects.exists()


def test_an_old_address_of_a_story_since_withdrawn_is_gone(client, story):
    old = story.get_absolute_url()
    story.slug = "renamed"
    story.save()
    story.status = "withdrawn"
    story.save()
    assert client.get(old).status_code == 410


@pytest.mark.parametrize(
    "page", ["0", "-1", "abc", "1.5", "99999999999999999999999", "١", "", "10001"]
)
@pytest.mark.parametrize(
    "url", ["/", "/world/", "/tags/weather/", "/authors/ana-lee/", "/corrections/", "/search/?q=x"]
)
def test_a_bad_page_number_is_not_found_never_a_server_error(client, story, url, page):
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}page={page}")
    if url == "/":
        assert response.status_code == 200  # the front page has no pages
    else:
        assert response.status_code == 404


def test_a_page_past_the_end_is_not_found(client, story):
    assert client.get("/world/?page=2").status_code == 404


def test_listings_are_paginated_with_the_configured_page_size(client, settings, db):
    settings.NEWSROOM_PAGE_SIZE = 3
    section = make_section(slug="culture")
    for n in range(7):
        make_article(headline=f"Review number {n}", section=section)

    first = client.get("/culture/")
    third = client.get("/culture/?page=3")

    assert len(first.context["page"].items) == 3
    assert first.context["page"].has_next
    assert 'rel="next" href="?page=2"' in first.content.decode()
    assert len(third.context["page"].items) == 1
    assert not third.context["page"].has_next
    assert client.get("/culture/?page=4").status_code == 404


def test_robots_txt_lists_both_sitemaps_at_the_site_url(client, db):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://news.example/sitemap.xml" in body
    assert "Sitemap: https://news.example/news-sitemap.xml" in body


def test_renaming_a_section_keeps_its_stories_old_addresses_answering_301(client, story):
    old = story.get_absolute_url()
    section = story.section
    section.slug = "international"
    section.save()
    story.refresh_from_db()

    response = client.get(old)

    assert response.status_code == 301
    assert response["Location"] == story.get_absolute_url()
    assert response["Location"].startswith("/international/")


def test_a_renamed_sections_old_front_page_moves_permanently_to_the_new_one(
    client, db, django_capture_on_commit_callbacks
):
    section = make_section("World", slug="world")
    make_article(section=section)
    section.slug = "international"
    with django_capture_on_commit_callbacks(execute=True):  # the purge runs after commit
        section.save()

    response = client.get("/world/")

    assert response.status_code == 301
    assert response["Location"] == "/international/"
    assert client.get("/international/").status_code == 200
    section.slug = "world"
    with django_capture_on_commit_callbacks(execute=True):
        section.save()
    assert client.get("/world/").status_code == 200
    assert client.get("/international/").status_code == 301


def test_a_tag_author_or_source_known_only_from_unpublished_stories_is_not_found(client, db):
    from articles.models import Article

    make_article(
        headline="Merger talks, still embargoed",
        status=Article.Status.DRAFT,
        tags=["Secret merger"],
        authors=[make_author("Hidden Writer")],
        sources=[make_source("Insider Letter")],
    )
    for url in [
        "/tags/secret-merger/",
        "/authors/hidden-writer/",
        "/sources/insider-letter/",
        "/feeds/tags/secret-merger/rss/",
        "/feeds/authors/hidden-writer/atom/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Secret merger" not in response.content, url


PUBLIC_URLS = [
    "/",
    "/world/",
    "/tags/weather/",
    "/authors/ana-lee/",
    "/sources/nikkei-asia/",
    "/search/?q=harbour",
    "/corrections/",
    "/feeds/latest/rss/",
    "/feeds/sections/world/atom/",
    "/feeds/authors/ana-lee/rss/",
    "/news-sitemap.xml",
    "/sitemap.xml",
    "/robots.txt",
]


@pytest.mark.parametrize("method", ["options", "trace", "post", "put", "delete", "patch"])
def test_public_pages_refuse_methods_other_than_get_and_head_with_405(client, story, method):
    strict = Client(enforce_csrf_checks=True)  # as a browser or a script meets the site
    for url in [*PUBLIC_URLS, story.get_absolute_url()]:
        response = getattr(strict, method)(url)
        assert response.status_code == 405, (method, url)
        assert response["Allow"] == "GET, HEAD", (method, url)
        assert client.head(url).status_code == 200, url
