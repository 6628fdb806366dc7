"""The W3C Nu HTML checker (`vnu-jar`, pinned in package-lock.json) finds no error on the demo's
public pages: every listing, the article, search, corrections and the styled 404.

The checker runs on Java. Without it this is skipped with a message, except in CI (CI=true),
where a missing checker fails the run."""

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.db.models import F

from articles.models import Article, Correction

from .conftest import HERE

pytestmark = pytest.mark.browser

VNU_JAR = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PICTURED_STORY = "Baltic ports brace for a record grain transit season"


def _missing(message):
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def java():
    java = shutil.which("java")
    if java is None:
        _missing(
            "Java is missing: the Nu HTML checker needs it (apt-get install default-jre-headless)."
        )
    if not VNU_JAR.exists():
        _missing("The Nu HTML checker is not installed; run `npm ci` in tests/browser.")
    return java


def public_pages():
    story = Article.objects.published().get(headline=PICTURED_STORY)
    author = story.bylines.first().author
    tag = story.tags.order_by("name").first()
    source = story.article_sources.first().source
    return {
        "home": "/",
        "article": story.get_absolute_url(),
        "section": story.section.get_absolute_url(),
        "tag": f"/tags/{tag.slug}/",
        "author": author.get_absolute_url(),
        "source": source.get_absolute_url(),
        "search": "/search/?q=grain",
        "corrections": "/corrections/",
        "not found": "/no-such-page/",
    }


def test_public_pages_have_no_nu_html_checker_errors(site, java, tmp_path):
    # Times as a newsroom makes them, with microseconds (HTML allows at most milliseconds).
    fraction = timedelta(microseconds=48_694)
    Article.objects.update(
        publish_at=F("publish_at") + fraction,
        first_published_at=F("first_published_at") + fraction,
        updated_at=F("updated_at") + fraction,
    )
    Correction.objects.update(created_at=F("created_at") + fraction)
    files = {}
    for name, path in public_pages().items():
        try:
            with urllib.request.urlopen(site + path) as response:  # noqa: S310 - the live server
                html = response.read()
        except urllib.error.HTTPError as error:
            assert error.code == 404, f"{name} ({path}) answered {error.code}"
            html = error.read()
        file = tmp_path / f"{name.replace(' ', '-')}.html"
        file.write_bytes(html)
        files[file] = f"{name} ({path})"

    checked = subprocess.run(  # noqa: S603 - fixed arguments
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(checked.stderr)["messages"]
    pages = {file.name: page for file, page in files.items()}
    errors = [
        f"{pages.get(m.get('url', '').rsplit('/', 1)[-1], '?')}, line {m.get('lastLine')}: "
        f"{m['message']}"
        for m in messages
        if m["type"] in {"error", "non-document-error"}
    ]
    assert not errors, f"{len(errors)} checker errors:\n" + "\n".join(errors[:40])
