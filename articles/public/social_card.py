"""The site's social image: what a shared link or a search result shows for a page or story
without a picture of its own.

`SITE_SOCIAL_IMAGE` names the site's own (a static path or an absolute URL, with its size in
`SITE_SOCIAL_IMAGE_SIZE`). Without one the site draws a card with its name and tagline, in the
sizes asked for: 1200×630 for Open Graph, and 1200 px wide in 16:9, 4:3 and 1:1 for Google's
NewsArticle. A drawn card is kept in the cache, keyed by everything it shows.
"""

import hashlib
import io

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.templatetags.static import static
from django.urls import reverse

# width, height: Open Graph's card, then the NewsArticle's three shapes.
OPEN_GRAPH = (1200, 630)
NEWS_ARTICLE = [(1200, 675), (1200, 900), (1200, 1200)]
SIZES = {OPEN_GRAPH, *NEWS_ARTICLE}
BACKGROUND = (253, 252, 250)
INK = (27, 27, 27)
MUTED = (85, 80, 73)
ACCENT = (138, 28, 28)
# The mark of static/img/logo.svg, in its 48-unit square.
MARK_L = [(14, 11), (26, 11), (26, 13), (23, 13), (23, 34), (32.5, 34), (34.5, 27.5)]
MARK_L += [(36.5, 27.5), (35.9, 37), (14, 37), (14, 35), (17, 35), (17, 13), (14, 13)]


def _absolute(url):
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}"


def page_image(image):
    """A page's social image for `base.html`: its picture (a 1200 px 16:9 rendition), or the
    site's social image when it has none."""
    rendition = image.rendition("16x9", 1200) if image else None
    if rendition:
        url, width, height = _absolute(rendition.url), rendition.width, rendition.height
    elif image:  # renditions still being made
        url, width, height = _absolute(image.file.url), image.width, image.height
    else:
        url, width, height = open_graph_image()
    return {
        "image": url,
        "image_width": width,
        "image_height": height,
        "image_alt": image.alt_text if image else settings.NEWSROOM_SITE["name"],
    }


def open_graph_image():
    """(url, width, height) of the image for og:image."""
    own = settings.NEWSROOM_SITE.get("social_image")
    if own:
        url = own if own.startswith(("http://", "https://", "/")) else static(own)
        return (_absolute(url), *settings.NEWSROOM_SITE["social_image_size"])
    return (card_url(*OPEN_GRAPH), *OPEN_GRAPH)


def news_article_images():
    """Absolute URLs for a NewsArticle's `image` when the story has no picture."""
    if settings.NEWSROOM_SITE.get("social_image"):
        return [open_graph_image()[0]]
    return [card_url(width, height) for width, height in NEWS_ARTICLE]


def card_url(width, height):
    return _absolute(reverse("social_card", kwargs={"width": width, "height": height}))


def card(request, width, height):
    if (width, height) not in SIZES:
        raise Http404("No social card of that size.")
    site = settings.NEWSROOM_SITE
    shown = f"{site['name']}\n{site['tagline']}\n{width}x{height}"
    key = "social-card:" + hashlib.sha256(shown.encode()).hexdigest()
    png = cache.get(key)
    if png is None:
        png = draw(site["name"], site["tagline"], width, height)
        cache.set(key, png, None)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _font(size, *, bold):
    from PIL import ImageFont

    # A serif with every European letter where Debian's fonts are; Pillow's own font elsewhere.
    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    try:
        return ImageFont.truetype(name, size)
    except OSError:
        return ImageFont.load_default(size)


def _fitted(draw, text, width, size, *, bold, lines=2):
    """The largest font up to ``size`` at which ``text`` fits ``width`` in ``lines`` lines,
    with those lines."""
    while True:
        font = _font(size, bold=bold)
        words, wrapped = text.split(), [""]
        for word in words:
            attempt = f"{wrapped[-1]} {word}".strip()
            if draw.textlength(attempt, font=font) <= width or not wrapped[-1]:
                wrapped[-1] = attempt
            else:
                wrapped.append(word)
        fits = all(draw.textlength(line, font=font) <= width for line in wrapped)
        if (fits and len(wrapped) <= lines) or size <= 16:
            return font, wrapped[:lines]
        size -= 4


def draw(name, tagline, width, height):
    """The card as PNG bytes: the mark, the site's name and its tagline on the site's paper."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(picture)
    margin = width // 12
    pen.rectangle([0, height - 24, width, height], fill=ACCENT)
    mark = width // 8
    top = height // 2 - mark - 40
    pen.rounded_rectangle([margin, top, margin + mark, top + mark], radius=mark // 8, fill=ACCENT)
    scale = mark / 48
    pen.polygon([(margin + x * scale, top + y * scale) for x, y in MARK_L], fill=(255, 255, 255))
    text_width = width - 2 * margin
    y = top + mark + 40
    font, lines = _fitted(pen, name, text_width, 96, bold=True)
    for line in lines:
        pen.text((margin, y), line, font=font, fill=INK)
        y += round(font.size * 1.2)
    if tagline:
        font, lines = _fitted(pen, tagline, text_width, 44, bold=False, lines=1)
        pen.text((margin, y + 12), lines[0], font=font, fill=MUTED)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
