"""The newsroom's content: sections, sources, images, articles and what hangs off them.

`Article.objects.published()` is the one definition of "a reader may see this".
Every public path starts from it.
"""

import math
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from . import images
from .json_arrays import JSONRow, json_array_of, json_value, utc_moment
from .sanitize import sanitize_body
from .slugs import unique_slug

WORDS_PER_MINUTE = 230


RESERVED_SECTION_SLUGS = frozenset(
    {
        "admin",
        "authors",
        "corrections",
        "feeds",
        "media",
        "preview",
        "search",
        "sources",
        "static",
        "tags",
    }
)


class Section(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Order in the site navigation, lowest first.")
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        old_slug = (
            Section.objects.filter(pk=self.pk).values_list("slug", flat=True).first()
            if self.pk
            else None
        )
        super().save(*args, **kwargs)
        if old_slug and old_slug != self.slug:
            self._remember_old_article_paths(old_slug)
            SectionRedirect.objects.update_or_create(old_slug=old_slug, defaults={"section": self})
            # A slug taken back by its section is its address again, not a redirect.
            SectionRedirect.objects.filter(old_slug=self.slug).delete()

    def get_absolute_url(self):
        return reverse("articles:section", kwargs={"section": self.slug})

    def clean(self):
        # A section's front lives at /<slug>/: it must not shadow the site's own routes.
        if self.slug in RESERVED_SECTION_SLUGS:
            raise ValidationError(
                {
                    "slug": _("“%(slug)s” is already an address of the site; choose another slug.")
                    % {"slug": self.slug}
                }
            )

    def _remember_old_article_paths(self, old_slug):
        """A renamed section keeps its stories' old addresses answering with a 301."""
        moved = Section(pk=self.pk, slug=old_slug)
        redirects = []
        for article in Article.objects.filter(section=self, first_published_at__isnull=False).only(
            "pk", "slug", "section_id", "first_published_at"
        ):
            article.section = moved
            redirects.append(ArticleRedirect(article=article, old_path=article.get_absolute_url()))
        ArticleRedirect.objects.bulk_create(redirects, ignore_conflicts=True)


class Source(models.Model):
    """An outlet, agency or body a story comes from or cites."""

    class Kind(models.TextChoices):
        AGENCY = "agency", _("news agency / wire")
        PARTNER = "partner", _("partner outlet")
        PUBLICATION = "publication", _("publication")
        BROADCASTER = "broadcaster", _("broadcaster")
        PRESS_RELEASE = "press_release", _("press release")
        OFFICIAL = "official", _("official statement")
        SOCIAL = "social", _("social media")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.PUBLICATION)
    homepage_url = models.URLField(_("homepage"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Source, self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:source", kwargs={"slug": self.slug})


class ImageQuerySet(models.QuerySet):
    def matching(self, text):
        """Pictures whose alt text, caption, credit or copyright holds every word of ``text``."""
        found = self
        for word in text.split():
            found = found.filter(
                models.Q(alt_text__icontains=word)
                | models.Q(caption__icontains=word)
                | models.Q(credit__icontains=word)
                | models.Q(copyright__icontains=word)
            )
        return found

    def for_library(self):
        """Newest first, with only what a thumbnail in the media library shows."""
        return self.only(
            "file", "alt_text", "credit", "width", "height", "created_at", "rendition_index"
        ).order_by("-created_at", "-pk")


class Image(models.Model):
    """An uploaded picture. Readers only ever get re-encoded, metadata-free files."""

    file = models.ImageField(
        _("file"), upload_to="images/%Y/%m/", width_field="width", height_field="height"
    )
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        help_text=_("What the picture shows, for readers who cannot see it. Required."),
    )
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    credit = models.CharField(
        _("credit"),
        max_length=200,
        blank=True,
        help_text=_("For example “Photo: Reuters / Jane Roe”."),
    )
    copyright = models.CharField(_("copyright holder / licence"), max_length=200, blank=True)
    focal_x = models.FloatField(
        _("focal point x"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("0 = left edge, 1 = right edge."),
    )
    focal_y = models.FloatField(
        _("focal point y"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("0 = top edge, 1 = bottom edge."),
    )
    width = models.PositiveIntegerField(_("width"), editable=False, default=0)
    height = models.PositiveIntegerField(_("height"), editable=False, default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Derived from the Rendition rows (see `images.refresh_rendition_index`), so a page can
    # draw every picture it shows without asking for renditions.
    rendition_index = models.JSONField(default=list, editable=False)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The media library and the image list: newest first, a page at a time.
            models.Index(fields=["-created_at", "-id"], name="image_newest_first"),
        ]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.alt_text[:80]

    def save(self, *args, **kwargs):
        if self.file and not (self.width and self.height):
            self.width, self.height = self.file.width, self.file.height
        previous = (
            Image.objects.filter(pk=self.pk)
            .values("file", "focal_x", "focal_y", "rendition_index")
            .first()
            if self.pk
            else None
        )
        if previous is not None:
            # Only `images` writes the index; a copy loaded before renditions were made must
            # not overwrite it.
            self.rendition_index = previous.pop("rendition_index")
        super().save(*args, **kwargs)
        if not self.file:
            return
        # Renditions are made once, after the upload is safely committed; a new file or a
        # moved focal point makes the old ones wrong.
        current = {"file": self.file.name, "focal_x": self.focal_x, "focal_y": self.focal_y}
        if previous is None:
            images.make_renditions_after_commit(self)
        elif previous != current:
            images.make_renditions_after_commit(self, replace=True)

    def renditions_by_format(self, crop="original"):
        """{format: [renditions narrowest first]} for one crop. Worked out once per loaded
        image and index: a page draws the same picture in its body, its social card and its
        structured data."""
        index = self.rendition_index
        memo = self.__dict__.get("_renditions_memo")
        if memo is None or memo[0] is not index:
            memo = self.__dict__["_renditions_memo"] = (index, {})
        if crop not in memo[1]:
            found = {}
            # Only this crop's entries are read: a card's picture needs a third of them.
            entries = (e for e in index or () if isinstance(e, dict) and e.get("crop") == crop)
            for rendition in images.read_index(entries):
                found.setdefault(rendition.format, []).append(rendition)
            for renditions in found.values():
                renditions.sort(key=lambda r: r.width)
            memo[1][crop] = found
        return memo[1][crop]

    def rendition(self, crop="original", width=1200, fmt=None):
        """The fallback-format (or ``fmt``) rendition closest to ``width``, or None."""
        by_format = self.renditions_by_format(crop)
        candidates = by_format.get(fmt) if fmt else None
        if candidates is None and not fmt:
            candidates = by_format.get("jpeg") or by_format.get("png")
        if not candidates:
            return None
        fitting = [r for r in candidates if r.width <= width]
        return fitting[-1] if fitting else candidates[0]


class Rendition(models.Model):
    """One resized, optionally cropped, re-encoded version of an image, made once."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="renditions")
    spec = models.CharField(max_length=40, help_text="e.g. w640, 16x9-w1200, 1x1-w400")
    format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file = models.ImageField(upload_to="renditions/%Y/%m/", max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "spec", "format"], name="unique_rendition"),
        ]

    def __str__(self):
        return f"{self.image_id} {self.spec}.{self.format}"

    @property
    def crop(self):
        """ "16x9", "1x1" or "original", read from the spec ("16x9-w800", "w800")."""
        return images.crop_of(self.spec)


class ArticleQuerySet(models.QuerySet):
    def published(self, at=None):
        """What a reader may see at ``at`` (default: now). The only such rule."""
        now = at or timezone.now()
        return self.filter(
            Q(embargo_until__isnull=True) | Q(embargo_until__lte=now),
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            status=Article.Status.PUBLISHED,
            publish_at__lte=now,
        )

    def gone(self, at=None):
        """Articles whose public URL answers 410: withdrawn, or published and expired."""
        now = at or timezone.now()
        return self.filter(
            Q(status=Article.Status.WITHDRAWN)
            | Q(status=Article.Status.PUBLISHED, expires_at__lte=now),
            first_published_at__isnull=False,
        )

    def scheduled(self, at=None):
        now = at or timezone.now()
        return self.filter(status=Article.Status.PUBLISHED, publish_at__gt=now)

    def embargoed(self, at=None):
        return self.filter(embargo_until__gt=at or timezone.now())

    def unpublished(self, at=None):
        """Stories not yet public: drafts, stories in review, and published ones still
        scheduled or under embargo. Only an API token with the `read:drafts` scope reads
        them, one at a time by id (`api.views`); withdrawn and expired ones are `gone()`."""
        now = at or timezone.now()
        return self.filter(
            Q(status__in=[Article.Status.DRAFT, Article.Status.IN_REVIEW])
            | Q(status=Article.Status.PUBLISHED, publish_at__gt=now)
            | Q(status=Article.Status.PUBLISHED, publish_at__isnull=True)
            | Q(status=Article.Status.PUBLISHED, embargo_until__gt=now)
        ).exclude(status=Article.Status.PUBLISHED, expires_at__lte=now)

    # Public query shapes: a page costs a fixed, small number of queries however much it shows.
    # None of them reads `search_vector`: no page shows it, and it is as long as the body.
    def for_cards(self):
        """Cards without bylines (related stories): section and lead image joined, no body."""
        return public_fetch_mode(
            self.select_related("section", "lead_image").defer("body", "search_vector")
        )

    def for_listing(self):
        """Cards in a list: `for_cards()` plus the bylines and their authors (one query for
        the whole page)."""
        return self.for_cards().prefetch_related(
            models.Prefetch(
                "bylines", queryset=public_fetch_mode(Byline.objects.select_related("author"))
            )
        )

    def for_feed(self):
        """Feed items: `for_listing()` plus the names of their tags (`Article.tag_names`)."""
        return self.for_listing().annotate(detail_tags=_tags_as_json())

    def for_detail(self):
        """The article page: the story, its section and lead image, its bylines with their
        authors and photos, and its sources, corrections and tags carried on its row as JSON
        arrays (read back by `Article.detail_parts`), so the page stays within its query
        budget however many of each it has."""
        return public_fetch_mode(
            self.select_related("section", "lead_image")
            .defer("search_vector")
            .annotate(
                detail_sources=json_array_of(
                    ArticleSource.objects.all(),
                    JSONRow(
                        id="id",
                        relation="relation",
                        original_url="original_url",
                        original_headline="original_headline",
                        note="note",
                        position="position",
                        source_id="source__id",
                        source_name="source__name",
                        source_slug="source__slug",
                        source_kind="source__kind",
                        source_homepage_url="source__homepage_url",
                    ),
                    link="article",
                ),
                detail_corrections=json_array_of(
                    Correction.objects.all(),
                    JSONRow(id="id", kind="kind", text="text", created_at="created_at"),
                    link="article",
                ),
                detail_tags=_tags_as_json(),
            )
            .prefetch_related(bylines_prefetch())
        )

    def for_api(self):
        """Items of the API's story lists: `for_detail()` without the body (the list shows
        none), so a page of any length costs two queries."""
        return self.for_detail().defer("body")


def _tags_as_json():
    article_type = ContentType.objects.get_for_model(Article)
    return json_array_of(
        TaggedItem.objects.filter(content_type=article_type),
        JSONRow(id="id", tag_id="tag__id", name="tag__name", slug="tag__slug"),
        link="object_id",
    )


def article_path(section_slug, day, slug):
    """A story's public address: its section (or "news"), the date it first went live and its
    slug. For lists that read plain rows instead of articles (the news sitemap)."""
    return reverse(
        "articles:detail",
        kwargs={
            "section": section_slug or "news",
            "year": f"{day.year:04d}",
            "month": f"{day.month:02d}",
            "day": f"{day.day:02d}",
            "slug": slug,
        },
    )


def public_fetch_mode(queryset):
    """Apply ``settings.NEWSROOM_FETCH_MODE`` (tests set FETCH_RAISE: a lazy load fails)."""
    mode = getattr(settings, "NEWSROOM_FETCH_MODE", None)
    return queryset.fetch_mode(mode) if mode is not None else queryset


def bylines_prefetch():
    return models.Prefetch(
        "bylines",
        queryset=public_fetch_mode(Byline.objects.select_related("author", "author__photo")),
    )


@dataclass(frozen=True)
class DetailParts:
    """What an article page shows besides the article and its bylines, in display order."""

    sources: list  # ArticleSource, each with its Source
    corrections: list  # Correction, oldest first
    tags: list  # taggit Tag, in the order they were added


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Writing
    headline = models.CharField(_("headline"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        help_text=_("The last part of the article's address. Made from the headline if empty."),
    )
    kicker = models.CharField(
        _("kicker"),
        max_length=60,
        blank=True,
        help_text=_("A small label above the headline: “Analysis”."),
    )
    dek = models.TextField(
        _("standfirst"),
        blank=True,
        max_length=600,
        help_text=_("One or two sentences under the headline; also used on listings."),
    )
    body = models.TextField(_("body"), blank=True)
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
        help_text=_("Required to publish."),
    )
    tags = TaggableManager(_("tags"), blank=True)
    lead_image = models.ForeignKey(
        Image,
        verbose_name=_("lead image"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_for",
    )
    lead_image_caption = models.CharField(
        _("caption for this article"),
        max_length=500,
        blank=True,
        help_text=_("Overrides the image's own caption here only."),
    )
    featured = models.BooleanField(
        _("lead story"), default=False, help_text=_("Show as the home page's lead story.")
    )

    # SEO
    seo_title = models.CharField(_("SEO title"), max_length=200, blank=True)
    meta_description = models.CharField(
        _("meta description"),
        max_length=300,
        blank=True,
        help_text=_("Defaults to the standfirst."),
    )
    canonical_url = models.URLField(
        _("canonical URL"), blank=True, help_text=_("Only for stories first published elsewhere.")
    )
    noindex = models.BooleanField(_("hide from search engines"), default=False)

    # Derived
    word_count = models.PositiveIntegerField(_("word count"), default=0, editable=False)
    reading_time = models.PositiveSmallIntegerField(
        _("reading time (minutes)"), default=0, editable=False
    )
    search_vector = SearchVectorField(null=True, editable=False)

    # Workflow
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.DRAFT, editable=False
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True, editable=False)
    embargo_until = models.DateTimeField(
        _("embargo until"),
        null=True,
        blank=True,
        help_text=_("Set by the source: the story may not appear before this time."),
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        help_text=_("After this time the story leaves the public site (rights-limited copy)."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    first_published_at = models.DateTimeField(
        _("first published at"), null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(
        _("updated at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The public “Updated” time: moves on a substantive update or a correction."),
    )
    # The time of the latest "submit" event, kept on the row (by `workflow`): the review queue
    # is sorted by it, and sorting by a per-story look-up of the events read every story in
    # review.
    submitted_at = models.DateTimeField(
        _("submitted for review at"), null=True, blank=True, editable=False
    )

    # Bookkeeping
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    related = models.ManyToManyField(
        "self",
        verbose_name=_("related stories"),
        through="RelatedArticle",
        through_fields=("article", "related"),
        symmetrical=False,
        blank=True,
        related_name="+",
    )

    objects = ArticleQuerySet.as_manager()

    # The times at which a published story appears on or leaves the public site by itself.
    SCHEDULE_FIELDS = ("publish_at", "embargo_until", "expires_at")

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["status", "-publish_at"], name="article_status_publish"),
            models.Index(
                fields=["section", "status", "-publish_at"], name="article_section_publish"
            ),
            models.Index(fields=["status", "-modified_at"], name="article_status_modified"),
            # The review queue, longest waiting first.
            models.Index(fields=["status", "submitted_at", "id"], name="article_review_queue"),
            models.Index(fields=["created_by", "status"], name="article_creator_status"),
            # The admin's article list, newest edits first.
            models.Index(fields=["-modified_at", "-id"], name="article_modified"),
            # The home page's lead: the newest featured story, found without walking the
            # newest stories until one is featured (a few in a thousand are).
            models.Index(
                fields=["-publish_at", "-id"],
                name="article_featured_publish",
                condition=Q(featured=True, status="published"),
            ),
            # The news sitemap: stories first published in the last two days.
            models.Index(fields=["-first_published_at"], name="article_first_published"),
            # The page cache's "next change" look-up: first embargo lift / expiry ahead.
            models.Index(
                fields=["embargo_until"],
                name="article_embargo_until",
                condition=Q(embargo_until__isnull=False),
            ),
            models.Index(
                fields=["expires_at"],
                name="article_expires_at",
                condition=Q(expires_at__isnull=False),
            ),
            # The admin's "Expired" list, newest edits first, and its count: only the stories
            # given an expiry, whose expiry is read from the index rather than from each row.
            models.Index(
                fields=["-modified_at", "-id", "expires_at"],
                name="article_expiring_modified",
                condition=Q(status="published", expires_at__isnull=False),
            ),
        ]
        permissions = [
            ("publish_article", _("Can publish, schedule, embargo and withdraw articles")),
            ("edit_any_article", _("Can edit any article, whoever wrote it")),
            ("review_article", _("Can return articles to their writers")),
            ("share_preview", _("Can create share-preview links")),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        previous_path = self._previous_public_path(kwargs.get("update_fields"))
        self.body = sanitize_body(self.body)
        if not self.slug:
            self.slug = unique_slug(Article, self.headline, exclude_pk=self.pk)
        self.word_count = len(re.findall(r"\w+(?:[’'-]\w+)*", strip_tags(self.body)))
        self.reading_time = (
            max(1, math.ceil(self.word_count / WORDS_PER_MINUTE)) if self.word_count else 0
        )
        derived = {"word_count", "reading_time", "modified_at"}
        if self.status == self.Status.PUBLISHED and self.first_published_at is None:
            # Saved as published by a script or an importer: first published at its go-live
            # (the workflow sets it the same way), so it reaches the news sitemap then.
            self.first_published_at = self.go_live_at
            derived.add("first_published_at")
        if update_fields := kwargs.get("update_fields"):
            kwargs["update_fields"] = {*update_fields, *derived}
        super().save(*args, **kwargs)
        if previous_path:
            self._remember_old_path(previous_path)

    def get_absolute_url(self):
        return article_path(
            self.section.slug if self.section_id else None, self.public_date, self.slug
        )

    # Public face ---------------------------------------------------------------------------------
    @property
    def is_live(self):
        """Python twin of `published()`, for one already-loaded article."""
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= now
            and (self.embargo_until is None or self.embargo_until <= now)
            and (self.expires_at is None or self.expires_at > now)
        )

    @property
    def go_live_at(self):
        """When readers first may see it: its publish time, or its embargo's end if later."""
        if self.publish_at is None:
            return None
        if self.embargo_until and self.embargo_until > self.publish_at:
            return self.embargo_until
        return self.publish_at

    @property
    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )

    @property
    def public_date(self):
        """The date in the article's URL: its first publication, in the newsroom's zone."""
        moment = self.first_published_at or self.publish_at or self.created_at
        return timezone.localtime(moment).date()

    @property
    def description(self):
        return self.meta_description or strip_tags(self.dek)

    @property
    def title_for_head(self):
        return self.seo_title or self.headline

    def detail_parts(self):
        """Sources, corrections and tags for the article page.

        Read from the JSON columns `for_detail()` adds (no query); an article loaded otherwise
        (a preview) asks the database, three small queries.
        """
        if self.pk is None:
            return DetailParts(sources=[], corrections=[], tags=[])
        if not hasattr(self, "detail_sources"):
            return DetailParts(
                sources=list(public_fetch_mode(self.article_sources.select_related("source"))),
                corrections=list(public_fetch_mode(self.corrections.all())),
                tags=[
                    item.tag
                    for item in public_fetch_mode(
                        TaggedItem.objects.filter(
                            content_type=ContentType.objects.get_for_model(Article),
                            object_id=self.pk,
                        )
                        .select_related("tag")
                        .order_by("id")
                    )
                ],
            )
        sources = sorted(
            json_value(self.detail_sources) or [], key=lambda s: (s["position"], s["id"])
        )
        corrections = [
            {**c, "created_at": utc_moment(c["created_at"])}
            for c in json_value(self.detail_corrections) or []
        ]
        corrections.sort(key=lambda c: (c["created_at"], c["id"]))
        return DetailParts(
            sources=[
                ArticleSource(
                    id=s["id"],
                    article=self,
                    relation=s["relation"],
                    original_url=s["original_url"],
                    original_headline=s["original_headline"],
                    note=s["note"],
                    position=s["position"],
                    source=Source(
                        id=s["source_id"],
                        name=s["source_name"],
                        slug=s["source_slug"],
                        kind=s["source_kind"],
                        homepage_url=s["source_homepage_url"],
                    ),
                )
                for s in sources
            ],
            corrections=[
                Correction(
                    id=c["id"],
                    article=self,
                    kind=c["kind"],
                    text=c["text"],
                    created_at=c["created_at"],
                )
                for c in corrections
            ],
            tags=self.tag_list(),
        )

    def tag_list(self):
        """The tags read with `for_detail()` or `for_feed()`, in the order they were added."""
        tags = sorted(json_value(self.detail_tags) or [], key=lambda t: t["id"])
        return [Tag(id=t["tag_id"], name=t["name"], slug=t["slug"]) for t in tags]

    def tag_names(self):
        """Just their names, in the same order."""
        return [tag.name for tag in self.tag_list()]

    # Old addresses ------------------------------------------------------------------------------
    def _previous_public_path(self, update_fields):
        """The URL readers knew this article by, if it has ever been public, before this save."""
        if self.pk is None or (
            update_fields is not None
            and not {"slug", "section", "first_published_at"} & set(update_fields)
        ):
            return None
        stored = (
            Article.objects.filter(pk=self.pk, first_published_at__isnull=False)
            .values("slug", "section_id", "section__slug", "first_published_at")
            .first()
        )
        if stored is None:
            return None
        section_slug = stored.pop("section__slug")
        old = Article(pk=self.pk, **stored)
        if old.section_id:
            old.section = Section(pk=old.section_id, slug=section_slug)
        return old.get_absolute_url()

    def _remember_old_path(self, old_path):
        """Keep an old address answering with a 301 to the current one (slug or section moved)."""
        new_path = self.get_absolute_url()
        if old_path == new_path:
            return
        ArticleRedirect.objects.update_or_create(old_path=old_path, defaults={"article": self})
        # Moving back to an earlier address: that address is live again, not a redirect.
        ArticleRedirect.objects.filter(old_path=new_path).delete()


class Byline(models.Model):
    class Role(models.TextChoices):
        WRITTEN_BY = "written_by", _("written by")
        WITH = "with", _("with")
        ADDITIONAL_REPORTING = "additional_reporting", _("additional reporting by")
        PHOTOS = "photos", _("photos by")
        TRANSLATED = "translated", _("translated by")
        EDITED = "edited", _("edited by")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(
        "authors.Author", verbose_name=_("author"), on_delete=models.PROTECT, related_name="bylines"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role, default=Role.WRITTEN_BY)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("byline")
        verbose_name_plural = _("bylines")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author", "role"], name="unique_byline_author_role"
            ),
        ]
        indexes = [models.Index(fields=["author", "article"], name="byline_author_article")]

    def __str__(self):
        return f"{self.get_role_display()} {self.author}"


class ArticleSource(models.Model):
    class Relation(models.TextChoices):
        REWRITTEN_FROM = "rewritten_from", _("rewritten from")
        REPORTED_BY = "reported_by", _("reported by / citing")
        WIRE = "wire", _("wire copy")
        PRESS_RELEASE = "press_release", _("press release")
        OFFICIAL = "official", _("official statement")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="article_sources")
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="article_sources"
    )
    relation = models.CharField(
        _("relation"), max_length=20, choices=Relation, default=Relation.REWRITTEN_FROM
    )
    original_url = models.URLField(_("original item's URL"), max_length=500, blank=True)
    original_headline = models.CharField(_("original headline"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("source of this article")
        verbose_name_plural = _("sources of this article")
        indexes = [models.Index(fields=["source", "article"], name="artsource_source_article")]

    def __str__(self):
        return f"{self.get_relation_display()} {self.source}"


class RelatedArticle(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(
        Article, verbose_name=_("related story"), on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("related story")
        verbose_name_plural = _("related stories")
        constraints = [
            models.UniqueConstraint(fields=["article", "related"], name="unique_related_article"),
            models.CheckConstraint(
                condition=~Q(article=models.F("related")), name="related_article_not_self"
            ),
        ]

    def __str__(self):
        return str(self.related_id)


class Correction(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        CLARIFICATION = "clarification", _("Clarification")
        UPDATE = "update", _("Update")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.CORRECTION)
    text = models.TextField(
        _("public text"), help_text=_("What was wrong and what changed, as readers will see it.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("correction or update")
        verbose_name_plural = _("corrections and updates")
        indexes = [models.Index(fields=["-created_at"], name="correction_created")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            # A correction is a public, dated change: the article's "Updated" time follows it.
            Article.objects.filter(pk=self.article_id).filter(
                Q(updated_at__isnull=True) | Q(updated_at__lt=self.created_at)
            ).update(updated_at=self.created_at)
            article = self.article
            if article.updated_at is None or article.updated_at < self.created_at:
                article.updated_at = self.created_at


class SectionRedirect(models.Model):
    """A section's former slug: its old front page answers with a 301 to the new one."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="old_slugs")
    old_slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.old_slug


class ArticleRedirect(models.Model):
    """An old public path of an article (slug or section changed): answered with a 301."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_paths")
    old_path = models.CharField(max_length=500, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.old_path


# Workflow records -------------------------------------------------------------------------------


class ArticleEvent(models.Model):
    """One workflow transition: who, when, from, to, and the note."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, choices=Article.Status)
    to_status = models.CharField(_("to"), max_length=20, choices=Article.Status)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["article", "-at"], name="event_article_at"),
            # Stories an editor sent back: found from the few "return" events, not by reading
            # the last event of every draft.
            models.Index(fields=["action", "article"], name="event_action_article"),
        ]

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"


class Revision(models.Model):
    """A snapshot of every editable field, bylines, tags and sources, after a person's save."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Article.Status)
    data = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="unique_revision_number"),
        ]

    def __str__(self):
        return f"#{self.number}"


class InternalNote(models.Model):
    """Newsroom-only remarks on an article. Never shown publicly."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    text = models.TextField(_("note"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self):
        return self.text[:60]


def _preview_token():
    return secrets.token_urlsafe(32)


def _preview_expiry():
    return timezone.now() + timedelta(hours=settings.NEWSROOM_PREVIEW_LINK_HOURS)


class PreviewLink(models.Model):
    """A secret, expiring, revocable link to one revision for someone without an account."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="preview_links")
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=_preview_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_preview_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"preview of {self.article_id} rev {self.revision_id}"

    @property
    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()


class EditingSession(models.Model):
    """Who has an article's form open, for the "X is editing this article" banner."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="editing_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="unique_editing_session"),
        ]

    def __str__(self):
        return f"{self.user_id} editing {self.article_id}"


class CalendarToken(models.Model):
    """The secret in an editor's iCal feed URL; resetting it revokes the old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True, default=_preview_token)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"calendar token of {self.user_id}"


class SideEffect(models.Model):
    """An outbox row: one side effect (purge, e-mail) that must happen exactly once.

    The dedupe key makes enqueueing idempotent; a worker claims a row for a lease
    (`claimed_until`) under its own `claim` token before running it, so two workers never
    run the same one while the lease lasts; a failure is kept, retried and shown on the
    dashboard. `articles.tasks` says what "exactly once" can promise.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="side_effects"
    )
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=20, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    # While RUNNING: who holds the row, and until when. Past that, another worker may take it.
    claim = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["state", "due_at"], name="sideeffect_state_due")]

    def __str__(self):
        return f"{self.kind} ({self.state})"


class WorkerHeartbeat(models.Model):
    """A task worker's sign of life, written by `manage.py run_worker` as it loops; read by
    `/healthz` and the admin home ("running", "last seen 5 minutes ago")."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.worker_id


# The front page ---------------------------------------------------------------------------------


class FrontPageLayout(models.Model):
    """One version of the home page as an editor arranged it: in force from `effective_at`
    until a version with a later `effective_at` (or the same one, saved later) takes over.

    Versions are never edited: a change, an undo or a restore is a new row, so the rows are
    the record of who changed the front page and when (`articles.frontpage`)."""

    effective_at = models.DateTimeField(_("in force from"), default=timezone.now)
    section_order = models.JSONField(
        _("order of the section blocks"),
        default=list,
        blank=True,
        help_text=_("Section ids, first shown first; sections not named follow in menu order."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)
    restores = models.ForeignKey(
        "self",
        verbose_name=_("copy of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-effective_at", "-id"]
        verbose_name = _("front page")
        verbose_name_plural = _("front page")
        indexes = [
            # The layout in force: the first entry at or before now. Also the page cache's
            # "next change" look-up of the first layout ahead.
            models.Index(fields=["-effective_at", "-id"], name="frontpage_effective"),
        ]

    def __str__(self):
        return f"front page version {self.pk}"


class FrontPageSlot(models.Model):
    """A story an editor put in one place of a layout, for the layout's life or a period."""

    class Place(models.TextChoices):
        LEAD = "lead", _("Lead")
        TOP = "top", _("Top stories")

    layout = models.ForeignKey(FrontPageLayout, on_delete=models.CASCADE, related_name="slots")
    place = models.CharField(_("place"), max_length=10, choices=Place)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Kept when the story is deleted: the version still says a story was there.
    article = models.ForeignKey(
        Article, verbose_name=_("story"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_from = models.DateTimeField(_("pinned from"), null=True, blank=True)
    pinned_until = models.DateTimeField(_("pinned until"), null=True, blank=True)

    class Meta:
        ordering = ["layout", "place", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["layout", "place", "position"], name="unique_frontpage_slot"
            ),
            models.CheckConstraint(
                condition=Q(pinned_from__isnull=True)
                | Q(pinned_until__isnull=True)
                | Q(pinned_from__lt=models.F("pinned_until")),
                name="frontpage_pin_ends_after_it_starts",
            ),
        ]
        indexes = [
            # The page cache's "next change": a pin's start and end change the home page.
            models.Index(
                fields=["pinned_from"],
                name="frontpage_pinned_from",
                condition=Q(pinned_from__isnull=False),
            ),
            models.Index(
                fields=["pinned_until"],
                name="frontpage_pinned_until",
                condition=Q(pinned_until__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.place} {self.position + 1}"


class AutosaveQuerySet(models.QuerySet):
    def of_form(self, user, *, article=None, draft_key=""):
        """``user``'s autosave of one form: an article's, or a new article's add form."""
        return self.filter(user=user, form_key=Autosave.form_key_for(article, draft_key))

    def of_new_articles(self, user):
        """``user``'s autosaves of add forms never saved as articles, newest first."""
        return self.filter(user=user, article__isnull=True).order_by("-saved_at", "-pk")

    def keep(self, *, user, article=None, draft_key="", fields, labels, base_version, at=None):
        """Insert or replace ``user``'s autosave of the form, in one statement.

        One INSERT … ON CONFLICT on the (user, form) unique index: it reads and writes only
        this table, so its cost does not grow with the number of articles.
        """
        row = Autosave(
            user=user,
            article=article,
            form_key=Autosave.form_key_for(article, draft_key),
            fields=fields,
            labels=labels,
            base_version=base_version,
            saved_at=at or timezone.now(),
        )
        self.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["user", "form_key"],
            update_fields=["fields", "labels", "base_version", "saved_at"],
        )
        return row


class Autosave(models.Model):
    """The article form as one person left it, kept every few seconds so nothing typed is lost.

    A draft of the form, not of the article: the raw fields as the browser had them, valid or
    not. It is never written to the article, never read by a public path and offered back
    only to the person who typed it. One per person and form (an article, or a new article's
    add form by the key that form was given); saving the article deletes it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # "article-<pk>", or "new-<draft key>" for an add form: one key the upsert can conflict on.
    form_key = models.CharField(max_length=80)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="autosaves"
    )
    # [[name, value], …] in the form's order, as the browser would have posted them.
    fields = models.JSONField()
    # The text of chosen options the page cannot know by itself (autocomplete selects).
    labels = models.JSONField(default=dict, blank=True)
    # The version of the article the form was opened at: restored with the fields, so a
    # save from the restored form still meets the stale-save check.
    base_version = models.PositiveIntegerField(null=True, blank=True)
    saved_at = models.DateTimeField(default=timezone.now)

    objects = AutosaveQuerySet.as_manager()

    DRAFT_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")

    class Meta:
        verbose_name = _("autosave")
        verbose_name_plural = _("autosaves")
        constraints = [
            models.UniqueConstraint(fields=["user", "form_key"], name="unique_autosave_per_form"),
        ]

    def __str__(self):
        return f"autosave of {self.form_key} by {self.user_id}"

    @staticmethod
    def form_key_for(article=None, draft_key=""):
        if article is not None:
            return f"article-{article.pk}"
        return f"new-{draft_key}"

    @property
    def draft_key(self):
        return self.form_key.removeprefix("new-") if self.article_id is None else ""

    def values(self, name):
        return [value for field, value in self.fields if field == name]
