"""Nothing a reader may not see appears on any public page, feed, sitemap or JSON-LD."""

import pytest
from django.urls import reverse

from .public_helpers import HIDDEN, json_ld, visibility_newsroom


@pytest.fixture
def newsroom(db):
    return visibility_newsroom()


def public_urls(newsroom):
    section, author, source = newsroom["section"], newsroom["author"], newsroom["source"]
    slug = {"slug": "zanzibar"}
    return [
        "/",
        section.get_absolute_url(),
        reverse("articles:tag", kwargs=slug),
        author.get_absolute_url(),
        source.get_absolute_url(),
        reverse("articles:search") + "?q=Zanzibar",
        reverse("articles:corrections"),
        newsroom["live"].get_absolute_url(),
        reverse("articles:latest_rss"),
        reverse("articles:latest_atom"),
        reverse("articles:section_rss", kwargs={"slug": section.slug}),
        reverse("articles:section_atom", kwargs={"slug": section.slug}),
        reverse("articles:tag_rss", kwargs=slug),
        reverse("articles:tag_atom", kwargs=slug),
        reverse("authors:feed_rss", kwargs={"slug": author.slug}),
        reverse("authors:feed_atom", kwargs={"slug": author.slug}),
        reverse("sitemap"),
        reverse("sitemap_section", kwargs={"section": "articles"}),
        reverse("articles:news_sitemap"),
    ]


def test_every_public_page_shows_the_live_story_and_none_of_the_hidden_ones(client, newsroom):
    for url in public_urls(newsroom):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert HIDDEN not in body, f"an unpublished story leaks on {url}"
        for article in newsroom["hidden"].values():
            assert article.slug not in body, f"{article.slug} leaks on {url}"


def test_pages_that_list_stories_do_list_the_live_one(client, newsroom):
    """The leak test above would pass on empty pages; these pages must show the live story."""
    live = newsroom["live"]
    for url in public_urls(newsroom):
        if "sitemap.xml" in url and "articles" not in url and "news" not in url:
            continue  # the index lists sitemaps, not stories
        if url == live.get_absolute_url():
            continue
        assert live.slug in client.get(url).content.decode(), url


def test_related_stories_and_json_ld_never_include_hidden_stories(client, newsroom):
    response = client.get(newsroom["live"].get_absolute_url())
    related = response.context["related"]
    assert [a.headline for a in related] == ["Zanzibar spice harvest begins"]
    for data in json_ld(response.content.decode()):
        assert HIDDEN not in str(data)


@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled", "embargoed"])
def test_an_unpublished_story_s_own_address_is_not_found(client, newsroom, state):
    article = newsroom["hidden"][state]
    assert client.get(article.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("state", ["expired", "withdrawn"])
def test_a_withdrawn_or_expired_story_s_address_is_gone(client, newsroom, state):
    response = client.get(newsroom["hidden"][state].get_absolute_url())
    assert response.status_code == 410
    assert "no longer available" in response.content.decode()
    assert HIDDEN not in response.content.decode()


def test_search_finds_no_hidden_story_even_by_its_own_words(client, newsroom):
    response = client.get(reverse("articles:search"), {"q": HIDDEN})
    assert response.status_code == 200
    assert response.context["page"].items == []
    assert "No published stories match" in response.content.decode()


def test_corrections_page_lists_only_corrections_of_live_stories(client, newsroom):
    response = client.get(reverse("articles:corrections"))
    texts = [c.text for c in response.context["page"].items]
    assert texts == ["An earlier version misdated the timetable."]
