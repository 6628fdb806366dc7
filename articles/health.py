"""`/healthz`: each dependency's state, for the load balancer and the operator.

503 when the database cannot be reached (this process cannot serve most pages); 200 with
`"status": "degraded"` when only the cache or the task worker is in trouble (pages are still
served, uncached or with purges and e-mails waiting). Never cached.
"""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.crypto import get_random_string

from .worker import worker_health

PING_KEY = "healthz:ping"


def healthz(request):
    report = {"status": "ok", "database": "ok", "cache": check_cache()}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        report["worker"] = worker_health()
    except Exception as exc:  # noqa: BLE001 - any database failure means "not healthy"
        report.update(status="error", database=type(exc).__name__, worker="unknown")
        status = 503
    else:
        healthy = report["cache"] == "ok" and report["worker"]["status"] == "ok"
        report["status"] = "ok" if healthy else "degraded"
        status = 200
    response = JsonResponse(report, status=status)
    response["Cache-Control"] = "no-store"
    return response


def check_cache():
    """ "ok" when a value written to the cache reads back, else what went wrong."""
    token = get_random_string(12)
    try:
        cache.set(PING_KEY, token, 10)
        answer = cache.get(PING_KEY)
    except Exception as exc:  # noqa: BLE001 - any cache failure means "degraded"
        return type(exc).__name__
    return "ok" if answer == token else "unreachable"
