import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wordpress.importer import Importer
from wordpress.wxr import ExportError


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR, from Tools → Export): posts, authors, categories, "
        "tags and pictures, keeping every old address answering with a 301. Running it again "
        "updates what changed and duplicates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("export", help="The WXR file WordPress wrote.")
        parser.add_argument(
            "--uploads",
            help="A copy of the site's wp-content/uploads folder, where the pictures are.",
        )
        parser.add_argument(
            "--site-url",
            help="The old site's public address, when the export was made elsewhere "
            "(a staging copy); its old addresses are kept under this one.",
        )
        parser.add_argument(
            "--time-zone",
            help="The site's zone for dates the export gives without one (default: the "
            "newsroom's NEWSROOM_TIME_ZONE).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; write nothing."
        )

    def handle(self, *args, export, uploads, site_url, time_zone, dry_run, **options):
        if uploads and not os.path.isdir(uploads):
            raise CommandError(_("--uploads %(path)s is not a folder.") % {"path": uploads})
        self.verbosity = options["verbosity"]
        self.last_shown = 0.0
        importer = Importer(
            export,
            uploads=uploads,
            site_url=site_url,
            dry_run=dry_run,
            time_zone=time_zone,
            progress=self.show_progress,
        )
        try:
            report = importer.run()
        except ExportError as exc:
            raise CommandError(f"{export}: {exc}") from None
        if self.verbosity:
            self.stderr.write("")
        for line in report.lines():
            self.stdout.write(line)

    def show_progress(self, done, total):
        """A progress bar on stderr, redrawn at most a few times a second."""
        now = time.monotonic()
        interval = 0.5 if sys.stderr.isatty() else 10
        if not self.verbosity or (now - self.last_shown < interval and done != total):
            return
        self.last_shown = now
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        line = _("Posts [%(bar)s] %(done)s/%(total)s") % {"bar": bar, "done": done, "total": total}
        if sys.stderr.isatty():
            self.stderr.write("\r" + line, ending="")
        else:
            self.stderr.write(line)
