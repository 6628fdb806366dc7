"""Poll one source's URL: a conditional GET with a timeout, a size limit and few redirects.

A 304 costs nothing but the request. A failure (timeout, refused connection, an HTTP error, a
redirect loop, an unreadable document) is counted on the source, kept as its last error and
pushes its next poll back (doubling, at most a day); a success resets the count.
"""

import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import IngestSource
from .receive import Report, note, receive

logger = logging.getLogger("ingest")

MAX_REDIRECTS = 5
USER_AGENT = "Newsroom-ingest/1.0 (+conditional GET)"


class PollError(Exception):
    pass


class LimitedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a few redirects, to http(s) only; loops and long chains fail clearly."""

    max_redirections = MAX_REDIRECTS
    max_repeats = 1

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.lower().startswith(("http://", "https://")):
            raise PollError(f"redirect to a non-HTTP address refused: {newurl[:200]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def opener():
    return urllib.request.build_opener(LimitedRedirects)


def fetch(source):
    """GET the source's URL. Returns (status, body bytes, headers)."""
    if not source.url.lower().startswith(("http://", "https://")):
        raise PollError("the feed URL must start with http:// or https://")
    request = urllib.request.Request(source.url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    if source.etag:
        request.add_header("If-None-Match", source.etag)
    if source.last_modified:
        request.add_header("If-Modified-Since", source.last_modified)
    limit = settings.INGEST_MAX_BYTES
    try:
        with opener().open(request, timeout=settings.INGEST_POLL_TIMEOUT) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise PollError(f"the feed is {int(declared):,} bytes: the limit is {limit:,}")
            data = response.read(limit + 1)
            if len(data) > limit:
                raise PollError(f"the feed is larger than the limit of {limit:,} bytes")
            return response.status, data, response.headers
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", exc.headers
        if 300 <= exc.code < 400:
            raise PollError(
                f"too many redirects or a redirect loop ({exc.code}: {exc.reason})"
            ) from exc
        raise PollError(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise PollError(_timeout_message()) from exc
        raise PollError(f"could not connect: {exc.reason}") from exc
    except TimeoutError as exc:
        raise PollError(_timeout_message()) from exc
    except (OSError, ValueError) as exc:
        raise PollError(f"{type(exc).__name__}: {exc}") from exc


def _timeout_message():
    return f"no answer within {settings.INGEST_POLL_TIMEOUT} s (INGEST_POLL_TIMEOUT)"


def poll(source, *, now=None):
    """Poll ``source`` once and set its next poll. Returns the delivery's `Report`."""
    now = now or timezone.now()
    try:
        status, data, headers = fetch(source)
    except PollError as exc:
        source.failures += 1
        report = Report(failed=True, problems=[str(exc)])
        note(source, report, origin=source.url[:200])
        _schedule(source, now=now, wait=source.backoff(), fields={"failures": source.failures})
        return report
    fields = {"failures": 0}
    if status == 304:
        report = Report()
    else:
        report = receive(
            source, data, content_type=headers.get("Content-Type", ""), origin=source.url[:200]
        )
        fields["etag"] = (headers.get("ETag") or "")[:500]
        fields["last_modified"] = (headers.get("Last-Modified") or "")[:100]
        if report.failed:
            fields["failures"] = source.failures + 1
    source.failures = fields["failures"]
    wait = source.backoff() if report.failed else timedelta(minutes=source.interval_minutes)
    _schedule(source, now=now, wait=wait, fields=fields)
    return report


def _schedule(source, *, now, wait, fields):
    fields = {**fields, "last_polled_at": now, "next_poll_at": now + wait}
    with transaction.atomic():
        IngestSource.objects.filter(pk=source.pk).update(**fields)
    for name, value in fields.items():
        setattr(source, name, value)


def due(*, now=None):
    now = now or timezone.now()
    return IngestSource.objects.filter(
        active=True, arrival=IngestSource.Arrival.POLL, next_poll_at__lte=now
    ) | IngestSource.objects.filter(
        active=True, arrival=IngestSource.Arrival.POLL, next_poll_at__isnull=True
    )
