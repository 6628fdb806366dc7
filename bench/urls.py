"""The site's URLs plus `/bench/floor/`: a constant page through the same middleware stack."""

from django.http import HttpResponse
from django.urls import include, path

FLOOR_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Floor</title></head>'
    "<body><main><h1>The framework floor</h1><p>A constant page: routing, middleware and "
    "response, no template, no query.</p></main></body></html>"
)


def floor(request):
    return HttpResponse(FLOOR_HTML)


urlpatterns = [
    path("bench/floor/", floor),
    path("", include("newsroom.urls")),
]
