"""Reading a WordPress eXtended RSS export (WXR 1.0–1.2), streamed.

An export is RSS 2.0 with WordPress's namespaces. The file is read with lxml's `iterparse`
and every element is dropped once read, so memory stays flat however large the export.
Entities are never resolved and nothing is fetched from the network; an export that declares
a DOCTYPE at all (WordPress never writes one; external entities and "billion laughs" need one)
is refused before anything in it is read.

`survey()` reads the whole file once: the site, its authors, categories and tags, the
attachments and Co-Authors Plus guest authors, and how many items of each kind there are. A
file that is not XML, not an export or cut off is refused there, before anything is written.
`posts()` then yields the items one at a time.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.utils.translation import gettext as _
from lxml import etree

CONTENT = "http://purl.org/rss/1.0/modules/content/"
EXCERPT = "http://wordpress.org/export/1.2/excerpt/"
DC = "http://purl.org/dc/elements/1.1/"
WP_NAMESPACE = re.compile(r"^http://wordpress\.org/export/(1\.\d+)/$")
EXCERPT_NAMESPACE = re.compile(r"^http://wordpress\.org/export/1\.\d+/excerpt/$")


class ExportError(Exception):
    """The file cannot be read as a WordPress export; the message is one line for a person."""


@dataclass
class Attachment:
    post_id: int
    url: str
    title: str = ""
    caption: str = ""
    alt: str = ""
    attached_file: str = ""  # relative to wp-content/uploads, e.g. "2019/05/photo.jpg"


@dataclass
class Person:
    """A WordPress user or a Co-Authors Plus guest author."""

    login: str
    name: str
    bio: str = ""
    email: str = ""
    website: str = ""


@dataclass
class Term:
    slug: str
    name: str
    term_id: str = ""
    parent: str = ""  # the parent's slug, for categories
    description: str = ""


@dataclass
class Survey:
    wxr_version: str = ""
    title: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""
    link: str = ""
    authors: dict = field(default_factory=dict)  # login -> Person
    guest_authors: dict = field(default_factory=dict)  # login -> Person
    categories: dict = field(default_factory=dict)  # slug -> Term
    tags: dict = field(default_factory=dict)  # slug -> Term
    attachments: dict = field(default_factory=dict)  # post id -> Attachment
    items: dict = field(default_factory=dict)  # (post type, status) -> count
    offsets: Counter = field(default_factory=Counter)  # local time - UTC, over the posts

    @property
    def post_count(self):
        return sum(n for (kind, _status), n in self.items.items() if kind == "post")


@dataclass
class Post:
    post_id: int
    post_type: str
    status: str
    title: str
    link: str
    creator: str
    content: str
    excerpt: str
    slug: str
    date_local: str  # "2019-05-14 09:30:00", in the site's zone
    date_gmt: str  # "0000-00-00 00:00:00" when WordPress never set it (drafts)
    pub_date: str  # RFC 822, the RSS <pubDate>
    password: str
    categories: list  # [(domain, nicename, name)] in the export's order
    meta: dict  # postmeta key -> value (the last one wins)
    fingerprint_source: bytes  # the item as exported, comments left out
    comments: int = 0


def _text(element, tag):
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _raw_text(element, tag):
    found = element.find(tag)
    return found.text or "" if found is not None else ""


class _Reader:
    """iterparse over ``source`` with the export's namespaces found from the root element."""

    def __init__(self, source):
        self.source = source
        self.wp = None
        self.version = ""
        self.excerpt = EXCERPT

    def q(self, name):
        return f"{{{self.wp}}}{name}"

    def events(self):
        depth = 0
        try:
            parser = etree.iterparse(
                self.source,
                events=("start", "end"),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
                remove_pis=True,
            )
            for event, element in parser:
                if event == "start":
                    depth += 1
                    if depth == 1:
                        self._check_root(element)
                    continue
                depth -= 1
                yield depth, element
        except etree.XMLSyntaxError as exc:
            raise ExportError(_describe_syntax_error(exc, _ends_early(self.source))) from None
        except OSError as exc:
            raise ExportError(_("cannot read the file: %(error)s") % {"error": exc}) from None
        if self.wp is None:
            raise ExportError(_("this is XML but not a WordPress export (WXR)."))

    def _check_root(self, root):
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None:
            raise ExportError(
                _(
                    "the file declares a DOCTYPE: a WordPress export never does, and its "
                    "entities (external files, entity expansion) are refused."
                )
            )
        if etree.QName(root).localname != "rss":
            raise ExportError(
                _("this is XML but not a WordPress export (WXR): it starts with <%(tag)s>.")
                % {"tag": etree.QName(root).localname}
            )
        for uri in (root.nsmap or {}).values():
            if match := WP_NAMESPACE.match(uri or ""):
                self.wp, self.version = uri, match.group(1)
            elif EXCERPT_NAMESPACE.match(uri or ""):
                self.excerpt = uri
        if self.wp is None:
            raise ExportError(
                _(
                    "this is an RSS feed, not a WordPress export (WXR): it has no "
                    "wordpress.org/export namespace. Export with Tools → Export in WordPress."
                )
            )


def _ends_early(source):
    """Does the file stop before its closing </rss> (an export cut off in transfer)?"""
    try:
        if hasattr(source, "seek"):
            source.seek(0, 2)
            source.seek(max(0, source.tell() - 256))
            tail = source.read()
        else:
            with open(source, "rb") as handle:
                handle.seek(0, 2)
                handle.seek(max(0, handle.tell() - 256))
                tail = handle.read()
    except OSError:
        return False
    return not tail.rstrip().endswith(b"</rss>")


def _describe_syntax_error(exc, ends_early):
    line = exc.lineno or "?"
    detail = (exc.msg or str(exc)).strip().split("\n")[0]
    lowered = detail.lower()
    if "start tag expected" in lowered or "document is empty" in lowered:
        problem = _("this is not XML")
    elif "entity" in lowered or "amplification" in lowered:
        problem = _("the file declares entities, which are refused (entity expansion)")
    elif ends_early:
        problem = _("the file ends too early: the export is incomplete (cut off)")
    else:
        problem = _("the XML is broken")
    return _("%(problem)s, at line %(line)s: %(detail)s") % {
        "problem": problem,
        "line": line,
        "detail": detail,
    }


def _drop(element):
    """Free what has been read: the element's content and every finished sibling before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _meta(reader, item):
    meta = {}
    for entry in item.iterfind(reader.q("postmeta")):
        key = _text(entry, reader.q("meta_key"))
        if key:
            meta[key] = _raw_text(entry, reader.q("meta_value"))
    return meta


def survey(source):
    """Read the whole export once and return what it holds (see the module docstring)."""
    reader = _Reader(source)
    found = Survey()
    saw_channel = False
    for depth, element in reader.events():
        if depth == 0:
            continue
        if depth == 1:
            saw_channel = saw_channel or etree.QName(element).localname == "channel"
            continue
        if depth != 2:
            continue
        tag = element.tag
        if tag == "item":
            _survey_item(reader, element, found)
        elif tag == reader.q("author"):
            login = _text(element, reader.q("author_login"))
            if login:
                first = _text(element, reader.q("author_first_name"))
                last = _text(element, reader.q("author_last_name"))
                found.authors[login] = Person(
                    login=login,
                    name=_text(element, reader.q("author_display_name"))
                    or f"{first} {last}".strip()
                    or login,
                    bio=_text(element, reader.q("author_description")),
                    email=_text(element, reader.q("author_email")),
                )
        elif tag == reader.q("category"):
            slug = _text(element, reader.q("category_nicename"))
            if slug:
                found.categories[slug] = Term(
                    slug=slug,
                    term_id=_text(element, reader.q("term_id")),
                    name=_text(element, reader.q("cat_name")) or slug,
                    parent=_text(element, reader.q("category_parent")),
                    description=_text(element, reader.q("category_description")),
                )
        elif tag == reader.q("tag"):
            slug = _text(element, reader.q("tag_slug"))
            if slug:
                found.tags[slug] = Term(
                    slug=slug,
                    term_id=_text(element, reader.q("term_id")),
                    name=_text(element, reader.q("tag_name")) or slug,
                    description=_text(element, reader.q("tag_description")),
                )
        elif tag == "title":
            found.title = (element.text or "").strip()
        elif tag == "link":
            found.link = (element.text or "").strip()
        elif tag == reader.q("base_site_url"):
            found.base_site_url = (element.text or "").strip()
        elif tag == reader.q("base_blog_url"):
            found.base_blog_url = (element.text or "").strip()
        _drop(element)
    if not saw_channel:
        raise ExportError(_("this is XML but not a WordPress export (WXR): it has no <channel>."))
    found.wxr_version = reader.version
    return found


def _survey_item(reader, item, found):
    post_type = _text(item, reader.q("post_type")) or "post"
    status = _text(item, reader.q("status"))
    found.items[(post_type, status)] = found.items.get((post_type, status), 0) + 1
    try:
        post_id = int(_text(item, reader.q("post_id")))
    except ValueError:
        return
    if post_type == "post":
        local = parse_wp_date(_text(item, reader.q("post_date")))
        gmt = parse_wp_date(_text(item, reader.q("post_date_gmt")))
        if local and gmt:
            found.offsets[local - gmt] += 1
    elif post_type == "attachment":
        meta = _meta(reader, item)
        found.attachments[post_id] = Attachment(
            post_id=post_id,
            url=_text(item, reader.q("attachment_url")) or _text(item, "guid"),
            title=_text(item, "title"),
            caption=_text(item, f"{{{reader.excerpt}}}encoded"),
            alt=meta.get("_wp_attachment_image_alt", "").strip(),
            attached_file=meta.get("_wp_attached_file", "").strip(),
        )
    elif post_type == "guest-author":  # Co-Authors Plus
        meta = _meta(reader, item)
        login = meta.get("cap-user_login", "").strip()
        if login:
            found.guest_authors[login] = Person(
                login=login,
                name=meta.get("cap-display_name", "").strip() or _text(item, "title") or login,
                bio=meta.get("cap-description", "").strip(),
                email=meta.get("cap-user_email", "").strip(),
                website=meta.get("cap-website", "").strip(),
            )


def posts(source):
    """Yield every item of the export as a `Post`, in the export's order."""
    reader = _Reader(source)
    for depth, element in reader.events():
        if depth == 2 and element.tag == "item":
            yield _post(reader, element)
        if depth == 2:
            _drop(element)


def _post(reader, item):
    q = reader.q
    comments = item.findall(q("comment"))
    for comment in comments:
        item.remove(comment)
    try:
        post_id = int(_text(item, q("post_id")))
    except ValueError:
        post_id = 0
    return Post(
        post_id=post_id,
        post_type=_text(item, q("post_type")) or "post",
        status=_text(item, q("status")),
        title=_text(item, "title"),
        link=_text(item, "link"),
        creator=_text(item, f"{{{DC}}}creator"),
        content=_raw_text(item, f"{{{CONTENT}}}encoded"),
        excerpt=_raw_text(item, f"{{{reader.excerpt}}}encoded"),
        slug=_text(item, q("post_name")),
        date_local=_text(item, q("post_date")),
        date_gmt=_text(item, q("post_date_gmt")),
        pub_date=_text(item, "pubDate"),
        password=_text(item, q("post_password")),
        categories=[
            (c.get("domain", ""), c.get("nicename", ""), (c.text or "").strip())
            for c in item.iterfind("category")
        ],
        meta=_meta(reader, item),
        fingerprint_source=etree.tostring(item),
        comments=len(comments),
    )


# Dates ------------------------------------------------------------------------------------------


def parse_wp_date(value):
    """A naive datetime from "2019-05-14 09:30:00", or None for WordPress's zero date."""
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def parse_pub_date(value):
    """The RSS <pubDate> as an aware datetime, or None (drafts carry year -0001)."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.year < 1900:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
