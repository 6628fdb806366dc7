"""Public page caching: which keys a response carries, and purging them.

Views call `add_cache_keys(response, ...)` with the things the page shows; purges name the
same keys.
"""


def add_cache_keys(response, *keys):
    """Record the cache keys (e.g. "article-12", "section-3", "home") a response depends on."""
    existing = getattr(response, "cache_keys", set())
    response.cache_keys = existing | {str(k) for k in keys if k}
    return response
