import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

DATA = Path(__file__).parent / "data"
EXPORT = DATA / "harbour-times.xml"
UPLOADS = DATA / "uploads"


@pytest.fixture
def export_copy(tmp_path):
    """A copy of the test export that a test may change."""
    target = tmp_path / "export.xml"
    shutil.copy(EXPORT, target)
    return target


def run_import(path=EXPORT, *args, uploads=UPLOADS):
    """Run the command as a user would; returns what it printed on stdout."""
    out = io.StringIO()
    extra = ["--uploads", str(uploads)] if uploads else []
    call_command("import_wordpress", str(path), *extra, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def imported(db):
    return run_import()
