"""Public page caching: which keys a response carries, and purging them.

Views call `add_cache_keys(response, ...)` with the things the page shows. Every purge goes
through one function, `purge_keys(keys)`: it moves the keys' generations in the page cache
and forwards the keys to the CDN's purge backend (Varnish, nginx). Its callers:

* the save and delete signals below, after commit, for every change of a story, its
  relations, an author, source, tag, section or picture, whatever made it (the admin, the
  task worker, a script, an importer, a restore), in whichever process;
* the side-effect outbox (`articles/tasks.py`), only at a go-live, embargo lift or expiry,
  moments no save marks, so that a CDN hears of them too; it retries a CDN that failed;
* search, when a rebuilt index changes what a word finds (the `search` key);
* `purges_held()`, around a bulk write (an import): its saves purge nothing one by one, and
  the whole site is purged once its batch commits;
* a front-page layout saved to take effect at once (`home`); one saved for later needs none.

How invalidation stays exact:

* every key ("article-12", "section-3", "home"...) has a *generation* counter in the cache;
* a stored page remembers the generations of its keys when it was stored; a lookup fetches
  the current generations in one `get_many` and serves the page only if none has moved;
* `purge_keys` bumps the generations, so purging costs one cache call per key, whatever the
  number of pages, and works across processes when the cache is shared (Redis);
* the schedule needs no purge and no worker: a page is served only if no story went live,
  left an embargo or expired, and no front-page layout or pin took effect or ended, between
  its rendering and now (`schedule_window()`, read from
  the database, kept in the cache under the *schedule* generation, which every save of a
  story moves, and at most `SCHEDULE_RECHECK_SECONDS` old);
* a page rendered while any purge happened is not stored (the purge *epoch* moved), so a
  render that read the database just before a commit cannot outlive its purge.

Only anonymous GET/HEAD requests without a session are answered from the cache, only 200
responses that declared their keys are stored, and never a response that sets a cookie, used
a CSRF token or a CSP nonce, or says private/no-store.

When the cache fails (Redis down, frozen, unreachable), pages are served uncached: the
`breaker` skips the cache for `NEWSROOM_CACHE_RETRY_SECONDS`, then tries again, logging once
when it opens and once when the cache is back. Purges made meanwhile could not reach it, in
this process or another, so the first thing done when it answers again is to move the `site`
generation, which every stored page carries: nothing stored before an outage is served after
it. `cache_health()` reports the state for `/healthz`.
"""

import contextlib
import hashlib
import logging
import secrets
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, transaction
from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.module_loading import import_string

from .db_router import note_primary_position

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
# Moved by every save or deletion of a story: names the cache entry holding the schedule window.
SCHEDULE = "schedule"
SCHEDULE_PREFIX = "schedule-window:"
NAVIGATION_PREFIX = "nav-sections:"
# The schedule window is read again from the database at least this often, so that even a
# change no signal reports (`QuerySet.update()`, raw SQL, another process's in-process cache)
# reaches the schedule when it is made at least this long before its moment.
SCHEDULE_RECHECK_SECONDS = 10
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


def _bump(cache_key):
    try:
        cache.incr(cache_key)
    except ValueError:  # missing: start it, or bump it if another process just did
        if not cache.add(cache_key, _fresh_generation(), timeout=None):
            cache.incr(cache_key)


def _current(cache_key, known=None):
    """A generation's value, started if the cache has none yet."""
    if known is not None:
        return known
    value = cache.get(cache_key)
    if value is None:
        cache.add(cache_key, _fresh_generation(), timeout=None)
        value = cache.get(cache_key)
    return value


# The breaker ------------------------------------------------------------------------------------
class CacheUnavailable(Exception):
    """The breaker is open: the cache is skipped for now."""


class CacheBreaker:
    """After a cache error, skip the cache for a few seconds instead of waiting on every call.

    Closed: the cache is used. Open: it is skipped until `retry_at`, then tried again; a
    failure noticed while it is open (a call that started earlier, a store) changes nothing,
    so steady traffic cannot keep it open. The first call that finds the cache answering
    again first replays what could not be written (`recover`), then closes it. One log line
    when it opens, one when it closes."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        self.open_since = None  # time.time() when the outage was noticed; None: closed
        self.retry_at = 0.0  # time.monotonic() of the next try
        self.last_error = ""
        self.unwritten = set()  # generation keys a purge could not move

    def available(self):
        return self.open_since is None or time.monotonic() >= self.retry_at

    def failed(self, exc, action):
        retry = _setting("NEWSROOM_CACHE_RETRY_SECONDS", 2)
        with self._lock:
            now = time.monotonic()
            if self.open_since is None:
                self.open_since, self.retry_at = time.time(), now + retry
                self.last_error = f"{type(exc).__name__}: {exc}"
                logger.warning(
                    "Page cache unavailable while %s (%s); serving uncached, retrying every %s s.",
                    action,
                    exc,
                    retry,
                )
            elif now >= self.retry_at:
                self.retry_at = now + retry  # the retry failed: wait again, quietly

    def remember(self, cache_keys):
        with self._lock:
            self.unwritten.update(cache_keys)

    def recover(self):
        """Before using the cache after an outage: move what failed, and the site generation.

        A purge made anywhere during the outage may have been lost (this process's are
        remembered, another's are not), so no page stored before the outage is trusted."""
        if self.open_since is None:
            return
        with self._lock:
            unwritten = set(self.unwritten)
        for cache_key in sorted({*unwritten, _generation_key(SITE), SCHEDULE}):
            _bump(cache_key)
        _bump(EPOCH)
        with self._lock:
            if self.open_since is None:
                return
            seconds = time.time() - self.open_since
            self.unwritten -= unwritten
            self.open_since, self.retry_at, self.last_error = None, 0.0, ""
        logger.warning(
            "Page cache back after %.1f s; pages stored before the outage are dropped.", seconds
        )


breaker = CacheBreaker()


def _with_cache(action, call, *args):
    """Run ``call`` against the cache unless the breaker is open; a failure opens it."""
    if not breaker.available():
        raise CacheUnavailable(action)
    try:
        breaker.recover()
        return call(*args)
    except Exception as exc:
        breaker.failed(exc, action)
        raise


def _try_cache(action, call, *args):
    """`_with_cache`, answering None instead of raising (the breaker has logged the failure)."""
    with contextlib.suppress(Exception):
        return _with_cache(action, call, *args)
    return None


def fragments(keys):
    """{key: rendered fragment} of ``keys`` found in the shared cache; {} while it is out
    (a page then draws its fragments itself)."""
    return (_try_cache("reading fragments", cache.get_many, keys) or {}) if keys else {}


def keep_fragments(rendered, seconds):
    """Store {key: rendered fragment} in the shared cache, if it answers."""
    if rendered:
        _try_cache("storing fragments", cache.set_many, rendered, seconds)


def cache_health(*, check=True):
    """The page cache's state, for `/healthz` and the dashboard.

    ``{"status": "ok" | "degraded", "breaker": "closed" | "open", "since": ISO time or None,
    "error": last error or ""}``. With ``check`` (and the breaker not waiting), one cheap
    read confirms the cache answers; it never raises."""
    if check and breaker.available():
        _try_cache("checking its health", cache.get, EPOCH)
    since = breaker.open_since
    return {
        "status": "degraded" if since is not None else "ok",
        "breaker": "open" if since is not None else "closed",
        "since": datetime.fromtimestamp(since, tz=UTC).isoformat() if since is not None else None,
        "error": breaker.last_error,
    }


# Purging ----------------------------------------------------------------------------------------
class PurgeFailed(Exception):
    """The page cache or the CDN could not be purged; the caller may retry."""


def _move(cache_keys, action):
    """Bump generations and the purge epoch. Returns the error, or None; what could not be
    moved is remembered and moved when the cache is back."""
    try:
        _with_cache(action, _bump_all, cache_keys)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not break a save
        breaker.remember(cache_keys)
        return exc
    return None


def _bump_all(cache_keys):
    for cache_key in cache_keys:
        _bump(cache_key)
    _bump(EPOCH)


def purge_keys(keys, *, strict=False, hard=False):
    """Invalidate every cached page carrying any of ``keys``, here and at the CDN.

    The one way anything is purged (see the module's docstring for its callers). Safe to
    call anywhere, any number of times: an unreachable cache or CDN is logged, never raised,
    unless ``strict`` — then, after trying both, `PurgeFailed` says what failed, so the
    side-effect outbox keeps the purge and retries it. Call it after the change is committed
    (`purge_on_commit`).

    ``hard``: the pages showed a story no reader may see now (withdrawn, expired, deleted):
    the CDN drops them outright. Otherwise it may keep them, expired, to serve while no
    application server answers (a soft purge, see `HttpPurgeBackend`)."""
    keys = sorted({str(k) for k in keys if k})
    if not keys:
        return
    # Before anything is purged: a page rendered after this purge is read from a replica
    # only once it has replayed this change.
    note_primary_position()
    failures = []
    if error := _move([_generation_key(k) for k in keys], "purging"):
        failures.append(f"page cache: {error}")
    try:
        purge_cdn(keys, hard=hard)
    except Exception as exc:  # noqa: BLE001 - the page cache is purged; the outbox retries the CDN
        logger.warning("CDN purge of %s failed: %s", " ".join(keys), exc)
        failures.append(f"CDN: {exc}")
        if not strict:
            from .tasks import record_cdn_purge

            record_cdn_purge(keys, error=str(exc), hard=hard)
    if strict and failures:
        raise PurgeFailed("; ".join(failures))


def purge_cdn(keys, *, hard=False):
    """Send ``keys`` to the CDN's purge backend, if one is configured; raises on failure."""
    backend = purge_backend()
    if backend is not None and keys:
        backend.purge(sorted(keys), hard=hard)


def purge_on_commit(keys):
    """`purge_keys(keys)` once the current transaction commits (at once outside one)."""
    keys = set(keys)
    transaction.on_commit(lambda: purge_keys(keys))


def schedule_changed():
    """A story's times may have changed: readers read the schedule window afresh."""
    note_primary_position()
    _move([SCHEDULE], "recording a schedule change")


_held = threading.local()


def purges_held_here():
    """Whether this thread is inside `purges_held()`."""
    return getattr(_held, "depth", 0) > 0


@contextlib.contextmanager
def purges_held():
    """Within: the save and delete receivers below do nothing; at the end, once the work is
    committed, the schedule moves and the whole site is purged (the `site` key every page
    carries). For a bulk writer (an import) whose thousands of saves would each read their
    story's relations and purge its keys. Per thread: other requests purge as ever."""
    _held.depth = getattr(_held, "depth", 0) + 1
    try:
        yield
    finally:
        _held.depth -= 1
        if not _held.depth:
            transaction.on_commit(lambda: (schedule_changed(), purge_keys({SITE})))


# The schedule -----------------------------------------------------------------------------------
def schedule_window(now=None):
    """``(last, next)``: the latest moment at or before ``now`` at which the public site
    changed by itself, and the earliest after it, as POSIX timestamps (None where there is
    none). Such moments are a published story's go-live, embargo lift or expiry, and a
    front-page layout taking effect or a pin on it starting or ending (`frontpage.moments`).

    A page rendered before ``last`` may be missing a story or show an expired one; ``next`` is
    when the public site next changes by itself. One query of scalar subqueries, each the
    first entry of an index range (the status/publish time index, the partial embargo and
    expiry indexes, the front page's), never a scan."""
    from .frontpage import moments
    from .models import Article

    now = now or timezone.now()
    published = Article.objects.filter(status=Article.Status.PUBLISHED).order_by()
    sources = [(published, field) for field in Article.SCHEDULE_FIELDS] + moments()
    ends = {}
    for n, (rows, field) in enumerate(sources):
        ends[f"last_{n}"] = Subquery(
            rows.filter(**{f"{field}__lte": now}).order_by(f"-{field}").values(field)[:1]
        )
        ends[f"next_{n}"] = Subquery(
            rows.filter(**{f"{field}__gt": now}).order_by(field).values(field)[:1]
        )
    # Read off any one story's row (a site without stories has nothing to change).
    row = next(iter(Article.objects.order_by().values(**ends)[:1]), {})
    last = [m for name, m in row.items() if m is not None and name.startswith("last_")]
    ahead = [m for name, m in row.items() if m is not None and name.startswith("next_")]
    return (
        max(last).timestamp() if last else None,
        min(ahead).timestamp() if ahead else None,
    )


def _window(cached, cache_key, now):
    """The schedule window from the cache if it is still current, else from the database.

    ``cache_key`` belongs to the schedule generation read before anything else in this
    request: a save committed after the database was read here moves that generation, so
    a window written under it is never read again."""
    moment = now.timestamp()
    if cached is not None:
        last, upcoming, read_at = cached
        if (upcoming is None or upcoming > moment) and moment < read_at + SCHEDULE_RECHECK_SECONDS:
            return last, upcoming
    try:
        last, upcoming = schedule_window(now)
    except (DatabaseError, InterfaceError) as exc:
        # The database is away: keep serving stored pages within their own lifetime.
        logger.warning("Could not read the schedule: %s", exc)
        return None, None
    cache.set(cache_key, (last, upcoming, moment), SCHEDULE_RECHECK_SECONDS)
    return last, upcoming


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
    """Cache-Control for browsers and CDNs, Surrogate-Control for a cache that hears our
    purges (Varnish, Fastly): each bounded by the next scheduled change, stale copies too."""
    browser = _setting("NEWSROOM_BROWSER_MAX_AGE", 60)
    shared = _setting("NEWSROOM_CDN_MAX_AGE", 300)
    stale = _setting("NEWSROOM_CDN_STALE_WHILE_REVALIDATE", 30)
    left = max(0, int(seconds_left))
    if "Cache-Control" in response:
        del response["Cache-Control"]
    shared = min(shared, left)
    patch_cache_control(
        response,
        public=True,
        max_age=min(browser, left),
        s_maxage=shared,
        # Served stale only until the next scheduled change, never after it.
        stale_while_revalidate=min(stale, left - shared),
    )
    # A purged cache may keep the page as long as the page cache does.
    surrogate_seconds = min(_setting("NEWSROOM_PAGE_CACHE_SECONDS", 3600), left)
    response["Surrogate-Control"] = f"max-age={surrogate_seconds}"
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
        # Before anything is read: a story going live after this moment may be missing.
        rendered_at = timezone.now().timestamp()
        page_key = _normalised_key(request)
        found = _try_cache("reading a page", cache.get_many, [page_key, EPOCH, SCHEDULE])
        if found is not None and (entry := found.get(page_key)) is not None:
            cached = _try_cache("reading a page", self._valid, entry, found.get(SCHEDULE))
            if cached is not None:
                return cached
        response = self.get_response(request)
        if _storable(request, response):
            self._store(page_key, found, rendered_at, response)
        return response

    def _valid(self, entry, schedule):
        """The stored response if its keys are unchanged and no scheduled change, nor its
        own time, has passed since it was rendered."""
        keys, generations = entry["keys"], entry["generations"]
        window_key = f"{SCHEDULE_PREFIX}{_current(SCHEDULE, schedule)}"
        current = cache.get_many([_generation_key(k) for k in keys] + [window_key])
        if any(
            current.get(_generation_key(k)) != g for k, g in zip(keys, generations, strict=True)
        ):
            return None
        now = timezone.now()
        last, upcoming = _window(current.get(window_key), window_key, now)
        if last is not None and entry.get("rendered_at", 0.0) < last:
            return None
        valid_until = entry["valid_until"]
        if upcoming is not None:
            valid_until = min(valid_until, upcoming)
        if now.timestamp() >= valid_until:
            return None
        response = HttpResponse(entry["content"], status=entry["status"])
        for name, value in entry["headers"]:
            response.headers[name] = value
        _public_headers(response, keys, valid_until - now.timestamp())
        response["X-Page-Cache"] = "hit"
        return response

    def _store(self, page_key, found, rendered_at, response):
        # Skipped when the cache was not read as the request began (nothing is known of the
        # purges made while the page rendered); a failure is the breaker's to log.
        if found is None or not _try_cache(
            "storing a page", self._write, page_key, found, rendered_at, response
        ):
            # Still tell CDNs what the page shows; keep their copy short without our purges.
            seconds = _setting("NEWSROOM_PAGE_CACHE_SECONDS", 3600)
            browser = _setting("NEWSROOM_BROWSER_MAX_AGE", 60)
            _public_headers(response, sorted({*response.cache_keys, SITE}), min(seconds, browser))

    def _write(self, page_key, found, rendered_at, response):
        """Store the page unless something it shows changed while it rendered; set its
        headers either way. ``found`` is what was read from the cache as the request began."""
        keys = sorted({*response.cache_keys, SITE})
        now = timezone.now()
        generation_keys = [_generation_key(k) for k in keys]
        window_key = f"{SCHEDULE_PREFIX}{_current(SCHEDULE, found.get(SCHEDULE))}"
        current = cache.get_many([EPOCH, window_key, *generation_keys])
        if current.get(EPOCH) != found.get(EPOCH):
            # Something was purged while this page rendered: it may show the old state.
            _public_headers(response, keys, 0)
            return True
        missing = [g for g in generation_keys if g not in current]
        for g in missing:
            cache.add(g, _fresh_generation(), timeout=None)
        if missing:
            current.update(cache.get_many(missing))
        last, upcoming = _window(current.get(window_key), window_key, now)
        valid_until = now.timestamp() + _setting("NEWSROOM_PAGE_CACHE_SECONDS", 3600)
        if upcoming is not None:
            valid_until = min(valid_until, upcoming)
        if last is not None and rendered_at < last:
            valid_until = now.timestamp()  # a story went live while it rendered
        _public_headers(response, keys, valid_until - now.timestamp())
        if valid_until <= now.timestamp():
            return True
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
                not in {
                    "cache-control",
                    "surrogate-control",
                    "surrogate-key",
                    "cache-tag",
                    "x-page-cache",
                }
            ],
            "keys": keys,
            "generations": [current.get(g) for g in generation_keys],
            "rendered_at": rendered_at,
            "valid_until": valid_until,
        }
        cache.set(page_key, entry, max(1, int(valid_until - now.timestamp())))
        response["X-Page-Cache"] = "miss"
        return True

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
def navigation_sections():
    """The sections in navigation order, on every page: kept in the shared cache under the
    `site` generation, which any change to a section moves (`_section_changed`)."""
    from .models import Section, public_fetch_mode

    cache_key = None
    if site := _try_cache("reading the navigation", _current, _generation_key(SITE)):
        cache_key = f"{NAVIGATION_PREFIX}{site}"
        sections = _try_cache("reading the navigation", cache.get, cache_key)
        if sections is not None:
            return sections
    # Read after the generation: a change committed later moves it, so this copy is never
    # read past that change.
    sections = list(public_fetch_mode(Section.objects.all()))
    if cache_key is not None:
        seconds = _setting("NEWSROOM_PAGE_CACHE_SECONDS", 3600)
        _try_cache("storing the navigation", cache.set, cache_key, sections, seconds)
    return sections


def _section_changed(sender, instance, raw=False, **kwargs):
    if not raw and not purges_held_here():
        purge_on_commit({SITE, section_key(instance)})


# CDN purge backends -----------------------------------------------------------------------------
# Sent with a soft purge; without it a purge is hard (the safe default for anyone else).
SOFT = {"Soft-Purge": "1"}


class HttpPurgeBackend:
    """Sends `PURGE` to each URL in ``NEWSROOM_PURGE_URLS`` with the keys in a header.

    Varnish with the xkey module, or nginx with a purge handler, then drops every object
    tagged with any of the keys. The URLs come from settings, never from a request.

    A purge that is not ``hard`` also says `Soft-Purge: 1`: a cache that knows the header
    (deploy/varnish/default.vcl) may keep the expired pages to serve while no application
    server answers; one that does not drops them, as for a hard purge. A backend of one's
    own (``NEWSROOM_PURGE_BACKEND``) has the same `purge(keys, *, hard)`."""

    def __init__(self, urls=None, header=None, timeout=None):
        # Unless given, read from the settings at each purge.
        self.urls, self.header, self.timeout = urls, header, timeout

    def purge(self, keys, *, hard=False):
        """Purge at every URL; then, if any refused (an HTTP error) or did not answer in
        time, raise `PurgeFailed` naming them, so the purge is kept and retried."""
        urls = self.urls if self.urls is not None else _setting("NEWSROOM_PURGE_URLS", [])
        header = self.header or _setting("NEWSROOM_PURGE_HEADER", "Surrogate-Key")
        timeout = self.timeout or _setting("NEWSROOM_PURGE_TIMEOUT", 2)
        failed = []
        for url in urls:
            headers = {header: " ".join(keys)} if hard else {header: " ".join(keys), **SOFT}
            request = Request(url, method="PURGE", headers=headers)  # noqa: S310
            try:
                with urlopen(request, timeout=timeout) as answer:  # noqa: S310
                    answer.read()
            except OSError as exc:  # refused (HTTPError), unreachable, timed out
                logger.warning("PURGE %s for %s failed: %s", url, " ".join(keys), exc)
                failed.append(f"{url}: {exc}")
        if failed:
            raise PurgeFailed("; ".join(failed))


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


# What changes public pages: stories, their relations, names, pictures, navigation ---------------
def _shows(article):
    """Whether pages may show this story: it is live, or has been (its old address answers
    410, lists showed it). A story still to go live needs no purge here: the schedule
    brings it (but see `_will_show`)."""
    if article is None:
        return False
    first = article.first_published_at
    return article.is_live or (first is not None and first <= timezone.now())


def _gone(article):
    """Readers may have seen this story and may not now (withdrawn, expired, under embargo
    again): no cache may keep its pages, not even for an outage (a hard purge)."""
    return not article.is_live and _shows(article)


def _will_show(article):
    """Scheduled to go live: the page cache follows the schedule by itself, but a CDN's copy
    of its pages was stored not knowing the moment; purged, their next copy is bounded by it."""
    return article.status == article.Status.PUBLISHED and not article.is_live


def _article_about_to_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None or purges_held_here():
        return
    instance._cache_before = (
        sender.objects.filter(pk=instance.pk)
        .values_list("section_id", "status", *sender.SCHEDULE_FIELDS, "first_published_at")
        .first()
    )


def _was_shown(sender, before):
    if before is None:
        return False
    section_id, status, *times, first_published_at = before
    return _shows(
        sender(
            status=status,
            first_published_at=first_published_at,
            **dict(zip(sender.SCHEDULE_FIELDS, times, strict=True)),
        )
    )


def _article_saved(sender, instance, raw=False, **kwargs):
    """Every save of a story, whatever made it, moves the schedule; a save of one that is,
    was or had been public purges its pages, and a move its old section's pages."""
    if purges_held_here():
        return
    if raw:
        # A restore or a fixture: rows arrive without their relations, and any page may change.
        transaction.on_commit(lambda: (schedule_changed(), purge_keys({SITE})))
        return
    before = getattr(instance, "_cache_before", None)
    old_section = before[0] if before else None
    shown = _shows(instance) or _was_shown(sender, before)
    if not shown and _will_show(instance) and purge_backend() is not None:
        shown = True

    def after_commit():
        schedule_changed()
        if shown:
            keys = article_keys(instance)
            if old_section and old_section != instance.section_id:
                keys.add(section_key(old_section))
            purge_keys(keys, hard=_gone(instance))

    transaction.on_commit(after_commit)


def _article_deleted(sender, instance, **kwargs):
    if purges_held_here():
        return
    keys = article_keys(instance) if _shows(instance) else set()
    transaction.on_commit(lambda: (schedule_changed(), purge_keys(keys, hard=True)))


def _relation_changed(sender, instance, raw=False, **kwargs):
    """A byline, source, correction or related story added or removed on a public article."""
    if raw or purges_held_here():
        return
    from .models import Article

    article = Article.objects.filter(pk=instance.article_id).first()
    if not _shows(article):
        return
    keys = {article_key(article), HOME, FEEDS}
    if author_id := getattr(instance, "author_id", None):
        keys.add(author_key(author_id))
    if source_id := getattr(instance, "source_id", None):
        keys.add(source_key(source_id))
    purge_on_commit(keys)


def _tags_changed(sender, instance, action, pk_set=None, **kwargs):
    if purges_held_here():
        return
    from .models import Article

    if not isinstance(instance, Article) or not _shows(instance):
        return
    if action == "pre_clear":
        instance._cache_cleared_tags = set(instance.tags.values_list("pk", flat=True))
    elif action in {"post_add", "post_remove", "post_clear"}:
        tags = pk_set or getattr(instance, "_cache_cleared_tags", set())
        purge_on_commit({article_key(instance), HOME, FEEDS, *map(tag_key, tags)})


def _named_thing_changed(key_for, *also):
    def receiver(sender, instance, raw=False, **kwargs):
        if not raw and not purges_held_here():
            purge_on_commit({key_for(instance), *also})

    return receiver


def _image_changed(sender, instance, raw=False, **kwargs):
    """New alt text, caption or credit: every article leading with the picture shows it, and
    every author whose portrait it is (their page, and the author boxes of their stories)."""
    if raw or instance.pk is None or purges_held_here():
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


def _front_page_saved(sender, instance, raw=False, **kwargs):
    """A new front-page version: readers read the schedule afresh (its moment, its pins); one
    in force already also reaches the CDN now. One for later needs nothing more: its moment
    bounds how long any cache keeps the home page."""
    in_force = instance.effective_at <= timezone.now()

    def after_commit():
        schedule_changed()
        if in_force or raw:
            purge_keys({HOME})

    transaction.on_commit(after_commit)


def connect_signals():
    """Wire the receivers (called once from the app's `ready()`)."""
    from taggit.models import Tag

    from authors.models import Author

    from .models import (
        Article,
        ArticleSource,
        Byline,
        Correction,
        FrontPageLayout,
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
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(
            _front_page_saved, sender=FrontPageLayout, dispatch_uid=f"cache_front_page_{name}"
        )
