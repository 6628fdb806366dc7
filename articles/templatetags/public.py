"""Template helpers for the public site: the byline phrase and structured data.

{% load public %}
{% byline bylines %}            the linked phrase "By A and B; photos by C"
{% card article level=3 variant="compact" no_image=False no_dek=False no_byline=False %}
                                a story's card in a list (headline, kicker, picture, byline)
{% timestamp moment %}          <time datetime="…">14 November 2026, 09:00 CET</time>
{% masthead %} {% site_footer %} the site's header with the section navigation, and its footer
{{ bylines|byline_plain }}      the same as plain text
{{ tag|tag_url }}               a tag's page
{{ data|json_ld }}              a safe <script type="application/ld+json"> block
"""

import functools
import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils.dates import MONTHS
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language

from articles.bylines import byline_html, byline_text
from articles.listings import drawn
from articles.markup import text
from articles.paths import reverse_path

from .images import picture

register = template.Library()

# Inside <script>, "</script>" or "<!--" in any string would end or confuse the block.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag
def byline(bylines):
    return byline_html(bylines)


@register.simple_tag
def timestamp(moment):
    """A moment as readers see it, in the site's zone. A tag rather than an included template,
    and formatted directly rather than through the `date` filter (the same "c" and
    "j F Y, H:i T" formats): listings show dozens of them."""
    # Whole seconds: HTML allows at most three digits of a second's fraction.
    local = template_localtime(moment).replace(microsecond=0)
    month = _month_names(get_language())[local.month]
    return mark_safe(  # noqa: S308 - digits, and the zone and month names escaped
        f'<time datetime="{local.isoformat()}">{local.day} {month} '
        f"{local.year:04d}, {local.hour:02d}:{local.minute:02d} {text(local.tzname() or '')}</time>"
    )


@functools.cache
def _month_names(language):
    return {number: text(name) for number, name in MONTHS.items()}


# A card in Python rather than an included template: listings show dozens of them, and an
# include cost each one more than the rest of its page's work put together.
@register.simple_tag
def card(a, level=3, variant="", no_image=False, no_dek=False, no_byline=False):
    """One story in a list: its picture (16:9), kicker or section, headline, standfirst (or a
    search snippet), byline and date. ``variant``: "lead" or "compact".

    A story read for a listing is kept per process by its row (`listings.stories_from`), and
    its card is drawn once and kept on it (`listings.drawn`). An edit to the story, its
    section, picture or authors reads a new row: a new story, a new card."""
    options = (getattr(a, "snippet", ""), str(level), variant)
    options += (bool(no_image), bool(no_dek), bool(no_byline))
    return drawn(
        a, ("card", *options), lambda: _card(a, level, variant, no_image, no_dek, no_byline)
    )


@register.simple_tag
def dated_link(a):
    """A story's time and linked headline: a line of the home page's "Latest" list. Kept on
    a listing's story, as its card is."""
    return drawn(
        a,
        "dated_link",
        lambda: mark_safe(  # noqa: S308 - every value escaped (`text`) or built as markup
            f"{timestamp(a.first_published_at or a.publish_at)} "
            f'<a href="{text(a.get_absolute_url())}">{text(a.headline)}</a>'
        ),
    )


def _card(a, level, variant, no_image, no_dek, no_byline):
    url = text(a.get_absolute_url())
    media = ""
    classes = "card"
    if variant:
        classes += f" card--{variant}"
    if a.lead_image and not no_image:
        classes += " card--media"
        sizes = (
            "(min-width: 64rem) 40rem, 100vw"
            if variant == "lead"
            else "(min-width: 64rem) 20rem, (min-width: 40rem) 45vw, 100vw"
        )
        image = picture(a.lead_image, crop="16x9", sizes=sizes, eager=variant == "lead", alt="")
        media = f'<a class="card__media" href="{url}" tabindex="-1" aria-hidden="true">{image}</a>'
    kicker = a.kicker or (a.section.name if a.section else "")
    snippet = getattr(a, "snippet", "")
    if snippet:
        dek = f'<p class="card__dek">{text(snippet)}</p>'
    elif a.dek and not no_dek:
        dek = f'<p class="card__dek">{text(a.dek)}</p>'
    else:
        dek = ""
    bylines = [] if no_byline else a.bylines.all()
    credit = f'<span class="card__byline">{byline(bylines)}</span> · ' if bylines else ""
    level = int(level)
    return mark_safe(  # noqa: S308 - every value escaped (`text`) or built as markup above
        f'<article class="{text(classes)}">\n  {media}\n  <div class="card__text">\n'
        f'    <p class="card__kicker">{text(kicker)}</p>\n'
        f'    <h{level} class="card__headline"><a href="{url}">{text(a.headline)}</a></h{level}>\n'
        f"    {dek}\n"
        f'    <p class="card__meta">{credit}{timestamp(a.first_published_at or a.publish_at)}</p>\n'
        "  </div>\n</article>"
    )


# The site's header and footer: every page shows one of a handful of variants (which section is
# current, the language), so each variant is rendered once per process and kept, keyed by
# everything it shows. A renamed or reordered section makes a new key.
@register.simple_tag(takes_context=True)
def masthead(context):
    sections = context.get("nav_sections") or ()
    if callable(sections):
        sections = sections()
    request = context.get("request")
    return _masthead(
        get_language(),
        tuple((s.pk, s.name, s.get_absolute_url()) for s in sections),
        here=getattr(context.get("section"), "pk", None),
        within=getattr(context.get("article"), "section_id", None),
        is_home=request is not None and request.path == "/",
    )


@register.simple_tag
def site_footer():
    return _site_footer(get_language())


@functools.lru_cache(maxsize=256)
def _masthead(language, sections, *, here, within, is_home):
    context = {"site": settings.NEWSROOM_SITE, "sections": sections}
    context |= {"here": here, "within": within, "is_home": is_home}
    return mark_safe(render_to_string("includes/masthead.html", context))  # noqa: S308 - a template's output


@functools.lru_cache(maxsize=16)
def _site_footer(language):
    context = {"site": settings.NEWSROOM_SITE}
    return mark_safe(render_to_string("includes/site_footer.html", context))  # noqa: S308 - a template's output


@receiver(setting_changed, dispatch_uid="public_chrome_settings")
def _forget_chrome(**kwargs):
    # The site's name, links, static files or addresses may have changed (tests).
    _masthead.cache_clear()
    _site_footer.cache_clear()


@register.filter
def tag_url(tag):
    return reverse_path("articles:tag", slug=tag.slug)


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
