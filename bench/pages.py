"""Pick the benchmarked pages from the generated newsroom and count each one's queries.

Run by `bench/run.py` with the benchmark's environment; prints one JSON object:
{"pages": {name: url}, "queries": {name: {"uncached": n, "cached": n}}, "status": {...}}.
Queries are counted on a second request (the first one opens the connection and fills the
once-per-process look-ups), uncached with the page cache switched off, cached with it on.
"""

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from taggit.models import Tag, TaggedItem  # noqa: E402

from api import cursors  # noqa: E402
from api.queries import NEWEST_FIRST  # noqa: E402
from articles.models import Article, Byline  # noqa: E402
from authors.models import Author  # noqa: E402


def busiest_recent_article():
    """Among the newest stories, the one with the most tags, bylines and sources."""
    recent = list(Article.objects.published().order_by("-publish_at")[:200])
    pks = [a.pk for a in recent]
    tags = dict(Article.objects.filter(pk__in=pks).annotate(n=Count("tags")).values_list("pk", "n"))
    bylines = dict(
        Article.objects.filter(pk__in=pks).annotate(n=Count("bylines")).values_list("pk", "n")
    )
    return max(recent, key=lambda a: (tags.get(a.pk, 0) + bylines.get(a.pk, 0), a.publish_at))


def rarest_recent_article():
    """Among the newest stories with tags, the one whose tags other stories use least: its
    related stories cannot be found by walking the newest stories until a few match."""
    recent = list(Article.objects.published().filter(tags__isnull=False).distinct()[:200])
    items = TaggedItem.objects.filter(object_id__in=[a.pk for a in recent])
    uses = dict(
        Tag.objects.filter(pk__in=items.values("tag_id"))
        .annotate(n=Count("taggit_taggeditem_items"))
        .values_list("pk", "n")
    )
    most_used = {}
    for object_id, tag_id in items.values_list("object_id", "tag_id"):
        most_used[object_id] = max(most_used.get(object_id, 0), uses[tag_id])
    return min(recent, key=lambda a: most_used[a.pk])


def pages():
    if connection.vendor == "postgresql":
        # Picking the pages counts tag and byline uses over the whole archive: at a million
        # stories, on a cold cache, that can outlast the statement timeout public pages have.
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
    article = busiest_recent_article()
    lonely = rarest_recent_article()
    section = article.section
    # The most used tag and the most prolific author: the heaviest listings of their kind.
    tag = Tag.objects.get(pk=busiest("tag_id", article_tag_ids(article)))
    author = Author.objects.get(
        pk=busiest("author_id", Byline.objects.filter(article=article).values("author_id"))
    )
    # The API's second page, and a page from the middle of the archive (what a client
    # following `next` to the end reaches).
    second_page = api_page_after(20)
    archive_middle = api_page_after(Article.objects.published().count() // 2)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")  # the pages themselves keep theirs
    return {
        "home": "/",
        "article": article.get_absolute_url(),
        "article (rare topic)": lonely.get_absolute_url(),
        "section": section.get_absolute_url(),
        "tag": f"/tags/{tag.slug}/",
        "author": author.get_absolute_url(),
        "search": "/search/?q=drought",
        "search (common word)": "/search/?q=nato",
        "latest feed": "/feeds/latest/rss/",
        "news sitemap": "/news-sitemap.xml",
        "api articles": "/api/v1/articles/",
        "api articles (tag)": f"/api/v1/articles/?tag={tag.slug}",
        "api articles (section)": f"/api/v1/articles/?section={section.slug}",
        "api articles (page 2)": second_page,
        "api articles (archive middle)": archive_middle,
        "api article": f"/api/v1/articles/{article.pk}/",
        "api ninjs": f"/api/v1/articles/{article.pk}/ninjs",
        "api ninjs list": "/api/v1/ninjs/",
    }


def api_page_after(n):
    """The API's story list from the ``n``th newest live story on, as its `next` URL is."""
    last = Article.objects.published().order_by(*NEWEST_FIRST)[n - 1]
    cursor = cursors.make("stories", [last.publish_at.isoformat(), last.pk])
    return f"/api/v1/articles/?{urlencode({'cursor': cursor})}"


def article_tag_ids(article):
    return article.tags.through.objects.filter(object_id=article.pk).values("tag_id")


def busiest(field, candidates):
    """Of ``candidates``, the tag or author with the most stories (counted on a sample)."""
    ids = [row[field] for row in candidates]
    if field == "tag_id":
        model = Tag.objects.filter(pk__in=ids).annotate(n=Count("taggit_taggeditem_items"))
    else:
        model = Author.objects.filter(pk__in=ids).annotate(n=Count("bylines"))
    return model.order_by("-n").values_list("pk", flat=True).first()


def count_queries(client, url):
    client.get(url, HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_HOST="127.0.0.1")
    return len(captured), response.status_code


def main():
    found = pages()
    if only := os.environ.get("BENCH_ONLY"):
        found = {name: url for name, url in found.items() if name.startswith(only)}
    queries, status = {}, {}
    client = Client()
    for name, url in found.items():
        with override_settings(NEWSROOM_PAGE_CACHE=False):
            uncached, code = count_queries(client, url)
        with override_settings(NEWSROOM_PAGE_CACHE=True):
            cached, _ = count_queries(client, url)
        queries[name] = {"uncached": uncached, "cached": cached}
        status[name] = code
    print(json.dumps({"pages": found, "queries": queries, "status": status}))


if __name__ == "__main__":
    main()
