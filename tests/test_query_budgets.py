"""Query budgets: an article page at most 4 queries, a listing at most 5, whatever it shows.

Pages render uncached, for an anonymous reader, with public querysets in Django 6.1's
FETCH_RAISE mode, so any relation loaded lazily (one query per story) fails the test.
"""

import pytest
from django.db import connection
from django.db.models import FETCH_RAISE
from django.test.utils import CaptureQueriesContext

from articles.models import ArticleSource, Byline, RelatedArticle
from tests.articles.public_helpers import make_picture
from tests.factories import make_article, make_author, make_section, make_source

ARTICLE_BUDGET = 4
LISTING_BUDGET = 5


@pytest.fixture(autouse=True)
def strict_and_uncached(settings):
    settings.NEWSROOM_FETCH_MODE = FETCH_RAISE
    settings.NEWSROOM_PAGE_CACHE = False


def queries_for(client, url):
    client.get(url)  # once-per-process look-ups (content types, the next scheduled change)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured.captured_queries]


def story_with(n, section):
    """A story with ``n`` tags, bylines, sources and related stories."""
    article = make_article(
        section=section, tags=[f"Topic {i}" for i in range(n)], lead_image=make_picture()
    )
    for i in range(n):
        author = make_author(photo=make_picture("Portrait"))
        Byline.objects.create(article=article, author=author, position=i)
        ArticleSource.objects.create(article=article, source=make_source(), position=i)
        other = make_article(section=section, tags=["Topic 0"], lead_image=make_picture())
        RelatedArticle.objects.create(article=article, related=other, position=i)
    return article


def listing_urls(section, author, source):
    return {
        "home": "/",
        "section": section.get_absolute_url(),
        "tag": "/tags/harbours/",
        "author": author.get_absolute_url(),
        "source": source.get_absolute_url(),
        "search": "/search/?q=harbours",
        "latest feed": "/feeds/latest/rss/",
        "news sitemap": "/news-sitemap.xml",
    }


def listing_of(n, section, author, source):
    for i in range(n):
        article = make_article(
            headline=f"Harbours story {i}",
            section=section,
            tags=["Harbours", f"Port {i}"],
            lead_image=make_picture(),
        )
        Byline.objects.create(article=article, author=author, position=0)
        Byline.objects.create(article=article, author=make_author(), position=1)
        ArticleSource.objects.create(article=article, source=source)


def test_article_page_costs_the_same_with_one_or_twenty_of_everything(client, db):
    section = make_section()
    one = queries_for(client, story_with(1, section).get_absolute_url())
    twenty = queries_for(client, story_with(20, section).get_absolute_url())
    assert len(twenty) == len(one)


def test_listings_cost_the_same_with_one_or_twenty_stories(client, db):
    section, author, source = make_section(), make_author(), make_source()
    listing_of(1, section, author, source)
    few = {
        name: len(queries_for(client, url))
        for name, url in listing_urls(section, author, source).items()
    }
    listing_of(19, section, author, source)
    many = {
        name: len(queries_for(client, url))
        for name, url in listing_urls(section, author, source).items()
    }
    assert many == few


def test_article_page_stays_within_its_budget(client, db):
    queries = queries_for(client, story_with(5, make_section()).get_absolute_url())
    assert len(queries) <= ARTICLE_BUDGET, "\n\n".join(q[:160] for q in queries)


def test_listings_stay_within_their_budget(client, db):
    section, author, source = make_section(), make_author(), make_source()
    listing_of(5, section, author, source)
    over = {}
    for name, url in listing_urls(section, author, source).items():
        queries = queries_for(client, url)
        if len(queries) > LISTING_BUDGET:
            over[name] = len(queries)
    assert not over, over
