"""Previews with the public article template: for staff, and through secret share links.

The page is built by the public site's own `article_context` with `is_preview=True`, so a
preview looks exactly like the story will (the template adds the preview banner and a robots
noindex tag). It is never cached and never indexed: `Cache-Control: private, no-store` and
`X-Robots-Tag: noindex`. An expired or revoked share link answers 404, as if it had never
existed.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext
from taggit.models import Tag

from . import revisions
from .models import ArticleSource, Byline, PreviewLink, Source
from .newsroom_time import describe
from .public.bylines import credited_authors

TEMPLATE = "articles/article_detail.html"


def render_preview(request, article, *, label, revision=None):
    from .public.views import article_context

    context = article_context(article, request, is_preview=True)
    if revision is not None:
        context.update(revision_relations(article, revision))
        if isinstance(context.get("meta"), dict):
            context["meta"]["tags"] = [tag.name for tag in context["tags"]]
    context["preview_label"] = label
    return no_store(render(request, TEMPLATE, context))


def no_store(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def revision_relations(article, revision):
    """Bylines, sources and tags as the revision recorded them (unsaved, for display)."""
    from authors.models import Author

    data = revision.data
    authors = Author.objects.in_bulk([b["author"] for b in data.get("bylines", [])])
    bylines = [
        Byline(article=article, author=authors[b["author"]], role=b["role"], position=i)
        for i, b in enumerate(data.get("bylines", []))
        if b["author"] in authors
    ]
    sources = Source.objects.in_bulk([s["source"] for s in data.get("sources", [])])
    links = [
        ArticleSource(
            article=article,
            source=sources[s["source"]],
            relation=s["relation"],
            original_url=s.get("original_url", ""),
            original_headline=s.get("original_headline", ""),
            note=s.get("note", ""),
            position=i,
        )
        for i, s in enumerate(data.get("sources", []))
        if s["source"] in sources
    ]
    tags = list(Tag.objects.filter(name__in=data.get("tags", [])).order_by("name"))
    return {
        "bylines": bylines,
        "authors": credited_authors(bylines),
        "sources": links,
        "tags": tags,
    }


def shared_preview(request, token):
    """The page behind a share link: one revision, read-only, for someone without a login."""
    link = PreviewLink.objects.select_related("revision").filter(token=token).first()
    if link is None or not link.is_active:
        raise Http404
    article = revisions.as_article(link.revision)
    label = gettext("Revision #%(n)s, shared for review. This link expires %(when)s.") % {
        "n": link.revision.number,
        "when": describe(link.expires_at),
    }
    return render_preview(request, article, label=label, revision=link.revision)
