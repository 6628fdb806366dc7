"""`manage.py ingest SOURCE PATH…`: ingest files or a drop folder; `--poll` polls due sources."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingest import tasks
from ingest.models import IngestSource
from ingest.receive import Report, note, receive_many

SUFFIXES = {".json", ".xml", ".rss", ".atom", ".feed"}
# Files stored per transaction (each item still in a savepoint of its own).
BATCH_FILES = 200


class Command(BaseCommand):
    help = (
        "Ingest files (ninjs .json, NewsML-G2 .xml, a saved feed) or drop folders for one "
        "source; or, with --poll, poll every polled source that is due."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="The ingest source's slug.")
        parser.add_argument("paths", nargs="*", help="Files, or folders read one level deep.")
        parser.add_argument("--poll", action="store_true", help="Poll every due source now.")
        parser.add_argument(
            "--housekeeping", action="store_true", help="Delete expired unused items now."
        )

    def handle(self, *args, **options):
        if options["poll"]:
            for slug, outcome in tasks.poll_due().items():
                self.stdout.write(f"{slug}: {outcome}")
        if options["housekeeping"]:
            self.stdout.write(f"Deleted {tasks.delete_expired()} expired unused items.")
        if options["poll"] or options["housekeeping"]:
            return
        if not options["source"] or not options["paths"]:
            raise CommandError("Name a source and at least one file or folder.")
        source = IngestSource.objects.filter(slug=options["source"]).first()
        if source is None:
            known = ", ".join(IngestSource.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No ingest source “{options['source']}” (known: {known}).")
        totals = Report()
        batch, batch_bytes = [], 0
        for path in self.files(options["paths"]):
            size = path.stat().st_size
            if size > settings.INGEST_MAX_BYTES:
                totals.failed = True
                totals.problems.append(
                    f"{path.name}: file of {size:,} bytes refused: the limit is "
                    f"{settings.INGEST_MAX_BYTES:,} bytes (INGEST_MAX_BYTES)"
                )
                continue
            if len(batch) >= BATCH_FILES or batch_bytes + size > settings.INGEST_MAX_BYTES:
                self.store(source, batch, totals)
                batch, batch_bytes = [], 0
            batch.append((path.name, path.read_bytes(), ""))
            batch_bytes += size
        self.store(source, batch, totals)
        note(source, totals)  # the files are one delivery: one last error for all of them
        self.stdout.write(totals.summary())

    def store(self, source, batch, totals):
        if not batch:
            return
        report = receive_many(source, batch)
        for outcome, n in report.counts.items():
            totals.counts[outcome] = totals.counts.get(outcome, 0) + n
        totals.problems += report.problems
        totals.failed = totals.failed or report.failed

    def files(self, paths):
        for name in paths:
            path = Path(name)
            if path.is_dir():
                yield from sorted(
                    p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                )
            elif path.is_file():
                yield path
            else:
                raise CommandError(f"No such file or folder: {name}")
