"""Template helpers for the public site: the byline phrase and structured data.

{% load public %}
{% byline bylines %}            the linked phrase "By A and B; photos by C"
{% timestamp moment %}          <time datetime="…">14 November 2026, 09:00 CET</time>
{{ bylines|byline_plain }}      the same as plain text
{{ data|json_ld }}              a safe <script type="application/ld+json"> block
"""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.template.defaultfilters import date
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from articles.bylines import byline_html, byline_text

register = template.Library()

# Inside <script>, "</script>" or "<!--" in any string would end or confuse the block.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag
def byline(bylines):
    return byline_html(bylines)


@register.simple_tag
def timestamp(moment):
    """A moment as readers see it, in the site's zone. A tag rather than an included template:
    pages show many of them, and an include costs far more than formatting one date."""
    local = template_localtime(moment)
    return format_html(
        '<time datetime="{}">{}</time>', date(local, "c"), date(local, "j F Y, H:i T")
    )


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
