"""Run every due workflow side effect once (catch-up after a worker was down)."""

from django.core.management.base import BaseCommand

from articles.tasks import sweep


class Command(BaseCommand):
    help = (
        "Run every due workflow side effect (cache purges, e-mails) once. A side effect a "
        "worker is running right now is left to it; `run_worker` also does this by itself."
    )

    def handle(self, *args, **options):
        outcomes = sweep()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(summary or "Nothing due.")
