"""One delivery (a feed, a ninjs document, a NewsML-G2 message) → parsed items and problems.

Parsing never touches the database. Each item is parsed on its own: a bad item is refused
with a line saying why, and the other items of the same delivery still arrive. A delivery that
cannot be read at all (malformed, too large, entity declarations) raises `DeliveryError`.

Untrusted input is read with limits: the delivery's size (`INGEST_MAX_BYTES`), each item's
body (`INGEST_MAX_ITEM_BYTES`), XML without entities, DTDs or network access, and bodies
cleaned by the editor's own sanitiser.
"""

import html
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import feedparser
import jsonschema
from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, strip_tags
from lxml import etree

from articles.sanitize import sanitize_body

SCHEMAS = Path(__file__).resolve().parent / "schemas"
NAR = "http://iptc.org/std/nar/2006-10-01/"
XHTML = "http://www.w3.org/1999/xhtml"
PUB_STATUSES = {"usable", "withheld", "canceled"}
HTML_TYPES = ("html", "xhtml")
TAG = re.compile(r"<[^>]*>")
SCRIPT = re.compile(r"<\s*script\b", re.IGNORECASE)
XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9._-]+)[\"']")
ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
MAX_HEADLINE = 300
MAX_BYLINE = 300


class DeliveryError(Exception):
    """The whole delivery is unreadable; the message says why, for the source's last error."""


@dataclass
class ParsedItem:
    guid: str
    headline: str
    body: str
    version: int = 1
    dek: str = ""
    byline: str = ""
    subjects: list = field(default_factory=list)
    urgency: int | None = None
    url: str = ""
    language: str = ""
    embargoed_until: datetime | None = None
    pub_status: str = "usable"
    version_created_at: datetime | None = None
    raw: str = ""


@dataclass
class Delivery:
    items: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # one readable line each


class ItemRefused(Exception):
    pass


# Entry point -----------------------------------------------------------------------------------


def parse(kind, data, *, content_type=""):
    """Parse ``data`` (bytes) as ``kind`` (an `IngestSource.Kind` value) into a `Delivery`."""
    if len(data) > settings.INGEST_MAX_BYTES:
        raise DeliveryError(
            f"delivery of {len(data):,} bytes refused: the limit is "
            f"{settings.INGEST_MAX_BYTES:,} bytes (INGEST_MAX_BYTES)"
        )
    delivery = Delivery()
    declared = _charset(content_type)
    if kind in ("ninjs2", "ninjs3", "jsonfeed"):
        text = _decode(data, declared or "utf-8", delivery)
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise DeliveryError(f"malformed JSON: {exc}") from exc
        if kind == "jsonfeed":
            _json_feed(document, delivery)
        else:
            _ninjs(document, 2 if kind == "ninjs2" else 3, delivery)
    elif kind == "feed":
        _feed(_xml_bytes(data, declared, delivery), delivery)
    elif kind == "newsml_g2":
        _newsml(_xml_bytes(data, declared, delivery), delivery)
    else:
        raise DeliveryError(f"unknown format {kind!r}")
    return delivery


def _each(delivery, label, build):
    """Run ``build()`` for one item; a refusal or a surprise refuses that item only."""
    try:
        item = build()
    except ItemRefused as exc:
        delivery.problems.append(f"{label} refused: {exc}")
        return
    except (ValueError, TypeError, KeyError, AttributeError, etree.Error) as exc:
        delivery.problems.append(f"{label} refused: unreadable ({type(exc).__name__}: {exc})")
        return
    delivery.items.append(item)


# Text and encodings ----------------------------------------------------------------------------


def _charset(content_type):
    match = re.search(r"charset=[\"']?([A-Za-z0-9._-]+)", content_type or "", re.IGNORECASE)
    return match[1] if match else ""


def _decode(data, encoding, delivery):
    """Bytes → text in the declared encoding; text that is not, read as Latin-1 and said so."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        delivery.problems.append(
            f"text is not valid {encoding} as declared: read as Latin-1 (Windows-1252)"
        )
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _xml_bytes(data, declared, delivery):
    """XML as UTF-8 bytes with a matching declaration, refusing entity declarations."""
    match = XML_DECLARATION.match(data[:500])
    encoding = declared or (match[1].decode() if match else "utf-8")
    text = _decode(data, encoding, delivery)
    if ENTITY_DECLARATION.search(text):
        raise DeliveryError(
            "XML with entity declarations (<!ENTITY>) refused: news formats do not need them, "
            "and they are how billion-laughs and external-entity attacks work"
        )
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    return b'<?xml version="1.0" encoding="utf-8"?>' + text.encode("utf-8")


def _plain(value, limit, what):
    """Markup-free single-line text, refused (not cut) when longer than ``limit``."""
    text = str(value or "")
    if "<" in text or "&" in text:
        text = html.unescape(strip_tags(text))
    text = " ".join(text.split())
    if len(text) > limit:
        raise ItemRefused(f"its {what} is {len(text)} characters long (at most {limit})")
    return text


def _paragraphs(text):
    return "".join(f"<p>{escape(line.strip())}</p>" for line in text.splitlines() if line.strip())


def _body(markup, delivery, label, *, is_html=True):
    size = len(markup.encode("utf-8"))
    if size > settings.INGEST_MAX_ITEM_BYTES:
        raise ItemRefused(
            f"its body is {size:,} bytes (the limit is {settings.INGEST_MAX_ITEM_BYTES:,}: "
            "INGEST_MAX_ITEM_BYTES)"
        )
    if is_html and SCRIPT.search(markup):
        delivery.problems.append(f"{label}: a script in the body was removed")
    body = sanitize_body(markup if is_html else _paragraphs(markup))
    if not TAG.sub("", body).strip():  # the sanitiser's output is well-formed
        raise ItemRefused("it has no body")
    return body


def _need_headline(value):
    headline = _plain(value, MAX_HEADLINE, "headline")
    if not headline:
        raise ItemRefused("it has no headline")
    return headline


def _when(value):
    if not value:
        return None
    moment = parse_datetime(str(value))
    if moment is None:
        raise ItemRefused(f"unreadable date {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _int_version(value, fallback):
    try:
        return max(1, int(str(value).strip()))
    except (TypeError, ValueError):
        return fallback


def _web_url(value):
    value = str(value or "").strip()
    return value[:1000] if re.match(r"^https?://", value, re.IGNORECASE) else ""


def _raw(value):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text.encode("utf-8")) <= settings.INGEST_MAX_RAW_BYTES else ""


# ninjs -----------------------------------------------------------------------------------------


@cache
def _ninjs_validator(major):
    name = "ninjs-schema_2.2.json" if major == 2 else "ninjs-schema_3.1.json"
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _ninjs(document, major, delivery):
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        document = document["items"]
    documents = document if isinstance(document, list) else [document]
    for position, item in enumerate(documents, 1):
        label = f"item {position}"
        if isinstance(item, dict) and isinstance(item.get("uri"), str):
            label = f"item {item['uri'][:200]}"
        _each(
            delivery,
            label,
            lambda item=item, label=label: _ninjs_item(item, major, delivery, label),
        )


def _ninjs_item(item, major, delivery, label):
    if not isinstance(item, dict):
        raise ItemRefused("not a JSON object")
    validator = _ninjs_validator(major)
    if not validator.is_valid(item):
        error = jsonschema.exceptions.best_match(validator.iter_errors(item))
        where = "/".join(str(p) for p in error.absolute_path) or "the item"
        raise ItemRefused(f"not valid ninjs {major}.x ({where}: {error.message[:200]})")
    # ninjs 2 spells its properties in lower case, ninjs 3 in camelCase.
    key = (lambda name: name.lower()) if major == 2 else (lambda name: name)

    def by_role(entries, role):
        entries = [e for e in entries or [] if isinstance(e, dict) and e.get("value")]
        chosen = [e for e in entries if e.get("role", role) == role] or entries
        return chosen[0] if chosen else None

    headline = by_role(item.get("headlines"), "main")
    dek = by_role(item.get("descriptions"), "summary")
    bodies = [b for b in item.get("bodies") or [] if isinstance(b, dict) and b.get("value")]
    rich = [b for b in bodies if any(t in (b.get(key("contentType")) or "") for t in HTML_TYPES)]
    body = (rich or bodies or [None])[0]
    if body is None:
        raise ItemRefused("it has no body")
    pub_status = item.get(key("pubStatus"), "usable")
    embargo_key = "embargoed" if major == 2 else "embargoedUntil"
    created = _when(item.get(key("versionCreated")))
    return ParsedItem(
        guid=item["uri"][:500],
        version=_int_version(item.get("version"), 1),
        headline=_need_headline((headline or {}).get("value") or item.get("headline")),
        dek=_plain((dek or {}).get("value"), 2000, "summary"),
        body=_body(body["value"], delivery, label, is_html=bool(rich)),
        byline=_plain(item.get("by"), MAX_BYLINE, "byline"),
        subjects=[s["name"] for s in item.get("subjects") or [] if s.get("name")][:50],
        urgency=int(item["urgency"]) if item.get("urgency") is not None else None,
        url=_ninjs_url(item, key),
        language=str(item.get("language") or "")[:20],
        embargoed_until=_when(item.get(embargo_key)),
        pub_status=pub_status if pub_status in PUB_STATUSES else "usable",
        version_created_at=created,
        raw=_raw(item),
    )


def _ninjs_url(item, key):
    for rendition in item.get("renditions") or []:
        is_page = isinstance(rendition, dict) and "html" in (
            rendition.get(key("contentType")) or ""
        )
        if is_page and (url := _web_url(rendition.get("href"))):
            return url
    return _web_url(item.get("uri"))


# JSON Feed 1.1 ---------------------------------------------------------------------------------


def _json_feed(document, delivery):
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise DeliveryError("not a JSON Feed: its version is missing")
    items = document.get("items")
    if not isinstance(items, list):
        raise DeliveryError("not a JSON Feed: it has no items list")
    for position, item in enumerate(items, 1):
        label = f"item {position}"
        if isinstance(item, dict) and item.get("id"):
            label = f"item {str(item['id'])[:200]}"
        _each(
            delivery, label, lambda item=item, label=label: _json_feed_item(item, delivery, label)
        )


def _json_feed_item(item, delivery, label):
    if not isinstance(item, dict) or not item.get("id"):
        raise ItemRefused("it has no id")
    if item.get("content_html"):
        body = _body(str(item["content_html"]), delivery, label)
    else:
        body = _body(str(item.get("content_text") or ""), delivery, label, is_html=False)
    modified = _when(item.get("date_modified")) or _when(item.get("date_published"))
    authors = [a.get("name") for a in item.get("authors") or [] if isinstance(a, dict)]
    return ParsedItem(
        guid=str(item["id"])[:500],
        version=int(modified.timestamp()) if modified else 1,
        headline=_need_headline(item.get("title")),
        dek=_plain(item.get("summary"), 2000, "summary"),
        body=body,
        byline=_plain(" and ".join(a for a in authors if a), MAX_BYLINE, "byline"),
        subjects=[str(t) for t in item.get("tags") or []][:50],
        url=_web_url(item.get("url")),
        language=str(item.get("language") or "")[:20],
        version_created_at=modified,
        raw=_raw(item),
    )


# RSS 2.0 / Atom --------------------------------------------------------------------------------


def _feed(data, delivery):
    # A stream, never bytes or a string: feedparser would open those as a path or URL.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=True)
    if parsed.bozo and not parsed.entries:
        raise DeliveryError(f"malformed feed: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not parsed.entries:
        raise DeliveryError("not an RSS or Atom feed")
    if parsed.bozo:
        delivery.problems.append(
            f"the feed is not well-formed ({parsed.get('bozo_exception')}): read leniently"
        )
    for position, entry in enumerate(parsed.entries, 1):
        guid = entry.get("id") or entry.get("link") or ""
        label = f"item {guid[:200] or position}"
        _each(delivery, label, lambda entry=entry, label=label: _feed_item(entry, delivery, label))


def _feed_item(entry, delivery, label):
    guid = entry.get("id") or entry.get("link")
    if not guid:
        raise ItemRefused("it has neither an id nor a link")
    content = entry.get("content") or []
    summary = entry.get("summary") or ""
    if content:
        value = content[0]
        is_html = "html" in (value.get("type") or "html")
        body, dek = _body(value.get("value") or "", delivery, label, is_html=is_html), summary
    else:
        body, dek = _body(summary, delivery, label), ""
    # dict.get: feedparser's own get() maps "updated" to "published" with a warning.
    moment = dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
    when = datetime(*moment[:6], tzinfo=UTC) if moment else None
    dek = _plain(dek, 2000, "summary")
    return ParsedItem(
        guid=guid[:500],
        version=int(when.timestamp()) if when else 1,
        headline=_need_headline(entry.get("title")),
        dek="" if dek and dek in strip_tags(body) else dek,
        body=body,
        byline=_plain(entry.get("author"), MAX_BYLINE, "byline"),
        subjects=[t.get("term") for t in entry.get("tags") or [] if t.get("term")][:50],
        url=_web_url(entry.get("link")),
        version_created_at=when,
    )


# NewsML-G2 -------------------------------------------------------------------------------------


def _xml_parser():
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _newsml(data, delivery):
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise DeliveryError(f"malformed XML: {exc}") from exc
    if etree.QName(root).namespace != NAR:
        raise DeliveryError("not a NewsML-G2 document (the root is not in the G2 namespace)")
    items = [root] if etree.QName(root).localname == "newsItem" else root.iter(f"{{{NAR}}}newsItem")
    found = False
    for position, item in enumerate(items, 1):
        found = True
        label = f"item {(item.get('guid') or str(position))[:200]}"
        _each(delivery, label, lambda item=item, label=label: _newsml_item(item, delivery, label))
    if not found:
        raise DeliveryError("the NewsML-G2 document holds no newsItem")


def _g2(element, path):
    return element.find(path, {"g": NAR})


def _g2_attr(element, path, name, default):
    # Not `found or default`: an lxml element without children is false.
    found = _g2(element, path)
    return found.get(name, default) if found is not None else default


def _g2_text(element, path):
    found = _g2(element, path)
    return "".join(found.itertext()).strip() if found is not None else ""


def _newsml_item(item, delivery, label):
    guid = item.get("guid")
    if not guid:
        raise ItemRefused("it has no guid")
    status = _g2_attr(item, "g:itemMeta/g:pubStatus", "qcode", "stat:usable").split(":")[-1]
    urgency = _g2_text(item, "g:contentMeta/g:urgency")
    link = _g2(item, "g:itemMeta/g:link")
    subjects = []
    for subject in item.findall("g:contentMeta/g:subject", {"g": NAR}):
        name = _g2_text(subject, "g:name")
        if name:
            subjects.append(name)
    return ParsedItem(
        guid=guid[:500],
        version=_int_version(item.get("version"), 1),
        headline=_need_headline(_g2_text(item, "g:contentMeta/g:headline")),
        dek=_plain(_g2_text(item, "g:contentMeta/g:description"), 2000, "summary"),
        body=_newsml_body(item, delivery, label),
        byline=_plain(_g2_text(item, "g:contentMeta/g:by"), MAX_BYLINE, "byline"),
        subjects=subjects[:50],
        urgency=int(urgency) if urgency.isdigit() else None,
        url=_web_url(link.get("href") if link is not None else ""),
        language=_g2_attr(item, "g:contentMeta/g:language", "tag", "")[:20],
        embargoed_until=_when(_g2_text(item, "g:itemMeta/g:embargoed")),
        pub_status=status if status in PUB_STATUSES else "usable",
        version_created_at=_when(_g2_text(item, "g:itemMeta/g:versionCreated")),
        raw=_raw(etree.tostring(item, encoding="unicode")),
    )


def _newsml_body(item, delivery, label):
    inline = _g2(item, "g:contentSet/g:inlineXML")
    if inline is not None:
        body = inline.find(f".//{{{XHTML}}}body")
        container = body if body is not None else inline
        for element in container.iter():
            if isinstance(element.tag, str):
                element.tag = etree.QName(element).localname
        etree.cleanup_namespaces(container)
        markup = (container.text or "") + "".join(
            etree.tostring(child, encoding="unicode", method="html") for child in container
        )
        return _body(markup, delivery, label)
    data = _g2(item, "g:contentSet/g:inlineData")
    if data is not None:
        return _body(data.text or "", delivery, label, is_html=False)
    raise ItemRefused("it has no body")
