"""The draft-leak matrix: no API route or filter shows a story readers may not see (draft, in
review, scheduled, embargoed, expired, withdrawn), anonymously or with a read:published token;
nor a tag, author or source known only from such stories."""

import pytest

from tests.articles.public_helpers import HIDDEN

from .conftest import bearer

HIDDEN_SLUG = HIDDEN.lower()


def list_urls(newsroom):
    section, author, source = newsroom["section"], newsroom["author"], newsroom["source"]
    filters = [
        "",
        f"section={section.slug}",
        "tag=zanzibar",
        f"author={author.slug}",
        f"source={source.slug}",
        "updated_since=2000-01-01T00:00:00Z",
        "q=Zanzibar",
        f"q={HIDDEN}",
        f"tag={HIDDEN_SLUG}tag",
        f"author={HIDDEN_SLUG}-author",
        f"source={HIDDEN_SLUG}-source",
        "limit=100",
    ]
    urls = []
    for route in ("/api/v1/articles/", "/api/v1/ninjs/"):
        urls += [f"{route}?{query}" if query else route for query in filters]
    urls += [
        "/api/v1/sections/",
        "/api/v1/tags/",
        "/api/v1/authors/",
        "/api/v1/sources/",
        "/api/v1/corrections/",
        f"/api/v1/authors/{author.slug}/",
        f"/api/v1/articles/{newsroom['live'].pk}/",
        f"/api/v1/articles/{newsroom['live'].pk}/ninjs",
    ]
    return urls


@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "read-published"])
def test_no_route_or_filter_shows_a_hidden_story_or_its_names(
    client, newsroom, published_token, with_token
):
    headers = bearer(published_token if with_token else None)
    for url in list_urls(newsroom):
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        assert HIDDEN.encode() not in response.content, url
    # The live story itself is there: the routes do show what readers may see.
    listed = client.get("/api/v1/articles/?tag=zanzibar", **headers).json()["items"]
    assert {item["id"] for item in listed} == {newsroom["live"].pk, newsroom["other_live"].pk}


@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "read-published"])
def test_hidden_stories_by_id_are_not_found_or_gone(client, newsroom, published_token, with_token):
    headers = bearer(published_token if with_token else None)
    expected = {
        "draft": 404,
        "in_review": 404,
        "scheduled": 404,
        "embargoed": 404,
        "expired": 410,
        "withdrawn": 410,
    }
    for state, story in newsroom["hidden"].items():
        for suffix in ("", "ninjs"):
            response = client.get(f"/api/v1/articles/{story.pk}/{suffix}", **headers)
            assert response.status_code == expected[state], (state, suffix)
            assert HIDDEN.encode() not in response.content
            if expected[state] == 410:
                assert response.json()["id"] == story.pk


def test_an_author_known_only_from_hidden_stories_has_no_entry(client, newsroom):
    response = client.get(f"/api/v1/authors/{HIDDEN_SLUG}-author/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_drafts_token_reads_hidden_stories_by_id_but_lists_stay_public(
    client, newsroom, drafts_token
):
    headers = bearer(drafts_token)
    for state in ("draft", "in_review", "scheduled", "embargoed"):
        story = newsroom["hidden"][state]
        response = client.get(f"/api/v1/articles/{story.pk}/", **headers)
        assert response.status_code == 200, state
        assert response.json()["headline"] == story.headline
        assert response.json()["url"] is None
        assert "no-store" in response["Cache-Control"]
        ninjs = client.get(f"/api/v1/articles/{story.pk}/ninjs", **headers).json()
        assert ninjs["pubStatus"] == "withheld"
    for state in ("expired", "withdrawn"):
        story = newsroom["hidden"][state]
        assert client.get(f"/api/v1/articles/{story.pk}/", **headers).status_code == 410
    for url in list_urls(newsroom):
        response = client.get(url, **headers)
        assert HIDDEN.encode() not in response.content, url


def test_related_stories_are_only_live_ones(client, newsroom):
    story = client.get(f"/api/v1/articles/{newsroom['live'].pk}/").json()
    assert [related["id"] for related in story["related"]] == [newsroom["other_live"].pk]
