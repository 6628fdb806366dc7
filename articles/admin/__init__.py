"""The newsroom's workplace: writing articles, and the things articles are made of.

The article form's layout lives here; the workflow (list, permissions, transitions) is mixed
in from `articles/admin/article_workflow.py`.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from taggit.admin import TagAdmin as TaggitTagAdmin
from taggit.models import Tag

from ..forms import ArticleForm, ImageForm
from ..models import (
    Article,
    ArticleSource,
    Byline,
    Correction,
    Image,
    RelatedArticle,
    Section,
    Source,
)
from ..newsroom_time import describe
from ..sanitize import sanitize_body
from ..workflow import can_publish
from . import views as admin_views
from .article_workflow import ArticleWorkflowAdminMixin
from .media_library import MediaLibraryAdminMixin, MediaLibraryFieldsMixin

AUTHORING_MEDIA_CSS = {"all": ["articles/admin/authoring.css"]}

# The workplace carries the newsroom's name, not the framework's.
admin.site.site_header = format_lazy(_("{name} newsroom"), name=settings.NEWSROOM_SITE["name"])
admin.site.site_title = admin.site.site_header
admin.site.index_title = _("Today in the newsroom")
ARTICLE_LIST_LIMIT = 50


def article_links(articles, *, limit=ARTICLE_LIST_LIMIT):
    """A short list of links to articles' admin pages, for "used by" panels."""
    articles = list(articles[: limit + 1])
    if not articles:
        return gettext("No articles.")
    shown = format_html_join(
        "",
        '<li><a href="{}">{}</a> <span class="quiet">({})</span></li>',
        (
            (
                reverse("admin:articles_article_change", args=[a.pk]),
                a.headline,
                a.get_status_display(),
            )
            for a in articles[:limit]
        ),
    )
    more = format_html("<li>{}</li>", gettext("… and more")) if len(articles) > limit else ""
    return format_html('<ul class="newsroom-used-by">{}{}</ul>', shown, more)


class ProtectedShowsArticlesMixin:
    """Refuse deleting what articles use, naming the articles rather than their parts.

    Django's PROTECT already stops the delete (one object or the bulk action); this only
    turns "Byline: written by Ana Lee" into the article's headline in the refusal.
    """

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            articles = Article.objects.filter(pk__in=self.protected_article_ids(objs))
            protected = [
                format_html(
                    '{}: <a href="{}">{}</a>',
                    gettext("Article"),
                    reverse("admin:articles_article_change", args=[a.pk]),
                    a.headline,
                )
                for a in articles.order_by("headline")
            ] or protected
            # Protected articles must be named, not hidden behind "you may not delete
            # articles": the delete is refused either way while anything is protected.
            perms_needed = set()
        return to_delete, model_count, perms_needed, protected

    def protected_article_ids(self, objs):
        raise NotImplementedError


# Sections, sources, tags ------------------------------------------------------------------------


@admin.register(Section)
class SectionAdmin(ProtectedShowsArticlesMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "position", "article_count"]
    list_editable = ["position"]
    ordering = ["position", "name"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "description"]
    readonly_fields = ["articles_using"]
    fields = ["name", "slug", "description", "position", "articles_using"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj):
        return obj.article_count

    @admin.display(description=_("articles in this section"))
    def articles_using(self, obj):
        return article_links(obj.articles.order_by("-modified_at")) if obj.pk else "—"

    def protected_article_ids(self, objs):
        return Article.objects.filter(section__in=objs).values("pk")


@admin.register(Source)
class SourceAdmin(ProtectedShowsArticlesMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "homepage_url", "article_count"]
    list_filter = ["kind"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug", "description"]
    readonly_fields = ["articles_using"]
    fields = ["name", "slug", "kind", "homepage_url", "description", "articles_using"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(article_count=Count("article_sources__article", distinct=True))
        )

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj):
        return obj.article_count

    @admin.display(description=_("articles from or citing this source"))
    def articles_using(self, obj):
        if not obj.pk:
            return "—"
        return article_links(
            Article.objects.filter(article_sources__source=obj).distinct().order_by("-modified_at")
        )

    def protected_article_ids(self, objs):
        return ArticleSource.objects.filter(source__in=objs).values("article_id")


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(TaggitTagAdmin):
    inlines = []
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name", "slug"]
    readonly_fields = ["articles_using"]
    fields = ["name", "slug", "articles_using"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(article_count=Count("taggit_taggeditem_items", distinct=True))
        )

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj):
        return obj.article_count

    @admin.display(description=_("articles with this tag"))
    def articles_using(self, obj):
        if not obj.pk:
            return "—"
        return article_links(Article.objects.filter(tags=obj).order_by("-modified_at"))


# Images -------------------------------------------------------------------------------------------


def image_thumbnail(image, width=160):
    if not image or not image.file:
        return "—"
    rendition = image.rendition("original", 480)
    url = rendition.url if rendition else image.file.url
    return format_html(
        '<img src="{}" alt="{}" width="{}" class="newsroom-thumb" loading="lazy">',
        url,
        image.alt_text,
        width,
    )


@admin.register(Image)
class ImageAdmin(MediaLibraryAdminMixin, ProtectedShowsArticlesMixin, admin.ModelAdmin):
    form = ImageForm
    list_display = ["thumbnail", "alt_text", "credit", "dimensions", "article_count", "uploaded"]
    list_display_links = ["thumbnail", "alt_text"]
    search_fields = ["alt_text", "caption", "credit", "copyright"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = ["preview", "dimensions", "uploaded_by", "articles_using"]
    fieldsets = [
        (None, {"fields": ["preview", "file", "alt_text", "caption", "credit", "copyright"]}),
        (
            _("Crop"),
            {
                "fields": [("focal_x", "focal_y")],
                "description": _(
                    "The point that stays in view when the picture is cropped for cards and "
                    "social media. Click the preview to set it."
                ),
            },
        ),
        (_("About this file"), {"fields": ["dimensions", "uploaded_by", "articles_using"]}),
    ]

    class Media:
        css = AUTHORING_MEDIA_CSS
        js = ["articles/admin/focal-point.js"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(article_count=Count("lead_for", distinct=True))
        )

    @admin.display(description=_("picture"))
    def thumbnail(self, obj):
        return image_thumbnail(obj, width=96)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.pk:
            return gettext("The picture appears here once it is uploaded.")
        return format_html(
            '<span class="newsroom-focal" title="{}">{}<span class="newsroom-focal-marker">'
            "</span></span>",
            gettext("Click to set the focal point"),
            image_thumbnail(obj, width=480),
        )

    @admin.display(description=_("uploaded"), ordering="created_at")
    def uploaded(self, obj):
        return describe(obj.created_at, relative=False)

    @admin.display(description=_("size"))
    def dimensions(self, obj):
        return f"{obj.width} × {obj.height}" if obj.width else "—"

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj):
        return obj.article_count

    @admin.display(description=_("lead image of"))
    def articles_using(self, obj):
        return article_links(obj.lead_for.order_by("-modified_at")) if obj.pk else "—"

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return self.fieldsets
        # Nothing to preview or count before the upload, so the crop hint promises no preview.
        return [
            (None, {"fields": ["file", "alt_text", "caption", "credit", "copyright"]}),
            (
                _("Crop"),
                {
                    "fields": [("focal_x", "focal_y")],
                    "description": _(
                        "The point that stays in view when the picture is cropped for cards "
                        "and social media, from 0 to 1 across and down (0.5 is the middle). "
                        "Once the picture is saved you can click its preview to set it."
                    ),
                },
            ),
        ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)

    def protected_article_ids(self, objs):
        return Article.objects.filter(lead_image__in=objs).values("pk")


# Articles -----------------------------------------------------------------------------------------


class OrderedRowForm(forms.ModelForm):
    """An inline row whose place in its list is a hidden ``position`` kept by the page's script
    (article-form-order.js) as rows are dragged or moved with the keyboard."""

    def has_changed(self):
        # Renumbering gives an untouched new row a position: that alone is not a row to save.
        if self.instance.pk is None:
            return any(name != "position" for name in self.changed_data)
        return super().has_changed()


class OrderedInline(admin.StackedInline):
    """Rows ordered by dragging (or by keyboard) in the form's side panel; no numbers shown."""

    form = OrderedRowForm
    template = "admin/articles/article/ordered_inline.html"
    extra = 0
    in_side_panel = True
    open_in_panel = False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "position":
            kwargs["widget"] = forms.HiddenInput
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(getattr(formfield, "widget", None), RelatedFieldWidgetWrapper):
            # A narrow row keeps room for the name: only "add" (a guest writer, a new
            # outlet) belongs to writing; editing or deleting an author is done elsewhere.
            formfield.widget.can_change_related = False
            formfield.widget.can_delete_related = False
            formfield.widget.can_view_related = False
        return formfield


class BylineInline(OrderedInline):
    model = Byline
    autocomplete_fields = ["author"]
    fields = [("author", "role"), "position"]
    verbose_name_plural = _("byline")
    open_in_panel = True
    panel_after = "nr-after-section"

    def get_extra(self, request, obj=None, **kwargs):
        # A new article starts with its writer on the byline (see get_formset_kwargs).
        if obj is None and getattr(request.user, "author_profile", None) is not None:
            return 1
        return 0


class ArticleSourceInline(OrderedInline):
    model = ArticleSource
    autocomplete_fields = ["source"]
    fields = [("source", "relation"), "original_url", "original_headline", "note", "position"]
    classes = ["newsroom-sources"]
    open_in_panel = True
    panel_after = "nr-after-image"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "original_url":
            # A plain address box: the admin's URL widget adds "Currently: <link> Change:".
            kwargs["widget"] = forms.URLInput(attrs={"placeholder": "https://"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class RelatedArticleInline(OrderedInline):
    model = RelatedArticle
    fk_name = "article"
    fields = ["related", "position"]
    panel_after = "nr-after-image"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "related":
            # Autocomplete searches with the article admin's get_search_fields().
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CorrectionInline(admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["kind", "text", "created_at"]
    classes = ["collapse"]


@admin.register(Article)
class ArticleAdmin(MediaLibraryFieldsMixin, ArticleWorkflowAdminMixin, admin.ModelAdmin):
    form = ArticleForm
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section"]
    readonly_fields = ["word_count", "reading_time", "body_as_read", "lead_story"]
    inlines = [BylineInline, ArticleSourceInline, RelatedArticleInline, CorrectionInline]
    # The writing column holds the fieldset marked "newsroom-writing"; every other fieldset is a
    # group of the side panel, in this order, with the inlines whose `panel_after` names it
    # right after it (change_form.html).
    fieldsets = [
        (None, {"fields": ["headline", "dek", "body"], "classes": ["newsroom-writing"]}),
        (
            _("Section and tags"),
            {"fields": ["section", "tags", "kicker", "featured"], "classes": ["nr-after-section"]},
        ),
        (
            _("Lead image"),
            {"fields": ["lead_image", "lead_image_caption"], "classes": ["nr-after-image"]},
        ),
        (
            _("Embargo and expiry"),
            {"fields": ["embargo_until", "expires_at"], "classes": ["collapse"]},
        ),
        (
            _("Search engines and sharing"),
            {
                "fields": ["seo_title", "meta_description", "canonical_url", "noindex"],
                "classes": ["collapse"],
            },
        ),
        (
            _("Length and address"),
            {"fields": [("word_count", "reading_time"), "slug"], "classes": ["collapse"]},
        ),
    ]

    class Media:
        css = AUTHORING_MEDIA_CSS
        js = [
            "articles/admin/article-form.js",
            "articles/admin/article-form-order.js",
            "articles/admin/widget-labels.js",
        ]

    @admin.display(description=_("body"))
    def body_as_read(self, obj):
        # Someone who may only read the story sees it as text, not as its HTML source.
        body = mark_safe(sanitize_body(obj.body))  # noqa: S308 - reduced to the allowlist
        return format_html('<div class="newsroom-body-read">{}</div>', body)

    @admin.display(description=_("lead story"))
    def lead_story(self, obj):
        # What a journalist sees in place of the editors' tick box: words, not a red cross.
        if obj is not None and obj.featured:
            return gettext("Yes: this is the home page's lead story.")
        return gettext("Editors choose the home page's lead story.")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not can_publish(request.user):
            fieldsets = [
                (
                    name,
                    {
                        **opts,
                        "fields": ["lead_story" if f == "featured" else f for f in opts["fields"]],
                    },
                )
                for name, opts in fieldsets
            ]
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (
                name,
                {**opts, "fields": ["body_as_read" if f == "body" else f for f in opts["fields"]]},
            )
            for name, opts in fieldsets
        ]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        profile = getattr(request.user, "author_profile", None)
        # Only on the empty form: on a POST, an untouched initial row must still count as data.
        if (
            isinstance(inline, BylineInline)
            and obj._state.adding
            and request.method == "GET"
            and profile is not None
        ):
            kwargs["initial"] = [
                {"author": profile.pk, "role": Byline.Role.WRITTEN_BY, "position": 0}
            ]
        return kwargs

    # A workflow button in the action bar saves first, then opens that step.
    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        return admin_views.after_save_step(request, self, obj) or response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        return admin_views.after_save_step(request, self, obj) or response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if adjusted := getattr(form, "slug_adjusted", None):
            wanted, given = adjusted
            messages.info(
                request,
                gettext(
                    "Another article already uses the address “%(wanted)s”, so this one is "
                    "“%(given)s”. You can change it under “Length and address”."
                )
                % {"wanted": wanted, "given": given},
            )


from . import frontpage  # noqa: E402, F401 - registers the front page screen
