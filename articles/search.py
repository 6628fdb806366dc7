"""Reader search: PostgreSQL full text with a stored, weighted vector; a plain fallback elsewhere.

The vector (headline A, standfirst and tags B, body C, author names D) lives in
`Article.search_vector`, has a GIN index (migration 0004+, PostgreSQL only) and is rebuilt when
the article is saved, its tags change, its bylines change or a credited author is renamed.
On SQLite search is a case-insensitive substring match, unranked.
"""

import html
import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import F, Func, Q, Value
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

from authors.models import Author

from .models import Article, Byline

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
# How many of the newest matching stories a search ranks (25 pages of 20). Ranking reads each
# candidate's search vector: the cost grows with this number, not with the archive. The last
# page says so, and the date filters reach further back. (A smaller pool is not cheaper: the
# planner then walks the publish-time index testing every story, slow for a less common word.)
SEARCH_POOL = 500
# Markers no article contains, turned into <mark> after the snippet is escaped.
_START, _STOP = "\x02", "\x03"


def uses_full_text():
    return connection.vendor == "postgresql"


def update_search_vector(article_id):
    """Rebuild one article's stored vector from its current text, tags and authors."""
    if not uses_full_text():
        return
    article = Article.objects.filter(pk=article_id).values("headline", "dek", "body").first()
    if article is None:
        return
    tags = " ".join(
        name
        for name in Article.objects.filter(pk=article_id).values_list("tags__name", flat=True)
        if name
    )
    authors = " ".join(
        Byline.objects.filter(article_id=article_id).values_list("author__name", flat=True)
    )

    def weighted(text, weight):
        return SearchVector(Value(text), weight=weight, config=SEARCH_CONFIG)

    Article.objects.filter(pk=article_id).update(
        search_vector=weighted(article["headline"], "A")
        + weighted(strip_tags(article["dek"]), "B")
        + weighted(tags, "B")
        + weighted(html.unescape(strip_tags(article["body"])), "C")
        + weighted(authors, "D")
    )


@receiver(post_save, sender=Article, dispatch_uid="search_article_saved")
def _article_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        update_search_vector(instance.pk)


@receiver(m2m_changed, sender=Article.tags.through, dispatch_uid="search_tags_changed")
def _tags_changed(sender, instance, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Article):
        update_search_vector(instance.pk)


@receiver(post_save, sender=Byline, dispatch_uid="search_byline_saved")
@receiver(post_delete, sender=Byline, dispatch_uid="search_byline_deleted")
def _byline_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        update_search_vector(instance.article_id)


@receiver(post_save, sender=Author, dispatch_uid="search_author_saved")
def _author_saved(sender, instance, created, raw=False, **kwargs):
    if created or raw or not uses_full_text():
        return
    for article_id in Byline.objects.filter(author=instance).values_list("article_id", flat=True):
        update_search_vector(article_id)


def clean_query(raw):
    """(query, was_cut): whitespace collapsed, cut to MAX_QUERY_LENGTH characters."""
    query = " ".join((raw or "").split())
    if len(query) > MAX_QUERY_LENGTH:
        return query[:MAX_QUERY_LENGTH].rstrip(), True
    return query, False


def search(queryset, query):
    """Filter and order a published queryset by ``query``; each result gets ``snippet``.

    Returns a queryset: ranked with highlighted snippets on PostgreSQL, newest first elsewhere.
    """
    if uses_full_text():
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        plain_body = Func(
            F("body"), Value("<[^>]+>"), Value(" "), Value("g"), function="regexp_replace"
        )
        # Rank only the newest matches: a word found in every story would otherwise rank the
        # whole archive on each search. Results are bounded to SEARCH_POOL stories.
        newest = (
            queryset.filter(search_vector=search_query)
            .order_by("-publish_at", "-id")
            .values("pk")[:SEARCH_POOL]
        )
        return (
            queryset.filter(pk__in=newest)
            .annotate(
                rank=SearchRank(F("search_vector"), search_query),
                raw_snippet=SearchHeadline(
                    plain_body,
                    search_query,
                    config=SEARCH_CONFIG,
                    start_sel=_START,
                    stop_sel=_STOP,
                    # One passage around the best match: picking two fragments made
                    # PostgreSQL work through each body twice as long.
                    max_words=35,
                    min_words=15,
                ),
            )
            .order_by("-rank", "-publish_at", "-id")
        )
    return queryset.filter(_every_word(query.split())).order_by("-publish_at", "-id")


def _every_word(words):
    """Without full-text search: each word somewhere in the headline, standfirst, body, tags
    or author names."""
    matches = Q()
    for word in words[:10]:
        matches &= (
            Q(headline__icontains=word)
            | Q(dek__icontains=word)
            | Q(body__icontains=word)
            | Q(pk__in=Article.objects.filter(tags__name__icontains=word).values("pk"))
            | Q(pk__in=Byline.objects.filter(author__name__icontains=word).values("article_id"))
        )
    return matches


def editor_search(queryset, term):
    """The admin's article search, for every state: each word of ``term`` as a word prefix
    ("droug" finds "drought") in the headline, standfirst, body, tags or author names. On
    PostgreSQL through the full-text index (a substring search reads every story's body and,
    at a million stories, outlasts the statement timeout); by substring elsewhere."""
    words = re.findall(r"\w+", term)[:10]
    if not words:
        return queryset
    if uses_full_text():
        prefixes = SearchQuery(
            " & ".join(f"{word}:*" for word in words), search_type="raw", config=SEARCH_CONFIG
        )
        return queryset.filter(search_vector=prefixes)
    return queryset.filter(_every_word(words))


def snippet(article):
    """The highlighted excerpt as safe HTML (PostgreSQL), else the escaped standfirst."""
    raw = getattr(article, "raw_snippet", None)
    if not raw:
        return escape(strip_tags(article.dek))
    text = escape(html.unescape(raw))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above
