"""A newcomer's first run and an operator's first deploy: `make run` shows the site as readers
see it and says little, and the README's production recipe passes `check --deploy`."""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core import mail

from articles.mail import OneLineEmailBackend

ROOT = Path(__file__).resolve().parent.parent
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SITE_"))
    and k not in {"HTTPS", "ALLOWED_HOSTS", "NEWSROOM_TIME_ZONE", "MEDIA_ROOT", "STATIC_ROOT"}
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local server
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    """`make run` on a free port, with its own database, media and static folders."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("make run serves the demo on SQLite: checked in the suite's SQLite run")
    here = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {
        **CLEAN_ENV,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{here / 'db.sqlite3'}",
        "MEDIA_ROOT": str(here / "media"),
        "STATIC_ROOT": str(here / "static"),
        "PYTHON": sys.executable,
    }
    output = here / "output.txt"
    with output.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert process.poll() is None, output.read_text()
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("make run did not serve within 3 minutes:\n" + output.read_text())
        yield base, output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_make_run_shows_readers_the_styled_404_not_the_debug_page(make_run):
    base, _ = make_run
    status, _, page = fetch(base + "/no-such-story/")
    assert status == 404
    assert "Page not found" in page
    assert "URLconf" not in page and "DEBUG = True" not in page
    # Static files through WhiteNoise (hashed names), pictures from MEDIA_ROOT.
    status, _, home = fetch(base + "/")
    assert status == 200
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', home)
    assert stylesheet, "the stylesheet has its hashed, collected name"
    assert fetch(base + stylesheet[1])[0] == 200
    picture = re.search(r'src="(/media/[^"]+)"', home)
    assert picture and fetch(base + picture[1])[0] == 200


def test_the_favicon_browsers_ask_for_on_every_admin_page_is_served(client):
    # The admin's pages name no icon, so browsers ask for /favicon.ico.
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO


def test_make_run_says_where_to_go_and_how_to_log_in_then_stays_quiet(make_run):
    base, output = make_run
    fetch(base + "/")
    fetch(base + "/admin/login/")
    time.sleep(1.5)  # the worker's first poll
    text = output.read_text()
    assert f"Serving on {base}/" in text
    assert "journalist-demo-pass" in text and "editor-demo-pass" in text
    assert "Watching for file changes" not in text
    assert '"GET / HTTP/1.1" 200' not in text, "a line for every page served"
    assert "Applying " not in text, "a line for every migration"
    assert len(text.splitlines()) <= 20, text


def test_the_demo_mail_backend_writes_one_line_per_message():
    stream = io.StringIO()
    backend = OneLineEmailBackend(stream=stream)
    message = mail.EmailMessage(
        "For review: Port strike talks", "A long body\n" * 50, to=["tom@example.com"]
    )
    other = mail.EmailMessage("Returned: Budget", "Body", to=["ana@example.com", "b@example.com"])
    assert backend.send_messages([message, other]) == 2
    assert stream.getvalue().splitlines() == [
        "mail to tom@example.com: For review: Port strike talks",
        "mail to ana@example.com, b@example.com: Returned: Budget",
    ]


LOG_ONCE = """
import logging, django
django.setup()
worker = logging.getLogger("django.tasks")  # each task's start and end
worker.setLevel(logging.INFO)  # as the task worker sets it
worker.info("Task 1 state=SUCCESSFUL")
worker.error("Task 2 failed")
"""


@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_task_worker_line_is_printed_once_and_routine_ones_can_be_hushed(debug):
    env = {**CLEAN_ENV, "DEBUG": debug, "SECRET_KEY": "x" * 50}
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"

    def run(**extra):
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "-c", LOG_ONCE],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stderr

    printed = run()
    assert printed.count("Task 1 state=SUCCESSFUL") == 1
    assert printed.count("Task 2 failed") == 1
    hushed = run(ROUTINE_LOG_LEVEL="ERROR")
    assert "Task 1" not in hushed
    assert hushed.count("Task 2 failed") == 1


def production_recipe():
    """The `export` lines of the README's production recipe."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running on PostgreSQL and Redis", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("export ")]


def test_the_readme_production_recipe_passes_check_deploy():
    recipe = production_recipe()
    assert recipe, "the README has a production recipe"
    script = "\n".join(
        [
            *recipe,
            f"{sys.executable} manage.py check --deploy --fail-level WARNING",
        ]
    )
    result = subprocess.run(  # noqa: S603 - the README's own lines
        ["bash", "-ec", script],
        cwd=ROOT,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
