"""Reader search: PostgreSQL full text with a stored, weighted vector; a plain fallback elsewhere.

The vector (headline A, standfirst and tags B, body C, author names D) lives in
`Article.search_vector`, has a GIN index (migration 0004+, PostgreSQL only) and is rebuilt when
the article is saved, its tags change, its bylines change, a credited author is renamed or
one of its tags is renamed.
On SQLite search is a case-insensitive substring match, unranked.
"""

import copy
import html
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryCombinable,
    SearchQueryField,
    SearchRank,
    SearchVectorField,
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

from .models import Article, Byline
from .pagination import Page, page_size, paginate
from .prepared import IdIn, PreparedQuery, id_list
from .revisions import readable_text
from .rows import Kept

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
# How many of the newest matching stories a search ranks (10 pages of 20). A search's cost grows
# with this number, not with the archive (see `_ranking`, `_years_to_read`): at a million
# stories, ranking 500 took a less common word twice as long as ranking 200. The last page
# says so, and the date filters reach further back.
SEARCH_POOL = 200
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


class IndexedVector(Func):
    """A story's vector as the full-text index holds it (migration 0016): the stored one plus a
    lexeme naming the year the story is published in, in UTC ("_y2026"; none without a date).

    With it the index answers "this word, in these years" on its own, so a search reads the
    newest years' matches without visiting older rows (`_ranked_ids`). No reader's or editor's
    words become such a lexeme (both parsers drop the underscore), and ranking reads the stored
    vector alone, so the lexeme changes no result and no rank. The index computes it from the
    row as it is written: a story given another date is filed under its new year at once.
    """

    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(F("search_vector"), F("publish_at"))

    def as_sql(self, compiler, connection, **extra_context):
        (vector, vector_params), (published, published_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # The same expression as the index's, down to the casts, or the index is not used.
        sql = (
            f"({vector} || array_to_tsvector(array_remove(ARRAY['_y' || "
            f"(extract(year FROM ({published} AT TIME ZONE 'UTC')))::integer::text], NULL)))"
        )
        return sql, (*vector_params, *published_params)


def year_lexeme(year):
    return f"_y{year}"


class _InYears(SearchQueryCombinable, Func):
    """A tsquery matching the stories of some years (`IndexedVector`), to combine with ``&``:
    written as "_y2026 | _y2025"."""

    template = "(%(expressions)s)::tsquery"
    output_field = SearchQueryField()
    config = None


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


def rebuild_every_search_vector():
    """Rebuild every story's vector, `REBUILD_BATCH` at a time (see `rebuild_in_batches`):
    after a restore, or an upgrade that changes how stories are indexed. How many there were."""
    if not uses_full_text():
        return 0
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    rebuild_in_batches(
        ids[start : start + REBUILD_BATCH] for start in range(0, len(ids), REBUILD_BATCH)
    )
    return len(ids)


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
    by_id = {story.pk: story for story in _found(at, page.items)}
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
    stories = Article.objects.published(at=at).filter(pk__in=ids)
    return stories.for_listing().annotate(body_digest=MD5("body"))


def _passage(at, ids, query, probe):
    """The highlighted passage of each of these stories."""
    stories = Article.objects.published(at=at).filter(IdIn("pk", ids))
    return stories.values("pk").annotate(raw_snippet=_highlight(_search_query(query), probe))


# Stories by id have one good plan whatever the words: prepared statements. Ranking is planned
# for each search, since a word in a third of the stories and one in a hundred want different
# plans.
_PASSAGES = PreparedQuery(_passage, at=datetime, ids=str, query=str, probe=str)


def _ranking(
    at,
    query,
    section,
    since,
    until,
    years,
    narrow_section,
    narrow_since,
    narrow_until,
    narrow_years,
    pool,
):
    """Ids and ranks of the newest ``pool`` matches (of these ``years`` when
    ``narrow_years``), newest first, in one pass.

    Ranking only the newest matches keeps a word found in every story from ranking the whole
    archive on each search: PostgreSQL walks the publish-time index, tests each story, and stops
    at the pool, ranking each match on the row it has just read. For a less common word it
    reads every match through the full-text index and keeps the newest; ranking them there too
    cost it less than reading the pool's rows a second time to rank them (a tenth of the
    ranking at 1M articles), and saved the common words that second read altogether. Narrowed
    to some years, the index gives their matches alone (`IndexedVector`)."""
    stories = _narrowed(
        Article.objects.published(at=at),
        section if narrow_section else None,
        since if narrow_since else None,
        until if narrow_until else None,
    )
    search_query = _search_query(query)
    matching = search_query & _InYears(Value(years)) if narrow_years else search_query
    return (
        stories.alias(indexed=IndexedVector())
        .filter(indexed=matching)
        .order_by("-publish_at", "-id")
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .values("pk", "rank")[:pool]
    )


# One compiled form for each combination of filters a reader set (and size of the pool).
_RANKING = PreparedQuery(
    _ranking,
    shape=("narrow_section", "narrow_since", "narrow_until", "narrow_years", "pool"),
    optional=("section", "since", "until", "years"),
    prepare=False,
    at=datetime,
    query=str,
    section=int,
    since=datetime,
    until=datetime,
    years=str,
)


def _ranked_ids(at, query, section, since, until):
    """Ids of the newest SEARCH_POOL matches, most relevant first (then newest): read at once,
    or, for a word that is not in most stories, year by year from the newest (`_by_year`).
    """

    def ranking(years):
        return _RANKING.fetch(
            at=at,
            query=query,
            section=section.pk if section is not None else 0,
            since=since or at,
            until=until or at,
            years=" | ".join(years),
            narrow_section=int(section is not None),
            narrow_since=int(since is not None),
            narrow_until=int(until is not None),
            narrow_years=int(bool(years)),
            pool=SEARCH_POOL,
        )

    years = _years_to_read(at, query, since, until)
    rows, names = _by_year(ranking, years) if years else _at_once(ranking)
    if not rows:
        return []
    # Read as the driver sent them (ids and ranks need no converting; the pool's dicts cost more
    # than the sort). The rows come newest first, and the sort is stable: equal ranks stay newest.
    pk, rank = names.index("pk"), names.index("rank")
    return [row[pk] for row in sorted(rows, key=itemgetter(rank), reverse=True)]


def _at_once(ranking):
    fetched = ranking(())
    return fetched.rows, fetched.names


def _by_year(ranking, years):
    """The newest SEARCH_POOL matches read from ``years`` (lexemes, newest first) in turn: the
    newest year alone, then as many more years at once as the matches found so far say will
    fill the pool (all the rest when none were found), so that a search reads not many more
    matches than it keeps, in a few queries. (Each year more in one query costs the index a
    pass over the word's matches, so years are not read many at a time without need.)"""
    rows, names, read, found = [], (), 0, 0
    span = 1
    while read < len(years) and len(rows) < SEARCH_POOL:
        fetched = ranking(years[read : read + span])
        names = fetched.names
        rows.extend(fetched.rows[: SEARCH_POOL - len(rows)])
        read += span
        found += len(fetched.rows)
        wanted = SEARCH_POOL - len(rows)
        span = math.ceil(wanted * read / found * 1.25) if found else len(years)
    return rows, names


# A search reads year by year unless PostgreSQL expects more than this share of the stories
# to match: then the newest matches are found by walking the newest stories, which fills the
# pool within a few thousand stories (at a million stories, a word in 10%: a walk of 2,000
# stories, about as long as reading the 5,000 matches of a year)...
WALK_FROM_SHARE = 0.1
# ... or fewer matching stories than this in all: they are read at once, each row visited once.
AT_ONCE_UNDER = 1000
# How long a process keeps what it has learnt of the archive and of a query's words.
_ESTIMATES_KEPT_FOR = 600


def _years_to_read(at, query, since, until):
    """The years (lexemes of `IndexedVector`, newest first) whose matches are read a span at a
    time (`_by_year`), or none: read every match at once.

    Finding the newest matches costs PostgreSQL a visit to each match it weighs. For a rare
    word that is every match, and there are few; for a word in most stories, the newest
    stories, until the pool is full. In between, a word in one story in a hundred, a million
    stories hold thousands of matches, and reading them all to keep the newest 200 made search
    slower with every year of archive; read year by year, about the pool is read. Which case a
    query is, PostgreSQL's own estimate says (a word it has no figure for counts as rare but
    not very rare: at a million stories, some thousands)."""
    archive = _archive()
    if archive is None:
        return []
    stories, first = archive
    if stories * WALK_FROM_SHARE <= AT_ONCE_UNDER:  # too few stories for a word in between
        return []
    matches = _estimated_matches(query)
    if matches < AT_ONCE_UNDER or matches >= stories * WALK_FROM_SHARE:
        return []
    newest = (until or at).astimezone(UTC).year
    # From the date filter when there is one, whatever the archive's first year.
    oldest = (since or first).astimezone(UTC).year
    return [year_lexeme(year) for year in range(newest, oldest - 1, -1)]


_ARCHIVE = Kept(1)
_ESTIMATES = Kept(5_000)


def _archive():
    """(stories, when the first published story was published) as PostgreSQL's statistics and
    the publish-time index tell; None before the statistics are gathered. Kept for ten minutes:
    a story dated before the archive's first year is read year by year once they are up (it is
    found at once by a rare word, by a common one, and by the date filters all along)."""
    return _for_a_while(_ARCHIVE, connection.alias, _read_archive)


def _read_archive():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [Article._meta.db_table],
        )
        stories = cursor.fetchone()[0]
    first = (
        Article.objects.filter(status=Article.Status.PUBLISHED, publish_at__isnull=False)
        .order_by("publish_at")
        .values_list("publish_at", flat=True)
        .first()
    )
    return (stories, first) if stories > 0 and first else None


def _estimated_matches(query):
    """How many stories PostgreSQL's planner expects to match ``query``, from its statistics
    of the words in the archive (kept per process for a while: they change as slowly)."""

    def estimate():
        plan = (
            Article.objects.alias(indexed=IndexedVector())
            .filter(indexed=_search_query(query))
            .order_by()
            .values("pk")
            .explain(format="json")
        )
        return json.loads(plan)[0]["Plan"]["Plan Rows"]

    return _for_a_while(_ESTIMATES, query, estimate)


def _for_a_while(store, key, make):
    """``make()``, kept in ``store`` under ``key`` for `_ESTIMATES_KEPT_FOR` seconds."""
    kept = store.get(key)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    value = make()
    store.put(key, (time.monotonic() + _ESTIMATES_KEPT_FOR, value))
    return value


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
        return queryset.alias(indexed=IndexedVector()).filter(indexed=prefixes)
    return queryset.filter(_every_word(words))


def snippet(article):
    """The highlighted excerpt as safe HTML (PostgreSQL), else the escaped standfirst."""
    raw = getattr(article, "raw_snippet", None)
    if not raw:
        return escape(strip_tags(article.dek))
    text = escape(" ".join(html.unescape(raw).split()))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above
