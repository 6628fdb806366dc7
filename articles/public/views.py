"""The public site: every page starts from `Article.objects.published()`.

Each view reads through a named QuerySet method (`for_listing()`, `for_detail()`, the helpers
of `listings`) and renders a template. Pages carry the cache keys of everything they show
(`add_cache_keys`), no CSRF token and no per-request nonce, so one cached copy serves every
reader; `caching.PageCacheMiddleware` stores and purges them. Public pages answer GET and
HEAD only (`require_safe`): anything else is a 405 with an `Allow` header.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import conditional_page, require_safe
from taggit.models import Tag, TaggedItem

from .. import frontpage
from ..caching import (
    HOME,
    SEARCH,
    SITEMAPS,
    add_cache_keys,
    article_key,
    author_key,
    navigation_sections,
    section_key,
    source_key,
    story_keys,
    tag_key,
)
from ..models import (
    Article,
    ArticleRedirect,
    Correction,
    RelatedArticle,
    Section,
    SectionRedirect,
    Source,
    bylines_prefetch,
    public_fetch_mode,
)
from ..pagination import paginate
from ..search import (
    MAX_QUERY_LENGTH,
    SEARCH_POOL,
    clean_query,
    search_page,
)
from . import jsonld, listings, social_card
from .bylines import credited_authors

# A live story whose kicker is "Breaking" shows the home page banner for this many hours.
BREAKING_HOURS = getattr(settings, "NEWSROOM_BREAKING_HOURS", 6)
NEWS_SITEMAP_HOURS = 48
RELATED_LIMIT = 4


def reader_page(view):
    """A public page: GET and HEAD only, anything else a 405 with an `Allow` header. Exempt
    from the CSRF check, which would otherwise answer a POST with a 403 first: it takes no
    form, so there is nothing to protect."""
    return csrf_exempt(require_safe(view))


# Helpers ------------------------------------------------------------------------------------


def feed_links(*pairs):
    """[(title, absolute URL)] for `<link rel="alternate">`: the page's RSS and Atom feeds,
    from (title, URL name without its "_rss"/"_atom", its arguments)."""
    links = []
    for title, name, kwargs in pairs:
        for kind, label in (("rss", "RSS"), ("atom", "Atom")):
            url = reverse(f"{name}_{kind}", kwargs=kwargs)
            links.append({"title": f"{title} ({label})", "url": jsonld.absolute(url), "kind": kind})
    return links


def site_feeds():
    return feed_links((gettext("Latest stories"), "articles:latest", {}))


def page_meta(*, title, description="", path="", image=None, noindex=False, feeds=None, **extra):
    """What `base.html` puts in <head>: title, description, canonical, social card, feeds."""
    return {
        "title": title,
        "description": description or settings.NEWSROOM_SITE["tagline"],
        "canonical": jsonld.absolute(path) if path else "",
        **social_card.page_image(image),
        "noindex": noindex,
        "feeds": feeds if feeds is not None else site_feeds(),
        "og_type": extra.pop("og_type", "website"),
        **extra,
    }


def gone_response(request):
    return render(request, "410.html", status=410)


# Home -----------------------------------------------------------------------------------------


@reader_page
def home(request):
    page = frontpage.arrange(timezone.now(), navigation_sections())
    return render_home(request, page)


def render_home(request, page, *, at=None, preview_label=""):
    """The home page for an arranged `frontpage.FrontPage`; also the staff preview of an
    unsaved layout (``preview_label``), which its caller marks never to be cached."""
    at = at or timezone.now()
    breaking = next(
        (
            a
            for a in [page.lead, *page.top, *page.latest]
            if a
            and a.kicker.strip().lower() in {"breaking", gettext("Breaking").lower()}
            and a.publish_at >= at - timedelta(hours=BREAKING_HOURS)
        ),
        None,
    )
    sections = navigation_sections()
    context = {
        "lead": page.lead,
        "top_stories": page.top,
        "latest": page.latest,
        "per_section": page.per_section,
        "breaking": breaking,
        "nav_sections": sections,
        "is_preview": bool(preview_label),
        "preview_label": preview_label,
        "meta": page_meta(
            title=settings.NEWSROOM_SITE["name"],
            description=settings.NEWSROOM_SITE["tagline"],
            path="/",
            image=page.lead.lead_image if page.lead else None,
            noindex=bool(preview_label),
        ),
        "structured_data": jsonld.website(),
    }
    response = render(request, "articles/home.html", context)
    return add_cache_keys(
        response,
        HOME,
        *story_keys(page.stories),
        *(section_key(s) for s in sections),
    )


# Section, tag, source -------------------------------------------------------------------------


@reader_page
def section(request, section):
    slug = section
    section = Section.objects.filter(slug=slug).first()
    if section is None:
        renamed = SectionRedirect.objects.select_related("section").filter(old_slug=slug).first()
        if renamed is None:
            raise Http404("No such section.")
        return HttpResponsePermanentRedirect(renamed.section.get_absolute_url())
    page = paginate(request, listings.section_cards(section))
    context = {
        "section": section,
        "page": page,
        "meta": page_meta(
            title=section.name,
            description=section.description,
            path=section.get_absolute_url() + (page.previous_url and f"?page={page.number}"),
            feeds=feed_links(
                (section.name, "articles:section", {"slug": section.slug}),
                (gettext("Latest stories"), "articles:latest", {}),
            ),
        ),
    }
    response = render(request, "articles/section.html", context)
    return add_cache_keys(response, section_key(section), *story_keys(page.items))


def paginate_live(request, stories, nothing):
    """A page of ``stories``; a 404 saying ``nothing`` when there are none at all: a tag or a
    source known only from stories readers cannot see yet is not shown."""
    page = paginate(request, stories)
    if not page.items:
        raise Http404(nothing)
    return page


@reader_page
def tag(request, slug):
    tag = get_object_or_404(Tag, slug=slug)
    page = paginate_live(request, listings.tag_cards(tag), "No such tag.")
    path = reverse("articles:tag", kwargs={"slug": tag.slug})
    context = {
        "tag": tag,
        "page": page,
        "meta": page_meta(
            title=tag.name,
            description=gettext("Stories tagged “%(tag)s”.") % {"tag": tag.name},
            path=path + (page.previous_url and f"?page={page.number}"),
            feeds=feed_links((tag.name, "articles:tag", {"slug": tag.slug})),
        ),
    }
    response = render(request, "articles/tag.html", context)
    return add_cache_keys(response, tag_key(tag), *story_keys(page.items))


@reader_page
def source(request, slug):
    source = get_object_or_404(Source, slug=slug)
    page = paginate_live(request, listings.source_cards(source), "No such source.")
    context = {
        "source": source,
        "page": page,
        "meta": page_meta(
            title=source.name,
            description=source.description
            or gettext("Stories based on reporting by %(source)s.") % {"source": source.name},
            path=source.get_absolute_url() + (page.previous_url and f"?page={page.number}"),
        ),
    }
    response = render(request, "articles/source.html", context)
    return add_cache_keys(response, source_key(source), *story_keys(page.items))


# Article --------------------------------------------------------------------------------------


def related_stories(article, *, tag_ids, limit=RELATED_LIMIT):
    """Editor-picked stories first (in their order), topped up by the newest stories sharing a
    tag. Two short queries rather than one: a single query joining "picked or sharing a tag"
    can use no index and, at a million stories, would read every story of a big topic."""
    if article.pk is None:
        return []
    live = Article.objects.published()
    picked = [
        link.related
        for link in public_fetch_mode(
            RelatedArticle.objects.filter(article=article.pk, related__in=live)
            .select_related("related__section", "related__lead_image")
            .defer("related__body", "related__search_vector")
            .order_by("position", "id")[:limit]
        )
    ]
    if not tag_ids:
        return picked
    # Asked even when enough were picked: a page's query count stays fixed. The newest stories
    # sharing a tag: walking the publish-time index stops after a handful of matches instead
    # of sorting every story of a big topic.
    tagged = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Article),
        object_id=OuterRef("pk"),
        tag__in=tag_ids,
    )
    sharing = (
        live.filter(Exists(tagged))
        .exclude(pk__in=[article.pk, *(story.pk for story in picked)])
        .order_by("-publish_at", "-id")
        .for_cards()[:limit]
    )
    return [*picked, *sharing][:limit]


def _local_iso(moment):
    """A moment as `base.html`'s article:published_time wants it: ISO 8601 in the site's zone."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat() if moment else ""


def article_context(article, request, *, is_preview=False):
    """Everything `articles/article_detail.html` needs, for a live article or a preview.

    ``is_preview`` comes from the caller (the staff preview views), never from the request.
    Related stories are always published ones, whatever the state of ``article``. An article
    read with `for_detail()` has its bylines and parts already; a preview's are read here.
    """
    if article.pk is not None:
        prefetch_related_objects([article], bylines_prefetch())  # no query when prefetched
    bylines = list(article.bylines.all()) if article.pk is not None else []
    parts = article.detail_parts()
    path = article.get_absolute_url()
    canonical = article.canonical_url or jsonld.absolute(path)
    feeds = []
    if article.section_id:
        feeds += feed_links(
            (article.section.name, "articles:section", {"slug": article.section.slug})
        )
    feeds += site_feeds()
    meta = page_meta(
        title=article.title_for_head,
        description=article.description,
        image=article.lead_image,
        noindex=article.noindex or is_preview,
        feeds=feeds,
        og_type="article",
        published=_local_iso(article.first_published_at or article.publish_at),
        modified=_local_iso(article.updated_at),
        section=article.section.name if article.section_id else "",
        tags=[tag.name for tag in parts.tags],
    )
    meta["canonical"] = canonical
    minutes = article.reading_time
    return {
        "article": article,
        "reading_time": ngettext("%(minutes)s minute read", "%(minutes)s minute read", minutes)
        % {"minutes": minutes}
        if minutes
        else "",
        "bylines": bylines,
        "authors": credited_authors(bylines),
        "sources": parts.sources,
        "corrections": parts.corrections,
        "tags": parts.tags,
        "is_preview": is_preview,
        "meta": meta,
        "structured_data": None
        if is_preview
        else jsonld.news_article(
            article,
            canonical=canonical,
            bylines=bylines,
            sources=parts.sources,
            corrections=parts.corrections,
            tags=parts.tags,
        ),
        "related": related_stories(article, tag_ids=[tag.pk for tag in parts.tags]),
    }


@reader_page
def article_detail(request, section, year, month, day, slug):
    article = Article.objects.published().for_detail().filter(slug=slug).first()
    if article is None:
        return _moved_or_gone(request, slug)
    if request.path != article.get_absolute_url():
        # Wrong date or section in an otherwise valid address: send readers to the real one.
        return HttpResponsePermanentRedirect(article.get_absolute_url())
    context = article_context(article, request)
    response = render(request, "articles/article_detail.html", context)
    return add_cache_keys(response, *_article_page_keys(article, context))


def _article_page_keys(article, context):
    """The article, its section, every tag, author and source the page names, and the related
    stories it shows (an editor's pick may share no tag with it)."""
    keys = {article_key(article), *(article_key(story) for story in context["related"])}
    if article.section_id:
        keys.add(section_key(article.section_id))
    keys |= {tag_key(tag) for tag in context["tags"]}
    keys |= {author_key(byline.author_id) for byline in context["bylines"]}
    keys |= {source_key(link.source_id) for link in context["sources"]}
    return keys


def _moved_or_gone(request, slug):
    """An old address (301), a withdrawn or expired story (410), or nothing (404)."""
    moved = (
        ArticleRedirect.objects.filter(old_path=request.path)
        .values_list("article_id", flat=True)
        .first()
    )
    if moved is not None:
        target = Article.objects.published().filter(pk=moved).select_related("section").first()
        if target is not None:
            return HttpResponsePermanentRedirect(target.get_absolute_url())
        if Article.objects.gone().filter(pk=moved).exists():
            return gone_response(request)
    if Article.objects.gone().filter(slug=slug).exists():
        return gone_response(request)
    raise Http404("No such story.")


# Corrections ----------------------------------------------------------------------------------


@reader_page
def corrections(request):
    live = Article.objects.published().values("pk")
    page = paginate(
        request,
        public_fetch_mode(
            Correction.objects.filter(article__in=live)
            .select_related("article", "article__section")
            .order_by("-created_at", "-id")
        ),
    )
    context = {
        "page": page,
        "meta": page_meta(
            title=gettext("Corrections and clarifications"),
            description=gettext("Every correction, clarification and update we have published."),
            path=reverse("articles:corrections"),
        ),
    }
    response = render(request, "articles/corrections.html", context)
    return add_cache_keys(response, HOME, *(article_key(c.article_id) for c in page.items))


# Search ---------------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search for"), required=False, strip=True)
    section = forms.ChoiceField(label=_("Section"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args, sections, **kwargs):
        # The navigation's sections (already in hand) rather than a query of their own.
        super().__init__(*args, **kwargs)
        self.sections = {section.slug: section for section in sections}
        self.fields["section"].choices = [
            ("", _("All sections")),
            *((section.slug, section.name) for section in sections),
        ]

    def clean_section(self):
        return self.sections.get(self.cleaned_data["section"])

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The “From” date must not be after the “To” date."))
        return cleaned


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


@reader_page
def search_view(request):
    sections = navigation_sections()
    form = SearchForm(request.GET or None, sections=sections)
    query, was_cut, results = "", False, None
    if form.is_valid():
        query, was_cut = clean_query(form.cleaned_data["q"])
        typed = query
    else:  # a filter to correct: the words stay in the box, nothing is searched yet
        typed = clean_query(form["q"].value())[0]
    if query:
        since, until = form.cleaned_data.get("since"), form.cleaned_data.get("until")
        results = search_page(
            request,
            query,
            section=form.cleaned_data.get("section"),
            since=_day_start(since) if since else None,
            until=_day_start(until + timedelta(days=1)) if until else None,
        )
    elif request.GET.get("page", "1") != "1":
        raise Http404("No such page.")
    page = results.page if results else None
    context = {
        "form": form,
        "query": query,
        "typed": typed,
        "was_cut": was_cut,
        "results": results,
        "search_pool": SEARCH_POOL,
        "max_length": MAX_QUERY_LENGTH,
        "nav_sections": sections,
        "page": page,
        "meta": page_meta(
            title=gettext("Search: %(query)s") % {"query": query} if query else gettext("Search"),
            path=reverse("articles:search"),
            noindex=True,
        ),
    }
    response = render(request, "articles/search.html", context)
    keys = [HOME, SEARCH]
    if page:
        keys += story_keys(page.items)
    return add_cache_keys(response, *keys)


# Machine-readable -----------------------------------------------------------------------------


@reader_page
@conditional_page
def news_sitemap(request):
    """Google News sitemap: stories first published in the last 48 hours (at most 1,000, the
    format's limit)."""
    now = timezone.now()
    stories = (
        Article.objects.published(at=now)
        # Bounded on both sides: the index then skips stories scheduled ahead, whose first
        # publication is still to come.
        .filter(first_published_at__range=(now - timedelta(hours=NEWS_SITEMAP_HOURS), now))
        .select_related("section")
        .only("slug", "headline", "first_published_at", "publish_at", "section__slug")
        .order_by("-first_published_at", "-id")[:1000]
    )
    context = {
        "stories": [
            {
                "url": jsonld.absolute(story.get_absolute_url()),
                "published": timezone.localtime(story.first_published_at).isoformat(
                    timespec="seconds"
                ),
                "headline": story.headline,
            }
            for story in public_fetch_mode(stories)
        ],
        "name": settings.NEWSROOM_SITE["name"],
        "language": settings.LANGUAGE_CODE.split("-")[0],
    }
    response = render(request, "articles/news_sitemap.xml", context, content_type="application/xml")
    # Every change to what it lists (a story published, edited, moved or withdrawn; a section's
    # address) purges "sitemaps" or the site.
    return add_cache_keys(response, SITEMAPS)


@reader_page
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /preview/",
        "Disallow: /search/",
        "",
        f"Sitemap: {jsonld.absolute(reverse('sitemap'))}",
        f"Sitemap: {jsonld.absolute(reverse('articles:news_sitemap'))}",
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    return add_cache_keys(response, SITEMAPS)
