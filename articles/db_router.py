"""Anonymous public reads from a streaming replica; everything else on the primary.

With `DATABASE_REPLICA_URL` set, the settings add a `replica` database and this router.
Reads go to the primary unless `PublicReadsMiddleware` marked the request as an anonymous
public read: a GET or HEAD without a session, a flash message or an `Authorization` header,
outside the admin, previews, the ingest endpoints and `/healthz`. Anonymous API reads are
public reads too; the API's token clients send their token in `Authorization` (the only
place `api.auth` reads it), so they, the admin, the workflow, the task worker and
management commands read the primary, and a signed-in editor reads their own writes at
once, whatever the replica's lag.

Within a marked request the replica is chosen at the first read, once:

* not when it failed in this process less than `NEWSROOM_REPLICA_RETRY_SECONDS` ago, nor when
  it fails now (stopped, unreachable): the request reads the primary, logged once;
* not when it has not yet replayed the primary's position recorded at the last purge or
  schedule change (`note_primary_position`, called by `articles.caching` after commit): a
  page rendered after a purge always shows what the purge was for, so neither the page
  cache nor Varnish can store a page older than its purge.

Writes always go to the primary; migrations run there only (the replica follows by itself).
"""

import logging
import threading
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, connections

logger = logging.getLogger("newsroom.replica")

PRIMARY = "default"
REPLICA = "replica"
# Where the primary's WAL position of the last purge is kept (in the shared cache).
PRIMARY_POSITION = "primary-wal-position"
# Paths whose reads must see the latest writes, or that report on the primary itself.
PRIMARY_PATHS = ("/admin/", "/preview/", "/ingest/", "/healthz")

_request_reads = ContextVar("newsroom_request_reads", default=None)


def replica_configured():
    return REPLICA in settings.DATABASES


class ReplicaState:
    """This process's view of the replica: usable, or failed until a retry time."""

    def __init__(self):
        self._lock = threading.Lock()
        self.down_until = 0.0
        self.last_error = ""

    def available(self):
        return time.monotonic() >= self.down_until

    def failed(self, exc):
        retry = getattr(settings, "NEWSROOM_REPLICA_RETRY_SECONDS", 5)
        with self._lock:
            first = not self.last_error
            self.down_until = time.monotonic() + retry
            self.last_error = f"{type(exc).__name__}: {exc}".strip()
        if first:
            logger.warning(
                "Replica unavailable (%s); public reads use the primary, retrying every %s s.",
                exc,
                retry,
            )

    def answered(self):
        with self._lock:
            recovered, self.last_error = bool(self.last_error), ""
        if recovered:
            logger.warning("Replica back; public reads use it again.")


replica_state = ReplicaState()


def _position(alias, function):
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {function}() - '0/0'::pg_lsn")  # noqa: S608 - fixed names
        value = cursor.fetchone()[0]
    return None if value is None else int(value)


def note_primary_position():
    """Record where the primary's WAL is now, after a commit whose pages are being purged:
    public reads use the replica again only once it has replayed that far."""
    if not replica_configured():
        return
    try:
        # Where WAL is inserted, not where it is written out: with `synchronous_commit = off`
        # a commit returns before its WAL is written, and the written position falls short.
        position = _position(PRIMARY, "pg_current_wal_insert_lsn")
        if (cache.get(PRIMARY_POSITION) or 0) < position:
            cache.set(PRIMARY_POSITION, position, timeout=None)
    except Exception:  # noqa: BLE001 - a save must not fail for this; reads then use the primary
        logger.warning("Could not record the primary's position", exc_info=True)
        cache.delete_many([PRIMARY_POSITION])


def replica_caught_up():
    """Whether the replica answers and has replayed the last recorded purge's position.
    Never raises: a failure marks the replica down for a while."""
    if not replica_state.available():
        return False
    try:
        replayed = _position(REPLICA, "pg_last_wal_replay_lsn")
    except (DatabaseError, InterfaceError) as exc:
        connections[REPLICA].close()
        replica_state.failed(exc)
        return False
    replica_state.answered()
    try:
        needed = cache.get(PRIMARY_POSITION)
    except Exception:  # noqa: BLE001 - without the shared cache nothing tells how far is enough
        return False
    # A replica promoted to primary (or the primary itself) replays nothing: it is current.
    return replayed is None or needed is None or replayed >= needed


class _PublicReads:
    """One anonymous public request: the alias its reads use, chosen at the first read."""

    alias = None

    def resolve(self):
        if self.alias is None:
            self.alias = REPLICA if replica_caught_up() else PRIMARY
        return self.alias


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = _request_reads.get()
        return reads.resolve() if reads is not None else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


def public_read(request):
    """Whether a request is an anonymous reader's: it may read from the replica."""
    if request.method not in {"GET", "HEAD"} or request.path.startswith(PRIMARY_PATHS):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    return "HTTP_AUTHORIZATION" not in request.META


class PublicReadsMiddleware:
    """Marks anonymous public reads for the replica (a no-op without one). Sits before the
    page cache, whose schedule look-ups are reads too."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = replica_configured()

    def __call__(self, request):
        if not self.enabled or not public_read(request):
            return self.get_response(request)
        token = _request_reads.set(_PublicReads())
        try:
            return self.get_response(request)
        finally:
            _request_reads.reset(token)


def replica_health():
    """For `/healthz`: "off" (no replica), "ok", "behind" (reads use the primary until it
    replays the last purge) or "down"."""
    if not replica_configured():
        return {"status": "off"}
    if not replica_state.available():
        return {"status": "down", "error": replica_state.last_error}
    caught_up = replica_caught_up()
    if not replica_state.available():
        return {"status": "down", "error": replica_state.last_error}
    return {"status": "ok" if caught_up else "behind"}
