"""Real-browser fixtures: Debian's Chromium driven by Playwright against a live test server.

Every test here is marked `browser`. The server runs in this process (pytest-django's
`live_server`), so the test can arrange rows with the ORM and move the server's clock with
time-machine. Screenshots land in `artifacts/screenshots/` at the repository root.
"""

import functools
import importlib
import io
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
# arrange data and check results are synchronous on purpose.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# The rows load_demo makes, in files loaded in this order: authors before the accounts they
# belong to, so adding an account to its group finds its author profile instead of making one.
_demo_dir = Path(tempfile.mkdtemp(prefix="newsroom-browser-"))
DEMO_ROWS = {
    _demo_dir / "1-authors.json": ["authors"],
    _demo_dir / "2-newsroom.json": ["auth.User", "taggit", "articles"],
}
ROLES_MIGRATION = ("articles", "0003_newsroom_roles")
# Later migrations that grant the roles permissions of their own, and their functions.
ROLE_GRANTS = [(("articles", "0018_front_page_layouts"), "grant_front_page")]
DEMO_PASSWORDS = {
    "journalist": "journalist-demo-pass",
    "editor": "editor-demo-pass",
    "admin": "admin-demo-pass",
}


def _in_ci():
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="package")
def chromium():
    """One Chromium for these tests; each test gets fresh contexts (cookie jars).

    Package-scoped: Playwright's sync API keeps an event loop running in this thread, which
    must be closed before any other Playwright user in the run starts its own.
    """
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium`."
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    if not AXE_JS.exists():
        message = "axe-core is not installed; run `npm ci` in tests/browser."
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@functools.cache
def _apps_after(migration):
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(None, ignore_no_migrations=True).project_state(migration).apps


def ensure_migration_rows():
    """Content types, permissions and the Journalist and Editor groups, as migrating made them.

    A transactional test may end by emptying every table, migration-made rows included, and
    Django's serialized rollback cannot put them back here: while Playwright's event loop runs,
    the test thread is handed a different database connection object from the one the test
    database was serialised on. So what `migrate` does after its migrations (the post_migrate
    signal) and the roles migrations' own functions run again; they leave existing rows alone.
    """
    from django.contrib.auth.models import Group
    from django.core.management.sql import emit_post_migrate_signal

    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    if Group.objects.filter(name__in=["Journalist", "Editor"]).count() < 2:
        roles = importlib.import_module(f"{ROLES_MIGRATION[0]}.migrations.{ROLES_MIGRATION[1]}")
        roles.create_roles(_apps_after(ROLES_MIGRATION), None)
        for migration, function in ROLE_GRANTS:
            module = importlib.import_module(f"{migration[0]}.migrations.{migration[1]}")
            getattr(module, function)(_apps_after(migration), None)


@pytest.fixture
def site(live_server, transactional_db, settings):
    """The demo newsroom on a live server, minus the demo copy of the seed story.

    The scenarios write the seed story themselves.
    """
    from django.core.management import call_command

    from articles.management.commands.load_demo import SEED_HEADLINE
    from articles.models import Article, RelatedArticle

    settings.ROOT_URLCONF = "tests.browser.urls"
    ensure_migration_rows()
    if all(path.exists() for path in DEMO_ROWS):
        call_command("loaddata", *map(str, DEMO_ROWS), verbosity=0)
    else:
        call_command("load_demo", quiet_logins=True, stdout=io.StringIO())
        # Making the pictures' renditions is most of load_demo's time; the files stay in
        # MEDIA_ROOT for the whole run, so later tests reload the rows alone. Groups and
        # content types are referred to by name: their ids change from test to test.
        for path, models in DEMO_ROWS.items():
            call_command("dumpdata", *models, natural_foreign=True, output=str(path), verbosity=0)
    seed = Article.objects.get(headline=SEED_HEADLINE)
    RelatedArticle.objects.filter(article=seed).delete()
    RelatedArticle.objects.filter(related=seed).delete()
    seed.delete()
    return live_server.url


class ServerActivity:
    """Requests the live server is answering, counted by Django's request signals.

    Closing a page fires its `pagehide` handlers, whose beacons (autosave, presence goodbye)
    reach the server after the test body has ended. The test's teardown empties every table
    while such a request may still hold row locks, and PostgreSQL then breaks the deadlock by
    failing the flush; so teardown waits until the server has been quiet for a moment.
    """

    QUIET = 0.3

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.last_change = time.monotonic()

    def started(self, **kwargs):
        with self.lock:
            self.in_flight += 1
            self.last_change = time.monotonic()

    def finished(self, **kwargs):
        with self.lock:
            self.in_flight = max(0, self.in_flight - 1)
            self.last_change = time.monotonic()

    def wait_until_quiet(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not self.in_flight and time.monotonic() - self.last_change >= self.QUIET:
                    return
            time.sleep(0.05)


@pytest.fixture
def new_page(chromium, site):
    """Open a page in a fresh browser context: its own cookies, as a separate person."""
    contexts = []
    activity = ServerActivity()
    request_started.connect(activity.started)
    request_finished.connect(activity.finished)

    def open_page(username=None, password=None):
        context = chromium.new_context(viewport=DESKTOP, base_url=site, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(f"{page.url}: {error}"))
        if username:
            log_in(page, username, password)
        return page

    page_errors = []
    yield open_page
    for context in contexts:
        context.close()
    activity.wait_until_quiet()
    request_started.disconnect(activity.started)
    request_finished.disconnect(activity.finished)
    assert not page_errors, "JavaScript errors in the page:\n" + "\n".join(page_errors)


def log_in(page, username, password=None):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or DEMO_PASSWORDS[username])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.fixture
def shoot(screenshot_dir):
    """Save the current page at desktop and phone widths: `<scenario>-<screen>-<width>.png`."""

    def take(page, scenario, screen):
        original = page.viewport_size
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            path = screenshot_dir / f"{scenario}-{screen}-{size['width']}.png"
            page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(original)

    return take


def axe_violations(page, impacts=("serious", "critical")):
    """Run axe-core (WCAG 2.x A and AA rules) in the page; return violations of these impacts."""
    # Evaluated through the DevTools protocol: the site's Content-Security-Policy rightly
    # refuses inline scripts, and the audit must not need the policy loosened.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                            "wcag22aa", "best-practice"]},
            resultTypes: ["violations"],
        })"""
    )
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe_violations(violations):
    """Readable lines for an assertion message: rule, impact, help and the offending nodes."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:160]}")
    return "\n".join(lines)
