"""Old WordPress addresses: how they are written down, and what they answer now.

A post's permalink (``/2019/05/some-post/``), its short link (``/?p=12``) and its category and
tag archives (``/category/world/``, ``/tag/nato/``) answer with a 301 to the article, section
or tag they became. An article that readers may not see (a draft, a story scheduled for
later) answers 404 as if the address were unknown; a withdrawn one is sent to its address,
which says 410 Gone.
"""

from urllib.parse import unquote, urlsplit

from django.http import HttpResponsePermanentRedirect
from django.urls import reverse

from articles.models import Article

# The query parameters WordPress addresses content by, in the order it reads them.
QUERY_KEYS = ("p", "page_id", "cat", "tag")


def normalise(path, query_key=None, query_value=None):
    """``path`` without its trailing slash (the root stays "/"), with one WordPress query
    parameter if given: "/2019/05/x", "/?p=12", "/blog?p=12"."""
    path = unquote(path or "/").rstrip("/") or "/"
    if query_key:
        return f"{path}?{query_key}={query_value}"
    return path


def from_url(url):
    """The normalised address of an absolute or relative URL ("" when it has none)."""
    parts = urlsplit(url or "")
    if not parts.path and not parts.query:
        return ""
    for key, value in _query_pairs(parts.query):
        if key in QUERY_KEYS and value:
            return normalise(parts.path, key, value)
    return normalise(parts.path)


def _query_pairs(query):
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        yield key, unquote(value)


def query_address(request):
    """The normalised address of a request addressed WordPress's way (``?p=12``), or None."""
    if not request.META.get("QUERY_STRING"):
        return None
    for key in QUERY_KEYS:
        value = request.GET.get(key)
        if value:
            return normalise(request.path, key, value)
    return None


def redirect_for(path):
    """The 301 an old address answers with, or None (unknown, or not public now)."""
    from .models import OldAddress

    row = OldAddress.objects.filter(path=path).values("article_id", "section_id", "tag_id").first()
    if row is None:
        return None
    if row["article_id"]:
        target = (
            Article.objects.published().filter(pk=row["article_id"]).select_related("section")
        ).first() or (
            Article.objects.gone().filter(pk=row["article_id"]).select_related("section").first()
        )
        return HttpResponsePermanentRedirect(target.get_absolute_url()) if target else None
    if row["section_id"]:
        from articles.models import Section

        section = Section.objects.filter(pk=row["section_id"]).only("slug").first()
        return HttpResponsePermanentRedirect(section.get_absolute_url()) if section else None
    from taggit.models import Tag

    tag = Tag.objects.filter(pk=row["tag_id"]).only("slug").first()
    if tag is None:
        return None
    return HttpResponsePermanentRedirect(reverse("articles:tag", kwargs={"slug": tag.slug}))
