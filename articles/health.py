"""`/healthz`: each dependency's state, for the load balancer and the operator.

503 when the database cannot be reached (this process cannot serve most pages); 200 with
`"status": "degraded"` when only the cache or the task worker is in trouble (pages are still
served, uncached or with purges and e-mails waiting). The replica's state is reported
("off", "ok", "behind", "down") but never makes the check fail: the primary serves its reads.
Never cached.
"""

from django.db import connection
from django.http import JsonResponse

from .caching import cache_health
from .db_router import replica_health
from .worker import worker_health


def healthz(request):
    report = {"status": "ok", "database": "ok", "cache": cache_health()}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        report["worker"] = worker_health()
        report["replica"] = replica_health()
    except Exception as exc:  # noqa: BLE001 - any database failure means "not healthy"
        report.update(status="error", database=type(exc).__name__, worker="unknown")
        status = 503
    else:
        healthy = report["cache"]["status"] == "ok" and report["worker"]["status"] == "ok"
        report["status"] = "ok" if healthy else "degraded"
        status = 200
    response = JsonResponse(report, status=status)
    response["Cache-Control"] = "no-store"
    return response
