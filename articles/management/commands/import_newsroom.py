"""Restore a backup written by `export_newsroom` into an empty, migrated database."""

from django.core.management.base import BaseCommand, CommandError

from articles.backup import BackupError, import_newsroom


class Command(BaseCommand):
    help = (
        "Import a newsroom backup (a folder or a .json file from export_newsroom) into a "
        "freshly migrated database. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The backup folder or .json file")

    def handle(self, *args, source, **options):
        try:
            result = import_newsroom(source)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(result["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(f"Imported {rows} rows and {result['files']} files from {source}.")
        )
