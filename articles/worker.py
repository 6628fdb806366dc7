"""The task worker, made to outlive database outages (`manage.py run_worker`).

django-tasks-db's own worker (`manage.py db_worker`) stops at the first database error it
meets while claiming a task. This loop runs that worker in its documented batch mode (run
every task that is ready, then return) and around it does what keeps side effects moving:

* a database error anywhere is waited out: it is logged once per outage, the connection is
  dropped, and the loop tries again after 0.5, 1, 2, 2… seconds, so work resumes within
  about two seconds of the database's return, without a restart;
* a heartbeat row (`WorkerHeartbeat`) says the worker is alive, for `/healthz` and the admin
  home;
* every `NEWSROOM_WORKER_SWEEP_SECONDS` it sweeps the outbox itself (`tasks.sweep`), which
  runs what a lost wake-up, a failed task or a dead worker left behind, and it puts back in
  the queue the tasks a dead worker left RUNNING.

A process that dies anyway (out of memory, killed) must be restarted by its supervisor:
`make run` loops, and the README shows a systemd unit.
"""

import logging
import os
import signal
import socket
import sys
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker as TaskWorker
from django_tasks_db.models import DBTaskResult

from . import tasks
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5  # seconds between two heartbeat writes
# Not seen for this long, a worker is taken for stopped (several missed heartbeats).
SEEN_WITHIN = timedelta(seconds=60)
# Heartbeats of workers gone this long are deleted.
FORGET_AFTER = timedelta(days=1)
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 2.0


def sweep_every():
    return settings.NEWSROOM_WORKER_SWEEP_SECONDS


class Supervisor:
    """One worker process: tasks, heartbeat, sweeps, and patience with the database."""

    def __init__(self, *, interval=1.0, backend_name=DEFAULT_TASK_BACKEND_ALIAS, queues=None):
        self.interval = interval
        self.backend_name = backend_name
        self.queues = queues or ["default"]
        self.worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"
        self.started_at = timezone.now()
        self.stopping = False
        self.task_worker = None
        self.last_beat = self.last_sweep = float("-inf")

    # The loop ----------------------------------------------------------------------------

    def serve(self):
        """Work until asked to stop, waiting out any database outage."""
        logger.info("Worker %s started", self.worker_id)
        outage_started, delay = None, BACKOFF_FIRST
        while not self.stopping:
            try:
                self.step()
            except tasks.DATABASE_ERRORS as exc:
                logger.debug("Worker round failed", exc_info=True)
                if outage_started is None:
                    outage_started = time.monotonic()
                    logger.warning("Database unavailable; the worker waits for it: %s", exc)
                connections.close_all()
                self.pause(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            if outage_started is not None:
                logger.warning(
                    "Database back after %.0f s; the worker is working again",
                    time.monotonic() - outage_started,
                )
                outage_started, delay = None, BACKOFF_FIRST
            self.pause(self.interval)
        logger.info("Worker %s stopped", self.worker_id)

    def step(self):
        """One round: heartbeat, a sweep when one is due, then every task that is ready."""
        close_old_connections()
        if time.monotonic() - self.last_beat >= HEARTBEAT_EVERY:
            self.beat()
            self.last_beat = time.monotonic()
        if time.monotonic() - self.last_sweep >= sweep_every():
            self.sweep()
            self.last_sweep = time.monotonic()
        if self.uses_database_backend() and not self.stopping:
            self.run_ready_tasks()

    def pause(self, seconds):
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.1, seconds))

    # The parts ---------------------------------------------------------------------------

    def beat(self):
        now = timezone.now()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"seen_at": now},
            create_defaults={
                "seen_at": now,
                "started_at": self.started_at,
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
            },
        )

    def sweep(self):
        now = timezone.now()
        self.requeue_abandoned_tasks(now)
        outcomes = tasks.sweep(now=now)
        if outcomes:
            logger.info("Swept the outbox: %s", outcomes)
        WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()

    def requeue_abandoned_tasks(self, now):
        """Tasks left RUNNING by a worker that stopped beating are made ready again.

        Our tasks only wake the outbox up, and the outbox claims each row itself, so running
        one twice is harmless."""
        if not self.uses_database_backend():
            return
        alive = set(
            WorkerHeartbeat.objects.filter(seen_at__gte=now - SEEN_WITHIN).values_list(
                "worker_id", flat=True
            )
        )
        running = (
            DBTaskResult.objects.running()
            .filter(backend_name=self.backend_name, started_at__lt=now - tasks.lease())
            .values_list("pk", "worker_ids")
        )
        for pk, worker_ids in list(running):
            if worker_ids and worker_ids[-1] in alive:
                continue
            requeued = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY
            )
            if requeued:
                logger.warning("Task %s was left running by a stopped worker; queued again", pk)

    def run_ready_tasks(self):
        self.task_worker = TaskWorker(
            queue_names=self.queues,
            interval=0,
            batch=True,
            backend_name=self.backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        try:
            self.task_worker.run()
        finally:
            self.task_worker = None

    def uses_database_backend(self):
        return isinstance(task_backends[self.backend_name], DatabaseBackend)

    # Signals -----------------------------------------------------------------------------

    def install_signal_handlers(self):
        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self.on_signal)

    def on_signal(self, signum, frame):
        if self.stopping:
            logger.warning("Received %s again: stopping now", signal.strsignal(signum))
            sys.exit(1)
        logger.warning("Received %s: stopping after the current task", signal.strsignal(signum))
        self.stopping = True
        if self.task_worker is not None:
            self.task_worker.running = False


def worker_health(*, now=None):
    """What `/healthz` and the admin home say about the worker and its queue."""
    now = now or timezone.now()
    latest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
    seen_at = latest.first()
    running = seen_at is not None and now - seen_at <= SEEN_WITHIN
    age = tasks.queue_age(now=now)
    keeping_up = age is None or age <= tasks.OVERDUE_AFTER
    return {
        "status": "ok" if running and keeping_up else "degraded",
        "running": running,
        "last_heartbeat": seen_at.isoformat() if seen_at else None,
        "heartbeat_age_seconds": round((now - seen_at).total_seconds()) if seen_at else None,
        "queue_age_seconds": round(age.total_seconds()) if age else 0,
        "overdue": tasks.overdue(now=now).count(),
    }
