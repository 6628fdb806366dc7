"""The body's allowlist: exactly what the editor can produce, enforced on the server.

The editor (django-prose-editor) and the sanitiser (nh3) are configured from the same
extension list, so what a journalist can make is what survives a save, and nothing else.

Text pasted from word processors and web pages arrives with its own habits (``<b>``, Google
Docs' bold spans, Word's ``<o:p>``, conditional comments and fake bullet paragraphs). A small
first pass translates those habits into the editor's vocabulary; nh3 then has the last word,
so nothing the first pass emits can get past the allowlist.
"""

import re
from functools import cache
from html import escape
from html.parser import HTMLParser

import nh3
from django.conf import settings
from django_prose_editor.config import allowlist_from_extensions, expand_extensions

BODY_EDITOR_CONFIG = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Heading": {"levels": [2, 3, 4]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        # A picture with an optional caption: <figure><img><figcaption>. Only pictures of the
        # image library survive a save (`_library_pictures_only`), so a pasted tracking pixel
        # or hot-linked picture cannot ride along.
        "Figure": True,
        "Caption": True,
        "Image": True,
        "History": True,
    }
}

# Elements whose content is never article text.
DROP_WITH_CONTENT = {
    "script",
    "style",
    "head",
    "title",
    "template",
    "noscript",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "textarea",
    "select",
    "button",
    "xml",
}
RENAME = {"b": "strong", "i": "em", "h1": "h2", "h5": "h4", "h6": "h4"}
VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source", "embed"}
EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|&nbsp;|\xa0|<br>)*</p>")
# What is left of a picture from elsewhere once its address is refused.
IMG_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
FIGURE_WITHOUT_IMG = re.compile(r"<figure\b[^>]*>(?:(?!<img\b)(?!</figure>).)*</figure>", re.DOTALL)
WORD_LIST_PARAGRAPH = re.compile(r"mso-list\s*:", re.IGNORECASE)
NUMBERED_MARKER = re.compile(r"^\s*[\(\[]?[0-9a-zA-Z]{1,3}[.)\]]\s*$")


def _style(attrs):
    return (dict(attrs).get("style") or "").lower().replace(" ", "")


class _PasteTranslator(HTMLParser):
    """Re-emit pasted HTML with presentational markup mapped onto the editor's marks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = []  # open elements whose content is dropped
        self.closers = []  # per open inline element: the closing tags to emit
        self.in_word_marker = False  # inside Word's <![if !supportLists]> bullet
        self.word_list = None  # "ul"/"ol" while inside consecutive Word list paragraphs
        self.word_item_open = False
        self.word_marker_text = []
        self.list_start = None  # where the current Word list's opening tag sits in ``out``

    # Word's fake lists ---------------------------------------------------------------------
    def _close_word_list(self):
        if self.word_list:
            self.out.append(f"</{self.word_list}>")
            self.word_list = None

    def unknown_decl(self, data):
        lowered = data.lower().strip()
        if lowered.startswith("if !supportlists"):
            self.in_word_marker = True
            self.word_marker_text = []
        elif lowered.startswith("endif") and self.in_word_marker:
            self.in_word_marker = False
            if self.word_item_open and self.list_start is not None:
                # The first item's marker decides: "1." makes a numbered list.
                if NUMBERED_MARKER.match("".join(self.word_marker_text)):
                    self.out[self.list_start] = "<ol>"
                    self.word_list = "ol"
                self.list_start = None

    # Tags --------------------------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        if self.skip:
            if tag not in VOID:
                self.skip.append(tag)
            return
        if tag in DROP_WITH_CONTENT:
            if tag not in VOID:
                self.skip.append(tag)
            return
        if tag == "p" and WORD_LIST_PARAGRAPH.search(dict(attrs).get("style") or ""):
            if not self.word_list:
                self.list_start = len(self.out)
                self.word_list = "ul"
                self.out.append("<ul>")
            self.word_item_open = True
            self.out.append("<li>")
            return
        if not self.word_item_open:
            self._close_word_list()
        style = _style(attrs)
        if tag == "b" and "font-weight:normal" in style:
            # Google Docs wraps a whole paste in <b style="font-weight:normal">.
            self.closers.append(("b", ""))
            return
        if tag in {"span", "font", "b", "i", "u", "strong", "em"}:
            opened, closing = [], []
            bold = tag in {"b", "strong"} or re.search(r"font-weight:(bold|[6-9]00)", style)
            italic = tag in {"i", "em"} or "font-style:italic" in style
            if bold:
                opened.append("<strong>")
                closing.insert(0, "</strong>")
            if italic:
                opened.append("<em>")
                closing.insert(0, "</em>")
            self.out.extend(opened)
            self.closers.append((tag, "".join(closing)))
            return
        name = RENAME.get(tag, tag)
        rendered = "".join(
            f' {key}="{escape(value, quote=True)}"' if value is not None else f" {key}"
            for key, value in attrs
        )
        self.out.append(f"<{name}{rendered}>")

    def handle_startendtag(self, tag, attrs):
        if tag in VOID:
            self.handle_starttag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.skip:
            if tag in self.skip:
                while self.skip and self.skip.pop() != tag:
                    pass
            return
        if tag == "p" and self.word_item_open:
            self.word_item_open = False
            self.out.append("</li>")
            return
        for index in range(len(self.closers) - 1, -1, -1):
            if self.closers[index][0] == tag:
                self.out.append(self.closers.pop(index)[1])
                return
        if tag in {"span", "font", "b", "i", "u", "strong", "em"}:
            return
        self.out.append(f"</{RENAME.get(tag, tag)}>")

    # Text --------------------------------------------------------------------------------------
    def handle_data(self, data):
        if self.skip:
            return
        if self.in_word_marker:
            self.word_marker_text.append(data)
            return
        if self.word_list and not self.word_item_open and data.strip():
            self._close_word_list()
        self.out.append(escape(data, quote=False))

    def close(self):
        super().close()
        self._close_word_list()
        self.out.extend(closing for _, closing in reversed(self.closers))
        return "".join(self.out)


def translate_paste(html):
    """Map presentational and word-processor markup onto the editor's vocabulary."""
    translator = _PasteTranslator()
    translator.feed(html)
    return translator.close()


@cache
def _cleaner():
    allow = allowlist_from_extensions(expand_extensions(BODY_EDITOR_CONFIG["extensions"]))
    allow["url_schemes"] = {"http", "https", "mailto"}
    # Links get rel=noopener from nh3 unless a rel attribute is allowed; keep it simple.
    allow["link_rel"] = "noopener noreferrer"
    allow["attributes"] = {tag: attrs - {"rel"} for tag, attrs in allow["attributes"].items()}
    allow["clean_content_tags"] = {"script", "style"}
    return nh3.Cleaner(**allow, attribute_filter=_library_pictures_only)


def _library_pictures_only(element, attribute, value):
    """A picture's address must be one of the image library's files (under MEDIA_URL)."""
    if element == "img" and attribute == "src" and not is_library_picture(value):
        return None
    return value


def is_library_picture(src):
    media = settings.MEDIA_URL
    rest = src.split("?", 1)[0].removeprefix(media)
    return (
        src.startswith(media)
        and not rest.startswith("/")
        and not any(bad in rest for bad in ("..", "//", "\\"))
    )


class _PictureFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs).get("src") or "")


def outside_pictures(html):
    """The addresses of pictures in ``html`` that `sanitize_body` would drop (not files of the
    image library), so that a form can refuse them by name instead of losing them unseen."""
    finder = _PictureFinder()
    finder.feed(html or "")
    finder.close()
    return [src for src in finder.sources if not is_library_picture(src)]


def sanitize_body(html):
    """Return ``html`` reduced to the allowlist. Idempotent."""
    cleaned = html or ""
    # Badly nested markup (a heading inside a heading) can parse differently the second
    # time; a few rounds settle it, so saving twice never changes the body.
    for _ in range(4):
        previous = cleaned
        cleaned = _cleaner().clean(translate_paste(cleaned))
        cleaned = FIGURE_WITHOUT_IMG.sub("", IMG_WITHOUT_SOURCE.sub("", cleaned))
        cleaned = EMPTY_PARAGRAPH.sub("", cleaned).strip()
        if cleaned == previous:
            break
    return "" if cleaned in {"<p></p>", "<p><br></p>"} else cleaned
