"""Template helpers for the public site: cards, bylines, timestamps, the site's header.

{% load public %}
{% byline bylines %}            the linked phrase "By A and B; photos by C"
{% card article level=3 variant="compact" no_image=False no_dek=False no_byline=False %}
                                a story's card in a list (headline, kicker, picture, byline)
{% dated_link article %}        a story's time and linked headline (the home page's "Latest")
{% timestamp moment %}          <time datetime="…">14 November 2026, 09:00 CET</time>
{% masthead %} {% site_footer %} the site's header with the section navigation, and its footer
{{ bylines|byline_plain }}      the byline as plain text
{{ tag|tag_url }}               a tag's page
{{ data|json_ld }}              a safe <script type="application/ld+json"> block

Each tag that draws markup is an inclusion tag: the markup is in `templates/includes/`.
"""

import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from articles.public.bylines import byline_context, byline_text

register = template.Library()

# Inside <script>, "</script>" or "<!--" in any string would end or confuse the block.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.inclusion_tag("includes/byline.html")
def byline(bylines):
    return byline_context(bylines)


@register.inclusion_tag("includes/timestamp.html")
def timestamp(moment):
    """A moment as readers see it, in the site's zone; the machine-readable time to the second."""
    local = template_localtime(moment)
    return {"moment": local, "iso": local.isoformat(timespec="seconds")}


@register.inclusion_tag("includes/card.html")
def card(a, level=3, variant="", no_image=False, no_dek=False, no_byline=False):
    """One story in a list: its picture (16:9), kicker or section, headline, standfirst (or a
    search snippet), byline and date. ``variant``: "lead" or "compact"."""
    return {
        "a": a,
        "level": int(level),
        "variant": variant,
        "show_image": bool(a.lead_image and not no_image),
        "no_dek": no_dek,
        "bylines": [] if no_byline else list(a.bylines.all()),
    }


@register.inclusion_tag("includes/dated_link.html")
def dated_link(a):
    """A story's time and linked headline: a line of the home page's "Latest" list."""
    return {"a": a}


@register.inclusion_tag("includes/masthead.html", takes_context=True)
def masthead(context):
    sections = context.get("nav_sections") or ()
    if callable(sections):
        sections = sections()
    request = context.get("request")
    return {
        "site": settings.NEWSROOM_SITE,
        "sections": [(s.pk, s.name, s.get_absolute_url()) for s in sections],
        "here": getattr(context.get("section"), "pk", None),
        "within": getattr(context.get("article"), "section_id", None),
        "is_home": request is not None and request.path == "/",
    }


@register.inclusion_tag("includes/site_footer.html")
def site_footer():
    return {"site": settings.NEWSROOM_SITE}


@register.filter
def tag_url(tag):
    return reverse("articles:tag", kwargs={"slug": tag.slug})


@register.filter
def byline_plain(bylines):
    return byline_text(bylines)


@register.filter
def json_ld(data):
    if not data:
        return ""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload),  # noqa: S308 - <, > and & are escaped above
    )
