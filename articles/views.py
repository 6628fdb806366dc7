from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from taggit.models import Tag

from .models import Article, Section, Source


def healthz(request):
    """200 when the database answers, 503 when it does not. Never cached."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means "not healthy"
        response = JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    else:
        response = JsonResponse({"status": "ok", "database": "ok"})
    response["Cache-Control"] = "no-store"
    return response


def home(request):
    articles = Article.objects.published().select_related("section")[:20]
    return render(request, "articles/home.html", {"articles": articles})


def section(request, section):
    section = get_object_or_404(Section, slug=section)
    articles = Article.objects.published().filter(section=section).select_related("section")[:20]
    return render(request, "articles/section.html", {"section": section, "articles": articles})


def tag(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    articles = Article.objects.published().filter(tags=tag).select_related("section")[:20]
    return render(request, "articles/tag.html", {"tag": tag, "articles": articles})


def source(request, slug):
    source = get_object_or_404(Source, slug=slug)
    articles = (
        Article.objects.published()
        .filter(article_sources__source=source)
        .distinct()
        .select_related("section")[:20]
    )
    return render(request, "articles/source.html", {"source": source, "articles": articles})


def article_detail(request, section, year, month, day, slug):
    article = get_object_or_404(
        Article.objects.published().select_related("section", "lead_image"), slug=slug
    )
    if article.get_absolute_url() != request.path:
        raise Http404
    return render(request, "articles/article_detail.html", {"article": article})
