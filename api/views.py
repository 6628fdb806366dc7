"""The read API at /api/v1/: stories as JSON and as IPTC ninjs, and what they name.

Thin views over `queries` (every read starts from `Article.objects.published()`) and
`representation`. Answers carry the page cache's keys (`add_cache_keys`), so anonymous ones
are kept in the shared cache and purged with the pages, answered with 304s and sent with the
pages' `Cache-Control` and `Surrogate-Key` by the same middleware. Token holders' answers are
private and never stored. Bad input is a 400 naming the parameter, an unknown story a 404, a
withdrawn or expired one a 410 with its id; never a 500.
"""

from datetime import UTC, datetime
from typing import Annotated

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.cache import set_response_etag
from django.utils.http import http_date
from ninja import NinjaAPI, Path, Query
from ninja.errors import AuthenticationError, ValidationError

from articles.caching import (
    FEEDS,
    HOME,
    IGNORED_PARAMETERS,
    SEARCH,
    SITE,
    add_cache_keys,
    article_key,
    author_key,
    navigation_sections,
    section_key,
    source_key,
    story_keys,
    tag_key,
)
from articles.public.jsonld import absolute
from articles.public.views import related_stories

from . import cursors, queries, schemas
from .auth import ANONYMOUS, OptionalBearer
from .ninjs import article_ninjs
from .representation import (
    article_detail,
    article_summary,
    author_data,
    correction_entry,
    section_data,
    source_data,
    tag_data,
)

DESCRIPTION = """
Stories as the public site shows them, newest first, as JSON and as IPTC ninjs 3.1.

* Only what readers may see at the moment of the request. A withdrawn or expired story
  answers **410** with its id, so clients can remove it.
* Lists are paged with a signed cursor: follow `next` until it is `null`.
* Send `Authorization: Bearer <token>` with a token from the admin (API tokens). A token with
  the `read:drafts` scope also reads drafts and scheduled stories, by id only.
* Requests per minute are limited for each anonymous address and each token: beyond the
  budget, **429** with `Retry-After`.
* `ETag` and `Last-Modified` are sent; conditional requests are answered with **304**.
"""


class ContentApi(NinjaAPI):
    def get(self, path, **options):
        """A read route, answering HEAD as well as GET, as the public pages do: the same
        status and headers, and no body (the server drops it)."""
        return self.api_operation(["GET", "HEAD"], path, **options)

    def get_openapi_schema(self, **kwargs):
        """The generated document, saying that the token is optional: `{}` among the
        security requirements means "or none" (OpenAPI 3.1, 4.8.10). HEAD is left out: it
        is GET without the body (RFC 9110, 9.3.2), and a second entry would repeat each
        operation's id."""
        document = super().get_openapi_schema(**kwargs)
        for operations in document["paths"].values():
            operations.pop("head", None)
            for operation in operations.values():
                if operation.get("security"):
                    operation["security"] = [{}, *operation["security"]]
        return document


api = ContentApi(
    title="Newsroom content API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=OptionalBearer(),
)

SLUG = r"^[-a-zA-Z0-9_]+$"
LARGEST_ID = 2**63 - 1
STORIES = ["Stories"]
NINJS = ["ninjs"]
DIRECTORY = ["Sections, tags, authors, sources"]
ERRORS = {400: schemas.Error, 401: schemas.Error, 429: schemas.RateLimited}
ONE_STORY = {**ERRORS, 404: schemas.Error, 410: schemas.GoneError}


class BadRequest(Exception):
    def __init__(self, parameter, detail):
        super().__init__(detail)
        self.parameter, self.detail = parameter, detail


class Gone(Exception):
    def __init__(self, pk):
        super().__init__(pk)
        self.pk = pk


def _error(request, status, error, detail, **extra):
    return api.create_response(request, {"error": error, "detail": detail, **extra}, status=status)


@api.exception_handler(BadRequest)
def bad_request(request, exc):
    return _error(request, 400, "bad_request", exc.detail, parameter=exc.parameter)


@api.exception_handler(ValidationError)
def invalid_parameter(request, exc):
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ())]
    parameter = location[1] if len(location) > 1 else (location[0] if location else None)
    detail = f"{parameter}: {first.get('msg', 'invalid value')}" if parameter else "Bad request."
    return _error(request, 400, "bad_request", detail, parameter=parameter)


@api.exception_handler(AuthenticationError)
def unauthorised(request, exc):
    detail = exc.message if exc.message != "Unauthorized" else "Send `Bearer <token>`."
    response = _error(request, 401, "unauthorized", detail, parameter="Authorization")
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(Gone)
def gone(request, exc):
    return _error(
        request, 410, "gone", "This story was withdrawn or has expired; remove it.", id=exc.pk
    )


# Helpers --------------------------------------------------------------------------------------


def allow_only(request, *names):
    """A 400 for any query parameter the route does not take (tracking parameters aside)."""
    for name in request.GET:
        if name not in names and not name.startswith(IGNORED_PARAMETERS):
            takes = ", ".join(names) if names else "no parameters"
            raise BadRequest(name, f"Unknown parameter “{name}”; this route takes {takes}.")


def respond(request, data, *, keys=(), last_modified=None, private=False):
    response = api.create_response(request, data, status=200)
    # Set here rather than by ConditionalGetMiddleware, which skips HEAD: a HEAD carries the
    # ETag of its GET even when the page cache is off or unreachable.
    set_response_etag(response)
    add_cache_keys(response, *keys)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    if private:
        # Not yet public: only the token holder may keep it, and not on disk.
        response["Cache-Control"] = "private, no-store"
    elif request.auth is not ANONYMOUS:
        response["Cache-Control"] = "private, no-cache"
    return response


def next_url(request, cursor):
    params = request.GET.copy()
    params["cursor"] = cursor
    return absolute(f"{request.path}?{params.urlencode()}")


def read_cursor(kind, cursor, *types):
    """The values of a cursor, or a 400 naming `cursor`."""
    try:
        values = cursors.read(kind, cursor)
        if len(values) != len(types):
            raise cursors.BadCursor("wrong length")
        return [kind_of(value) for kind_of, value in zip(types, values, strict=True)]
    except (cursors.BadCursor, TypeError, ValueError) as exc:
        raise BadRequest(
            "cursor", "This cursor was not made by this server for this list."
        ) from exc


def moment_of(value):
    found = datetime.fromisoformat(value)
    if found.tzinfo is None:
        raise ValueError("naive")
    return found


def since_of(value):
    if value is None:
        return None
    try:
        # Naive times are read as UTC; a time that has no UTC equivalent is refused here
        # rather than by the database driver.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as exc:
        raise BadRequest("updated_since", "This time is out of range.") from exc


Limit = Annotated[
    int,
    Query(
        ge=1,
        le=settings.NEWSROOM_API_MAX_PAGE_SIZE,
        description=f"Items per page, at most {settings.NEWSROOM_API_MAX_PAGE_SIZE}.",
    ),
]
SlugFilter = Annotated[str | None, Query(pattern=SLUG)]
STORY_FILTERS = ("section", "tag", "author", "source", "updated_since", "q", "cursor", "limit")


def page_of_stories(request, shape, section, tag, author, source, updated_since, q, cursor, limit):
    """One page of live stories loaded with ``shape`` ("for_api" or "for_detail"), their
    `detail_parts()` by id, the URL of the next page (None on the last), and the cache keys
    of what the page shows."""
    allow_only(request, *STORY_FILTERS)
    if q and not " ".join(q.split()).isprintable():
        raise BadRequest("q", "The search may not contain control characters.")
    stories = queries.live_stories(
        timezone.now(),
        section=section,
        tag=tag,
        author=author,
        source=source,
        since=since_of(updated_since),
        q=q,
    )
    if cursor:
        publish_at, pk = read_cursor("stories", cursor, moment_of, int)
        stories = queries.after_story(stories, publish_at, pk)
    rows = list(getattr(stories, shape)()[: limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    following = None
    if more:
        last = rows[-1]
        following = next_url(
            request, cursors.make("stories", [last.publish_at.isoformat(), last.pk])
        )
    parts = {story.pk: story.detail_parts() for story in rows}
    keys = {FEEDS, *story_keys(rows)}
    for found in parts.values():
        keys |= {source_key(link.source.pk) for link in found.sources}
    if q:
        keys.add(SEARCH)
    return rows, parts, following, keys


def story_or_gone(request, article_id):
    """The story a request may read (live, or not yet public with a `read:drafts` token);
    a 410 for a withdrawn or expired one, a 404 otherwise."""
    allow_only(request)
    now = timezone.now()
    if 1 <= article_id <= LARGEST_ID:
        article = queries.one_story(article_id, now, drafts=request.auth.reads_drafts)
        if article is not None:
            return article
        if queries.is_gone(article_id, now):
            raise Gone(article_id)
    raise Http404(f"No story with id {article_id}.")


def story_keys_of(article, related=()):
    """What a story's answer shows: the story, its section, tags, authors and sources, and
    the related stories (as the article page's keys)."""
    parts = article.detail_parts()
    keys = {article_key(article), *(article_key(story) for story in related)}
    if article.section_id:
        keys.add(section_key(article.section_id))
    keys |= {tag_key(tag) for tag in parts.tags}
    keys |= {author_key(byline.author_id) for byline in article.bylines.all()}
    keys |= {source_key(link.source.pk) for link in parts.sources}
    return keys


def changed_at(article):
    return max(moment for moment in (article.modified_at, article.updated_at) if moment)


# Stories --------------------------------------------------------------------------------------


@api.get(
    "/articles/",
    response={200: schemas.ArticleList, **ERRORS},
    url_name="articles",
    tags=STORIES,
    summary="Live stories, newest first",
)
def articles(
    request,
    section: SlugFilter = None,
    tag: SlugFilter = None,
    author: SlugFilter = None,
    source: SlugFilter = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="ISO 8601: stories edited, corrected or gone live since then."),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="The site's search.")] = None,
    cursor: Annotated[str | None, Query(description="From a list's `next` URL.")] = None,
    limit: Limit = settings.NEWSROOM_API_PAGE_SIZE,
):
    rows, parts, following, keys = page_of_stories(
        request, "for_api", section, tag, author, source, updated_since, q, cursor, limit
    )
    items = [article_summary(story, parts[story.pk]) for story in rows]
    return respond(request, {"items": items, "next": following}, keys=keys)


@api.get(
    "/articles/{article_id}/",
    response={200: schemas.ArticleDetail, **ONE_STORY},
    url_name="article",
    tags=STORIES,
    summary="One story with its body, corrections and related stories",
)
def article(request, article_id: Annotated[int, Path(ge=1)]):
    story = story_or_gone(request, article_id)
    related = related_stories(story, tag_ids=[tag.pk for tag in story.detail_parts().tags])
    return respond(
        request,
        article_detail(story, related),
        keys=story_keys_of(story, related),
        last_modified=changed_at(story),
        private=not story.is_live,
    )


@api.get(
    "/articles/{article_id}/ninjs",
    response={200: dict, **ONE_STORY},
    url_name="article_ninjs",
    tags=NINJS,
    summary="One story as IPTC ninjs 3.1",
)
def article_as_ninjs(request, article_id: Annotated[int, Path(ge=1)]):
    story = story_or_gone(request, article_id)
    return respond(
        request,
        article_ninjs(story),
        keys=story_keys_of(story),
        last_modified=changed_at(story),
        private=not story.is_live,
    )


@api.get(
    "/ninjs/",
    response={200: schemas.NinjsList, **ERRORS},
    url_name="ninjs",
    tags=NINJS,
    summary="Live stories as IPTC ninjs 3.1, newest first (the filters of /articles/)",
)
def ninjs_list(
    request,
    section: SlugFilter = None,
    tag: SlugFilter = None,
    author: SlugFilter = None,
    source: SlugFilter = None,
    updated_since: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: str | None = None,
    limit: Limit = settings.NEWSROOM_API_PAGE_SIZE,
):
    rows, _parts, following, keys = page_of_stories(
        request, "for_detail", section, tag, author, source, updated_since, q, cursor, limit
    )
    items = [article_ninjs(story) for story in rows]
    return respond(request, {"items": items, "next": following}, keys=keys)


@api.get(
    "/corrections/",
    response={200: schemas.CorrectionList, **ERRORS},
    url_name="corrections",
    tags=STORIES,
    summary="Corrections, clarifications and updates of live stories, newest first",
)
def corrections(request, cursor: str | None = None, limit: Limit = settings.NEWSROOM_API_PAGE_SIZE):
    allow_only(request, "cursor", "limit")
    found = queries.live_corrections(timezone.now())
    if cursor:
        created_at, pk = read_cursor("corrections", cursor, moment_of, int)
        found = found.filter(created_at__lte=created_at).exclude(created_at=created_at, pk__gte=pk)
    rows = list(found[: limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    following = None
    if more:
        last = rows[-1]
        following = next_url(
            request, cursors.make("corrections", [last.created_at.isoformat(), last.pk])
        )
    keys = {HOME, FEEDS, *(article_key(c.article_id) for c in rows)}
    return respond(
        request, {"items": [correction_entry(c) for c in rows], "next": following}, keys=keys
    )


# Sections, tags, authors, sources ---------------------------------------------------------------


@api.get(
    "/sections/",
    response={200: schemas.SectionList, **ERRORS},
    url_name="sections",
    tags=DIRECTORY,
    summary="The sections, in navigation order",
)
def sections(request):
    allow_only(request)
    items = [section_data(section) for section in navigation_sections()]
    return respond(request, {"items": items}, keys={SITE})


def by_slug(request, kind, found, cursor, limit):
    """A page of ``found`` (ordered by slug) after the cursor, and the next page's URL."""
    allow_only(request, "cursor", "limit")
    if cursor:
        (after,) = read_cursor(kind, cursor, str)
        found = found.filter(slug__gt=after)
    rows = list(found[: limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    following = next_url(request, cursors.make(kind, [rows[-1].slug])) if more else None
    return rows, following


@api.get(
    "/tags/",
    response={200: schemas.TagList, **ERRORS},
    url_name="tags",
    tags=DIRECTORY,
    summary="Tags of live stories, by slug",
)
def tags(request, cursor: str | None = None, limit: Limit = settings.NEWSROOM_API_PAGE_SIZE):
    rows, following = by_slug(request, "tags", queries.live_tags(timezone.now()), cursor, limit)
    return respond(
        request,
        {"items": [tag_data(tag) for tag in rows], "next": following},
        keys={FEEDS, *(tag_key(tag) for tag in rows)},
    )


@api.get(
    "/authors/",
    response={200: schemas.AuthorList, **ERRORS},
    url_name="authors",
    tags=DIRECTORY,
    summary="Authors credited on live stories, by slug",
)
def authors(request, cursor: str | None = None, limit: Limit = settings.NEWSROOM_API_PAGE_SIZE):
    found = queries.credited_authors(timezone.now())
    rows, following = by_slug(request, "authors", found, cursor, limit)
    return respond(
        request,
        {"items": [author_data(author) for author in rows], "next": following},
        keys={FEEDS, *(author_key(author) for author in rows)},
    )


@api.get(
    "/authors/{slug}/",
    response={200: schemas.AuthorDetail, **ERRORS, 404: schemas.Error},
    url_name="author",
    tags=DIRECTORY,
    summary="One author, with bio, photo and links",
)
def author(request, slug: Annotated[str, Path(pattern=SLUG)]):
    allow_only(request)
    found = (
        queries.credited_authors(timezone.now()).filter(slug=slug).prefetch_related("links").first()
    )
    if found is None:
        raise Http404("No author with this slug credited on a live story.")
    data = {
        **author_data(found),
        "links": [{"label": link.label, "url": link.url} for link in found.links.all()],
    }
    return respond(request, data, keys={FEEDS, author_key(found)})


@api.get(
    "/sources/",
    response={200: schemas.SourceList, **ERRORS},
    url_name="sources",
    tags=DIRECTORY,
    summary="Sources cited by live stories, by slug",
)
def sources(request, cursor: str | None = None, limit: Limit = settings.NEWSROOM_API_PAGE_SIZE):
    rows, following = by_slug(
        request, "sources", queries.cited_sources(timezone.now()), cursor, limit
    )
    return respond(
        request,
        {"items": [source_data(source) for source in rows], "next": following},
        keys={FEEDS, *(source_key(source) for source in rows)},
    )
