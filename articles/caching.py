"""Public page caching: which keys a response carries, and purging them.

Views call `add_cache_keys(response, ...)` with the things the page shows; workflow side
effects call `purge_keys(article_keys(article))` after commit. The same keys go out as
`Surrogate-Key` / `Cache-Tag` headers for CDNs, and to the purge backend (Varnish, nginx).

How invalidation stays exact:

* every key ("article-12", "section-3", "home"...) has a *generation* counter in the cache;
* a stored page remembers the generations of its keys when it was stored; a lookup fetches
  the current generations in one `get_many` and serves the page only if none has moved;
* `purge_keys` bumps the generations, so purging costs one cache call per key, whatever the
  number of pages, and works across processes when the cache is shared (Redis);
* a page is never kept past the next moment a story goes live, leaves an embargo or expires
  (`next_change()`), so a scheduled story appears at its minute with no worker running;
* a page rendered while any purge happened is not stored (the purge *epoch* moved), so a
  render that read the database just before a commit cannot outlive its purge.

Only anonymous GET/HEAD requests without a session are answered from the cache, only 200
responses that declared their keys are stored, and never a response that sets a cookie, used
a CSRF token or a CSP nonce, or says private/no-store. Any cache failure (Redis down) is
logged and the page is served uncached.
"""

import hashlib
import logging
import secrets
import time
from urllib.parse import parse_qsl, urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends import redis as django_redis
from django.db import DatabaseError, transaction
from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

logger = logging.getLogger("newsroom.cache")

# Keys every page listing recent stories depends on.
HOME = "home"
FEEDS = "feeds"
SITEMAPS = "sitemaps"
# Search results: which stories a word finds changes when an author or a tag is renamed.
SEARCH = "search"
# Carried by every stored page: the navigation (sections) appears on all of them.
SITE = "site"


def article_key(article_or_id):
    return f"article-{getattr(article_or_id, 'pk', article_or_id)}"


def section_key(section_or_id):
    return f"section-{getattr(section_or_id, 'pk', section_or_id)}"


def tag_key(tag_or_id):
    return f"tag-{getattr(tag_or_id, 'pk', tag_or_id)}"


def author_key(author_or_id):
    return f"author-{getattr(author_or_id, 'pk', author_or_id)}"


def source_key(source_or_id):
    return f"source-{getattr(source_or_id, 'pk', source_or_id)}"


def article_keys(article):
    """Every key whose pages show this article: itself, home, its section, tags, authors,
    sources, feeds and sitemaps. Reads the article's relations from the database."""
    keys = {article_key(article), HOME, FEEDS, SITEMAPS}
    if article.section_id:
        keys.add(section_key(article.section_id))
    keys |= {tag_key(pk) for pk in article.tags.values_list("pk", flat=True)}
    keys |= {author_key(pk) for pk in article.bylines.values_list("author_id", flat=True)}
    keys |= {source_key(pk) for pk in article.article_sources.values_list("source_id", flat=True)}
    return keys


def story_keys(stories):
    """The keys of stories shown as cards: each story's, and each credited author's (a card
    carries its byline, so renaming an author must reach it). Reads the prefetched bylines."""
    keys = set()
    for story in stories:
        keys.add(article_key(story))
        keys.update(author_key(byline.author_id) for byline in story.bylines.all())
    return keys


def add_cache_keys(response, *keys):
    """Record the cache keys (e.g. "article-12", "section-3", "home") a response depends on."""
    existing = getattr(response, "cache_keys", set())
    response.cache_keys = existing | {str(k) for k in keys if k}
    return response


# Cache entries ----------------------------------------------------------------------------------
PAGE_PREFIX = "page:"
GENERATION_PREFIX = "gen:"
EPOCH = "purge-epoch"
NEXT_CHANGE = "next-change"
NO_CHANGE_AHEAD = 0  # stored in NEXT_CHANGE when nothing is scheduled
# Query parameters that never change what a page shows: campaign tracking.
IGNORED_PARAMETERS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


def _setting(name, default):
    return getattr(settings, name, default)


def _generation_key(key):
    return f"{GENERATION_PREFIX}{key}"


def _fresh_generation():
    # Random, not 1: if a counter is evicted and recreated, it cannot come back to an old value
    # that a stored page remembers.
    return secrets.randbits(48)


class _Breaker:
    """After a cache error, skip the cache for a few seconds instead of waiting on every call."""

    def __init__(self):
        self.open_until = 0.0

    def available(self):
        return time.monotonic() >= self.open_until

    def trip(self, exc, action):
        self.open_until = time.monotonic() + _setting("NEWSROOM_CACHE_RETRY_SECONDS", 5)
        logger.warning("Page cache unavailable while %s (%s); serving uncached.", action, exc)


breaker = _Breaker()


class PurgeFailed(Exception):
    """The page cache or the CDN could not be purged; the caller may retry."""


def purge_keys(keys, *, strict=False):
    """Invalidate every cached page carrying any of ``keys``, here and at the CDN.

    Safe to call anywhere, any number of times: an unreachable cache or CDN is logged, never
    raised, unless ``strict`` — then, after trying both, `PurgeFailed` says what failed, so
    the side-effect outbox keeps the purge, retries it and shows it on the dashboard.
    Call it after the change is committed (`transaction.on_commit`)."""
    keys = sorted({str(k) for k in keys if k})
    if not keys:
        return
    failures = []
    try:
        for key in keys:
            _bump(_generation_key(key))
        _bump(EPOCH)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not break a publish
        breaker.trip(exc, "purging")
        failures.append(f"page cache: {exc}")
    backend = purge_backend()
    if backend is not None:
        try:
            backend.purge(keys)
        except Exception as exc:  # noqa: BLE001 - the CDN is best effort; the page cache is purged
            logger.exception("CDN purge of %s failed", " ".join(keys))
            failures.append(f"CDN: {exc}")
    if strict and failures:
        raise PurgeFailed("; ".join(failures))


def _bump(cache_key):
    try:
        cache.incr(cache_key)
    except ValueError:  # missing: start it, or bump it if another process just did
        if not cache.add(cache_key, _fresh_generation(), timeout=None):
            cache.incr(cache_key)


def purge_on_commit(keys):
    """Purge ``keys`` once the current transaction commits (at once outside a transaction)."""
    keys = set(keys)
    transaction.on_commit(lambda: purge_keys(keys))


# The next moment the public site changes by itself ----------------------------------------------
def compute_next_change(now=None):
    """The earliest future go-live, embargo lift or expiry of a published story, or None.

    One query of three scalar subqueries, each the first entry of an index range (the
    status/publish time index and the partial embargo and expiry indexes), never a scan."""
    from .models import Article

    now = now or timezone.now()
    published = Article.objects.filter(status=Article.Status.PUBLISHED).order_by()
    ahead = {
        f"next_{field}": Subquery(
            published.filter(**{f"{field}__gt": now}).order_by(field).values(field)[:1]
        )
        for field in ("publish_at", "embargo_until", "expires_at")
    }
    row = Article.objects.order_by().values(**ahead)[:1].first()
    moments = [m for m in (row or {}).values() if m is not None]
    return min(moments) if moments else None


def _store_next_change(moment, now, *, overwrite):
    timeout = _setting("NEWSROOM_PAGE_CACHE_SECONDS", 3600)
    if moment is not None:
        timeout = max(1, min(timeout, (moment - now).total_seconds()))
    value = moment.timestamp() if moment else NO_CHANGE_AHEAD
    if overwrite:
        cache.set(NEXT_CHANGE, value, timeout)
    else:
        # A reader's value must not overwrite a fresher one written after a commit.
        cache.add(NEXT_CHANGE, value, timeout)


def refresh_next_change():
    """Recompute the next change after an article is saved (scheduling, embargo, expiry)."""
    try:
        if breaker.available():
            now = timezone.now()
            _store_next_change(compute_next_change(now), now, overwrite=True)
    except Exception as exc:  # noqa: BLE001
        breaker.trip(exc, "recording the next scheduled change")


def _next_change_timestamp(cached_value, now):
    """The next change as a POSIX timestamp (None: nothing ahead), from the cache or the DB."""
    if cached_value is None or (cached_value and cached_value <= now.timestamp()):
        try:
            moment = compute_next_change(now)
        except DatabaseError as exc:
            # The database is away: keep serving stored pages within their own lifetime.
            logger.warning("Could not look up the next scheduled change: %s", exc)
            return None
        _store_next_change(moment, now, overwrite=False)
        return moment.timestamp() if moment else None
    return cached_value or None


# The middleware ---------------------------------------------------------------------------------
def _normalised_key(request):
    params = sorted(
        (k, v)
        for k, v in parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
        if not k.startswith(IGNORED_PARAMETERS)
    )
    raw = f"{request.scheme}://{request.get_host()}{request.path}?{urlencode(params)}"
    return PAGE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def _has_private_cookie(request):
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def _cacheable_request(request):
    if request.method not in {"GET", "HEAD"} or not _setting("NEWSROOM_PAGE_CACHE", True):
        return False
    if request.path.startswith(tuple(_setting("NEWSROOM_PAGE_CACHE_EXCLUDE", ()))):
        return False
    return not _has_private_cookie(request) and "HTTP_AUTHORIZATION" not in request.META


def _cache_control_forbids(response):
    value = response.get("Cache-Control", "").lower()
    return any(word in value for word in ("private", "no-store", "no-cache"))


def _storable(request, response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not getattr(response, "cache_keys", None) or _cache_control_forbids(response):
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False  # the page holds a CSRF token: one reader's, never everyone's
    if get_nonce(request):
        return False  # the page holds a CSP nonce: it must be new on every response
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return vary <= {"cookie", "accept-encoding"}


def _public_headers(response, keys, seconds_left):
    """Cache-Control for browsers and CDNs, bounded by the next scheduled change."""
    browser = _setting("NEWSROOM_BROWSER_MAX_AGE", 60)
    shared = _setting("NEWSROOM_CDN_MAX_AGE", 300)
    stale = _setting("NEWSROOM_CDN_STALE_WHILE_REVALIDATE", 30)
    left = max(0, int(seconds_left))
    if "Cache-Control" in response:
        del response["Cache-Control"]
    patch_cache_control(
        response,
        public=True,
        max_age=min(browser, left),
        s_maxage=min(shared, left),
        stale_while_revalidate=min(stale, left),
    )
    surrogate = " ".join(sorted(keys))
    response["Surrogate-Key"] = surrogate
    response["Cache-Tag"] = ",".join(sorted(keys))
    patch_vary_headers(response, ("Cookie",))


class PageCacheMiddleware:
    """Serves and stores anonymous public pages; marks staff responses private.

    Sits after SecurityMiddleware (and ConditionalGetMiddleware, which answers 304 from the
    stored ETag) and before the session: a cache hit costs no session, no user, no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            response = self.get_response(request)
            self._mark_private(request, response)
            return response
        page_key = _normalised_key(request)
        epoch, cached = None, None
        if breaker.available():
            try:
                found = cache.get_many([page_key, EPOCH])
                epoch, entry = found.get(EPOCH), found.get(page_key)
                if entry is not None:
                    cached = self._valid(entry)
            except Exception as exc:  # noqa: BLE001
                breaker.trip(exc, "reading a page")
        if cached is not None:
            return cached
        response = self.get_response(request)
        if _storable(request, response):
            self._store(page_key, epoch, response)
        return response

    def _valid(self, entry):
        """The stored response if its keys are unchanged and its time has not run out."""
        keys, generations = entry["keys"], entry["generations"]
        current = cache.get_many([_generation_key(k) for k in keys] + [NEXT_CHANGE])
        if any(
            current.get(_generation_key(k)) != g for k, g in zip(keys, generations, strict=True)
        ):
            return None
        now = timezone.now()
        next_change = _next_change_timestamp(current.get(NEXT_CHANGE), now)
        valid_until = entry["valid_until"]
        if next_change is not None:
            valid_until = min(valid_until, next_change)
        if now.timestamp() >= valid_until:
            return None
        response = HttpResponse(entry["content"], status=entry["status"])
        for name, value in entry["headers"]:
            response.headers[name] = value
        _public_headers(response, keys, valid_until - now.timestamp())
        response["X-Page-Cache"] = "hit"
        return response

    def _store(self, page_key, epoch, response):
        keys = sorted({*response.cache_keys, SITE})
        now = timezone.now()
        seconds = _setting("NEWSROOM_PAGE_CACHE_SECONDS", 3600)
        try:
            if not breaker.available():
                raise ConnectionError("cache marked unavailable")
            generation_keys = [_generation_key(k) for k in keys]
            current = cache.get_many([EPOCH, NEXT_CHANGE, *generation_keys])
            if current.get(EPOCH) != epoch:
                # Something was purged while this page rendered: it may show the old state.
                _public_headers(response, keys, 0)
                return
            missing = [g for g in generation_keys if g not in current]
            for g in missing:
                cache.add(g, _fresh_generation(), timeout=None)
            if missing:
                current.update(cache.get_many(missing))
            next_change = _next_change_timestamp(current.get(NEXT_CHANGE), now)
            valid_until = now.timestamp() + seconds
            if next_change is not None:
                valid_until = min(valid_until, next_change)
            _public_headers(response, keys, valid_until - now.timestamp())
            if "ETag" not in response:
                response["ETag"] = (
                    f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
                )
            entry = {
                "content": response.content,
                "status": response.status_code,
                "headers": [
                    (k, v)
                    for k, v in response.items()
                    if k.lower()
                    not in {"cache-control", "surrogate-key", "cache-tag", "x-page-cache"}
                ],
                "keys": keys,
                "generations": [current.get(g) for g in generation_keys],
                "valid_until": valid_until,
            }
            cache.set(page_key, entry, max(1, int(valid_until - now.timestamp())))
            response["X-Page-Cache"] = "miss"
        except Exception as exc:  # noqa: BLE001
            breaker.trip(exc, "storing a page")
            # Still tell CDNs what the page shows; keep their copy short without our purges.
            _public_headers(response, keys, min(seconds, _setting("NEWSROOM_BROWSER_MAX_AGE", 60)))

    @staticmethod
    def _mark_private(request, response):
        """Pages seen by a logged-in person are theirs alone: no browser or CDN may keep them."""
        if not _has_private_cookie(request) or _cache_control_forbids(response):
            return
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if "Cache-Control" in response:
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)


# Navigation -------------------------------------------------------------------------------------
NAV_SECTIONS = "nav-sections"
# This process's copy of the sections, with the stamp it was read under.
_nav_memo = {}


def navigation_sections():
    """The sections in navigation order, on every page: each process keeps its own copy for as
    long as the shared stamp (a token in the cache, dropped whenever a section changes) stays
    the same, so a page pays one small cache read instead of a query."""
    from .models import Section, public_fetch_mode

    stamp = _navigation_stamp()
    memo = _nav_memo.get("sections")
    if stamp is not None and memo is not None and memo[0] == stamp:
        return memo[1]
    # Read after the stamp: a change committed later drops the stamp, so this copy is
    # never kept past it.
    sections = list(public_fetch_mode(Section.objects.all()))
    if stamp is not None:
        _nav_memo["sections"] = (stamp, sections)
    return sections


def _navigation_stamp():
    if not breaker.available():
        return None
    try:
        stamp = cache.get(NAV_SECTIONS)
        if stamp is None:
            cache.add(NAV_SECTIONS, secrets.token_hex(8), timeout=None)
            stamp = cache.get(NAV_SECTIONS)
    except Exception as exc:  # noqa: BLE001
        breaker.trip(exc, "reading the navigation")
        return None
    return stamp


def _section_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return

    def refresh():
        try:
            cache.delete(NAV_SECTIONS)
        except Exception as exc:  # noqa: BLE001
            breaker.trip(exc, "dropping the navigation")
        purge_keys({SITE, section_key(instance)})

    transaction.on_commit(refresh)


# The Redis backend -----------------------------------------------------------------------------
class _ClientKeepingRedisClient(django_redis.RedisCacheClient):
    """Django's Redis client wrapper, keeping one `redis.Redis` per connection pool.

    Django's makes a new `redis.Redis` for every cache call, which fills in its table of some
    170 reply parsers each time: most of what a page cache lookup costs in Python. A
    `redis.Redis` is safe to share (its pool hands out the connections), and each thread has
    its own cache backend and pools anyway."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # {id(pool): redis.Redis}; pools live as long as this object

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with one client per connection pool, and
    without memcached's key checks.

    A cached page is served after reading the generation of every key it carries, dozens of
    them (its stories and their authors). Django checks each key against memcached's limits
    (its length, a regular expression for control characters and spaces) and warns about
    keys memcached would refuse: half of what reading 60 generations cost, for limits Redis
    does not have. (hiredis, installed with redis-py, halves the rest: the replies' parsing.)"""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ClientKeepingRedisClient

    def validate_key(self, key):
        pass


# CDN purge backends -----------------------------------------------------------------------------
class HttpPurgeBackend:
    """Sends `PURGE` to each URL in ``NEWSROOM_PURGE_URLS`` with the keys in a header.

    Varnish with the xkey module, or nginx with a purge handler, then drops every object
    tagged with any of the keys. The URLs come from settings, never from a request."""

    def __init__(self, urls=None, header=None, timeout=None):
        self.urls = list(urls if urls is not None else _setting("NEWSROOM_PURGE_URLS", []))
        self.header = header or _setting("NEWSROOM_PURGE_HEADER", "Surrogate-Key")
        self.timeout = timeout or _setting("NEWSROOM_PURGE_TIMEOUT", 2)

    def purge(self, keys):
        for url in self.urls:
            request = Request(url, method="PURGE", headers={self.header: " ".join(keys)})  # noqa: S310
            try:
                with urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                    answer.read()
            except OSError as exc:
                logger.warning("PURGE %s for %s failed: %s", url, " ".join(keys), exc)


_backend_cache = {}


def purge_backend():
    """The configured CDN purge backend instance, or None."""
    path = _setting("NEWSROOM_PURGE_BACKEND", "")
    if not path:
        return None
    if path not in _backend_cache:
        _backend_cache.clear()
        _backend_cache[path] = import_string(path)()
    return _backend_cache[path]


# What else changes public pages: relations, names, navigation -----------------------------------
def _was_ever_public(article):
    return article is not None and article.first_published_at is not None


def _article_saved(sender, instance, raw=False, created=False, **kwargs):
    """Any save of a story that is or was public purges its pages (the workflow's side effects
    do too; purging twice is harmless). A move also purges the old section's pages."""
    if raw:
        return
    transaction.on_commit(refresh_next_change)
    if not _was_ever_public(instance):
        return
    before = getattr(instance, "_cache_before", None)
    old_section = before[0] if before else None

    def purge():
        keys = article_keys(instance)
        if old_section and old_section != instance.section_id:
            keys.add(section_key(old_section))
        purge_keys(keys)

    transaction.on_commit(purge)


def _article_deleted(sender, instance, **kwargs):
    if _was_ever_public(instance):
        purge_on_commit(article_keys(instance))


def _article_about_to_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    from .models import Article

    instance._cache_before = (
        Article.objects.filter(pk=instance.pk).values_list("section_id", "slug").first()
    )


def _relation_changed(sender, instance, raw=False, **kwargs):
    """A byline, source, correction or related story added or removed on a public article."""
    if raw:
        return
    from .models import Article

    article = Article.objects.filter(pk=instance.article_id).first()
    if not _was_ever_public(article):
        return
    keys = {article_key(article), HOME, FEEDS}
    if author_id := getattr(instance, "author_id", None):
        keys.add(author_key(author_id))
    if source_id := getattr(instance, "source_id", None):
        keys.add(source_key(source_id))
    purge_on_commit(keys)


def _tags_changed(sender, instance, action, pk_set=None, **kwargs):
    from .models import Article

    if not isinstance(instance, Article) or not _was_ever_public(instance):
        return
    if action == "pre_clear":
        instance._cache_cleared_tags = set(instance.tags.values_list("pk", flat=True))
    elif action in {"post_add", "post_remove", "post_clear"}:
        tags = pk_set or getattr(instance, "_cache_cleared_tags", set())
        purge_on_commit({article_key(instance), HOME, FEEDS, *map(tag_key, tags)})


def _named_thing_changed(key_for, *also):
    def receiver(sender, instance, raw=False, **kwargs):
        if not raw:
            purge_on_commit({key_for(instance), *also})

    return receiver


def _image_changed(sender, instance, raw=False, **kwargs):
    """New alt text, caption or credit: every article leading with the picture shows it, and
    every author whose portrait it is (their page, and the author boxes of their stories)."""
    if raw or instance.pk is None:
        return
    from authors.models import Author

    from .models import Article

    ids = Article.objects.filter(lead_image=instance).values_list("pk", flat=True)[:1000]
    keys = {article_key(pk) for pk in ids}
    if keys:
        keys |= {HOME, FEEDS}
    keys |= {
        author_key(pk) for pk in Author.objects.filter(photo=instance).values_list("pk", flat=True)
    }
    if keys:
        purge_on_commit(keys)


def connect_signals():
    """Wire the receivers (called once from the app's `ready()`)."""
    from taggit.models import Tag

    from authors.models import Author

    from .models import (
        Article,
        ArticleSource,
        Byline,
        Correction,
        Image,
        RelatedArticle,
        Section,
        Source,
    )

    pre_save.connect(_article_about_to_save, sender=Article, dispatch_uid="cache_article_pre")
    post_save.connect(_article_saved, sender=Article, dispatch_uid="cache_article_saved")
    pre_delete.connect(_article_deleted, sender=Article, dispatch_uid="cache_article_deleted")
    for model in (Byline, ArticleSource, Correction, RelatedArticle):
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(
                _relation_changed, sender=model, dispatch_uid=f"cache_{model.__name__}_{name}"
            )
    m2m_changed.connect(_tags_changed, sender=Article.tags.through, dispatch_uid="cache_tags")
    named = [
        # Feeds name every credited person and every tag of their stories, and searches find
        # stories by both.
        (Author, _named_thing_changed(author_key, FEEDS, SEARCH)),
        (Source, _named_thing_changed(source_key)),
        (Tag, _named_thing_changed(tag_key, FEEDS, SEARCH)),
        # Sections are the site's navigation: every page shows them.
        (Section, _section_changed),
    ]
    for model, receiver in named:
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(
                receiver, sender=model, dispatch_uid=f"cache_{model.__name__}_{name}", weak=False
            )
    post_save.connect(_image_changed, sender=Image, dispatch_uid="cache_image_saved")
