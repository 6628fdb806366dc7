"""Addresses of public pages, reversed once per process.

A page names dozens of addresses (navigation, feeds, bylines, tags, related stories), and
`django.urls.reverse()` walks the URL patterns every time. `reverse_path()` remembers each
answer by view name and arguments, and by what else `reverse()` depends on: the URLconf (the
settings' or the request's) and the script prefix.
"""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def reverse_path(viewname, **kwargs):
    return _reverse(
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        viewname,
        tuple(kwargs.items()),
    )


@functools.lru_cache(maxsize=10_000)
def _reverse(urlconf, script_prefix, viewname, kwargs):
    # `reverse()` reads the script prefix itself; it is part of the key only.
    return reverse(viewname, urlconf=urlconf, kwargs=dict(kwargs))
