"""Push: an agency POSTs a delivery to /ingest/<source>/ with the source's bearer token."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import IngestSource
from .receive import CREATED, KILLED, UNCHANGED, UPDATED, receive


def _bearer(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt  # a machine-to-machine endpoint: the bearer token is the credential
@never_cache
@require_POST
def push(request, slug):
    source = IngestSource.objects.filter(
        slug=slug, active=True, arrival=IngestSource.Arrival.PUSH
    ).first()
    token = _bearer(request)
    # The same answer for an unknown source and a wrong token: nothing to probe.
    if source is None or not token or not source.token_matches(token):
        return JsonResponse(
            {"error": "a valid bearer token for this source is required"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="ingest"'},
        )
    limit = settings.INGEST_MAX_BYTES
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        return JsonResponse(
            {"error": f"the delivery is {int(length):,} bytes: the limit is {limit:,}"},
            status=413,
        )
    # Read from the stream, with our own limit: `request.body` stops at Django's form limit.
    data = request.read(limit + 1)
    if len(data) > limit:
        return JsonResponse({"error": f"the delivery exceeds {limit:,} bytes"}, status=413)
    report = receive(source, data, content_type=request.META.get("CONTENT_TYPE", ""), origin="push")
    answer = {
        "created": report.count(CREATED),
        "updated": report.count(UPDATED),
        "withdrawn": report.count(KILLED),
        "already_known": report.count(UNCHANGED),
        "problems": report.problems,
    }
    if report.failed:
        return JsonResponse({"error": report.problems[0], **answer}, status=400)
    return JsonResponse(answer, status=202)
