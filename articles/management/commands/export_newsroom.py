"""Write the whole newsroom (content, people, uploaded pictures) to a folder or a .json file."""

from django.core.management.base import BaseCommand, CommandError

from articles.backup import BackupError, export_newsroom


class Command(BaseCommand):
    help = (
        "Export the newsroom as JSON: to a new folder (newsroom.json plus media/), or to one "
        "file ending in .json with the pictures inside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", help="A new or empty folder, or a file name ending in .json")

    def handle(self, *args, target, **options):
        try:
            result = export_newsroom(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(result["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(f"Exported {rows} rows and {result['files']} files to {target}.")
        )
        for name in result["missing_files"]:
            self.stderr.write(f"Missing from the media folder, not exported: {name}")
