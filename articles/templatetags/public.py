"""Template helpers for the public site: cards, bylines, timestamps, the site's header.

{% load public %}
{% byline bylines %}            the linked phrase "By A and B; photos by C"
{% cards articles level=3 variant="compact" no_image=False no_dek=False no_byline=False as shown %}
                                the stories' cards (headline, kicker, picture, byline)
{% card article level=3 ... %}  one story's card
{% dated_link article %}        a story's time and linked headline (the home page's "Latest")
{% timestamp moment %}          <time datetime="…">14 November 2026, 09:00 CET</time>
{% masthead %} {% site_footer %} the site's header with the section navigation, and its footer
{{ bylines|byline_plain }}      the byline as plain text
{{ tag|tag_url }}               a tag's page
{{ data|json_ld }}              a safe <script type="application/ld+json"> block

Each tag that draws markup renders a template of `templates/includes/` (`cards` draws
`includes/card.html` once per story not already in the cache).
"""

import hashlib
import json
from pathlib import Path

from django import template
from django.conf import settings
from django.core.cache.utils import make_template_fragment_key
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone_name, template_localtime
from django.utils.translation import get_language

from articles.caching import fragments, keep_fragments
from articles.public.bylines import byline_context, byline_text

register = template.Library()

INCLUDES = Path(settings.BASE_DIR) / "templates" / "includes"

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


# How long a rendered card is kept in the shared cache. Its key is made of everything the
# card shows, so an edit, a rename or a new rendition makes a new key; this only bounds how
# long a card nobody shows any more takes up room.
CARD_SECONDS = 24 * 60 * 60

# The markup cards are drawn with: a deploy that changes it makes new keys, so no card drawn by
# the old templates is served after it.
CARD_MARKUP = hashlib.sha256(
    b"".join(path.read_bytes() for path in sorted(INCLUDES.glob("*.html")))
).hexdigest()[:16]


@register.simple_tag(name="card")
def one_card(a, level=3, variant="", no_image=False, no_dek=False, no_byline=False):
    """One story's card (see `cards`), for a card that stands alone."""
    return cards([a], level, variant, no_image, no_dek, no_byline)[0]


def card(a, level=3, variant="", no_image=False, no_dek=False, no_byline=False):
    """What `includes/card.html` draws: one story in a list, its picture (16:9), kicker or
    section, headline, standfirst (or a search snippet), byline and date. ``variant``: "lead"
    or "compact"."""
    show_image = bool(a.lead_image and not no_image)
    bylines = [] if no_byline else list(a.bylines.all())
    return {
        "a": a,
        "level": int(level),
        "variant": variant,
        "show_image": show_image,
        "no_dek": no_dek,
        "bylines": bylines,
        "shown": card_shown(a, bylines, int(level), variant, show_image, bool(no_dek)),
    }


@register.simple_tag
def cards(
    stories, level=3, variant="", no_image=False, no_dek=False, no_byline=False, rest_plain=False
):
    """Each story's card, kept in the shared cache under what it shows (`card_shown`): a
    list's cards are read in one round trip, and only the missing ones are drawn.
    ``rest_plain``: every card but the first without picture and standfirst.

    {% cards page.items level=2 as shown %}{% for card in shown %}<li>{{ card }}</li>{% endfor %}
    """
    drawn = []
    for i, a in enumerate(stories):
        plain = rest_plain and i > 0
        drawn.append(card(a, level, variant, no_image or plain, no_dek or plain, no_byline))
    keys = [
        make_template_fragment_key("card", [CARD_MARKUP, context["shown"]]) for context in drawn
    ]
    found = fragments(keys)
    missing = {}
    for key, context in zip(keys, drawn, strict=True):
        if key not in found:
            missing[key] = get_template("includes/card.html").render(context)
    keep_fragments(missing, CARD_SECONDS)
    # Both are this template's own rendered (escaped) markup.
    return [mark_safe(found[key] if key in found else missing[key]) for key in keys]  # noqa: S308


def card_shown(a, bylines, *options):
    """Everything a card's markup depends on, as the key of its cached fragment: the story's
    fields and address, its section's name, its picture's renditions, its bylines' people,
    the card's options, the language and the time zone."""
    section = a.section if a.section_id else None
    image = a.lead_image if options[2] else None
    return (
        a.pk,
        a.slug,
        a.headline,
        a.kicker,
        a.dek,
        getattr(a, "snippet", None),
        a.first_published_at,
        a.publish_at,
        a.created_at,
        section and (section.pk, section.slug, section.name),
        image and (image.pk, image.file.name, image.width, image.height, image.rendition_index),
        [(b.role, b.author.pk, b.author.slug, b.author.name) for b in bylines],
        options,
        get_language(),
        get_current_timezone_name(),
    )


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
