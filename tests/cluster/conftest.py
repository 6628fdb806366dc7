"""The cluster tests: against `make cluster`'s topology when it runs, else one started here.

Marked `cluster` and run only by `make cluster-test` (`-m cluster`); skipped, with a message,
when varnishd is missing. They kill and restart application servers and stop the replica,
always bringing them back before the next test."""

import http.cookiejar
import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import lxml.html
import pytest

from deploy.cluster import ROOT, Cluster


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if "tests/cluster/" in item.nodeid]
    for item in mine:
        item.add_marker(pytest.mark.cluster)
    if "cluster" not in (config.getoption("markexpr") or "") or "not cluster" in (
        config.getoption("markexpr") or ""
    ):
        skip = pytest.mark.skip(reason="cluster tests run with `make cluster-test`")
    elif not shutil.which("varnishd"):
        skip = pytest.mark.skip(
            reason="varnishd is missing: apt-get install varnish varnish-modules"
        )
    else:
        return
    for item in mine:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster():
    running = Cluster.attach()
    if running is not None:
        yield running
        return
    started = Cluster(log=lambda line: print(line, file=sys.stderr, flush=True))
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(autouse=True)
def _whole_cluster(request):
    """Every test starts and ends with both application servers, the worker and the replica up."""
    if "cluster" not in request.fixturenames:
        yield
        return
    cluster = request.getfixturevalue("cluster")
    yield
    restore(cluster)


def restore(cluster):
    for index in range(len(cluster.app_ports)):
        if Response.fetch(f"{cluster.app_url(index)}/healthz").status is None:
            cluster.start_app(index)
    if "worker" not in cluster.pids:
        cluster.start_worker()
    if not (cluster.dir / "replica" / "postmaster.pid").exists():
        cluster.pg_start("replica")
    cluster.replica_sql("SELECT pg_wal_replay_resume()")


def run_in_cluster(cluster, call):
    """Run ``tests.cluster.stories.<call>`` on the cluster's primary; its JSON line back."""
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            *("-v", "0", "-c"),
            f"from tests.cluster.stories import *; {call}",
        ],
        cwd=ROOT,
        env=cluster.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.text = status, headers, body

    @property
    def cached(self):
        return self.headers.get("X-Cache") == "hit"

    @classmethod
    def fetch(cls, url, opener=None, data=None, method=None, timeout=10, **headers):
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with (opener or _plain).open(request, timeout=timeout) as answer:
                return cls(answer.status, answer.headers, answer.read().decode())
        except urllib.error.HTTPError as exc:
            return cls(exc.code, exc.headers, exc.read().decode(errors="replace"))
        except OSError:
            return cls(None, {}, "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_plain = urllib.request.build_opener(_NoRedirect)


class Reader:
    """An anonymous reader: no cookies."""

    def __init__(self, base):
        self.base = base

    def get(self, path, **headers):
        return Response.fetch(self.base + path, **headers)


class Editor:
    """A signed-in editor with a cookie jar, working through the admin."""

    def __init__(self, base, username="editor", password="editor-demo-pass"):  # noqa: S107 - the demo's
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )
        page = self.get("/admin/login/?next=/admin/")
        self.post_form(page, {"username": username, "password": password}, "/admin/login/")
        assert any(c.name == "sessionid" for c in self.jar), "the editor could not sign in"

    def get(self, path):
        return Response.fetch(self.base + path, opener=self.opener)

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        return Response.fetch(self.base + path, opener=self.opener, data=data, method="POST")

    def post_form(self, page, changes, action, form_id=None, add_inline=None):
        """Send the page's form (by id, else the one with the first changed field) as a
        browser would, with ``changes`` applied; ``add_inline`` is ``(prefix, fields)`` of
        one new inline form, filled like the "Add another" button fills it."""
        document = lxml.html.fromstring(page.text)
        if form_id:
            form = document.get_element_by_id(form_id)
        else:
            first = next(iter(changes))
            form = next(f for f in document.forms if first in f.fields)
        values = form.form_values()
        if add_inline:
            prefix, fields = add_inline
            index = dict(values)[f"{prefix}-TOTAL_FORMS"]
            empty = [(k, v) for k, v in values if f"{prefix}-__prefix__-" in k]
            values += [(k.replace("__prefix__", index), v) for k, v in empty]
            changes = {
                **changes,
                f"{prefix}-TOTAL_FORMS": str(int(index) + 1),
                **{f"{prefix}-{index}-{k}": v for k, v in fields.items()},
            }
        values = [(k, v) for k, v in values if k not in changes]
        values += list(changes.items())
        return self.post(action, values)

    def transition(self, article_id, action, note=""):
        path = f"/admin/articles/article/{article_id}/transition/{action}/"
        page = self.get(path)
        assert page.status == 200, (page.status, page.text[:500])
        return self.post_form(page, {"note": note}, path)

    def change(self, article_id, changes, add_inline=None):
        path = f"/admin/articles/article/{article_id}/change/"
        page = self.get(path)
        assert page.status == 200, page.status
        return self.post_form(
            page, {**changes, "_continue": "1"}, path, form_id="article_form", add_inline=add_inline
        )


@pytest.fixture
def reader(cluster):
    return Reader(cluster.varnish_url)


@pytest.fixture
def editor(cluster):
    return Editor(cluster.varnish_url)


@pytest.fixture
def stories(cluster):
    return run_in_cluster(cluster, f"world({uuid.uuid4().hex[:8]!r})")


def until(check, seconds, step=0.05):
    """Poll ``check`` until it is true or ``seconds`` pass; its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)
