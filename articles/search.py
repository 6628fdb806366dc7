"""Reader search: ranked PostgreSQL full text over a stored, weighted vector; a plain fallback
elsewhere.

The vector (headline A, standfirst and tags B, body C, author names D) lives in
`Article.search_vector` and is rebuilt when the article is saved, its tags change, its bylines
change, a credited author is renamed or one of its tags is renamed. Its GIN index (migration
`search_index_by_year`, PostgreSQL only) also files each story under its year of publication,
so a search reads the newest years' matches first (`_newest_matches`). The index is made by the
migration rather than declared in `Article.Meta.indexes`: SQLite has no GIN indexes, and Django
recreates a model's declared indexes whenever it rebuilds the table there.

A search ranks the newest `SEARCH_POOL` matches, most relevant first, and highlights the
passage of each story on the page. On SQLite it matches each word as a substring, newest
first, unranked, and highlights the first passage of the body holding one of the words.
"""

import contextlib
import functools
import html
import logging
import math
import operator
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryCombinable,
    SearchQueryField,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connection, transaction
from django.db.models import F, Func, Q, Value
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.tasks import task
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from taggit.models import Tag, TaggedItem

from authors.models import Author

from .caching import SEARCH, purge_keys
from .models import Article, Byline
from .pagination import Page, page_size, paginate
from .revisions import readable_text

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
# How many of the newest matching stories a search ranks (10 pages of 20). The last page says
# so, and the date filters reach further back.
SEARCH_POOL = 200
# A highlighted passage: about as long as a standfirst (PostgreSQL's own defaults).
PASSAGE_WORDS = 35
# Markers no article contains, turned into <mark> after the passage is escaped.
_START, _STOP = "\x02", "\x03"
# Markup blanked out of a body before a passage is picked from it, the same on both databases.
_TAG = r"<[^>]*>"


def uses_full_text():
    return connection.vendor == "postgresql"


# The stored vector --------------------------------------------------------------------------


def update_search_vector(article_id):
    """Rebuild one article's stored vector from its current text, tags and authors."""
    rebuild_search_vectors([article_id])


# Stories whose vectors are rebuilt together: three reads and one update a batch.
REBUILD_BATCH = 200


def rebuild_search_vectors(article_ids):
    """Rebuild the stored vectors of these articles, `REBUILD_BATCH` at a time."""
    if not uses_full_text():
        return
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), REBUILD_BATCH):
        rebuild_batch(ids[start : start + REBUILD_BATCH])


def rebuild_batch(ids):
    """Rebuild these articles' vectors: three reads and one update."""
    stories = Article.objects.filter(pk__in=ids).order_by()
    tags, authors = {pk: [] for pk in ids}, {pk: [] for pk in ids}
    for pk, name in stories.values_list("pk", "tags__name"):
        if name:
            tags[pk].append(name)
    for pk, name in Byline.objects.filter(article_id__in=ids).values_list(
        "article_id", "author__name"
    ):
        authors[pk].append(name)
    rewritten = [
        Article(
            pk=pk,
            search_vector=_vector(
                (headline, "A"),
                (strip_tags(dek), "B"),
                (" ".join(tags[pk]), "B"),
                # Paragraphs kept apart: "the harbour.</p><p>Officials" is two words, not one.
                (readable_text(body), "C"),
                (" ".join(authors[pk]), "D"),
            ),
        )
        for pk, headline, dek, body in stories.values_list("pk", "headline", "dek", "body")
    ]
    Article.objects.bulk_update(rewritten, ["search_vector"])


def _vector(*weighted):
    """One vector of (text, weight) pairs: headline A, standfirst and tags B, body C, author
    names D."""
    return functools.reduce(
        operator.add,
        (
            SearchVector(Value(text), config=SEARCH_CONFIG, weight=weight)
            for text, weight in weighted
        ),
    )


_together = threading.local()


@contextlib.contextmanager
def vectors_rebuilt_together():
    """Within: a save of a story, its tags or its bylines notes the story instead of rebuilding
    its vector there and then; at the end the noted stories are rebuilt together,
    `REBUILD_BATCH` to a statement. For a bulk writer (an import), whose stories' tags and
    bylines are written after the story itself; enter it inside the writer's transaction so
    the vectors commit with the stories. Per thread."""
    outer = getattr(_together, "noted", None) is None
    if outer:
        _together.noted = set()
    try:
        yield
        if outer:
            rebuild_search_vectors(_together.noted)
    finally:
        if outer:
            _together.noted = None


def _changed(article_id):
    if (noted := getattr(_together, "noted", None)) is not None:
        noted.add(article_id)
    else:
        update_search_vector(article_id)


@receiver(post_save, sender=Article, dispatch_uid="search_article_saved")
def _article_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _changed(instance.pk)


@receiver(m2m_changed, sender=Article.tags.through, dispatch_uid="search_tags_changed")
def _tags_changed(sender, instance, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Article):
        _changed(instance.pk)


@receiver(post_save, sender=Byline, dispatch_uid="search_byline_saved")
@receiver(post_delete, sender=Byline, dispatch_uid="search_byline_deleted")
def _byline_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _changed(instance.article_id)


@task()
def rebuild_search_vectors_naming(kind, pk):
    """After an author (``kind`` "author") or a tag ("tag") is renamed: rebuild the vectors of
    every story naming it, in batches (a topic may be on hundreds of thousands of stories),
    then purge cached searches. Run by the task worker, not in the editor's request."""
    if not uses_full_text():
        return
    if kind == "author":
        naming = Byline.objects.filter(author_id=pk).values_list("article_id", flat=True)
        column = "article_id"
    else:
        article_type = ContentType.objects.get_for_model(Article)
        naming = TaggedItem.objects.filter(tag_id=pk, content_type=article_type).values_list(
            "object_id", flat=True
        )
        column = "object_id"

    def batches():
        after = 0
        while batch := sorted(
            set(naming.filter(**{f"{column}__gt": after}).order_by(column)[:REBUILD_BATCH])
        ):
            yield batch
            after = batch[-1]

    rebuild_in_batches(batches())


def rebuild_every_search_vector():
    """Rebuild every story's vector (after a restore, or an upgrade that changes how stories
    are indexed); how many there were."""
    if not uses_full_text():
        return 0
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    rebuild_in_batches(
        ids[start : start + REBUILD_BATCH] for start in range(0, len(ids), REBUILD_BATCH)
    )
    return len(ids)


def rebuild_in_batches(batches):
    """Rebuild the vectors of each batch of article ids in a transaction of its own, under a
    longer statement limit than a reader's query, then purge cached searches."""
    for batch in batches:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = '60s'")
            rebuild_batch(batch)
    transaction.on_commit(lambda: purge_keys([SEARCH]))


def _renamed_stories_of(kind):
    """Receivers for an author or tag: before a save, whether its name changes; after it, the
    stories naming it are queued to be found by the new name, no longer by the old one."""

    def before(sender, instance, raw=False, **kwargs):
        if raw or instance.pk is None or not uses_full_text():
            return
        old = sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
        instance._search_renamed = old is not None and old != instance.name

    def after(sender, instance, created, raw=False, **kwargs):
        if created or raw or not getattr(instance, "_search_renamed", False):
            return
        instance._search_renamed = False
        try:
            with transaction.atomic():  # queued with the rename: both commit, or neither
                rebuild_search_vectors_naming.enqueue(kind, instance.pk)
        except Exception:  # noqa: BLE001 - the rename stands; its stories keep the old name
            logger.exception("Could not queue the search rebuild for %s %s", kind, instance.pk)

    return before, after


for _model, _kind in ((Author, "author"), (Tag, "tag")):
    _before, _after = _renamed_stories_of(_kind)
    pre_save.connect(_before, sender=_model, dispatch_uid=f"search_{_kind}_renaming", weak=False)
    post_save.connect(_after, sender=_model, dispatch_uid=f"search_{_kind}_renamed", weak=False)


# Reading ---------------------------------------------------------------------------------------


def clean_query(raw):
    """(query, was_cut): whitespace collapsed, cut to MAX_QUERY_LENGTH characters."""
    query = " ".join((raw or "").split())
    if len(query) > MAX_QUERY_LENGTH:
        return query[:MAX_QUERY_LENGTH].rstrip(), True
    return query, False


@dataclass
class Results:
    """One page of search results: ``page`` holds listing articles, each with ``snippet``;
    ``total`` counts every match (on PostgreSQL up to SEARCH_POOL, ``pool_full`` when the pool
    is full; None elsewhere)."""

    page: Page
    total: int | None = None
    pool_full: bool = False

    @property
    def pool_ends_here(self):
        """The last page of a full pool: older matches are reached with the date filters."""
        return self.pool_full and not self.page.has_next


def search_page(request, query, *, section=None, since=None, until=None):
    """The page of ``?page=`` of live stories matching ``query``, in ``section`` and published
    from ``since`` and before ``until`` (aware datetimes) when given.

    On PostgreSQL the newest SEARCH_POOL matches are found and ranked (ids and ranks only,
    `_newest_matches`), then the page's stories are read by id with their highlighted
    passages. Elsewhere, newest first by substring match."""
    at = timezone.now()
    stories = _narrowed(Article.objects.published(at=at), section, since, until)
    if not uses_full_text():
        page = paginate(
            request,
            stories.filter(_every_word(query))
            .order_by("-publish_at", "-id")
            .for_listing()
            .annotate(body_text=F("body")),
        )
        for article in page.items:
            article.raw_snippet = _passage(article.body_text, query)
            article.snippet = snippet(article)
        return Results(page)

    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    pool = _newest_matches(stories, search_query, at, since, until)
    # Most relevant first; the sort is stable, so equal ranks stay newest first.
    ranked = [pk for pk, _rank in sorted(pool, key=operator.itemgetter(1), reverse=True)]
    page = paginate(request, ranked)
    page.last_number = max(1, math.ceil(len(ranked) / page_size()))
    found = (
        Article.objects.published(at=at)
        .filter(pk__in=page.items)
        .for_listing()
        .annotate(raw_snippet=_highlight(search_query))
    )
    by_id = {story.pk: story for story in found}
    # A story withdrawn between the two queries is simply left out.
    page.items = [by_id[pk] for pk in page.items if pk in by_id]
    for story in page.items:
        story.snippet = snippet(story)
    return Results(page, total=len(ranked), pool_full=len(ranked) >= SEARCH_POOL)


def matching(stories, query):
    """``stories`` narrowed to those ``query`` finds, in their own order: the site's search
    for a caller that pages by something other than rank (the API, newest first). On
    PostgreSQL through the full-text index, elsewhere by substring."""
    if not uses_full_text():
        return stories.filter(_every_word(query))
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return stories.alias(indexed=VectorAndYear()).filter(indexed=search_query)


def _newest_matches(stories, search_query, at, since, until):
    """(id, rank) of the newest SEARCH_POOL matches, newest first, each ranked on the row just
    read for it: those of the newest two years first, older ones only if they are too few.

    The index files each story under its year too (`VectorAndYear`), so the first query
    reads only those two years' matches. Read at once, a word in one story in a hundred
    would read every match in the archive (thousands at a million stories) to keep 200.
    README: "Search: the newest two years first"."""
    matching = (
        stories.alias(indexed=VectorAndYear())
        .order_by("-publish_at", "-id")
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .values_list("pk", "rank")
    )
    newest = (until or at).astimezone(UTC).year
    older = datetime(newest - 1, 1, 1, tzinfo=UTC)
    pool = list(matching.filter(indexed=search_query & InYears(newest, newest - 1))[:SEARCH_POOL])
    if len(pool) < SEARCH_POOL and (since is None or since < older):
        pool += matching.filter(indexed=search_query, publish_at__lt=older)[
            : SEARCH_POOL - len(pool)
        ]
    return pool


class VectorAndYear(Func):
    """A story's vector as the full-text index holds it (migration `search_index_by_year`):
    the stored one plus a lexeme naming its year of publication in UTC, "_y2026". No
    reader's or editor's word becomes such a lexeme (the parser drops the underscore), and
    ranking reads the stored vector alone."""

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(F("search_vector"), F("publish_at"))

    def as_sql(self, compiler, connection, **extra_context):
        (vector, vector_params), (published, published_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # The index's expression, down to the casts, or PostgreSQL does not use the index.
        sql = (
            f"({vector} || array_to_tsvector(array_remove(ARRAY['_y' || "
            f"(extract(year FROM ({published} AT TIME ZONE 'UTC')))::integer::text], NULL)))"
        )
        return sql, (*vector_params, *published_params)


class InYears(SearchQueryCombinable, Func):
    """A tsquery matching the stories of these years (`VectorAndYear`), combined with ``&``."""

    template = "(%(expressions)s)::tsquery"
    output_field = SearchQueryField()
    config = None

    def __init__(self, *years):
        super().__init__(Value(" | ".join(f"_y{year}" for year in years)))


def _narrowed(stories, section, since, until):
    if section is not None:
        stories = stories.filter(section=section)
    if since is not None:
        stories = stories.filter(publish_at__gte=since)
    if until is not None:
        stories = stories.filter(publish_at__lt=until)
    return stories


def _highlight(search_query):
    """The passage of the body around the best match, markup blanked out (the body's
    opening when only the headline, tags or names match)."""
    plain = Func(F("body"), Value(_TAG), Value(" "), Value("g"), function="regexp_replace")
    return SearchHeadline(
        plain,
        search_query,
        config=SEARCH_CONFIG,
        start_sel=_START,
        stop_sel=_STOP,
        max_words=PASSAGE_WORDS,
        min_words=15,
    )


def _words(query):
    """The fallback's words: those to find, and those of a term written after a minus sign
    ("-ukraine") to leave out; quotation marks and other punctuation are ignored."""
    found, left_out = [], []
    for term in query.split():
        (left_out if term.startswith("-") else found).extend(re.findall(r"\w+", term))
    return found[:10], left_out[:10]


def _every_word(query):
    """Without full-text search: each word somewhere in the headline, standfirst, body, tags
    or author names, and no word written after a minus sign."""
    found, left_out = _words(query)
    matches = Q()
    for word in found:
        matches &= _anywhere(word)
    for word in left_out:
        matches &= ~_anywhere(word)
    return matches


def _anywhere(word):
    return (
        Q(headline__icontains=word)
        | Q(dek__icontains=word)
        | Q(body__icontains=word)
        | Q(pk__in=Article.objects.filter(tags__name__icontains=word).values("pk"))
        | Q(pk__in=Byline.objects.filter(author__name__icontains=word).values("article_id"))
    )


def _passage(body, query):
    """Without full-text search: the passage of the body from a little before the first word
    of the query it holds, each such word marked; "" when the body holds none."""
    words = _words(query)[0]
    if not words:
        return ""
    text = " ".join(re.sub(_TAG, " ", body or "").split())
    found = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    first = found.search(text)
    if first is None:
        return ""
    before = text[: first.start()].split()[-5:]
    after = text[first.start() :].split()[: PASSAGE_WORDS - len(before)]
    return found.sub(lambda match: f"{_START}{match.group(0)}{_STOP}", " ".join(before + after))


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
        return queryset.alias(indexed=VectorAndYear()).filter(indexed=prefixes)
    return queryset.filter(_every_word(" ".join(words)))


def snippet(article):
    """The highlighted passage as safe HTML, else the escaped standfirst."""
    raw = getattr(article, "raw_snippet", None)
    if not raw:
        return escape(strip_tags(article.dek))
    text = escape(" ".join(html.unescape(raw).split()))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above
