"""Revisions: a snapshot after every save by a person, a readable diff, and restore.

A snapshot holds every editable field of the article plus its bylines, tags and sources, as
JSON. Restoring an old revision writes its content back and stores a NEW revision, so the
history only ever grows. The latest revision is found through the unique (article, number)
index, so it stays one index lookup however many revisions the table holds.
"""

import difflib
import html
import re
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Prefetch, prefetch_related_objects
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import tasks
from .models import Article, ArticleSource, Byline, Revision

# Content a revision restores. Workflow fields (status, publish time) are recorded for the
# history but belong to transitions, so restore leaves them alone.
CONTENT_FIELDS = [
    "headline",
    "slug",
    "kicker",
    "dek",
    "body",
    "section",
    "lead_image",
    "lead_image_caption",
    "featured",
    "seo_title",
    "meta_description",
    "canonical_url",
    "noindex",
]
TIMED_FIELDS = ["embargo_until", "expires_at"]
RECORDED_FIELDS = ["status", "publish_at"]
TEXT_FIELDS = ["headline", "dek", "body"]


def snapshot(article, *, prefetched=False):
    """Everything a person can edit on ``article``, as JSON-able data. ``prefetched``: its
    bylines, tags and sources were read with `SNAPSHOT_PREFETCHES` (in that order)."""
    data = {}
    for name in CONTENT_FIELDS + TIMED_FIELDS + RECORDED_FIELDS:
        field = Article._meta.get_field(name)
        value = getattr(article, field.attname)
        if isinstance(value, datetime):
            value = value.isoformat()
        data[field.attname if field.is_relation else name] = value
    data["section_name"] = str(article.section) if article.section_id else ""
    data["version"] = article.version
    if prefetched:
        bylines, sources = article.bylines.all(), article.article_sources.all()
        tags = [tag.name for tag in article.tags.all()]
    else:
        bylines = article.bylines.select_related("author").order_by("position", "id")
        sources = article.article_sources.select_related("source").order_by("position", "id")
        tags = article.tags.names()
    data["bylines"] = [
        {"author": b.author_id, "name": b.author.name, "role": b.role} for b in bylines
    ]
    data["tags"] = sorted(tags, key=str.lower)
    data["sources"] = [
        {
            "source": s.source_id,
            "name": s.source.name,
            "relation": s.relation,
            "original_url": s.original_url,
            "original_headline": s.original_headline,
            "note": s.note,
        }
        for s in sources
    ]
    return data


# What `snapshot(prefetched=True)` reads: the same rows, in the same order, for many articles.
SNAPSHOT_PREFETCHES = [
    "section",
    Prefetch(
        "bylines", queryset=Byline.objects.select_related("author").order_by("position", "id")
    ),
    "tags",
    Prefetch(
        "article_sources",
        queryset=ArticleSource.objects.select_related("source").order_by("position", "id"),
    ),
]


def latest(article):
    """The newest revision, by one descent of the (article, number) unique index."""
    return Revision.objects.filter(article=article).order_by("-number").first()


def store(article, *, by, note=""):
    """Store a new revision of ``article`` as it is in the database now."""
    with transaction.atomic():
        number = (Revision.objects.filter(article=article).aggregate(n=Max("number"))["n"] or 0) + 1
        return Revision.objects.create(
            article=article,
            number=number,
            status=article.status,
            data=snapshot(article),
            created_by=by,
            note=note[:300],
        )


def store_many(articles, *, by, note=""):
    """`store` for many articles at once: the same revisions, their numbers read in one query,
    their bylines, tags and sources in one each, and all written in one statement. For a bulk
    writer (an import); the articles must not have these relations prefetched already."""
    articles = list(articles)
    if not articles:
        return []
    with transaction.atomic():
        numbers = dict(
            Revision.objects.filter(article__in=articles)
            .order_by()
            .values("article")
            .annotate(n=Max("number"))
            .values_list("article", "n")
        )
        prefetch_related_objects(articles, *SNAPSHOT_PREFETCHES)
        return Revision.objects.bulk_create(
            Revision(
                article=article,
                number=numbers.get(article.pk, 0) + 1,
                status=article.status,
                data=snapshot(article, prefetched=True),
                created_by=by,
                note=note[:300],
            )
            for article in articles
        )


def revision_for_version(article, version):
    """The content an article had at ``version`` (what a form opened then showed), if known.

    Every change of content stores a revision; a transition bumps the version without one (it
    changes the status, not the content), so the newest revision at or before ``version`` holds
    what the form showed.
    """
    for revision in Revision.objects.filter(article=article).order_by("-number")[:50]:
        saved_at = revision.data.get("version")
        if saved_at is not None and saved_at <= version:
            return revision
    return None


# Three-way merge -------------------------------------------------------------------------------

MINE, THEIRS = "mine", "theirs"


def revision_value(revision, name):
    """A form field's value as ``revision`` recorded it (a pk for a relation, tag names)."""
    if name == "tags":
        return revision.data.get("tags", [])
    field = Article._meta.get_field(name)
    return revision.data.get(field.attname if field.is_relation else name)


def article_value(article, name):
    """A form field's value on ``article`` as a form would take it (a related object, tags)."""
    if name == "tags":
        return sorted(article.tags.names(), key=str.lower)
    return getattr(article, name)


def comparable(name, value):
    """``value`` reduced to what matters for "did it change": pks, tag names, whole seconds."""
    if value in (None, ""):
        return None
    if hasattr(value, "pk"):
        return value.pk
    if name == "tags":
        return tuple(sorted({getattr(t, "name", t) for t in value}, key=str.lower)) or None
    if isinstance(value, str) and Article._meta.get_field(name).get_internal_type() in {
        "DateTimeField"
    }:
        value = parse_datetime(value)
    if isinstance(value, datetime):
        # A form posts whole seconds; a stored time may carry microseconds.
        return value.replace(microsecond=0).timestamp()
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def merge(names, *, base, theirs, mine, choices):
    """Which side each field takes when ``mine`` was edited from ``base`` and ``theirs`` saved
    meanwhile: {name: MINE or THEIRS}, plus the fields both changed with no choice made.

    A field only one side changed takes that side's value; one both changed takes the side
    ``choices`` names, and without a choice it is a conflict. ``base`` None (the version the
    form started from is unknown) makes every difference a conflict: nothing is guessed.
    """
    taken, conflicts = {}, []
    for name in names:
        m, t = comparable(name, mine[name]), comparable(name, theirs[name])
        b = comparable(name, base[name]) if base is not None else object()
        if m == t or t == b:
            taken[name] = MINE
        elif m == b:
            taken[name] = THEIRS
        elif choices.get(name) in (MINE, THEIRS):
            taken[name] = choices[name]
        else:
            conflicts.append(name)
    return taken, conflicts


def restore(article, revision, *, by):
    """Write ``revision``'s content back to ``article`` and store it as a new revision."""
    from .workflow import NotAllowed, can_edit

    if revision.article_id != article.pk:
        raise NotAllowed(_("That revision belongs to another article."))
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if not can_edit(by, article):
            raise NotAllowed(_("You may not change this article."))
        data = revision.data
        for name in CONTENT_FIELDS:
            field = Article._meta.get_field(name)
            key = field.attname if field.is_relation else name
            if key in data:
                setattr(article, field.attname, data[key])
        if by.has_perm("articles.publish_article"):
            for name in TIMED_FIELDS:
                if name in data:
                    setattr(article, name, parse_datetime(data[name]) if data[name] else None)
        article.version += 1
        article.modified_by = by
        article.save()
        article.bylines.all().delete()
        for position, b in enumerate(data.get("bylines", [])):
            Byline.objects.create(
                article=article, author_id=b["author"], role=b["role"], position=position
            )
        article.tags.set(data.get("tags", []))
        article.article_sources.all().delete()
        for position, s in enumerate(data.get("sources", [])):
            ArticleSource.objects.create(
                article=article,
                source_id=s["source"],
                relation=s["relation"],
                original_url=s.get("original_url", ""),
                original_headline=s.get("original_headline", ""),
                note=s.get("note", ""),
                position=position,
            )
        new = store(article, by=by, note=_("Restored revision #%(n)s") % {"n": revision.number})
        # A restore is an edit: timed effects follow its times, and webhooks hear of it.
        tasks.after_save(article, version=article.version)
    return article, new


def as_article(revision):
    """An unsaved Article carrying ``revision``'s content, for previewing it."""
    article = Article.objects.select_related("section", "lead_image").get(pk=revision.article_id)
    data = revision.data
    for name in CONTENT_FIELDS:
        field = Article._meta.get_field(name)
        key = field.attname if field.is_relation else name
        if key in data:
            setattr(article, field.attname, data[key])
    return article


# Diff -----------------------------------------------------------------------------------------

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|figure|figcaption|pre|tr)>|<br\s*/?>", re.I)
_TOKEN = re.compile(r"\n\n|\s+|\w+(?:[’'-]\w+)*|[^\w\s]", re.UNICODE)


def readable_text(value):
    """HTML body → plain text with paragraph breaks, for a word-level diff."""
    text = _BLOCK_END.sub(lambda m: m.group(0) + "\n\n", value or "")
    text = html.unescape(strip_tags(text))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" ?\n[\s]*\n ?", "\n\n", text)
    return text.strip()


def word_diff(old, new, *, removed=True):
    """Safe HTML: ``old`` → ``new`` word by word, removals in <del>, additions in <ins>.

    ``removed=False`` leaves removals out: ``new`` as it reads, its new words marked.
    """
    show_removed = removed
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    segments = []  # [removed, added, unchanged] runs, in order
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        last = segments[-1] if segments else None
        after_change = last is not None and (last[0] or last[1])
        if op == "equal":
            if after_change and not last[2]:
                last[2] = removed
            else:
                segments.append(["", "", removed])
        elif after_change and not last[2].strip():
            # Only spaces since the last change: one block reads better than word confetti.
            last[0] += last[2] + removed
            last[1] += last[2] + added
            last[2] = ""
        else:
            segments.append([removed, added, ""])
    parts = []
    for removed, added, unchanged in segments:
        if removed and show_removed:
            parts.append(format_html("<del>{}</del>", removed))
        if added:
            parts.append(format_html("<ins>{}</ins>", added))
        if unchanged:
            parts.append(html.escape(unchanged))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part is escaped


def compare(old, new):
    """What changed between two revisions (``old`` may be None for the first one).

    Returns {"texts": [(label, html, changed)], "fields": [(label, before, after)]}.
    """
    before = old.data if old else {}
    after = new.data
    texts = []
    for name in TEXT_FIELDS:
        label = Article._meta.get_field(name).verbose_name
        a, b = before.get(name, ""), after.get(name, "")
        if name == "body":
            a, b = readable_text(a), readable_text(b)
        texts.append((label, word_diff(a, b), a != b))
    fields = []
    for name in CONTENT_FIELDS + TIMED_FIELDS + RECORDED_FIELDS:
        if name in TEXT_FIELDS:
            continue
        field = Article._meta.get_field(name)
        key = field.attname if field.is_relation else name
        a, b = before.get(key), after.get(key)
        if a != b:
            if name == "section":
                a, b = before.get("section_name", a), after.get("section_name", b)
            fields.append((field.verbose_name, _display(field, a), _display(field, b)))
    for label, key, render in [
        (_("bylines"), "bylines", lambda v: "; ".join(f"{x['name']} ({x['role']})" for x in v)),
        (_("tags"), "tags", lambda v: ", ".join(v)),
        (
            _("sources"),
            "sources",
            lambda v: "; ".join(f"{x['name']} ({x['relation']})" for x in v),
        ),
    ]:
        a, b = before.get(key, []), after.get(key, [])
        if a != b:
            fields.append((label, render(a) or "—", render(b) or "—"))
    return {"texts": texts, "fields": fields}


def _display(field, value):
    from .newsroom_time import describe

    if value in (None, ""):
        return "—"
    if field.get_internal_type() == "DateTimeField":
        moment = parse_datetime(value)
        return describe(moment, relative=False) if moment else value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def render_fields(fields):
    """The metadata changes as an HTML table body (escaped)."""
    return format_html_join(
        "",
        "<tr><th scope='row'>{}</th><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
        fields,
    )
