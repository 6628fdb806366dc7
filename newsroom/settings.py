"""Newsroom settings, driven by the environment.

With no configuration at all the project runs on a laptop: SQLite in the project folder,
an in-process cache, e-mail printed to the console. Production values come from the
environment (see the README for the full table). A bad value stops start-up with one line
naming the variable and what is wrong.
"""

import os
import sys
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def _refuse(message):
    """Stop start-up with one readable line instead of a traceback wall."""
    raise SystemExit(f"Newsroom cannot start: {message}")


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    _refuse(f"{name}={value!r} is not a boolean; use 1 or 0.")


def _env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_int(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        _refuse(f"{name}={value!r} is not a whole number.")


def _env_size(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    width, _, height = value.partition("x")
    if not (width.isdigit() and height.isdigit()):
        _refuse(f"{name}={value!r} is not a size; use WIDTHxHEIGHT in pixels, e.g. 1200x630.")
    return int(width), int(height)


DEBUG = _env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        # Only for a laptop: DEBUG is on, so nothing here is meant to face the internet.
        SECRET_KEY = "django-insecure-newsroom-local-development-only"  # noqa: S105
    else:
        _refuse("SECRET_KEY is not set. Set SECRET_KEY (or DEBUG=1 for local development).")

ALLOWED_HOSTS = _env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.netloc:
    _refuse(f"SITE_URL={SITE_URL!r} must be an absolute http(s) URL, e.g. https://news.example.")

CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [f"{_site.scheme}://{_site.netloc}"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "taggit",
    "django_prose_editor",
    "django_tasks_db",
    "axes",
    # The API's interactive docs (its Swagger UI files, served as static files).
    "ninja",
    "authors",
    "articles",
    "wordpress",
    "ingest",
    "api",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Anonymous public reads from the replica, when there is one (`articles.db_router`).
    "articles.db_router.PublicReadsMiddleware",
    # The site's one language and zone, active for the whole request (cheaper look-ups).
    "articles.middleware.SiteLocaleMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # API budgets per client: before the page cache and the 304s, so cached answers count too.
    "api.ratelimit.RateLimitMiddleware",
    # ETag / Last-Modified answered with 304, for cached pages too.
    "django.middleware.http.ConditionalGetMiddleware",
    # Old WordPress addresses (301): looked up only for a would-be 404 or a `?p=` address.
    "wordpress.middleware.OldAddressMiddleware",
    # Anonymous public pages from the cache: before the session, so a hit costs no query.
    "articles.caching.PageCacheMiddleware",
    "articles.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Agency updates and withdrawals shown on the stories made from their copy.
    "ingest.middleware.AgencyNoticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Permissions-Policy, and the admin's own CSP (before the site-wide one is added).
    "articles.headers.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "articles.context_processors.site",
            ],
        },
    },
]

# Database -----------------------------------------------------------------------------------
import dj_database_url  # noqa: E402


def _env_database(name, url):
    """The database a URL names, with the connection settings every PostgreSQL one gets."""
    try:
        db = dj_database_url.parse(url)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a configuration error
        _refuse(f"{name} is malformed ({exc}). Example: postgres://user:pass@host:5432/db")
    if not db.get("ENGINE"):
        _refuse(f"{name}={url!r} names no known database engine.")
    if db["ENGINE"] == "django.db.backends.postgresql":
        if not db.get("NAME"):
            _refuse(f"{name} names no database. Example: postgres://user@host:5432/newsroom")
        # Persistent connections: a news site's read path must not pay a connect per request.
        # Each is checked before a request uses it.
        db["CONN_MAX_AGE"] = _env_int("DB_CONN_MAX_AGE", 60)
        db["CONN_HEALTH_CHECKS"] = True
        db.setdefault("OPTIONS", {})
        # A runaway public query is cut off instead of holding a worker hostage.
        timeout = _env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
        db["OPTIONS"]["options"] = f"-c statement_timeout={timeout}"
        db["OPTIONS"].setdefault("connect_timeout", 3)
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {})
        db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        db["OPTIONS"].setdefault("timeout", 20)
        db["OPTIONS"].setdefault(
            "init_command",
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        )
    return db


DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'newsroom.sqlite3'}"
DATABASES = {"default": _env_database("DATABASE_URL", DATABASE_URL)}
# A streaming replica of the primary for anonymous public reads (`articles.db_router`).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    _replica = _env_database("DATABASE_REPLICA_URL", DATABASE_REPLICA_URL)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        _refuse(
            f"DATABASE_REPLICA_URL={DATABASE_REPLICA_URL!r} is not a PostgreSQL URL; "
            "the replica is a streaming replica of a PostgreSQL primary."
        )
    if DATABASES["default"]["ENGINE"] != _replica["ENGINE"]:
        _refuse("DATABASE_REPLICA_URL is set but DATABASE_URL is not PostgreSQL.")
    # A replica that does not answer is skipped at once, not waited for (the primary serves).
    _replica["OPTIONS"]["connect_timeout"] = _env_int("DB_REPLICA_CONNECT_TIMEOUT", 1)
    # The test run reads through the replica's alias from the one test database.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["articles.db_router.ReplicaRouter"]
# After an error, how long public reads go to the primary before the replica is tried again.
NEWSROOM_REPLICA_RETRY_SECONDS = _env_int("REPLICA_RETRY_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ----------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    _redis = urlsplit(REDIS_URL)
    if _redis.scheme not in {"redis", "rediss", "unix"} or (
        _redis.scheme != "unix" and not _redis.hostname
    ):
        _refuse(f"REDIS_URL={REDIS_URL!r} is malformed. Example: redis://127.0.0.1:6379/0")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
            # An unreachable or frozen Redis costs a request half a second, once: the page
            # cache's breaker then skips it (articles/caching.py).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
        }
    }

# Tasks (side effects after commit: cache purges, e-mails) -----------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Wire and partner ingest (the `ingest` app) --------------------------------------------------
INGEST_MAX_BYTES = _env_int("INGEST_MAX_BYTES", 20 * 1024 * 1024)  # one delivery
INGEST_MAX_ITEM_BYTES = _env_int("INGEST_MAX_ITEM_BYTES", 1024 * 1024)  # one item's body
INGEST_MAX_RAW_BYTES = _env_int("INGEST_MAX_RAW_BYTES", 256 * 1024)  # original kept per item
INGEST_RETENTION_DAYS = _env_int("INGEST_RETENTION_DAYS", 30)  # unused items, then deleted
INGEST_POLL_TIMEOUT = _env_int("INGEST_POLL_TIMEOUT", 20)  # seconds per request

# The read API (the `api` app) -----------------------------------------------------------------
# Requests per minute: each anonymous client (by address) and each API token; 0 lifts the limit.
NEWSROOM_API_RATE_ANONYMOUS = _env_int("API_RATE_ANONYMOUS", 60)
NEWSROOM_API_RATE_TOKEN = _env_int("API_RATE_TOKEN", 600)
if NEWSROOM_API_RATE_ANONYMOUS < 0 or NEWSROOM_API_RATE_TOKEN < 0:
    _refuse("API_RATE_ANONYMOUS and API_RATE_TOKEN are requests per minute: 0 or more.")
NEWSROOM_API_PAGE_SIZE = 20
NEWSROOM_API_MAX_PAGE_SIZE = 100

# Webhooks (the `webhooks` app) -------------------------------------------------------------
# Off by default: a webhook URL could otherwise make the server call its own internal services
# (SSRF). Turn on only to try webhooks against a receiver on this machine or network.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = _env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES")
WEBHOOKS_TIMEOUT = _env_int("WEBHOOKS_TIMEOUT", 10)  # seconds for one delivery, all in
WEBHOOKS_RETRY_HOURS = _env_int("WEBHOOKS_RETRY_HOURS", 24)  # then a delivery gives up

# Auth -----------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Login throttling: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = _env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client address is REMOTE_ADDR unless a trusted proxy count is configured, so a
# spoofed X-Forwarded-For cannot dodge the lockout.
TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "articles.middleware.client_ip_address"
# Any length of typed username is refused normally and counted (axes keeps 255 characters).
AXES_USERNAME_CALLABLE = "articles.admin.login.throttled_username"
AXES_LOCKOUT_CALLABLE = "articles.middleware.lockout_response"

# Internationalisation and time ----------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en-gb")
NEWSROOM_TIME_ZONE = os.environ.get("NEWSROOM_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(NEWSROOM_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    _refuse(
        f"NEWSROOM_TIME_ZONE={NEWSROOM_TIME_ZONE!r} is not a known time zone "
        "(use an IANA name such as Europe/Berlin)."
    )
TIME_ZONE = NEWSROOM_TIME_ZONE
USE_I18N = True
USE_TZ = True

# Static and media -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
SERVE_MEDIA = _env_bool("SERVE_MEDIA", DEBUG)
# Files browsers ask for at the site's root (`/favicon.ico`), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads larger than this stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# E-mail -----------------------------------------------------------------------------------------
_email_backend = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
_email_options = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": _env_int("EMAIL_PORT", 25),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _env_bool("EMAIL_USE_TLS"),
        # Shorter than a side effect's lease (below), so a hung server cannot outlast it.
        "timeout": _env_int("EMAIL_TIMEOUT", 30),
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")

# Security ---------------------------------------------------------------------------------------
HTTPS = _env_bool("HTTPS", SITE_URL.startswith("https://") and not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the domain and every subdomain to HTTPS in browsers for months, beyond this
# site's reach: a site opts in, so `check --deploy`'s reminder (W021) is not an error here.
SECURE_HSTS_PRELOAD = HTTPS and _env_bool("SECURE_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if _env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# The admin's templates and its body editor set inline `style` attributes; the public pages
# need none (`articles.headers`).
NEWSROOM_ADMIN_CSP = {**SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
NEWSROOM_PERMISSIONS_POLICY = os.environ.get(
    "PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()",
)

# Newsroom ---------------------------------------------------------------------------------------
_site_name = os.environ.get("SITE_NAME", "The Demo Ledger")
NEWSROOM_SITE = {
    "name": _site_name,
    "tagline": os.environ.get("SITE_TAGLINE", "Independent news, clearly sourced."),
    "logo": os.environ.get("SITE_LOGO", "img/logo.svg"),
    # One name in og:site_name, the news sitemap and the JSON-LD publisher, unless the
    # publishing company is named apart.
    "publisher": os.environ.get("SITE_PUBLISHER") or _site_name,
    "publisher_url": os.environ.get("SITE_PUBLISHER_URL", SITE_URL),
    # What shared links show for a page or story without a picture (`articles.public.social_card`):
    # empty for a card drawn with the site's name.
    "social_image": os.environ.get("SITE_SOCIAL_IMAGE", ""),
    "social_image_size": _env_size("SITE_SOCIAL_IMAGE_SIZE", (1200, 630)),
    "footer_links": [
        {"label": "Corrections", "url": "/corrections/"},
        {"label": "RSS", "url": "/feeds/latest/rss/"},
    ],
}
NEWSROOM_PAGE_SIZE = 20
# How public reads load a field or relation they did not fetch: Django's default (None), or
# FETCH_RAISE in the tests, so any lazy load fails there. Defined here even when None: a page
# reads it for every story and picture it builds, and a missing setting is a slow look-up.
NEWSROOM_FETCH_MODE = None
NEWSROOM_PREVIEW_LINK_HOURS = _env_int("PREVIEW_LINK_HOURS", 48)
# "X is editing this article": an open form says so every EDITING_HEARTBEAT seconds; one not
# heard from for EDITING_WINDOW seconds (closed without a goodbye, offline) is no longer shown.
NEWSROOM_EDITING_HEARTBEAT_SECONDS = 20
NEWSROOM_EDITING_WINDOW_SECONDS = 60

# Page cache and CDNs (see articles/caching.py and the README) ---------------------------------
NEWSROOM_PAGE_CACHE = _env_bool("PAGE_CACHE", True)
NEWSROOM_PAGE_CACHE_SECONDS = _env_int("PAGE_CACHE_SECONDS", 3600)
# After a cache error, how long pages are served uncached before the cache is tried again.
NEWSROOM_CACHE_RETRY_SECONDS = _env_int("CACHE_RETRY_SECONDS", 2)
NEWSROOM_PAGE_CACHE_EXCLUDE = ["/admin/", "/preview/", "/healthz", STATIC_URL, MEDIA_URL]
NEWSROOM_BROWSER_MAX_AGE = _env_int("BROWSER_MAX_AGE", 60)
NEWSROOM_CDN_MAX_AGE = _env_int("CDN_MAX_AGE", 300)
NEWSROOM_CDN_STALE_WHILE_REVALIDATE = _env_int("CDN_STALE_WHILE_REVALIDATE", 30)
NEWSROOM_PURGE_URLS = _env_list("PURGE_URLS", [])
NEWSROOM_PURGE_BACKEND = os.environ.get(
    "PURGE_BACKEND", "articles.caching.HttpPurgeBackend" if NEWSROOM_PURGE_URLS else ""
)
NEWSROOM_PURGE_HEADER = os.environ.get("PURGE_HEADER", "Surrogate-Key")
# Seconds a purge request may take before it counts as failed (kept in the outbox, retried).
NEWSROOM_PURGE_TIMEOUT = _env_int("PURGE_TIMEOUT", 2)

# The task worker (`manage.py run_worker`, `articles.tasks`): how long a claim on a side effect
# lasts before another worker may take it over, and how often the worker sweeps the outbox.
NEWSROOM_SIDE_EFFECT_LEASE_SECONDS = _env_int("SIDE_EFFECT_LEASE_SECONDS", 300)
NEWSROOM_WORKER_SWEEP_SECONDS = _env_int("WORKER_SWEEP_SECONDS", 60)

TAGGIT_CASE_INSENSITIVE = True

# Routine lines: each request the development server answers, each task the worker runs.
_routine = {"handlers": ["routine"], "propagate": False}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": sys.stderr},
        "routine": {
            "class": "logging.StreamHandler",
            "stream": sys.stderr,
            "level": os.environ.get("ROUTINE_LOG_LEVEL", "INFO"),
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's own console handler (DEBUG only) would print every django.* line a second
        # time, beside the root's.
        "django": {"handlers": [], "propagate": True},
        "django.server": {**_routine, "level": "INFO"},
        "django.tasks": _routine,
        "django_tasks_db": _routine,
    },
}
