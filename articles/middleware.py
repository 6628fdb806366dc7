"""Graceful failure: when the database cannot be reached, readers get a quick, styled 503.

A news site's database can restart, fail over or run out of connections. Then every page
answers at once with "back in a moment" and a `Retry-After`, instead of a 500 or a hanging
worker; `/healthz` says the same to the load balancer. Nothing is kept between requests, so
the next request after the database returns connects again and the site recovers by itself.

An editor whose admin form was sent during the outage gets their text back instead, in a
form that sends it again as it was (`save_not_done_response`): nothing they typed is lost.
"""

import ipaddress
import logging
import math
import sys

from django.conf import settings
from django.contrib import admin
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse
from django.template import loader
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

logger = logging.getLogger("newsroom.availability")

# Seconds a browser, crawler or CDN should wait before asking again.
RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable_response(request=None):
    """The 503 page. Rendered without context processors: they would query the database."""
    html = loader.get_template("503.html").render(
        {
            "site": settings.NEWSROOM_SITE,
            "retry_after": RETRY_AFTER_SECONDS,
            "title": _("Back in a moment"),
            "LANGUAGE_CODE": get_language(),
        }
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Never let a cache or CDN keep the outage page in place of the real one.
    response["Cache-Control"] = "no-store"
    return response


def save_not_done_response(request):
    """An admin form sent while the database was away: the same 503, with the editor's
    text kept in a form that sends everything back as it was sent ("Save again")."""
    hidden, texts, dropped = [], [], False
    for name, values in request.POST.lists():
        if "password" in name.lower():
            dropped = True
            continue
        for value in values:
            if _is_prose(value):
                texts.append((name, _label(name), value))
            else:
                hidden.append((name, value))
    files = sorted({f.name for f in request.FILES.values()})
    html = loader.get_template("admin/save_not_done.html").render(
        {
            "site": settings.NEWSROOM_SITE,
            "title": _("Not saved"),
            "action": request.path,
            "hidden": hidden,
            "texts": texts,
            "dropped": dropped,
            "files": files,
            "files_list": ", ".join(files),
            "LANGUAGE_CODE": get_language(),
        }
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def outage_response(request):
    if _is_admin_form(request):
        return save_not_done_response(request)
    return database_unavailable_response(request)


class DatabaseUnavailableMiddleware:
    """Turns a database that cannot be reached into the 503 page.

    A failure inside a view arrives at `process_exception`. One in a middleware further in
    (a session save, the login throttle) has already become a 500 response by the time it
    gets here; the `got_request_exception` receiver below marks such requests so the 500
    can be swapped for the outage page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "database_unavailable", False):
            return outage_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            _log(request, exception)
            return outage_response(request)
        return None


class SiteLocaleMiddleware:
    """Activates the site's language and the newsroom's time zone for each request.

    The site speaks one language (`LANGUAGE_CODE`) in one zone (`TIME_ZONE`), so nothing is
    negotiated and no `Vary` is added. Without an active language and zone, Django falls back
    to these same settings on every look-up, but only after its context-local storage has
    raised and caught an exception: a page with twenty cards makes hundreds of such look-ups
    (each translated word, timestamp and address), each three to four times dearer than when
    a value is active. Whatever was active before is restored afterwards.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with (
            translation.override(settings.LANGUAGE_CODE),
            timezone.override(timezone.get_default_timezone()),
        ):
            return self.get_response(request)


def _is_admin_form(request):
    if request.method != "POST":
        return False
    path = request.path
    return path.startswith(reverse("admin:index")) and path != reverse("admin:login")


def _is_prose(value):
    """Text a person typed (shown to them), rather than an id, a flag or a date (kept out
    of sight, sent back as is)."""
    return len(value) > 40 or any(ch.isspace() for ch in value.strip())


def _label(name):
    # Formset fields are named like "bylines-0-role".
    return _("Your text for “%(field)s”") % {"field": name.replace("-", " ").replace("_", " ")}


def _log(request, exception):
    logger.error(
        "Database unavailable while answering %s: %s", request.path, exception, exc_info=exception
    )


@receiver(got_request_exception, dispatch_uid="newsroom_database_unavailable")
def _mark_database_failure(sender, request=None, **kwargs):
    exception = sys.exception()
    if request is not None and isinstance(exception, DATABASE_ERRORS):
        request.database_unavailable = True


def client_ip_address(request):
    """The address a request came from, for login throttling.

    REMOTE_ADDR, unless ``TRUSTED_PROXY_COUNT`` reverse proxies stand in front of the site:
    each appends the address it was reached from to X-Forwarded-For, so the client is the
    entry that many places from the end. Anything to its left was written by the client
    and is ignored; a request that did not pass through every proxy keeps REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(request, original_response=None, credentials=None):
    """The page after too many failed logins: the admin's look, the same words for every
    username (nothing to learn about which accounts exist), and 429 Too Many Requests."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(cool_off * 60) if isinstance(cool_off, (int, float)) else None
    response = TemplateResponse(
        request,
        "registration/lockout.html",
        {"cooloff_minutes": minutes, "site_title": admin.site.site_title},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60) if minutes else "900"
    return response.render()
