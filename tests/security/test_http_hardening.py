"""HTTP hardening: a nonce-based CSP, the usual security headers, HTTPS in production, a
clean `check --deploy`, and absolute URLs that a forged Host header cannot touch."""

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import make_article, make_author, make_user

ROOT = Path(__file__).resolve().parents[2]
SITE_URL = "https://news.example"


def csp_directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


class Scripts(HTMLParser):
    """Every <script> and every inline event handler or javascript: URL in a page."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers, self.js_urls = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.handlers.append((tag, name))
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name in {"href", "src", "action", "formaction"} and squeezed.startswith(
                "javascript:"
            ):
                self.js_urls.append((tag, value))


def assert_no_script_runs_without_the_nonce(response):
    nonces = {
        v.removeprefix("'nonce-").removesuffix("'")
        for v in csp_directives(response)["script-src"]
        if v.startswith("'nonce-")
    }
    parser = Scripts()
    parser.feed(response.text)
    for attrs in parser.scripts:
        if attrs.get("type") in {"application/ld+json", "application/json"}:
            continue  # data, never executed
        if "src" in attrs:
            src = attrs["src"]
            assert src.startswith("/static/") or attrs.get("nonce") in nonces, src
        else:
            assert attrs.get("nonce") in nonces, f"inline script without the nonce: {attrs}"
    assert parser.handlers == [], "inline event handlers would be blocked by the CSP"
    assert parser.js_urls == []


@pytest.fixture
def pages(db):
    author = make_author(name="Ana Lee")
    article = make_article(headline="Hardened headline", authors=[author], tags=["NATO"])
    return {
        "home": "/",
        "section": article.section.get_absolute_url(),
        "article": article.get_absolute_url(),
        "tag": "/tags/nato/",
        "author": author.get_absolute_url(),
        "search": "/search/?q=hardened",
        "corrections": "/corrections/",
        "admin login": "/admin/login/",
    }


def test_every_page_allows_only_own_and_nonced_scripts(client, pages):
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, name
        directives = csp_directives(response)
        script_src = directives["script-src"]
        # Only the site itself, plus a per-request nonce where the page used one (Django
        # leaves the nonce out of the header of pages that need none, stricter still).
        assert script_src[0] == "'self'", name
        assert all(v.startswith("'nonce-") for v in script_src[1:]), name
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert_no_script_runs_without_the_nonce(response)


def test_every_page_sends_the_basic_security_headers(client, pages):
    for name, path in pages.items():
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", name
        assert response.headers["X-Frame-Options"] == "DENY", name


def test_every_page_denies_the_browser_features_the_site_never_uses(client, pages):
    for name, path in pages.items():
        policy = client.get(path).headers.get("Permissions-Policy", "")
        for feature in ["camera", "microphone", "geolocation", "payment"]:
            assert f"{feature}=()" in policy, name


def test_public_pages_allow_no_inline_style_and_only_the_admin_does(client, pages):
    for name, path in pages.items():
        style_src = csp_directives(client.get(path))["style-src"]
        if path.startswith("/admin/"):
            assert style_src == ["'self'", "'unsafe-inline'"], name
        else:
            assert style_src == ["'self'"], name


def test_the_admin_article_form_runs_no_script_without_the_nonce(client, db):
    client.force_login(make_user("Editor"))
    for path in ["/admin/", "/admin/articles/article/", "/admin/articles/article/add/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_script_runs_without_the_nonce(response)


def test_nonces_differ_between_uncached_requests(client, db):
    client.force_login(make_user("Editor"))
    first = csp_directives(client.get("/admin/"))["script-src"]
    second = csp_directives(client.get("/admin/"))["script-src"]
    assert first != second


# Production --------------------------------------------------------------------------------


def production_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "HTTPS", "SITE_URL", "ALLOWED_HOSTS", "DATABASE"))
    }
    env.update(
        {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": SITE_URL,
            "ALLOWED_HOSTS": "news.example",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            **extra,
        }
    )
    return env


def test_check_deploy_shows_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_to_https_and_sends_hsts(tmp_path):
    code = """
import django; django.setup()
from django.test import Client
client = Client()
plain = client.get("/robots.txt", HTTP_HOST="news.example")
print(plain.status_code, plain.headers.get("Location"))
secure = client.get("/robots.txt", HTTP_HOST="news.example", secure=True)
print(secure.headers.get("Strict-Transport-Security"))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    redirect, hsts = result.stdout.strip().splitlines()[-2:]
    assert redirect == "301 https://news.example/robots.txt"
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


HSTS_CODE = """
import django; django.setup()
from django.test import Client
response = Client().get("/robots.txt", HTTP_HOST="news.example", secure=True)
print(response["Strict-Transport-Security"])
"""


def production_hsts(tmp_path, **env):
    result = subprocess.run(
        [sys.executable, "-c", HSTS_CODE],
        cwd=ROOT,
        env=production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_hsts_preload_is_sent_only_when_the_site_opts_in(tmp_path):
    assert "preload" not in production_hsts(tmp_path)
    assert production_hsts(tmp_path, SECURE_HSTS_PRELOAD="1").endswith("; preload")


def test_hsts_include_subdomains_can_be_turned_off(tmp_path):
    assert production_hsts(tmp_path, SECURE_HSTS_INCLUDE_SUBDOMAINS="0") == "max-age=31536000"


# Forged Host headers --------------------------------------------------------------------------


def test_an_unknown_host_header_is_refused(client, db):
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400


def absolute_urls(text):
    return set(re.findall(r"https?://[^\s\"'<>]+", text))


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/latest/rss/",
        "/feeds/latest/atom/",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/robots.txt",
    ],
)
def test_feeds_and_sitemaps_take_absolute_urls_from_the_site_url_not_the_host(path, db):
    article = make_article(headline="Where do links point")
    client = Client()
    response = client.get(path, HTTP_HOST="localhost", HTTP_X_FORWARDED_HOST="evil.example")
    assert response.status_code == 200, path
    text = response.content.decode()
    if path == "/sitemap.xml":
        # The index points at section sitemaps; follow them too.
        for loc in re.findall(r"<loc>([^<]+)</loc>", text):
            sub = client.get(
                loc.removeprefix(SITE_URL),
                HTTP_HOST="localhost",
                HTTP_X_FORWARDED_HOST="evil.example",
            )
            assert sub.status_code == 200, loc
            text += sub.content.decode()
    own = {u for u in absolute_urls(text) if "localhost" in u or "evil.example" in u}
    assert own == set()
    if path != "/robots.txt":
        assert f"{SITE_URL}{article.get_absolute_url()}" in text


def test_page_canonical_and_structured_data_urls_ignore_the_host(db):
    article = make_article(headline="Canonical links")
    response = Client().get(
        article.get_absolute_url(), HTTP_HOST="localhost", HTTP_X_FORWARDED_HOST="evil.example"
    )
    assert response.status_code == 200
    assert f'<link rel="canonical" href="{SITE_URL}{article.get_absolute_url()}"' in response.text
    assert not {u for u in absolute_urls(response.text) if "localhost" in u or "evil" in u}


def test_emails_and_purges_take_their_addresses_from_settings_not_the_request(
    db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core import mail

    from articles import caching
    from articles.models import Article

    sent = []

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b""

    def fake_urlopen(request, timeout=None):
        sent.append((request.full_url, dict(request.header_items())))
        return Answer()

    monkeypatch.setattr(caching, "urlopen", fake_urlopen)
    settings.NEWSROOM_PURGE_URLS = ["http://cdn.internal/purge"]
    settings.NEWSROOM_PURGE_BACKEND = "articles.caching.HttpPurgeBackend"
    caching._backend_cache.clear()

    writer = make_user("Journalist")
    article = make_article(
        status=Article.Status.DRAFT, created_by=writer, authors=[writer.author_profile]
    )
    make_user("Editor")  # someone to tell about the submission
    forged = {"HTTP_HOST": "localhost", "HTTP_X_FORWARDED_HOST": "evil.example"}
    journalist, editor = Client(), Client()
    journalist.force_login(writer)
    editor.force_login(make_user("Editor"))
    with django_capture_on_commit_callbacks(execute=True):
        journalist.post(
            f"/admin/articles/article/{article.pk}/transition/submit/", {"note": ""}, **forged
        )
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            f"/admin/articles/article/{article.pk}/transition/publish/", {"note": ""}, **forged
        )
    caching._backend_cache.clear()
    assert mail.outbox, "the workflow sends e-mails"
    for message in mail.outbox:
        links = absolute_urls(message.body)
        assert links, message.subject
        assert all(link.startswith(SITE_URL) for link in links), links
    assert sent, "the publish purged the CDN"
    for url, headers in sent:
        assert url == "http://cdn.internal/purge"
        assert "localhost" not in str(headers) and "evil" not in str(headers)
