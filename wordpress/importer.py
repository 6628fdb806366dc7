"""Importing a WordPress export: posts into articles, through the models, each in its own
transaction.

The export is read twice (`wxr.survey`, then `wxr.posts`): the first pass refuses a broken
file before anything is written and learns the attachments, authors and terms a post may
refer to before the post itself. Each post is then written in a transaction of its own, so a
post that fails leaves nothing behind and the others still import.

What each WordPress thing becomes:

* ``post`` items → articles; ``publish`` → published at its date, ``future`` → scheduled,
  ``draft``/``private`` → draft, ``pending`` → in review; ``trash`` and ``auto-draft`` are
  skipped, and so are pages, menus and every other post type (counted in the report).
  A password-protected post is imported as a draft: its text was never public.
* users and Co-Authors Plus guest authors → authors without logins, credited in order;
* the first category (other than "uncategorized", unless it is the only one) → the section,
  the other categories and the tags → tags;
* excerpt → standfirst, content → body (`wordpress.content`, then the editor's sanitiser);
* the featured image → the lead image, pictures in the body → figures of the image library
  (with their captions), from ``--uploads``; without a featured image the body's first
  picture leads;
* Yoast SEO title and description → the SEO fields;
* the permalink, ``?p=ID`` and category/tag archives → old addresses answering with a 301.

Each article remembers its site and post id (`WordPressPost`): a second run skips unchanged
posts, updates changed ones and never duplicates; a story changed in Newsroom since it was
imported is left alone.
"""

import copy
import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC
from datetime import timezone as dt_timezone
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from taggit.models import Tag, TaggedItem

from articles import caching, images, revisions
from articles.models import RESERVED_SECTION_SLUGS, Article, ArticleEvent, Byline, Image, Section
from articles.search import vectors_rebuilt_together
from articles.slugs import unique_slug
from authors.models import Author

from . import addresses, content, wxr
from .history import import_event, imported_state
from .models import (
    OldAddress,
    WordPressAttachment,
    WordPressAuthor,
    WordPressPost,
    WordPressSite,
)
from .report import Report, offset_name

Status = Article.Status
# Part of every post's fingerprint: a change in how posts are converted re-imports them.
CONVERSION_VERSION = "2"
STATUSES = {
    "publish": Status.PUBLISHED,
    "future": Status.PUBLISHED,
    "draft": Status.DRAFT,
    "private": Status.DRAFT,
    "pending": Status.IN_REVIEW,
}
SKIPPED_STATUSES = {"trash", "auto-draft", "inherit"}
NOT_POSTS = {"attachment", "guest-author"}  # read in the survey, reported as images and authors
DEFAULT_CATEGORY = "uncategorized"
BATCH = 100
TAKEN_ADDRESSES = gettext_lazy("old addresses already used by another site (left as they were)")
LIMITS = {
    "headline": Article._meta.get_field("headline").max_length,
    "seo_title": Article._meta.get_field("seo_title").max_length,
    "meta_description": Article._meta.get_field("meta_description").max_length,
    "alt_text": Image._meta.get_field("alt_text").max_length,
    "caption": Image._meta.get_field("caption").max_length,
    "lead_image_caption": Article._meta.get_field("lead_image_caption").max_length,
    "tag": Tag._meta.get_field("name").max_length,
    "section": Section._meta.get_field("name").max_length,
    "author": Author._meta.get_field("name").max_length,
}


class PostFailed(Exception):
    """This post cannot be imported; the message says why, for the report."""


@dataclass
class Tail:
    """What a post still needs once its article is saved: its event, bylines, tags, revision,
    `WordPressPost` row and old addresses. A batch's tails are written together."""

    post: object
    article: Article
    known: dict | None
    before: str | None  # the status before the import changed it, None when unchanged
    note: str
    authors: list
    tags: list
    fingerprint: str
    complete: bool
    paths: set = field(default_factory=set)


def _too_long(what, value, limit):
    return PostFailed(
        _("%(what)s is %(length)s characters long; at most %(limit)s fit.")
        % {"what": what, "length": len(value), "limit": limit}
    )


def site_address(url):
    """A site's identity: its address without scheme, "www." or trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.port and f':{parts.port}' or ''}{parts.path.rstrip('/')}"


class Importer:
    def __init__(
        self,
        source,
        *,
        uploads=None,
        site_url=None,
        dry_run=False,
        time_zone=None,
        progress=None,
    ):
        self.source = source
        self.uploads = Path(uploads).resolve() if uploads else None
        self.site_url = site_url
        self.dry_run = dry_run
        self.progress = progress or (lambda done, total: None)
        self.time_zone = time_zone
        zone_name = time_zone or settings.NEWSROOM_TIME_ZONE
        try:
            self.zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise wxr.ExportError(
                _("%(zone)s is not a known time zone (use an IANA name such as Europe/Berlin).")
                % {"zone": zone_name}
            ) from None
        self.report = Report(
            dry_run=dry_run,
            time_zone=zone_name,
            time_zone_source="--time-zone" if time_zone else "NEWSROOM_TIME_ZONE",
        )
        self.sections = {}  # category slug -> Section
        self.tags = {}  # lower-cased name -> Tag
        self.authors = {}  # login -> Author
        self.pictures = {}  # attachment id -> (url, Image id) or None when it cannot be had
        self.used_categories = {}  # category slug -> "section" or "tag"
        self.used_tags = set()  # tag slugs used by imported posts
        self.article_type = ContentType.objects.get_for_model(Article)

    # The run ------------------------------------------------------------------------------------
    def run(self):
        survey = wxr.survey(self.source)
        self.survey = survey
        base = self.site_url or survey.base_blog_url or survey.base_site_url or survey.link
        if not base:
            raise wxr.ExportError(
                _("the export does not name its site; give its address with --site-url.")
            )
        self.base_path = urlsplit(base).path.rstrip("/")
        self.report.site = base.rstrip("/")
        self.report.wxr_version = survey.wxr_version
        self.report.total = survey.post_count
        if not self.time_zone and survey.offsets:
            # WordPress writes each post's local time beside its UTC time: their difference is
            # the site's own offset, better than any guess for the dates that lack UTC.
            offset = survey.offsets.most_common(1)[0][0]
            self.zone = dt_timezone(offset)
            self.report.time_zone = offset_name(offset)
            self.report.time_zone_source = "export"
        self.attachment_keys = {
            content.upload_key(a.url): a.post_id for a in survey.attachments.values() if a.url
        }
        if self.dry_run:
            with transaction.atomic():
                self._run(survey, base)
                transaction.set_rollback(True)
        else:
            self._run(survey, base)
        return self.report

    def _run(self, survey, base):
        self.site, _created = WordPressSite.objects.get_or_create(
            address=site_address(base), defaults={"title": survey.title[:300]}
        )
        self.known = {
            row["post_id"]: row
            for row in WordPressPost.objects.filter(site=self.site).values(
                "post_id", "article_id", "fingerprint", "article_version", "complete"
            )
        }
        self.author_ids = dict(
            WordPressAuthor.objects.filter(site=self.site).values_list("login", "author_id")
        )
        self.attachment_images = dict(
            WordPressAttachment.objects.filter(site=self.site).values_list(
                "attachment_id", "image_id"
            )
        )
        self._count_survey(survey)
        self.addresses_before = OldAddress.objects.filter(site=self.site).count()
        self.addresses_tried = 0  # offered for new stories, some perhaps held by another site
        self.addresses_kept = 0  # added by `_keep_addresses`, known to be new
        self.new_image_files = []  # files of pictures brought in by the batch being written
        done = 0
        # Posts are written BATCH at a time in one transaction, each post's article in a
        # savepoint of its own: a post that fails is rolled back alone, and the batch saves a
        # commit per post. The rest of each post (its tail) is written for the whole batch at
        # once; when that write fails, the batch is rolled back and written again a post at a
        # time, tail included, so only the post at fault is lost. Each batch's search vectors
        # are rebuilt together at its end, and the site is purged once when it commits.
        for batch in itertools.batched(wxr.posts(self.source), BATCH):
            checkpoint = self._checkpoint()
            try:
                with caching.purges_held(), transaction.atomic(), vectors_rebuilt_together():
                    tails = []
                    for post in batch:
                        self._post(post, tails)
                    self._write_tails(tails)
            except (DatabaseError, ValueError):
                self._back_to(checkpoint)
                with caching.purges_held(), transaction.atomic(), vectors_rebuilt_together():
                    for post in batch:
                        self._post(post)
            self.new_image_files = []
            for post in batch:
                if post.post_type == "post":
                    done += 1
            self.progress(done, self.report.total)
        self._term_addresses()
        added = OldAddress.objects.filter(site=self.site).count() - self.addresses_before
        self.report.addresses = added
        if taken := self.addresses_tried - (added - self.addresses_kept):
            self.report.note(TAKEN_ADDRESSES, taken)
        self.report.authors["unchanged"] = len(self.author_ids) - self.report.authors["imported"]
        if not self.dry_run:
            WordPressSite.objects.filter(pk=self.site.pk).update(last_imported_at=timezone.now())

    def _count_survey(self, survey):
        for (post_type, _status), count in survey.items.items():
            if post_type not in NOT_POSTS and post_type != "post":
                self.report.skip("posts", _("post type “%(type)s”") % {"type": post_type}, count)

    def _checkpoint(self):
        """Copies of everything a batch's posts may change outside the database. The caches
        only gain entries, so shallow copies of them do; the report is copied whole."""
        kept = {
            name: copy.copy(getattr(self, name))
            for name in (
                "sections",
                "tags",
                "authors",
                "author_ids",
                "pictures",
                "used_categories",
                "used_tags",
                "addresses_tried",
                "addresses_kept",
            )
        }
        return kept | {"report": copy.deepcopy(self.report)}

    def _back_to(self, checkpoint):
        """The batch was rolled back: forget what it made, its pictures' files included (their
        rows are gone; the second pass brings them in again)."""
        for name in self.new_image_files:
            Image._meta.get_field("file").storage.delete(name)
        self.new_image_files = []
        for name, value in checkpoint.items():
            setattr(self, name, value)

    # One post ---------------------------------------------------------------------------------
    def _post(self, post, tails=None):
        """Import ``post``. Its tail is added to ``tails`` to be written with the batch's, or
        without ``tails`` written here, in the post's own transaction."""
        if post.post_type != "post":
            return
        self.report.comments += post.comments
        if post.status in SKIPPED_STATUSES:
            reason = _("in the trash") if post.status == "trash" else _("auto-draft")
            self.report.skip("posts", reason)
            return
        if post.status not in STATUSES:
            self.report.skip("posts", _("status “%(status)s”") % {"status": post.status})
            return
        fingerprint = hashlib.sha256(
            CONVERSION_VERSION.encode() + b"\0" + post.fingerprint_source
        ).hexdigest()
        known = self.known.get(post.post_id)
        if (
            known
            and known["fingerprint"] == fingerprint
            and (known["complete"] or not self._pictures_now_available(post))
        ):
            if not known["complete"]:
                self.report.note(_("posts still without some of their pictures"))
            self.report.posts["unchanged"] += 1
            return
        try:
            if known is not None:
                with transaction.atomic():  # a failure here must not spoil the batch
                    version = (
                        Article.objects.filter(pk=known["article_id"])
                        .values_list("version", flat=True)
                        .first()
                    )
                if version is not None and version != known["article_version"]:
                    self.report.skip("posts", _("changed in Newsroom since it was imported"))
                    return
            remembered = self._remembered()
            self._write(post, fingerprint, known, tails)
        except (PostFailed, ValidationError, DatabaseError, ValueError) as exc:
            # What the failed post's transaction created is gone: forget it here too.
            self._forget_since(remembered)
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.report.fail("posts", post.title or f"#{post.post_id}", post.post_id, message)

    def _remembered(self):
        """Copies of what a post's transaction may add to: the caches and the counts."""
        return (
            dict(self.sections),
            dict(self.tags),
            dict(self.authors),
            dict(self.author_ids),
            Counter(self.report.authors),
            Counter(self.report.sections),
            Counter(self.report.tags),
        )

    def _forget_since(self, remembered):
        (
            self.sections,
            self.tags,
            self.authors,
            self.author_ids,
            self.report.authors,
            self.report.sections,
            self.report.tags,
        ) = remembered

    def _write(self, post, fingerprint, known, tails):
        headline = strip_tags(unescape(post.title)).strip() or _(
            "Untitled (WordPress post %(id)s)"
        ) % {"id": post.post_id}
        if len(headline) > LIMITS["headline"]:
            raise _too_long(_("The title"), headline, LIMITS["headline"])
        seo_title = self._yoast(post.meta.get("_yoast_wpseo_title", ""), headline)
        if len(seo_title) > LIMITS["seo_title"]:
            raise _too_long(_("The Yoast SEO title"), seo_title, LIMITS["seo_title"])
        description = self._yoast(post.meta.get("_yoast_wpseo_metadesc", ""), headline)
        if len(description) > LIMITS["meta_description"]:
            raise _too_long(
                _("The Yoast meta description"), description, LIMITS["meta_description"]
            )
        moment = self._moment(post)
        status = STATUSES[post.status]
        note = _("Imported from WordPress: %(site)s, post %(id)s (“%(status)s”).") % {
            "site": self.report.site,
            "id": post.post_id,
            "status": post.status,
        }
        if post.password and status == Status.PUBLISHED:
            status = Status.DRAFT
            note += " " + _("Password-protected there, so imported as a draft.")
            self.report.note(_("password-protected posts imported as drafts"))

        # Pictures come first, each committed on its own: a picture is part of the library
        # whether or not this post imports.
        complete = True
        featured = None
        if thumbnail := post.meta.get("_thumbnail_id", "").strip():
            featured = self._picture(int(thumbnail)) if thumbnail.isdigit() else None
            complete = featured is not None
        # Without a featured image (or its file), the body's first picture leads.
        converted = content.convert(
            post.content,
            image_for=self._picture_for_body,
            lead_image_id=featured.image_id if featured else None,
        )
        complete = complete and not converted.missing_images
        self.report.removed_shortcodes.update(converted.removed_shortcodes)
        self.report.embeds += converted.embeds
        lead_image_id = converted.lead_image_id
        lead_caption = strip_tags(converted.lead_caption).strip()
        if len(lead_caption) > LIMITS["lead_image_caption"]:
            raise _too_long(
                _("The lead picture's caption"), lead_caption, LIMITS["lead_image_caption"]
            )
        self.report.body_pictures += len(converted.images)

        categories = [
            (slug, name) for domain, slug, name in post.categories if domain == "category"
        ]
        section_slug = self._section_category(categories)
        tag_names = [
            self._category_name(slug, name)
            for slug, name in categories
            if slug not in {section_slug, DEFAULT_CATEGORY}
        ]
        tag_names += [
            self._tag_name(slug, name)
            for domain, slug, name in post.categories
            if domain == "post_tag"
        ]
        credited = self._credited(post)

        with transaction.atomic():
            section = self._section(section_slug, categories) if section_slug else None
            tags = self._tags(tag_names)
            authors = [self._author(login) for login in credited]
            authors = [a for i, a in enumerate(authors) if a is not None and a not in authors[:i]]
            if known is not None:
                article = Article.objects.select_for_update().get(pk=known["article_id"])
                article.version += 1
            else:
                article = Article(created_at=moment or timezone.now())
            article.headline = headline
            article.dek = strip_tags(unescape(post.excerpt)).strip()
            article.body = converted.body
            article.section = section
            article.lead_image_id = lead_image_id
            article.lead_image_caption = lead_caption
            article.seo_title = seo_title
            article.meta_description = description
            if known is None:
                article.slug = unique_slug(Article, self._slug(post) or headline)
            before = imported_state(article, status=status, publish_at=moment or timezone.now())
            article.save()
            tail = Tail(
                post=post,
                article=article,
                known=known,
                before=before,
                note=note,
                authors=authors,
                tags=tags,
                fingerprint=fingerprint,
                complete=complete,
                paths=self._post_paths(post),
            )
            if tails is None:
                self._write_tails([tail])
            else:
                tails.append(tail)
        if section_slug:
            self.used_categories[section_slug] = "section"
        for slug, _name in categories:
            if slug != DEFAULT_CATEGORY:
                self.used_categories.setdefault(slug, "tag")
        for domain, slug, _name in post.categories:
            if domain == "post_tag":
                self.used_tags.add(slug)
        self.report.posts["imported" if known is None else "updated"] += 1

    def _write_tails(self, tails):
        """Write the posts' tails, each kind of row in one statement for all of them."""
        if not tails:
            return
        new = [t for t in tails if t.known is None]
        updated = [t for t in tails if t.known is not None]
        ArticleEvent.objects.bulk_create(
            import_event(
                t.article,
                from_status=Status.DRAFT if t.known is None else t.before,
                note=t.note if t.known is None else _("Updated from WordPress.") + " " + t.note,
            )
            for t in tails
            if t.known is None or t.before is not None
        )
        if updated:
            Byline.objects.filter(article__in=[t.article.pk for t in updated]).delete()
            TaggedItem.objects.filter(
                content_type=self.article_type, object_id__in=[t.article.pk for t in updated]
            ).delete()
        Byline.objects.bulk_create(
            Byline(article=t.article, author=author, role=Byline.Role.WRITTEN_BY, position=i)
            for t in tails
            for i, author in enumerate(t.authors)
        )
        # Tagged directly rather than through `article.tags.set()`, which looks each tag up on
        # its own; the search vector (rebuilt with the batch) and the cache purge (after
        # commit) read the same rows.
        TaggedItem.objects.bulk_create(
            TaggedItem(content_type=self.article_type, object_id=t.article.pk, tag=tag)
            for t in tails
            for tag in t.tags
        )
        # The same revisions the editor's save stores, taken once bylines and tags are in.
        revisions.store_many([t.article for t in new], by=None, note=_("Imported from WordPress"))
        revisions.store_many(
            [t.article for t in updated], by=None, note=_("Updated from WordPress")
        )
        WordPressPost.objects.bulk_create(
            WordPressPost(
                site=self.site,
                post_id=t.post.post_id,
                article=t.article,
                fingerprint=t.fingerprint,
                article_version=t.article.version,
                complete=t.complete,
            )
            for t in new
        )
        for t in updated:
            WordPressPost.objects.filter(site=self.site, post_id=t.post.post_id).update(
                fingerprint=t.fingerprint, article_version=t.article.version, complete=t.complete
            )
        # A new story's addresses are new too, unless another site's import holds them: those
        # stay as they were (counted at the end of the run).
        OldAddress.objects.bulk_create(
            (
                OldAddress(site=self.site, path=path, article=t.article)
                for t in new
                for path in t.paths
            ),
            ignore_conflicts=True,
        )
        self.addresses_tried += sum(len(t.paths) for t in new)
        if updated:
            self._keep_addresses(
                {path: {"article": t.article} for t in updated for path in t.paths}
            )

    # Fields ----------------------------------------------------------------------------------
    def _moment(self, post):
        """When the post was (or will be) published, as an aware UTC datetime."""
        gmt = wxr.parse_wp_date(post.date_gmt)
        local = wxr.parse_wp_date(post.date_local)
        if gmt is not None:
            moment = gmt.replace(tzinfo=UTC)
            if local is not None:
                offset = local - gmt
                if (
                    self.report.time_zone_source != "export"
                    and offset != local.replace(tzinfo=self.zone).utcoffset()
                ):
                    self.report.zone_mismatch(offset)
            return moment
        if local is not None:
            self.report.assumed_zone_used += 1
            return timezone.make_aware(local, self.zone).astimezone(UTC)
        return wxr.parse_pub_date(post.pub_date)

    def _yoast(self, value, headline):
        """A Yoast template ("%%title%% %%sep%% %%sitename%%") made into plain text."""
        value = (value or "").strip()
        if "%%" in value:
            value = (
                value.replace("%%title%%", headline)
                .replace("%%sitename%%", self.survey.title)
                .replace("%%sep%%", "–")
                .replace("%%page%%", "")
            )
            while "%%" in value:
                start = value.find("%%")
                end = value.find("%%", start + 2)
                if end == -1:
                    break
                value = value[:start] + value[end + 2 :]
            value = " ".join(value.split())
        return strip_tags(unescape(value)).strip()

    def _slug(self, post):
        return slugify(unquote(post.slug))[: Article._meta.get_field("slug").max_length]

    # Sections and tags ---------------------------------------------------------------------------
    def _section_category(self, categories):
        slugs = [slug for slug, _name in categories]
        preferred = [slug for slug in slugs if slug != DEFAULT_CATEGORY]
        return (preferred or slugs or [None])[0]

    def _category_name(self, slug, name):
        term = self.survey.categories.get(slug)
        return unescape(term.name if term else name or slug)

    def _tag_name(self, slug, name):
        term = self.survey.tags.get(slug)
        return unescape(term.name if term else name or slug)

    def _section(self, category_slug, categories):
        if category_slug in self.sections:
            return self.sections[category_slug]
        name = self._category_name(category_slug, dict(categories).get(category_slug, ""))
        if len(name) > LIMITS["section"]:
            raise _too_long(_("The category name"), name, LIMITS["section"])
        slug = slugify(unquote(category_slug))[:90] or slugify(name)[:90] or "section"
        if slug in RESERVED_SECTION_SLUGS:
            slug = f"{slug}-section"
        section = Section.objects.filter(slug=slug).first()
        if section is None:
            term = self.survey.categories.get(category_slug)
            section = Section.objects.create(
                name=name, slug=slug, description=term.description if term else ""
            )
            self.report.sections["imported"] += 1
        else:
            self.report.sections["unchanged"] += 1
        self.sections[category_slug] = section
        return section

    def _tags(self, names):
        found = []
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            key = name.lower()
            tag = self.tags.get(key)
            if tag is None:
                if len(name) > LIMITS["tag"]:
                    raise _too_long(
                        _("The tag “%(tag)s”") % {"tag": name[:40] + "…"}, name, LIMITS["tag"]
                    )
                tag = Tag.objects.filter(name__iexact=name).first()
                if tag is None:
                    tag = Tag.objects.create(name=name)
                    self.report.tags["imported"] += 1
                else:
                    self.report.tags["unchanged"] += 1
                self.tags[key] = tag
            found.append(tag)
        return found

    # Authors -----------------------------------------------------------------------------------
    def _credited(self, post):
        """Logins credited on the post, in order: Co-Authors Plus terms where the export has
        them (their order is the byline's), else the post's author."""
        logins = []
        for domain, slug, name in post.categories:
            if domain == "author":
                login = name or slug.removeprefix("cap-")
                if login not in logins:
                    logins.append(login)
        if not logins and post.creator:
            logins.append(post.creator)
        return logins

    def _author(self, login):
        if login in self.authors:
            return self.authors[login]
        author = None
        if login in self.author_ids:
            author = Author.objects.filter(pk=self.author_ids[login]).first()
        if author is None:
            person = self.survey.guest_authors.get(login) or self.survey.authors.get(login)
            if person is None:
                person = wxr.Person(login=login, name=login)
            if len(person.name) > LIMITS["author"]:
                raise _too_long(_("The author's name"), person.name, LIMITS["author"])
            author = Author.objects.create(
                name=unescape(person.name),
                bio=strip_tags(unescape(person.bio)),
                website=person.website
                if person.website.startswith(("http://", "https://"))
                else "",
            )
            WordPressAuthor.objects.update_or_create(
                site=self.site, login=login, defaults={"author": author}
            )
            self.author_ids[login] = author.pk
            self.report.authors["imported"] += 1
        self.authors[login] = author
        return author

    # Pictures ----------------------------------------------------------------------------------
    def _pictures_now_available(self, post):
        """Can a picture this post lacked last time be had now (``--uploads`` given this time,
        or the file added)?"""
        wanted = []
        if (thumbnail := post.meta.get("_thumbnail_id", "").strip()).isdigit():
            wanted.append(int(thumbnail))

        def note(attachment_id, src):
            if attachment_id is None or attachment_id not in self.survey.attachments:
                attachment_id = self.attachment_keys.get(content.upload_key(src)) if src else None
            wanted.append(attachment_id)

        content.convert(post.content, image_for=note)
        for attachment_id in wanted:
            if attachment_id in self.attachment_images:
                return True
            attachment = self.survey.attachments.get(attachment_id)
            if attachment is not None and self._locate(attachment) is not None:
                return True
        return False

    def _picture_for_body(self, attachment_id, src):
        if attachment_id is None or attachment_id not in self.survey.attachments:
            attachment_id = self.attachment_keys.get(content.upload_key(src)) if src else None
        if attachment_id is None:
            self.report.missing_image(src, _("not an attachment of this export"))
            return None
        return self._picture(attachment_id)

    def _picture(self, attachment_id):
        """The attachment's `content.Picture` in the library, importing it the first time;
        None when it cannot be had (reported once)."""
        if attachment_id in self.pictures:
            return self.pictures[attachment_id]
        self.pictures[attachment_id] = picture = self._bring_in(attachment_id)
        return picture

    def _bring_in(self, attachment_id):
        if image_id := self.attachment_images.get(attachment_id):
            image = (
                Image.objects.filter(pk=image_id)
                .only("pk", "file", "alt_text", "width", "height")
                .first()
            )
            if image is not None:
                self.report.images["unchanged"] += 1
                return self._library_picture(image, attachment_id)
        attachment = self.survey.attachments.get(attachment_id)
        if attachment is None:
            self.report.missing_image(f"attachment {attachment_id}", _("not in the export"))
            return None
        path = self._locate(attachment)
        if path is None:
            self.report.missing_image(
                attachment.url,
                _("no --uploads folder given") if self.uploads is None else _("file not found"),
            )
            return None
        alt = unescape(attachment.alt or attachment.caption or attachment.title).strip()
        caption = strip_tags(unescape(attachment.caption)).strip()
        for what, value, limit in (
            (_("alt text"), alt, LIMITS["alt_text"]),
            (_("caption"), caption, LIMITS["caption"]),
        ):
            if len(value) > limit:
                self.report.fail(
                    "images",
                    attachment.url,
                    attachment_id,
                    _("its %(what)s is %(length)s characters long; at most %(limit)s fit.")
                    % {"what": what, "length": len(value), "limit": limit},
                )
                return None
        try:
            with open(path, "rb") as handle:
                prepared = images.prepare_upload(File(handle, name=path.name))
        except ValidationError as exc:
            self.report.fail("images", attachment.url, attachment_id, "; ".join(exc.messages))
            return None
        except OSError as exc:
            self.report.fail("images", attachment.url, attachment_id, str(exc))
            return None
        if self.dry_run:
            self.report.images["imported"] += 1
            return content.Picture(f"{settings.MEDIA_URL}{path.name}", attachment_id, alt=alt)
        with transaction.atomic():
            image = Image(alt_text=alt, caption=caption)
            image.file.save(prepared.name, prepared, save=False)
            self.new_image_files.append(image.file.name)
            image.save()
            WordPressAttachment.objects.update_or_create(
                site=self.site, attachment_id=attachment_id, defaults={"image": image}
            )
        self.report.images["imported"] += 1
        return self._library_picture(image, attachment_id)

    def _library_picture(self, image, attachment_id):
        return content.Picture(
            image.file.url,
            attachment_id,
            image_id=image.pk,
            alt=image.alt_text,
            width=image.width,
            height=image.height,
        )

    def _locate(self, attachment):
        """The attachment's file inside ``--uploads``, never outside it."""
        if self.uploads is None:
            return None
        candidates = []
        if attachment.attached_file:
            candidates.append(attachment.attached_file)
        path = unquote(urlsplit(attachment.url).path)
        if "/wp-content/uploads/" in path:
            candidates.append(path.split("/wp-content/uploads/", 1)[1])
        for relative in candidates:
            found = (self.uploads / relative.lstrip("/")).resolve()
            if found.is_relative_to(self.uploads) and found.is_file():
                return found
        return None

    # Old addresses -----------------------------------------------------------------------------
    def _post_paths(self, post):
        """The post's old addresses: ``?p=ID`` and its permalink."""
        paths = {addresses.normalise(self.base_path + "/", "p", str(post.post_id))}
        if found := addresses.from_url(post.link):
            paths.add(found)
        return paths

    def _term_addresses(self):
        wanted = {}  # path -> target, for every term the imported posts used
        for slug, kind in self.used_categories.items():
            term = self.survey.categories.get(slug)
            chain, parent = [slug], term.parent if term else ""
            while parent and parent not in chain and len(chain) < 10:
                chain.insert(0, parent)
                parent_term = self.survey.categories.get(parent)
                parent = parent_term.parent if parent_term else ""
            paths = {
                addresses.normalise(f"{self.base_path}/category/{'/'.join(chain)}/"),
                addresses.normalise(f"{self.base_path}/category/{slug}/"),
            }
            if term is not None and term.term_id:
                paths.add(addresses.normalise(self.base_path + "/", "cat", term.term_id))
            if kind == "section":
                target = {"section": self.sections[slug]}
            elif (tag := self.tags.get(self._category_name(slug, "").lower())) is not None:
                target = {"tag": tag}
            else:
                continue
            wanted.update(dict.fromkeys(paths, target))
        for slug in self.used_tags:
            tag = self.tags.get(self._tag_name(slug, "").lower())
            if tag is not None:
                paths = {
                    addresses.normalise(f"{self.base_path}/tag/{slug}/"),
                    addresses.normalise(self.base_path + "/", "tag", slug),
                }
                wanted.update(dict.fromkeys(paths, {"tag": tag}))
        # A few thousand terms at most: read and written a thousand addresses at a time.
        for chunk in itertools.batched(wanted.items(), 1000):
            self._keep_addresses(dict(chunk))

    def _keep_addresses(self, wanted):
        """Point each old address (``{path: {"article"|"section"|"tag": target}}``) at its
        target: this site's addresses are moved, new ones added, another site's left alone."""
        existing = {
            address.path: address for address in OldAddress.objects.filter(path__in=list(wanted))
        }
        if taken := sum(address.site_id != self.site.pk for address in existing.values()):
            self.report.note(TAKEN_ADDRESSES, taken)
        moved = []
        for path, address in existing.items():
            target = wanted[path]
            values = {name: target.get(name) for name in ("article", "section", "tag")}
            ids = {f"{name}_id": getattr(value, "pk", None) for name, value in values.items()}
            if address.site_id == self.site.pk and any(
                getattr(address, name) != value for name, value in ids.items()
            ):
                for name, value in values.items():
                    setattr(address, name, value)
                moved.append(address)
        OldAddress.objects.bulk_update(moved, ["article", "section", "tag"])
        OldAddress.objects.bulk_create(
            OldAddress(site=self.site, path=path, **target)
            for path, target in wanted.items()
            if path not in existing
        )
        self.addresses_kept += len(wanted) - len(existing)
