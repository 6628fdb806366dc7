"""Responsive pictures from an Image's stored renditions.

    {% load images %}
    {% picture article.lead_image crop="16x9" sizes="(min-width: 60rem) 60rem, 100vw" %}
    {% picture image crop="1x1" sizes="8rem" eager=True alt="" css_class="card__image" %}
    {% rendition_url image crop="16x9" width=1200 as og_image %}
    {{ image|og_image_url }}

Only existing renditions are used (they are made once, after upload); no template ever
resizes anything. They are read from the image row's own ``rendition_index``: no query.
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


def _srcset(renditions):
    return ", ".join(f"{r.url} {r.width}w" for r in renditions)


@register.simple_tag
def picture(image, crop="original", sizes="100vw", eager=False, alt=None, css_class=""):
    """A <picture> with a WebP source and a JPEG/PNG <img> fallback, sized to avoid shifts.

    ``crop``: "original", "16x9" or "1x1". ``alt``: overrides the image's alt text ("" for a
    decorative picture). ``eager``: load at once (the page's first picture).
    """
    if not image:
        return ""
    alt_text = image.alt_text if alt is None else alt
    loading = "eager" if eager else "lazy"
    priority = format_html(' fetchpriority="{}"', "high") if eager else ""
    class_attr = format_html(' class="{}"', css_class) if css_class else ""
    by_format = image.renditions_by_format(crop)
    fallback = by_format.get("jpeg") or by_format.get("png")
    if not fallback:
        # Renditions not made yet: the (re-encoded, metadata-free) original, still sized.
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="{}" loading="{}" decoding="async"{}{}>',
            image.file.url,
            image.width,
            image.height,
            alt_text,
            loading,
            priority,
            class_attr,
        )
    largest = fallback[-1]
    default = next((r for r in fallback if r.width >= 800), largest)
    sources = format_html_join(
        "",
        '<source type="image/{}" srcset="{}" sizes="{}">',
        [(fmt, _srcset(by_format[fmt]), sizes) for fmt in ("avif", "webp") if by_format.get(fmt)],
    )
    return format_html(
        '<picture>{}<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" '
        'loading="{}" decoding="async"{}{}></picture>',
        sources,
        default.url,
        _srcset(fallback),
        sizes,
        largest.width,
        largest.height,
        alt_text,
        loading,
        priority,
        class_attr,
    )


@register.simple_tag
def rendition_url(image, crop="original", width=1200, format=None):  # noqa: A002
    """The URL of one rendition: the JPEG/PNG (or ``format``) closest to ``width``.

    Falls back to the original's URL while renditions are missing; "" without an image.
    """
    if not image:
        return ""
    rendition = image.rendition(crop, int(width), format)
    return rendition.url if rendition else image.file.url


@register.filter
def og_image_url(image):
    """The social-sharing picture: 16:9, about 1200 pixels wide, JPEG or PNG."""
    return rendition_url(image, "16x9", 1200)
