"""Sitemaps (django.contrib.sitemaps) of the home and corrections pages, published stories,
sections, tags, authors and sources.

Locations use SITE_URL's scheme and host, never the request's. Only what a reader may see is
listed: every queryset starts from `Article.objects.published()`.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem
from django.db.models import Max, OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from taggit.models import Tag

from authors.models import Author

from ..models import Article, ArticleSource, Byline, Correction, Section, Source
from . import jsonld


class _SiteUrl:
    """Stands in for a Site: the domain of SITE_URL."""

    def __init__(self):
        self.domain = urlsplit(settings.SITE_URL).netloc


class NewsroomSitemap(Sitemap):
    limit = 5000

    def get_urls(self, page=1, site=None, protocol=None):
        return super().get_urls(
            page=page, site=_SiteUrl(), protocol=urlsplit(settings.SITE_URL).scheme
        )


def _newest_publication(**filters):
    """A subquery: the newest publish time of a live story matching ``filters``."""
    return Subquery(
        Article.objects.published()
        .filter(**filters)
        .order_by("-publish_at")
        .values("publish_at")[:1]
    )


class ArticleSitemap(NewsroomSitemap):
    changefreq = "weekly"

    def items(self):
        return (
            Article.objects.published()
            .select_related("section")
            .only(
                "slug",
                "section__slug",
                "first_published_at",
                "publish_at",
                "created_at",
                "modified_at",
                "updated_at",
            )
            .filter(noindex=False, canonical_url="")
            .order_by("-publish_at", "-id")
        )

    def lastmod(self, article):
        return article.modified_at

    def get_latest_lastmod(self):
        return self.items().aggregate(newest=Max("modified_at"))["newest"]


class SectionSitemap(NewsroomSitemap):
    changefreq = "hourly"
    priority = 0.8

    def items(self):
        return (
            Section.objects.annotate(newest=_newest_publication(section=OuterRef("pk")))
            .filter(newest__isnull=False)
            .order_by("position", "name")
        )

    def lastmod(self, section):
        return section.newest


class TagSitemap(NewsroomSitemap):
    changefreq = "daily"

    def items(self):
        tagged = Article.objects.filter(tags=OuterRef(OuterRef("pk"))).values("pk")
        return (
            Tag.objects.annotate(newest=_newest_publication(pk__in=tagged))
            .filter(newest__isnull=False)
            .order_by("name")
        )

    def location(self, tag):
        return reverse("articles:tag", kwargs={"slug": tag.slug})

    def lastmod(self, tag):
        return tag.newest


class AuthorSitemap(NewsroomSitemap):
    changefreq = "daily"

    def items(self):
        credited = Byline.objects.filter(author=OuterRef(OuterRef("pk"))).values("article_id")
        return (
            Author.objects.annotate(newest=_newest_publication(pk__in=credited))
            .filter(newest__isnull=False)
            .order_by("name")
        )

    def lastmod(self, author):
        return author.newest


class PageSitemap(NewsroomSitemap):
    """The pages that are neither a story nor a listing of one thing: home and corrections."""

    changefreq = "hourly"

    def items(self):
        return ["articles:home", "articles:corrections"]

    def location(self, name):
        return reverse(name)

    def priority(self, name):
        return 1.0 if name == "articles:home" else 0.5

    def lastmod(self, name):
        live = Article.objects.published()
        if name == "articles:home":
            return live.aggregate(newest=Max("publish_at"))["newest"]
        corrections = Correction.objects.filter(article__in=live.values("pk"))
        return corrections.aggregate(newest=Max("created_at"))["newest"]


class SourceSitemap(NewsroomSitemap):
    changefreq = "weekly"

    def items(self):
        based_on = ArticleSource.objects.filter(source=OuterRef(OuterRef("pk"))).values(
            "article_id"
        )
        return (
            Source.objects.annotate(newest=_newest_publication(pk__in=based_on))
            .filter(newest__isnull=False)
            .order_by("name")
        )

    def lastmod(self, source):
        return source.newest


sitemaps = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
    "sources": SourceSitemap,
}


def index(request):
    """The sitemap index, with absolute locations from SITE_URL (contrib's uses the Host)."""
    entries = []
    for name, sitemap_class in sitemaps.items():
        sitemap = sitemap_class()
        location = jsonld.absolute(reverse("sitemap_section", kwargs={"section": name}))
        lastmod = sitemap.get_latest_lastmod()
        entries.append(SitemapIndexItem(location, lastmod))
        for page in range(2, sitemap.paginator.num_pages + 1):
            entries.append(SitemapIndexItem(f"{location}?p={page}", lastmod))
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": entries}, content_type="application/xml"
    )
