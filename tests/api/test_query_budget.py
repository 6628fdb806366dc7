"""Queries per API answer stay the same however many stories, tags, bylines and sources it
shows. Uncached, with public querysets in FETCH_RAISE mode: a lazy load (one query per item)
fails the test."""

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.db.models import FETCH_RAISE
from django.test.utils import CaptureQueriesContext

from articles.models import ArticleSource, Byline, Correction, RelatedArticle
from tests.articles.public_helpers import make_picture
from tests.factories import make_article, make_author, make_section, make_source

LIST_BUDGET = 2
STORY_BUDGET = 4


@pytest.fixture(autouse=True)
def strict_and_uncached(settings):
    settings.NEWSROOM_FETCH_MODE = FETCH_RAISE
    settings.NEWSROOM_PAGE_CACHE = False
    settings.NEWSROOM_API_RATE_ANONYMOUS = 0


def queries_for(client, url):
    client.get(url)  # once-per-process look-ups (content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(captured.captured_queries)


def newsroom_of(n):
    """``n`` stories, each with ``n`` tags, bylines (with portraits), sources, corrections
    and related stories, and a lead picture."""
    section = make_section()
    stories = []
    for _ in range(n):
        story = make_article(
            section=section, tags=[f"Topic {j}" for j in range(n)], lead_image=make_picture()
        )
        for j in range(n):
            author = make_author(photo=make_picture("Portrait"))
            Byline.objects.create(article=story, author=author, position=j)
            ArticleSource.objects.create(article=story, source=make_source(), position=j)
            Correction.objects.create(article=story, text=f"Correction {j}")
            if stories:
                RelatedArticle.objects.get_or_create(
                    article=story, related=stories[j % len(stories)]
                )
        stories.append(story)
    return stories


def second_page(client, url):
    """The path and query of the list's `next` URL."""
    following = urlsplit(client.get(url).json()["next"])
    return f"{following.path}?{following.query}"


def counts(client, story):
    """[(URL, queries)] for every route, the story lists filtered and on their second page
    too (the cursor's condition), in the newsroom ``story`` belongs to."""
    lists = [
        "/api/v1/articles/?limit=1",
        f"/api/v1/articles/?limit=1&section={story.section.slug}",
        "/api/v1/articles/?limit=1&tag=topic-0",
        f"/api/v1/articles/?limit=1&section={story.section.slug}&tag=topic-0",
        "/api/v1/ninjs/?limit=1",
    ]
    urls = [
        "/api/v1/articles/",
        *lists,
        *(second_page(client, url) for url in lists),
        f"/api/v1/articles/{story.pk}/",
        f"/api/v1/articles/{story.pk}/ninjs",
        "/api/v1/ninjs/",
        "/api/v1/tags/",
        "/api/v1/authors/",
        "/api/v1/sources/",
        "/api/v1/corrections/",
        "/api/v1/sections/",
    ]
    return [(url, queries_for(client, url)) for url in urls]


def test_answers_cost_the_same_with_two_or_eight_of_everything(client, db):
    few = counts(client, newsroom_of(2)[-1])
    many = counts(client, newsroom_of(8)[-1])
    assert [n for _url, n in many] == [n for _url, n in few]
    for url, n in many:
        path = urlsplit(url).path
        one_story = path.startswith("/api/v1/articles/") and path != "/api/v1/articles/"
        budget = STORY_BUDGET if one_story else LIST_BUDGET
        # One look-up for each slug filter (its id, before the stories are read).
        budget += sum(f"{name}=" in url for name in ("section", "tag", "author", "source"))
        assert n <= budget, (url, n)
