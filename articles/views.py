"""The public site: every page starts from `Article.objects.published()`.

Pages carry the cache keys of everything they show (`add_cache_keys`), no CSRF token and no
per-request nonce, so one cached copy serves every reader.
"""

import functools
from datetime import datetime, time, timedelta
from itertools import chain
from xml.sax.saxutils import escape as xml_escape

from django import forms
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.dispatch import receiver
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import conditional_page

from . import jsonld, listings, social_card
from .article_page import RELATED_LIMIT, live_article
from .bylines import credited_authors
from .caching import (
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
from .models import (
    Article,
    ArticleRedirect,
    Correction,
    RelatedArticle,
    SectionRedirect,
    article_path,
    bylines_prefetch,
    public_fetch_mode,
)
from .pagination import paginate
from .paths import reverse_path
from .rows import Kept
from .search import (
    MAX_QUERY_LENGTH,
    SEARCH_POOL,
    clean_query,
    search_page,
)

# A live story whose kicker is "Breaking" shows the home page banner for this many hours.
BREAKING_HOURS = getattr(settings, "NEWSROOM_BREAKING_HOURS", 6)
NEWS_SITEMAP_HOURS = 48


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


# Helpers ------------------------------------------------------------------------------------


def feed_links(*pairs):
    """[(title, absolute URL)] for `<link rel="alternate">`: the page's RSS and Atom feeds."""
    links = []
    for title, name, kwargs in pairs:
        for kind, label in (("rss", "RSS"), ("atom", "Atom")):
            url = reverse_path(f"articles:{name}_{kind}", **kwargs)
            links.append({"title": f"{title} ({label})", "url": jsonld.absolute(url), "kind": kind})
    return links


def site_feeds():
    return feed_links((gettext("Latest stories"), "latest", {}))


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


def home(request):
    now = timezone.now()
    lead_pk = listings.featured_id(now)
    # One indexed read of the newest stories' ids feeds both the top list and the section
    # blocks (a window over every published story would sort the whole archive on each
    # visit); only the stories shown are then loaded, with their bylines.
    pool = listings.newest_ids(now, leaving_out=lead_pk)
    if lead_pk is None and pool:
        lead_pk = pool.pop(0)[0]
    newest_pks = [pk for pk, _ in pool[:16]]
    sections = navigation_sections()
    section_pks = {}
    for section in sections:
        wanted_section = section.pk
        pks = [pk for pk, section_id in pool if section_id == wanted_section][:3]
        if not pks and len(pool) >= listings.HOME_POOL - 1:
            # A quiet section with nothing among the newest stories: one short indexed read.
            pks = list(
                Article.objects.published(at=now)
                .exclude(pk=lead_pk)
                .filter(section=section)
                .values_list("pk", flat=True)[:3]
            )
        section_pks[section.pk] = pks
    wanted = {lead_pk, *newest_pks, *chain.from_iterable(section_pks.values())} - {None}
    loaded = listings.cards_by_id(wanted, now)
    lead = loaded.get(lead_pk)
    newest = [loaded[pk] for pk in newest_pks if pk in loaded]
    by_section = [loaded[pk] for pks in section_pks.values() for pk in pks if pk in loaded]
    everything = list(loaded.values())

    per_section = []
    for section in sections:
        stories = [a for a in by_section if a.section_id == section.pk]
        if stories:
            per_section.append({"section": section, "articles": stories})
    breaking = next(
        (
            a
            for a in [lead, *newest]
            if a
            and a.kicker.strip().lower() in {"breaking", gettext("Breaking").lower()}
            and a.publish_at >= now - timedelta(hours=BREAKING_HOURS)
        ),
        None,
    )
    context = {
        "lead": lead,
        "top_stories": newest[:4],
        "latest": newest[4:14],
        "per_section": per_section,
        "breaking": breaking,
        "nav_sections": sections,
        "meta": page_meta(
            title=settings.NEWSROOM_SITE["name"],
            description=settings.NEWSROOM_SITE["tagline"],
            path="/",
            image=lead.lead_image if lead else None,
        ),
        "structured_data": jsonld.website(),
    }
    response = render(request, "articles/home.html", context)
    return add_cache_keys(
        response,
        HOME,
        *story_keys(everything),
        *(section_key(s) for s in sections),
    )


# Section, tag, source -------------------------------------------------------------------------


def section(request, section):
    slug = section
    section = listings.section_by_slug(slug)
    if section is None:
        renamed = SectionRedirect.objects.select_related("section").filter(old_slug=slug).first()
        if renamed is None:
            raise Http404("No such section.")
        return HttpResponsePermanentRedirect(renamed.section.get_absolute_url())
    page = paginate(request, listings.section_cards(section.pk))
    context = {
        "section": section,
        "page": page,
        "meta": page_meta(
            title=section.name,
            description=section.description,
            path=section.get_absolute_url() + (page.previous_url and f"?page={page.number}"),
            feeds=feed_links(
                (section.name, "section", {"slug": section.slug}),
                (gettext("Latest stories"), "latest", {}),
            ),
        ),
    }
    response = render(request, "articles/section.html", context)
    return add_cache_keys(response, section_key(section), *story_keys(page.items))


def tag(request, slug):
    tag = listings.tag_by_slug(slug)
    if tag is None:
        raise Http404("No such tag.")
    page = paginate(request, listings.tag_cards(tag.pk))
    path = reverse("articles:tag", kwargs={"slug": tag.slug})
    context = {
        "tag": tag,
        "page": page,
        "meta": page_meta(
            title=tag.name,
            description=gettext("Stories tagged “%(tag)s”.") % {"tag": tag.name},
            path=path + (page.previous_url and f"?page={page.number}"),
            feeds=feed_links((tag.name, "tag", {"slug": tag.slug})),
        ),
    }
    response = render(request, "articles/tag.html", context)
    return add_cache_keys(response, tag_key(tag), *story_keys(page.items))


def source(request, slug):
    source = listings.source_by_slug(slug)
    if source is None:
        raise Http404("No such source.")
    page = paginate(request, listings.source_cards(source.pk))
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
    """Editor-picked stories first (in their order), topped up by stories sharing a tag.

    Two short queries rather than one: a single query joining "picked or sharing a tag" can
    use no index and, at a million stories, would read every story that shares a big topic.
    """
    if article.pk is None:
        return []
    live = Article.objects.published().for_cards().exclude(pk=article.pk)
    picked_links = RelatedArticle.objects.filter(article=article.pk)
    position = picked_links.filter(related=OuterRef("pk")).values("position")[:1]
    stories = list(
        live.filter(pk__in=picked_links.values("related_id"))
        .annotate(picked_position=Subquery(position))
        .order_by("picked_position", "-publish_at", "-id")[:limit]
    )
    if tag_ids:  # asked even when enough were picked: a page's query count stays fixed
        # The newest few sharing a tag: walking the publish-time index stops after a handful
        # of matches instead of sorting every story of a big topic.
        sharing = (
            Article.objects.published()
            .filter(tags__in=tag_ids)
            .exclude(pk__in=[article.pk, *(story.pk for story in stories)])
            .order_by("-publish_at", "-id")
            .values("pk")[: limit * 5]
        )
        stories += live.filter(pk__in=sharing).order_by("-publish_at", "-id")[:limit]
    return stories[:limit]


def _local_iso(moment):
    """A moment as `base.html`'s article:published_time wants it: ISO 8601 in the site's zone
    (what the `date:"c"` filter wrote, without its format machinery)."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat() if moment else ""


def article_context(article, request, *, is_preview=False, bylines=None, related=None):
    """Everything `articles/article_detail.html` needs, for a live article or a preview.

    ``is_preview`` comes from the caller (the staff preview views), never from the request.
    Related stories are always published ones, whatever the state of ``article``. The live
    page passes the ``bylines`` and ``related`` stories it read with the article
    (`article_page.live_article`); a preview reads them here.
    """
    if bylines is None:
        if article.pk is not None:
            prefetch_related_objects([article], bylines_prefetch())
        bylines = list(article.bylines.all()) if article.pk is not None else []
    story = _story_context(article, bylines, is_preview)
    if related is None:
        related = related_stories(article, tag_ids=[tag.pk for tag in story["tags"]])
    return {**story, "related": related}


def _story_context(article, bylines, is_preview):
    """What the article page shows of the story itself, its head and its JSON-LD, with the
    story's markup (`includes/story.html`: headline to author boxes).

    For the live page it is made once per process for each row of the page's query
    (`article_page.live_article`) and kept: everything it shows is on that row, so an edit to
    the story, a byline, source, correction, tag, picture or section reads a different row and
    makes it afresh. A preview makes it every time."""
    row = None if is_preview else getattr(article, "page_row", None)
    if row is None:
        return _make_story_context(article, bylines, is_preview)
    return _STORIES_SHOWN.get_or_make(
        (row, listings.rendering_key()), lambda: _make_story_context(article, bylines, is_preview)
    )


def _make_story_context(article, bylines, is_preview):
    authors = credited_authors(bylines)
    parts = article.detail_parts()
    path = article.get_absolute_url()
    canonical = article.canonical_url or jsonld.absolute(path)
    feeds = []
    if article.section_id:
        feeds += feed_links((article.section.name, "section", {"slug": article.section.slug}))
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
    story = {
        "article": article,
        # "4 minute read", made here: a `blocktranslate` with a count took longer to render.
        "reading_time": ngettext("%(minutes)s minute read", "%(minutes)s minute read", minutes)
        % {"minutes": minutes}
        if minutes
        else "",
        "bylines": bylines,
        "authors": authors,
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
    }
    story["story"] = story_markup(story)
    return story


def story_markup(context):
    """The story itself as the article page shows it, headline to author boxes."""
    return render_to_string("includes/story.html", context)


# The live stories shown per process: the articles readers open, at ~20 kB each.
_STORIES_SHOWN = Kept(500)


@receiver(setting_changed, dispatch_uid="stories_shown_settings")
def _forget_stories_shown(**kwargs):
    _STORIES_SHOWN.clear()  # addresses, files or formats may be drawn differently


def article_detail(request, section, year, month, day, slug):
    found = live_article(slug)
    if found is None:
        return _moved_or_gone(request, slug)
    article, bylines, related, sections = found
    if request.path != article.get_absolute_url():
        # Wrong date or section in an otherwise valid address: send readers to the real one.
        return HttpResponsePermanentRedirect(article.get_absolute_url())
    context = article_context(article, request, bylines=bylines, related=related)
    context["nav_sections"] = sections
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


@conditional_page
def news_sitemap(request):
    """Google News sitemap: stories first published in the last 48 hours (at most 1,000, the
    format's limit). Plain rows, written out directly: a busy desk fills it with hundreds of
    stories, and it needs four columns of each."""
    now = timezone.now()
    rows = (
        Article.objects.published(at=now)
        # Bounded on both sides: the index then skips stories scheduled ahead, whose first
        # publication is still to come.
        .filter(first_published_at__range=(now - timedelta(hours=NEWS_SITEMAP_HOURS), now))
        .order_by("-first_published_at", "-id")
        .values_list("section__slug", "first_published_at", "slug", "headline")[:1000]
    )
    publication = (
        f"<news:publication><news:name>{xml_escape(settings.NEWSROOM_SITE['name'])}</news:name>"
        f"<news:language>{xml_escape(settings.LANGUAGE_CODE.split('-')[0])}</news:language>"
        "</news:publication>"
    )
    context = (publication, settings.SITE_URL, listings.rendering_key())
    entries = [_news_entry(*row, context) for row in rows]
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{''.join(entries)}</urlset>\n"
    )
    response = HttpResponse(xml, content_type="application/xml")
    # Every change to what it lists (a story published, edited, moved or withdrawn; a section's
    # address) purges "sitemaps" or the site: one key, not one per story, keeps a cached copy's
    # check as cheap as any page's however busy the desk.
    return add_cache_keys(response, SITEMAPS)


@functools.lru_cache(maxsize=4_000)
def _news_entry(section, first_published_at, slug, headline, context):
    """One story's <url> in the news sitemap, kept per process by everything it shows: the
    same stories are listed on every visit for two days. ``context``: the publication element,
    the site's address, and what addresses and times depend on (`listings.rendering_key`)."""
    publication = context[0]
    moment = timezone.localtime(first_published_at)
    url = jsonld.absolute(article_path(section, moment.date(), slug))
    return (
        f"<url><loc>{xml_escape(url)}</loc><news:news>{publication}"
        f"<news:publication_date>{moment.replace(microsecond=0).isoformat()}</news:publication_date>"
        f"<news:title>{xml_escape(headline)}</news:title></news:news></url>\n"
    )


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
