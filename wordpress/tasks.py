"""The admin's imports run here, in the task worker, not in the editor's request."""

import logging
import tempfile

from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from .importer import Importer
from .models import ImportRun
from .wxr import ExportError

logger = logging.getLogger(__name__)

# The page shows progress from the row: written every so many posts, not after each one.
PROGRESS_EVERY = 20


@task()
def run_import(run_id):
    """Import the export uploaded as ``ImportRun`` ``run_id`` and keep its report on the row.
    The uploaded file is dropped once read: it holds drafts and e-mail addresses."""
    run = ImportRun.objects.filter(pk=run_id, state=ImportRun.State.QUEUED).first()
    if run is None:  # already run (a task delivered twice), or deleted
        return
    rows = ImportRun.objects.filter(pk=run_id)
    rows.update(state=ImportRun.State.RUNNING)

    def progress(done, total):
        if done == total or done % PROGRESS_EVERY == 0:
            rows.update(posts_done=done, posts_total=total)

    with tempfile.NamedTemporaryFile(suffix=".xml") as handle:
        handle.write(bytes(run.export))
        handle.flush()
        try:
            report = Importer(handle.name, progress=progress).run()
        except ExportError as exc:
            rows.update(
                state=ImportRun.State.FAILED,
                error=f"{run.file_name}: {exc}",
                finished_at=timezone.now(),
                export=b"",
            )
            return
        except Exception as exc:  # noqa: BLE001 - shown on the page; the log has the trace
            logger.exception("WordPress import %s failed", run_id)
            rows.update(
                state=ImportRun.State.FAILED,
                error=_("The import stopped: %(error)s")
                % {"error": f"{type(exc).__name__}: {exc}"},
                finished_at=timezone.now(),
                export=b"",
            )
            return
    rows.update(
        state=ImportRun.State.DONE,
        report=report.as_dict(),
        posts_done=F("posts_total"),
        finished_at=timezone.now(),
        export=b"",
    )
