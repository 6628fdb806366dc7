"""Reader search: PostgreSQL full text with a stored, weighted vector; a plain fallback elsewhere.

The vector (headline A, standfirst and tags B, body C, author names D) lives in
`Article.search_vector`, has a GIN index (migration 0004+, PostgreSQL only) and is rebuilt when
the article is saved, its tags change, its bylines change, a credited author is renamed or
one of its tags is renamed.
On SQLite search is a case-insensitive substring match, unranked.
"""

import copy
import html
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
)
from django.db import connection, transaction
from django.db.models import F, Func, Q, Value
from django.db.models.functions import MD5, Greatest, Lower, StrIndex, Substr
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.tasks import task
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from taggit.models import Tag, TaggedItem

from authors.models import Author

from .listings import Kept, card_rows, stories_from
from .models import Article, Byline
from .pagination import Page, page_size, paginate
from .prepared import IdIn, PreparedQuery, id_list
from .revisions import readable_text

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
# How many of the newest matching stories a search ranks (25 pages of 20). For a common word the
# cost grows with this number, not with the archive (see `_ranking`). The last
# page says so, and the date filters reach further back. (A smaller pool is not cheaper: the
# planner then walks the publish-time index testing every story, slow for a less common word.)
SEARCH_POOL = 500
# The stretch of a body (in characters) given to PostgreSQL to pick a highlighted passage from:
# from this far before the first occurrence of the query's longest word, this long. A passage
# is at most 35 words (about 230 characters); highlighting costs PostgreSQL in proportion to
# the stretch (20 stories: 4.2 ms at 700 characters, 2.9 ms at 450).
HIGHLIGHT_BEFORE = 200
HIGHLIGHT_WINDOW = 450
# Markers no article contains, turned into <mark> after the snippet is escaped.
_START, _STOP = "\x02", "\x03"


def uses_full_text():
    return connection.vendor == "postgresql"


def update_search_vector(article_id):
    """Rebuild one article's stored vector from its current text, tags and authors."""
    rebuild_search_vectors([article_id])


# Stories whose vectors are rebuilt together: three reads and one update for each batch (at a
# million stories, about a second a batch: each row rewritten, the full-text index updated).
REBUILD_BATCH = 200

# The stored vector: headline A, standfirst and tags B, body C, author names D.
_VECTOR_SQL = " || ".join(
    f"setweight(to_tsvector(%s::regconfig, v.{column}), '{weight}')"
    for column, weight in (
        ("headline", "A"),
        ("dek", "B"),
        ("tags", "B"),
        ("body", "C"),
        ("authors", "D"),
    )
)


def rebuild_search_vectors(article_ids):
    """Rebuild the stored vectors of these articles from their current text, tags and authors,
    `REBUILD_BATCH` at a time: three reads and one update a batch, however many there are."""
    if not uses_full_text():
        return
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), REBUILD_BATCH):
        _rebuild_batch(ids[start : start + REBUILD_BATCH])


def _rebuild_batch(ids):
    stories = Article.objects.filter(pk__in=ids).order_by()
    texts = {
        pk: {
            "headline": headline,
            "dek": strip_tags(dek),
            "tags": [],
            # Paragraphs kept apart: "the harbour.</p><p>Officials" is two words, not one.
            "body": readable_text(body),
            "authors": [],
        }
        for pk, headline, dek, body in stories.values_list("pk", "headline", "dek", "body")
    }
    if not texts:
        return
    for pk, name in stories.values_list("pk", "tags__name"):
        if name:
            texts[pk]["tags"].append(name)
    for pk, name in Byline.objects.filter(article_id__in=texts).values_list(
        "article_id", "author__name"
    ):
        texts[pk]["authors"].append(name)
    rows = [
        (pk, t["headline"], t["dek"], " ".join(t["tags"]), t["body"], " ".join(t["authors"]))
        for pk, t in texts.items()
    ]
    values = ", ".join(["(%s::bigint, %s, %s, %s, %s, %s)"] * len(rows))
    table = connection.ops.quote_name(Article._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET search_vector = {_VECTOR_SQL} "  # noqa: S608 - no input
            f"FROM (VALUES {values}) AS v(id, headline, dek, tags, body, authors) "
            "WHERE a.id = v.id",
            [SEARCH_CONFIG] * 5 + [value for row in rows for value in row],
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


@task()
def rebuild_search_vectors_naming(kind, pk):
    """After an author (``kind`` "author") or a tag ("tag") is renamed: rebuild the vectors of
    every story naming it, in batches (a topic may be on hundreds of thousands of stories),
    then refresh cached searches. Run by the task worker, not in the editor's request."""
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


def rebuild_in_batches(batches):
    """Rebuild the vectors of each batch of article ids in a transaction of its own (batch
    work, not a reader's query: under a longer statement limit), then refresh cached
    searches. For the task worker and management commands, not a reader's request."""
    for batch in batches:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = '60s'")
            _rebuild_batch(batch)
    from .caching import SEARCH, purge_on_commit

    purge_on_commit({SEARCH})


def _renamed_stories_of(kind):
    """Receivers for an author or tag: before a save, whether its name changes; after it, the
    stories naming it are queued to be found by the new name, no longer by the old one."""

    def before(sender, instance, raw=False, **kwargs):
        if raw or instance.pk is None or not uses_full_text():
            return
        old = sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
        instance._search_renamed = old is not None and old != instance.name

    def after(sender, instance, created, raw=False, **kwargs):
        if created or raw or not uses_full_text() or not getattr(instance, "_search_renamed", 0):
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

    On PostgreSQL the newest SEARCH_POOL matches are ranked in one query that returns only ids
    and ranks; the page's stories are then loaded by id, and highlighted where this process
    has not already highlighted them (`_passages`), so only the twenty shown are read whole.
    The queries are compiled once per process (`PreparedQuery`). Elsewhere, newest first by
    substring match.
    """
    at = timezone.now()
    if not uses_full_text():
        page = paginate(
            request,
            _narrowed(Article.objects.published(at=at), section, since, until)
            .filter(_every_word(query.split()))
            .order_by("-publish_at", "-id")
            .for_listing(),
        )
        for article in page.items:
            article.snippet = snippet(article)
        return Results(page)
    ranked = _ranked_ids(at, query, section, since, until)
    page = paginate(request, ranked)
    page.last_number = max(1, math.ceil(len(ranked) / page_size()))
    by_id = {
        story.pk: story for story in stories_from(_FOUND.fetch(at=at, ids=id_list(page.items)))
    }
    passages = _passages(at, query, by_id.values())
    # A story withdrawn between the two queries is simply left out.
    page.items = [_shown(by_id[pk], passages[pk]) for pk in page.items if pk in by_id]
    return Results(page, total=len(ranked), pool_full=len(ranked) >= SEARCH_POOL)


def _shown(story, raw_snippet):
    """A copy of a kept story (`listings.stories_from`, shared by every request showing it)
    carrying this search's passage."""
    shown = Article.__new__(Article)  # a shallow copy, without `copy.copy`'s pickling path
    shown.__dict__.update(story.__dict__)
    shown._state = copy.copy(story._state)
    shown._state.fields_cache = dict(story._state.fields_cache)
    shown.raw_snippet = raw_snippet
    shown.snippet = snippet(shown)
    return shown


def _passages(at, query, stories):
    """{id: the highlighted passage of each story for ``query``}. Highlighting is most of a
    search's work in PostgreSQL; a passage depends only on the story's body, the words and
    the configuration, so each is kept per process under those (the body as its digest, read
    with the story), and only the stories without one are highlighted."""
    probe = _probe(query)
    keys = {story.pk: (story.pk, story.body_digest, query, probe) for story in stories}
    missing = [pk for pk, key in keys.items() if key not in _KEPT_PASSAGES]
    if missing:
        for row in _PASSAGES.rows(at=at, ids=id_list(missing), query=query, probe=probe):
            _KEPT_PASSAGES.put(keys[row["pk"]], row["raw_snippet"])
    # A story withdrawn between the queries has no passage: its opening is shown instead.
    return {pk: _KEPT_PASSAGES.get(key, "") for pk, key in keys.items()}


# Passages kept per process: every page of the searches readers repeat, at ~250 bytes each.
_KEPT_PASSAGES = Kept(20_000)


def _narrowed(stories, section, since, until):
    if section is not None:
        stories = stories.filter(section=section)
    if since is not None:
        stories = stories.filter(publish_at__gte=since)
    if until is not None:
        stories = stories.filter(publish_at__lt=until)
    return stories


def _search_query(query):
    return SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)


def _found(at, ids):
    """The stories of a page of results, by id, as cards, with a digest of their body."""
    stories = Article.objects.published(at=at).filter(IdIn("pk", ids))
    return card_rows(stories).annotate(body_digest=MD5("body"))


def _passage(at, ids, query, probe):
    """The highlighted passage of each of these stories."""
    stories = Article.objects.published(at=at).filter(IdIn("pk", ids))
    return stories.values("pk").annotate(raw_snippet=_highlight(_search_query(query), probe))


# Stories by id have one good plan whatever the words: prepared statements. Ranking is planned
# for each search, since a word in a third of the stories and one in a hundred want different
# plans.
_FOUND = PreparedQuery(_found, at=datetime, ids=str)
_PASSAGES = PreparedQuery(_passage, at=datetime, ids=str, query=str, probe=str)


def _ranking(at, query, section, since, until, narrow_section, narrow_since, narrow_until, pool):
    """Ids and ranks of the newest ``pool`` matches, newest first, in one pass.

    Ranking only the newest matches keeps a word found in every story from ranking the whole
    archive on each search: PostgreSQL walks the publish-time index, tests each story, and stops
    at the pool, ranking each match on the row it has just read. For a less common word it
    reads every match through the full-text index and keeps the newest; ranking them there too
    cost it less than reading the pool's rows a second time to rank them (a tenth of the
    ranking at 1M articles), and saved the common words that second read altogether."""
    stories = _narrowed(
        Article.objects.published(at=at),
        section if narrow_section else None,
        since if narrow_since else None,
        until if narrow_until else None,
    )
    search_query = _search_query(query)
    return (
        stories.filter(search_vector=search_query)
        .order_by("-publish_at", "-id")
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .values("pk", "rank")[:pool]
    )


# One compiled form for each combination of filters a reader set (and size of the pool).
_RANKING = PreparedQuery(
    _ranking,
    shape=("narrow_section", "narrow_since", "narrow_until", "pool"),
    optional=("section", "since", "until"),
    prepare=False,
    at=datetime,
    query=str,
    section=int,
    since=datetime,
    until=datetime,
)


def _ranked_ids(at, query, section, since, until):
    """Ids of the newest SEARCH_POOL matches, most relevant first (then newest)."""
    fetched = _RANKING.fetch(
        at=at,
        query=query,
        section=section.pk if section is not None else 0,
        since=since or at,
        until=until or at,
        narrow_section=int(section is not None),
        narrow_since=int(since is not None),
        narrow_until=int(until is not None),
        pool=SEARCH_POOL,
    )
    # Read as the driver sent them (ids and ranks need no converting; 500 dicts cost more than
    # the sort). The rows come newest first, and the sort is stable: equal ranks stay newest.
    pk, rank = fetched.names.index("pk"), fetched.names.index("rank")
    return [row[pk] for row in sorted(fetched.rows, key=itemgetter(rank), reverse=True)]


def _probe(query):
    """The query word to look for in the body, lower-cased, with a plural or verb ending cut
    off ("droughts" finds "drought"): the longest word, the least likely to be a stop word."""
    lowered = query.lower()
    words = [w for w in re.findall(r"\w+", lowered) if f"-{w}" not in lowered]
    if not words:
        return ""
    word = max(words, key=len)
    for ending in ("ing", "es", "ed", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def _highlight(search_query, probe):
    """One highlighted passage of the body around the best match.

    PostgreSQL reads a whole document to pick a passage, so it is given a window of the body
    around the first place ``probe`` (the longest query word, `_probe`) occurs (the opening
    when it does not occur, say for a match in the tags): a fifth of the work for a story of
    seed length. Tags, and pieces of tags cut at the window's edges, are blanked out first."""
    found = StrIndex(Lower(F("body")), Value(probe))
    body = Substr(F("body"), Greatest(Value(1), found - HIGHLIGHT_BEFORE), HIGHLIGHT_WINDOW)
    plain = Func(
        body, Value(r"^[^<]*>|<[^>]*(>|$)"), Value(" "), Value("g"), function="regexp_replace"
    )
    return SearchHeadline(
        plain,
        search_query,
        config=SEARCH_CONFIG,
        start_sel=_START,
        stop_sel=_STOP,
        # One passage around the best match: picking two fragments made PostgreSQL work
        # through each body twice as long.
        max_words=35,
        min_words=15,
    )


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
    text = escape(" ".join(html.unescape(raw).split()))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above
