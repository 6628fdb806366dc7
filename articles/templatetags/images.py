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

register = template.Library()


@register.inclusion_tag("includes/picture.html")
def picture(image, crop="original", sizes="100vw", eager=False, alt=None, css_class=""):
    """A <picture> with a WebP source and a JPEG/PNG <img> fallback, sized to avoid shifts.

    ``crop``: "original", "16x9" or "1x1". ``alt``: overrides the image's alt text ("" for a
    decorative picture). ``eager``: load at once (the page's first picture).
    """
    context = {
        "image": image,
        "alt": (image.alt_text if alt is None else alt) if image else "",
        "sizes": sizes,
        "eager": eager,
        "css_class": css_class,
    }
    if not image:
        return context
    by_format = image.renditions_by_format(crop)
    fallback = by_format.get("jpeg") or by_format.get("png")
    if fallback:  # else renditions are not made yet: the (re-encoded) original, still sized
        largest = fallback[-1]
        context |= {
            "sources": [
                {"format": fmt, "srcset": _srcset(by_format[fmt])}
                for fmt in ("avif", "webp")
                if by_format.get(fmt)
            ],
            "default": next((r for r in fallback if r.width >= 800), largest),
            "srcset": _srcset(fallback),
            "largest": largest,
        }
    return context


def _srcset(renditions):
    return ", ".join(f"{r.url} {r.width}w" for r in renditions)


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
