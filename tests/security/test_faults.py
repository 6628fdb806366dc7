"""Faults: a database that goes away, a cache that is not there, a worker that was down."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, override_settings

from tests.factories import make_article

ROOT = Path(__file__).resolve().parents[2]
SERVER_PORT = 8120
PROXY_PORT = 8121


class Stylesheets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stylesheets = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])


def assert_is_the_outage_page(status, headers, body):
    assert status == 503
    assert int(headers["Retry-After"]) > 0
    assert "no-store" in headers["Cache-Control"]
    assert "Back in a moment" in body
    assert "The Demo Ledger" in body  # the site's own name and look, not a bare error
    parser = Stylesheets()
    parser.feed(body)
    assert parser.stylesheets == ["/static/css/site.css"]


# In-process: the database connection fails under a view --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_answers_a_styled_503_when_the_database_cannot_be_reached(client, error):
    make_article(headline="A story readers would see")
    with mock.patch.object(connection, "cursor", side_effect=error("connection refused")):
        started = time.monotonic()
        response = client.get("/")
        elapsed = time.monotonic() - started
    assert_is_the_outage_page(response.status_code, response.headers, response.text)
    assert elapsed < 1
    # Once the database answers again the page is back: the outage page was never cached.
    response = client.get("/")
    assert response.status_code == 200
    assert "A story readers would see" in response.text


@pytest.mark.django_db
def test_a_database_failure_outside_any_view_still_gets_the_503_page():
    client = Client(raise_request_exception=False)

    def broken_middleware(get_response):
        def middleware(request):
            raise OperationalError("server closed the connection unexpectedly")

        return middleware

    from django.conf import settings

    stack = [*settings.MIDDLEWARE, "tests.security.test_faults.failing_middleware"]
    with (
        override_settings(MIDDLEWARE=stack),
        mock.patch("tests.security.test_faults.failing_middleware", broken_middleware),
    ):
        response = client.get("/")
    assert_is_the_outage_page(response.status_code, response.headers, response.text)


def failing_middleware(get_response):  # replaced in the test above
    return get_response


@pytest.mark.django_db
def test_other_server_errors_are_still_plain_500s_not_outage_pages():
    client = Client(raise_request_exception=False)
    with mock.patch("articles.public.views.render", side_effect=RuntimeError("a bug")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


# Live server behind a TCP proxy that "stops PostgreSQL" ---------------------------------------


class TcpProxy:
    """Forwards a local port to PostgreSQL; `close()` is the database going away for the
    site (listener shut and every open connection cut), `open()` is it coming back."""

    def __init__(self, listen_port, target_port):
        self.listen_port, self.target_port = listen_port, target_port
        self.listener = None
        self.sockets = set()
        self.lock = threading.Lock()

    def open(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.listen_port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self):
        if self.listener is not None:
            # shutdown() first: a bare close() leaves the port listening while the accept
            # thread is still blocked on it.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def fetch(path, timeout=10):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{SERVER_PORT}{path}", timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def site_behind_proxy(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    proxy = TcpProxy(PROXY_PORT, int(connection.settings_dict.get("PORT") or 5432))
    proxy.open()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "1",  # serves static files without collectstatic; errors still handled
        "DATABASE_URL": (
            f"postgres://{connection.settings_dict['USER']}@127.0.0.1:{PROXY_PORT}/"
            f"{connection.settings_dict['NAME']}"
        ),
        "DB_CONN_MAX_AGE": "600",  # a persistent connection that dies under the site
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{SERVER_PORT}",
        "REDIS_URL": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "newsroom.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{SERVER_PORT}",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                fetch("/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the live server did not start")
        yield proxy
    finally:
        server.terminate()
        server.wait(timeout=10)
        proxy.close()


@pytest.mark.postgres
def test_site_answers_503_while_postgresql_is_gone_and_recovers_without_restart(
    site_behind_proxy,
):
    proxy = site_behind_proxy
    status, _, _ = fetch("/")
    assert status == 200
    assert fetch("/healthz")[0] == 200

    proxy.close()
    started = time.monotonic()
    status, headers, body = fetch("/corrections/")  # not in the page cache yet
    assert time.monotonic() - started < 3
    assert_is_the_outage_page(status, headers, body)
    status, _, body = fetch("/healthz")
    assert status == 503
    assert '"status": "error"' in body
    # A page the cache already holds keeps being served to readers meanwhile.
    assert fetch("/")[0] == 200

    proxy.open()
    assert fetch("/corrections/")[0] == 200
    assert fetch("/healthz")[0] == 200


# Redis gone ------------------------------------------------------------------------------------


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_pages_are_served_uncached_without_errors_when_redis_is_down():
    article = make_article(headline="Still readable without a cache")
    dead_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = Client(raise_request_exception=True)
    with override_settings(CACHES=dead_redis):
        for path in ["/", article.section.get_absolute_url(), article.get_absolute_url()]:
            for _ in range(2):  # the second visit would be the cached one
                started = time.monotonic()
                response = client.get(path)
                assert response.status_code == 200, path
                assert "Still readable without a cache" in response.text
                assert time.monotonic() - started < 3
