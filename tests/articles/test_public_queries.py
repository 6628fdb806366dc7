"""Each public page costs a fixed, small number of queries, however much content there is.

Pages render with the fetch mode FETCH_RAISE (Django 6.1): any relation the views forgot to
load up front raises instead of quietly costing one query per story.
"""

import pytest
from django.db import connection
from django.db.models import FETCH_RAISE
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import ArticleSource, Byline, Correction, RelatedArticle
from tests.factories import make_article, make_author, make_section, make_source

from .public_helpers import make_picture

# Upper bounds per page type, for an anonymous reader (no session, no auth queries).
BUDGET = {
    "home": 6,
    # The story with its sources, corrections and tags; its bylines; the related stories an
    # editor picked; the stories sharing a tag (`ArticleQuerySet.for_detail`).
    "article": 4,
    "section": 5,
    "tag": 5,
    "author": 6,
    "source": 5,
    "search": 6,
    "corrections": 3,
    "feed": 6,
    "sitemap": 2,
    "news_sitemap": 1,
}


@pytest.fixture(autouse=True)
def strict_loading(settings):
    settings.NEWSROOM_FETCH_MODE = FETCH_RAISE
    settings.NEWSROOM_PAGE_CACHE = False


@pytest.fixture
def world(db):
    section = make_section("World", slug="world")
    return {
        "section": section,
        "author": make_author("Ana Lee", photo=make_picture("Portrait of Ana Lee")),
        "source": make_source("Nikkei Asia"),
    }


def add_stories(world, count):
    stories = []
    for n in range(count):
        article = make_article(
            headline=f"Story about harbours number {n} {len(stories)}",
            section=world["section"],
            tags=["Harbours", f"Topic {n % 3}"],
            lead_image=make_picture(f"Picture {n}"),
            kicker="Analysis" if n % 2 else "",
            featured=n == 0,
        )
        Byline.objects.create(article=article, author=world["author"], position=0)
        Byline.objects.create(
            article=article,
            author=make_author(photo=make_picture("Portrait")),
            role=Byline.Role.PHOTOS,
            position=1,
        )
        ArticleSource.objects.create(article=article, source=world["source"])
        Correction.objects.create(article=article, text=f"Fixed a name in story {n}.")
        if stories:
            RelatedArticle.objects.create(article=article, related=stories[-1])
        stories.append(article)
    return stories


def page_urls(world, story):
    return {
        "home": "/",
        "article": story.get_absolute_url(),
        "section": world["section"].get_absolute_url(),
        "tag": reverse("articles:tag", kwargs={"slug": "harbours"}),
        "author": world["author"].get_absolute_url(),
        "source": world["source"].get_absolute_url(),
        "search": reverse("articles:search") + "?q=harbours",
        "corrections": reverse("articles:corrections"),
        "feed": reverse("articles:section_atom", kwargs={"slug": "world"}),
        "sitemap": reverse("sitemap_section", kwargs={"section": "articles"}),
        "news_sitemap": reverse("articles:news_sitemap"),
    }


def count_queries(client, url):
    client.get(url)  # warm: the navigation and the next scheduled change are cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_query_count_per_page_is_small_and_does_not_grow_with_content(client, world):
    few = add_stories(world, 2)
    small = {name: count_queries(client, url) for name, url in page_urls(world, few[-1]).items()}

    many = add_stories(world, 15)
    large = {name: count_queries(client, url) for name, url in page_urls(world, many[-1]).items()}

    assert large == small
    for name, count in large.items():
        assert count <= BUDGET[name], f"{name}: {count} queries"


def test_public_querysets_refuse_lazy_loads_under_the_strict_fetch_mode(world):
    """Guards the guard: the setting the pages render under really blocks lazy loading."""
    from django.core.exceptions import FieldFetchBlocked

    from articles.models import Article
    from tests.factories import make_user

    add_stories(world, 1)
    Article.objects.update(created_by=make_user(role=None))
    [article] = Article.objects.published().for_listing()

    assert article.section.name == "World"  # joined up front
    with pytest.raises(FieldFetchBlocked):
        article.created_by  # noqa: B018 - not loaded by for_listing()
