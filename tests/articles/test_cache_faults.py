"""The page cache through Redis faults: a Redis server of the test's own, on its own port,
stopped, frozen and started again. Pages keep being served; the cache comes back by itself
under steady traffic; nothing stored before an outage is served after it."""

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from articles import caching
from articles.models import Article
from tests.factories import make_article, make_section

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, in a temporary directory, with its data on disk
    only when asked (`stop(save=True)`)."""

    def __init__(self, directory):
        self.directory, self.port, self.process = directory, free_port(), None

    def start(self):
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self, *, save=False):
        import redis

        if save:
            redis.Redis(port=self.port).save()
        self.process.terminate()
        self.process.wait(timeout=10)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def caches(self):
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{self.port}/0",
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
            }
        }


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    caching.breaker.reset()
    with override_settings(CACHES=server.caches(), NEWSROOM_CACHE_RETRY_SECONDS=0.3):
        yield server
    caching.breaker.reset()
    if server.process.poll() is None:
        server.thaw()
        server.stop()


@pytest.fixture
def story(db):
    return make_article(
        headline="Harbour cranes return",
        section=make_section("World", slug="world"),
        publish_at=timezone.now() - timedelta(hours=1),
    )


def cache_log(caplog):
    return [r for r in caplog.records if r.name == "newsroom.cache"]


def test_the_cache_comes_back_under_steady_traffic_after_a_redis_restart(
    client, own_redis, story, caplog
):
    caplog.set_level(logging.WARNING, logger="newsroom.cache")
    url = story.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"

    own_redis.stop()
    for _ in range(20):  # a reader's traffic while Redis is down: served, uncached
        response = client.get(url)
        assert response.status_code == 200
        assert "Harbour cranes return" in response.content.decode()
    assert len(cache_log(caplog)) == 1  # one line when the breaker opened, not one a request

    own_redis.start()
    deadline = time.monotonic() + 5
    states = []
    while time.monotonic() < deadline and states[-3:] != ["hit"] * 3:
        states.append(client.get(url).get("X-Page-Cache"))
    assert states[-3:] == ["hit"] * 3, states
    assert [r.getMessage().split(" (")[0].split(";")[0] for r in cache_log(caplog)] == [
        "Page cache unavailable while reading a page",
        f"Page cache back after {cache_log(caplog)[1].args[0]:.1f} s",
    ]
    assert caching.cache_health(check=False)["status"] == "ok"


def test_cache_health_says_degraded_while_redis_is_away_and_ok_once_it_is_back(own_redis, db):
    assert caching.cache_health() == {
        "status": "ok",
        "breaker": "closed",
        "since": None,
        "error": "",
    }
    own_redis.stop()
    health = caching.cache_health()
    assert (health["status"], health["breaker"]) == ("degraded", "open")
    assert health["since"] and health["error"]
    own_redis.start()
    time.sleep(0.35)  # the breaker's retry interval in these tests
    assert caching.cache_health()["status"] == "ok"


@pytest.mark.parametrize("outage", ["freeze", "restart with its data"])
def test_pages_stored_before_an_outage_are_not_served_after_it(
    client, own_redis, story, outage, django_capture_on_commit_callbacks
):
    """An edit saved during the outage (here behind the models' back, as another process's
    save whose purge failed would be): the first reads after Redis returns show it."""
    url = story.get_absolute_url()
    for page in (url, "/", "/world/"):
        client.get(page)
        assert client.get(page)["X-Page-Cache"] == "hit"

    if outage == "freeze":
        own_redis.freeze()
    else:
        own_redis.stop(save=True)
    # Readers meet the outage; an edit is saved meanwhile; its purge could not reach Redis.
    assert client.get(url).status_code == 200
    Article.objects.filter(pk=story.pk).update(headline="Harbour cranes return at last")
    with django_capture_on_commit_callbacks(execute=True):
        make_article(headline="Storm closes the bridge", section=story.section)
    if outage == "freeze":
        own_redis.thaw()
    else:
        own_redis.start()
    time.sleep(0.35)  # the breaker's retry interval in these tests

    assert "Harbour cranes return at last" in client.get(url).content.decode()
    for page in ("/", "/world/"):
        body = client.get(page).content.decode()
        assert "Harbour cranes return at last" in body and "Storm closes the bridge" in body
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"  # and the cache is in use again
