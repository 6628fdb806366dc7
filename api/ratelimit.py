"""Request budgets per minute for the API: each anonymous client by address, each token.

Counted in the shared cache (one `incr` per request, no query) before the page cache, so
answers from the cache count too. A fixed window per clock minute: simple, and a client
told to wait is told until the minute ends (`Retry-After`). When the cache is unreachable
requests are let through: a cache outage must not take the API down with it.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse

from articles.middleware import client_ip_address

logger = logging.getLogger("newsroom.api")

PREFIX = "/api/"
WINDOW_SECONDS = 60


def client_and_budget(request):
    """(who is asking, their requests per minute): the token's hash, else the address."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        digest = hashlib.sha256(header.encode()).hexdigest()[:32]
        return f"token:{digest}", settings.NEWSROOM_API_RATE_TOKEN
    return f"ip:{client_ip_address(request)}", settings.NEWSROOM_API_RATE_ANONYMOUS


def count(client, now):
    """This client's requests in the current minute, this one included; None if unknown."""
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{client}:{window}"
    try:
        cache.add(key, 0, WINDOW_SECONDS * 2)
        return cache.incr(key)
    except Exception as exc:  # noqa: BLE001 - any cache failure: serve rather than refuse
        logger.warning("API rate limit not counted (%s)", exc)
        return None


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        client, budget = client_and_budget(request)
        if budget:
            now = time.time()
            used = count(client, now)
            if used is not None and used > budget:
                return too_many(budget, now)
        return self.get_response(request)


def too_many(budget, now):
    wait = max(1, WINDOW_SECONDS - int(now % WINDOW_SECONDS))
    response = JsonResponse(
        {
            "error": "rate_limited",
            "detail": f"More than {budget} requests this minute; try again in {wait} s.",
            "retry_after": wait,
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response
