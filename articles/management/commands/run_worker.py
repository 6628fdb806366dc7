"""The task worker for production and `make run`: django-tasks-db's worker, made to wait out
database outages, with a heartbeat and its own sweep of the outbox (`articles.worker`)."""

import logging
import os
from argparse import BooleanOptionalAction

from django.conf import settings
from django.core.management.base import BaseCommand
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader

from articles.worker import Supervisor


class Command(BaseCommand):
    help = (
        "Run queued tasks and due workflow side effects; waits for the database through "
        "outages instead of exiting. Run one or more under a supervisor that restarts them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between two looks at the queue (default: 1).",
        )
        parser.add_argument(
            "--queue-name",
            default="default",
            help="Queues to run, separated by commas (default: 'default').",
        )
        parser.add_argument("--backend", default=DEFAULT_TASK_BACKEND_ALIAS, dest="backend_name")
        parser.add_argument(
            "--reload",
            action=BooleanOptionalAction,
            default=settings.DEBUG,
            help="Restart on code changes, for development (default: DEBUG).",
        )

    def handle(self, *args, interval, queue_name, backend_name, reload, **options):
        # The library's worker says "starting" and "no more tasks" on each round of the loop.
        library = logging.getLogger("django_tasks_db")
        library.setLevel(max(library.getEffectiveLevel(), logging.WARNING))
        supervisor = Supervisor(
            interval=interval, backend_name=backend_name, queues=queue_name.split(",")
        )
        if not reload:
            supervisor.install_signal_handlers()
            supervisor.serve()
            return
        if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            supervisor.install_signal_handlers()  # in the child that does the work
        run_with_reloader(supervisor.serve)
