"""`manage.py ingest SOURCE PATH…`: ingest files or a drop folder; `--poll` polls due sources."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingest import tasks
from ingest.models import IngestSource
from ingest.receive import Report, note, receive

SUFFIXES = {".json", ".xml", ".rss", ".atom", ".feed"}


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
        for file in self.files(options["paths"]):
            report = self.one_file(source, file)
            for outcome, n in report.counts.items():
                totals.counts[outcome] = totals.counts.get(outcome, 0) + n
            totals.problems += [f"{file.name}: {p}" for p in report.problems]
            totals.failed = totals.failed or report.failed
        note(source, totals)  # the files are one delivery: one last error for all of them
        self.stdout.write(totals.summary())

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

    def one_file(self, source, path):
        size = path.stat().st_size
        if size > settings.INGEST_MAX_BYTES:
            return Report(
                failed=True,
                problems=[
                    f"file of {size:,} bytes refused: the limit is "
                    f"{settings.INGEST_MAX_BYTES:,} bytes (INGEST_MAX_BYTES)"
                ],
            )
        return receive(source, path.read_bytes(), origin=path.name, keep_note=False)
