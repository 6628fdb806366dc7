import re

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.decorators.http import conditional_page
from django.views.static import serve

from api.views import api
from articles import health
from articles.caching import SITEMAPS, add_cache_keys
from articles.public import sitemaps as article_sitemaps
from articles.public import social_card
from articles.public import views as public_views


def _sitemap_view(view, **options):
    @public_views.reader_page
    @conditional_page
    def wrapped(request, **kwargs):
        return add_cache_keys(view(request, **options, **kwargs), SITEMAPS)

    return wrapped


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("robots.txt", public_views.robots_txt, name="robots_txt"),
    path("social-card-<int:width>x<int:height>.png", social_card.card, name="social_card"),
    path("sitemap.xml", _sitemap_view(article_sitemaps.index), name="sitemap"),
    path(
        "sitemap-<section>.xml",
        _sitemap_view(sitemap_views.sitemap, sitemaps=article_sitemaps.sitemaps),
        name="sitemap_section",
    ),
    path("", include("authors.urls")),
    path("preview/", include("articles.preview_urls")),
    path("ingest/", include("ingest.urls")),
    path("", include("articles.urls")),
]

if settings.SERVE_MEDIA:
    # Not `django.conf.urls.static.static()`: that serves nothing unless DEBUG is on, and
    # SERVE_MEDIA is meant to work without DEBUG too (a small site without a web server).
    urlpatterns = [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        ),
        *urlpatterns,
    ]
