"""A WordPress post's content turned into a Newsroom body, before the editor's sanitiser.

WordPress stores what its editors typed, not what readers saw: classic posts have no
paragraphs (``wpautop`` adds them when the page is drawn), shortcodes are expanded by PHP, and
the block editor leaves ``<!-- wp:... -->`` comments. This module does the parts of that
readers relied on — paragraphs, captions, embeds as links, pictures brought into the image
library and placed as figures — and removes the rest, counting what it removed. The result
still goes through `articles.sanitize.sanitize_body` when the article is saved, like any body.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape, unescape
from urllib.parse import urlsplit

from django.template.loader import render_to_string

SHORTCODE = re.compile(
    r"\[(?P<escaped>\[?)(?P<name>[a-zA-Z][\w-]*)(?P<attrs>(?:\s[^\]]*)?)(?<!/)(?:/)?\]"
    r"(?:(?P<inner>.*?)\[/(?P=name)\])?(?P<escaped_end>\]?)",
    re.DOTALL,
)
ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
# Shortcodes WordPress itself and common plugins register; anything with attributes or a
# closing tag also counts as one. "[sic]" or "[1]" in a sentence stays text.
KNOWN_SHORTCODES = {
    "caption",
    "wp_caption",
    "embed",
    "gallery",
    "audio",
    "video",
    "playlist",
    "contact-form-7",
    "gravityform",
    "vc_row",
    "vc_column",
    "vc_column_text",
}
IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
LINKED_IMG = re.compile(r"<a\b[^>]*>\s*(<img\b[^>]*>)\s*</a>", re.IGNORECASE)
BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
IMAGE_BLOCK = re.compile(
    r"<figure\b[^>]*\bwp-block-image\b[^>]*>(?P<inner>.*?)</figure>", re.IGNORECASE | re.DOTALL
)
FIGCAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption>", re.IGNORECASE | re.DOTALL)
EMBED_BLOCK = re.compile(
    r"<figure\b[^>]*\bwp-block-embed\b[^>]*>.*?</figure>", re.IGNORECASE | re.DOTALL
)
URL = re.compile(r"https?://[^\s<>\"']+")
LONE_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"']+)[ \t]*$", re.MULTILINE)
BLOCK_TAGS = re.compile(
    r"^\s*<(?:p|h[1-6]|ul|ol|li|blockquote|figure|div|table|pre|hr|address|section)\b",
    re.IGNORECASE,
)
SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")
WP_IMAGE_CLASS = re.compile(r"\bwp-image-(\d+)\b")


@dataclass(frozen=True)
class Picture:
    """A picture of the image library standing for one of the export's attachments."""

    url: str
    attachment_id: int
    image_id: int | None = None  # None in a dry run: nothing was written
    alt: str = ""
    width: int = 0
    height: int = 0


@dataclass
class Converted:
    body: str
    removed_shortcodes: Counter = field(default_factory=Counter)
    embeds: int = 0
    images: list = field(default_factory=list)  # attachment ids of the body's pictures
    missing_images: list = field(default_factory=list)  # sources that could not be brought in
    lead_image_id: int | None = None  # the picture that leads the story
    lead_caption: str = ""  # the body's caption of that picture, if it had one
    figures: dict = field(default_factory=dict)  # placeholder -> (Picture, caption, alt)


def attributes(text):
    return {
        m.group(1).lower(): unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in ATTRIBUTE.finditer(text or "")
    }


def upload_key(url):
    """An uploaded file's address without host and size suffix: what an <img> and its
    attachment have in common ("photo-300x200.jpg" is a size of "photo.jpg")."""
    path = urlsplit(url.strip()).path
    marker = "/wp-content/uploads/"
    if marker in path:
        path = path.split(marker, 1)[1]
    return SIZE_SUFFIX.sub("", path.lstrip("/")).lower()


def convert(html, *, image_for, lead_image_id=None):
    """Convert ``html`` (a post's content). ``image_for(attachment_id, src)`` returns the
    `Picture` standing for it, or None when it could not be brought into the library.

    Pictures become figures of the library's pictures, with their captions. The lead picture
    (``lead_image_id``; without one, the body's first picture) is shown above the text, so
    the body does not repeat it: its caption is kept as ``lead_caption``."""
    result = Converted(body="")
    text = html or ""
    text = EMBED_BLOCK.sub(lambda m: _embed_link(m.group(0), result), text)
    text = BLOCK_COMMENT.sub("", text)
    text = IMAGE_BLOCK.sub(lambda m: _image_block(m.group("inner"), result, image_for), text)
    text = _shortcodes(text, result, image_for)
    text = LONE_URL_LINE.sub(lambda m: _link(m.group(1), result), text)
    text = LINKED_IMG.sub(lambda m: m.group(1), text)
    text = IMG.sub(lambda m: _picture(m.group(0), "", None, result, image_for), text)
    # The passes above met the pictures kind by kind; their placeholders give the post's order.
    in_order = sorted(result.figures, key=text.find)
    result.images = [result.figures[mark][0].attachment_id for mark in in_order]
    if lead_image_id is None and in_order:
        lead_image_id = result.figures[in_order[0]][0].image_id
    result.lead_image_id = lead_image_id
    for mark in in_order:
        picture, caption, alt = result.figures[mark]
        if lead_image_id is not None and picture.image_id == lead_image_id:
            result.lead_caption = result.lead_caption or caption
            figure = ""
        else:
            figure = render_to_string(
                "wordpress/body_figure.html",
                {"picture": picture, "caption": caption, "alt": alt or picture.alt},
            )
        text = text.replace(mark, f"\n\n{figure}\n\n" if figure else "")
    result.body = re.sub(r"\n{3,}", "\n\n", autop(text))
    return result


def _image_block(inner, result, image_for):
    """The block editor's image block: its picture and its <figcaption>."""
    found = IMG.search(inner)
    caption = FIGCAPTION.search(inner)
    caption = caption.group(1).strip() if caption else ""
    if not found:
        return f"<p>{caption}</p>" if caption else ""
    return _picture(found.group(0), caption, None, result, image_for)


def _link(url, result):
    result.embeds += 1
    url = escape(unescape(url), quote=True)
    return f'<p><a href="{url}">{url}</a></p>'


def _embed_link(block, result):
    found = URL.search(re.sub(r"<[^>]+>", " ", block))
    return _link(found.group(0), result) if found else ""


def _shortcodes(text, result, image_for):
    def replace(match):
        name = match.group("name").lower()
        attrs, inner = match.group("attrs"), match.group("inner")
        if match.group("escaped") and match.group("escaped_end"):
            # [[gallery]] is how WordPress writes a shortcode as text.
            return match.group(0)[1:-1]
        is_shortcode = (
            name in KNOWN_SHORTCODES or inner is not None or bool(ATTRIBUTE.search(attrs or ""))
        )
        if not is_shortcode:
            return match.group(0)
        if name in {"caption", "wp_caption"}:
            return _caption(attrs, inner or "", result, image_for)
        if name == "embed":
            url = (inner or "").strip() or attributes(attrs).get("src", "")
            return _link(url, result) if URL.match(url) else ""
        result.removed_shortcodes[name] += 1
        if inner and name not in {"gallery", "audio", "video", "playlist"}:
            # An unknown wrapper's text is the writer's; only the wrapper goes.
            return _shortcodes(inner, result, image_for)
        return ""

    return SHORTCODE.sub(replace, text)


def _caption(attrs, inner, result, image_for):
    found = IMG.search(inner)
    options = attributes(attrs)
    caption = options.get("caption", "")
    if found:
        rest = LINKED_IMG.sub("", inner, count=1) if LINKED_IMG.search(inner) else inner
        rest = rest.replace(found.group(0), "", 1)
        caption = caption or rest.strip()
        attachment = re.search(r"attachment_(\d+)", options.get("id", ""))
        return _picture(
            found.group(0),
            caption,
            int(attachment.group(1)) if attachment else None,
            result,
            image_for,
        )
    return f"<p>{caption or inner}</p>"


def _picture(img_tag, caption, attachment_id, result, image_for):
    """A picture in the body: brought into the image library, and a placeholder for its
    figure (`convert` fills it in once it knows which picture leads). A picture that cannot
    be had leaves its caption as a paragraph of its own."""
    options = attributes(img_tag[4:])
    src = options.get("src", "")
    if attachment_id is None and (klass := WP_IMAGE_CLASS.search(options.get("class", ""))):
        attachment_id = int(klass.group(1))
    picture = image_for(attachment_id, src)
    if picture is None:
        result.missing_images.append(src or f"attachment {attachment_id}")
        return f"\n\n<p>{caption.strip()}</p>\n\n" if caption.strip() else ""
    mark = f"\x00figure-{len(result.figures)}\x00"
    result.figures[mark] = (picture, caption.strip(), options.get("alt", "").strip())
    return f"\n\n{mark}\n\n"


def autop(text):
    """Paragraphs from blank lines, as WordPress's ``wpautop`` draws classic posts; a part
    that is already a block (the block editor's paragraphs, a figure) is left as it is."""
    chunks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    out = []
    for chunk in chunks:
        chunk = chunk.strip()
        if not chunk:
            continue
        if BLOCK_TAGS.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.replace("\n", "<br>") + "</p>")
    return "\n".join(out)
