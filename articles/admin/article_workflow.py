"""The editorial workflow's part of the article admin (list, permissions, transitions).

ArticleAdmin in `articles/admin.py` mixes this in; the form layout lives there. Everything
here is enforced on the server: a button that is not shown is also refused when POSTed.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import revisions, search, tasks, workflow
from ..models import Article, ArticleEvent, Byline, Correction, EditingSession, InternalNote
from ..newsroom_time import NewsroomDateTimeField, describe, relative_to_now
from . import autosave
from . import views as admin_views
from .labels import LabelledTabularInline
from .status import leave_editing_session, state_badge, touch_editing_session

Status = Article.Status
TIMED_FIELDS = ["embargo_until", "expires_at"]
EDITOR_ONLY_FIELDS = ["embargo_until", "expires_at", "featured"]
WORKFLOW_FORM_FIELDS = {"base_version", "seen_version", "substantive_update"}
# What a stale save merges field by field; bylines, sources and notes are inline rows, and
# Django's formsets already write only the rows a person changed.
MERGED_FIELDS = [*revisions.CONTENT_FIELDS, *revisions.TIMED_FIELDS, "tags"]


# List filters ---------------------------------------------------------------------------------


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("draft", _("Draft")),
            ("returned", _("Returned to writer")),
            ("in_review", _("Awaiting review (oldest first)")),
            ("scheduled", _("Scheduled")),
            ("live", _("Live")),
            ("expired", _("Expired")),
            ("withdrawn", _("Withdrawn")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "draft":
                return queryset.filter(status=Status.DRAFT)
            case "returned":
                # Only stories ever sent back can have been sent back last: read from the
                # "return" events first (an index), not from every draft's last event.
                returned = ArticleEvent.objects.filter(action=workflow.RETURN)
                return queryset.filter(
                    status=Status.DRAFT,
                    pk__in=returned.values("article_id"),
                    last_action=workflow.RETURN,
                )
            case "in_review":
                return queryset.filter(status=Status.IN_REVIEW)
            case "scheduled":
                return queryset.filter(pk__in=Article.objects.scheduled(now).values("pk"))
            case "live":
                return queryset.filter(pk__in=Article.objects.published(now).values("pk"))
            case "expired":
                return queryset.filter(status=Status.PUBLISHED, expires_at__lte=now)
            case "withdrawn":
                return queryset.filter(status=Status.WITHDRAWN)
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("Mine (created or on the byline)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return workflow.mine(queryset, request.user)
        return queryset


class EmbargoFilter(admin.SimpleListFilter):
    title = _("embargo")
    parameter_name = "embargo"

    def lookups(self, request, model_admin):
        return [("now", _("Under embargo now")), ("any", _("Has an embargo"))]

    def queryset(self, request, queryset):
        if self.value() == "now":
            return queryset.filter(embargo_until__gt=timezone.now())
        if self.value() == "any":
            return queryset.filter(embargo_until__isnull=False)
        return queryset


class AuthorFilter(admin.SimpleListFilter):
    title = _("author")
    parameter_name = "author"

    def lookups(self, request, model_admin):
        from authors.models import Author

        # One index probe per author (a few hundred), not a DISTINCT over every byline.
        credited = Author.objects.filter(Exists(Byline.objects.filter(author=OuterRef("pk"))))
        return [(str(pk), name) for pk, name in credited.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                pk__in=Article.objects.filter(bylines__author_id=self.value()).values("pk")
            )
        return queryset


# Inline -----------------------------------------------------------------------------------


class InternalNoteInline(LabelledTabularInline):
    """Newsroom-only notes: who wrote what, when. Never shown on the public site."""

    model = InternalNote
    extra = 1
    fields = ["text", "author", "written"]
    readonly_fields = ["author", "written"]
    verbose_name_plural = _("internal notes (never public)")
    formfield_overrides = {}

    @admin.display(description=_("written"))
    def written(self, note):
        # The admin's one way of writing a time; the empty row for a new note has none yet.
        return describe(note.created_at, relative=False) if note.pk else "—"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 80})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# The form additions ---------------------------------------------------------------------------


def workflow_form(base, *, request, obj):
    """``base`` plus optimistic locking, the "substantive update" tick and zone-aware times."""

    class WorkflowForm(base):
        # The version the form was opened at, and the newer one a refused save has shown.
        base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
        seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
        substantive_update = forms.BooleanField(
            label=_("Substantive update"),
            required=False,
            help_text=_(
                "Tick when the story changed in substance: readers then see a new "
                "“Updated” time. Typo fixes leave it alone."
            ),
        )

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.conflict = None
            self.locked_version = None
            self.carried, self.merged_with = [], ""
            for name in TIMED_FIELDS:
                field = self.fields.get(name)
                if field is not None and not isinstance(field, NewsroomDateTimeField):
                    self.fields[name] = NewsroomDateTimeField(
                        label=field.label, required=False, help_text=field.help_text
                    )
            if self.instance.pk:
                self.fields["base_version"].initial = self.instance.version

        def clean(self):
            cleaned = super().clean()
            if self.instance.pk:
                # Inside the admin's transaction: the lock holds until this save commits.
                current = Article.objects.select_for_update().filter(pk=self.instance.pk).first()
                self.locked_version = current.version if current else None
                base_version = cleaned.get("base_version")
                if base_version is not None and current and base_version != current.version:
                    self.merge_with(current, cleaned, base_version=base_version)
            return cleaned

        def merge_with(self, current, cleaned, *, base_version):
            """Someone saved after this form was opened: never overwrite their work silently.

            The first time, the save is refused and their changes are shown. Saved again
            (having seen them), each field takes the side that changed it; a field both
            changed takes the side the person chose, and without a choice it is refused again.
            """
            base = revisions.revision_for_version(current, base_version)
            names = [n for n in MERGED_FIELDS if n in self.fields and n in cleaned]
            choices = {n: self.data.get(f"resolve_{n}") for n in names}
            taken, conflicts = revisions.merge(
                names,
                base={n: revisions.revision_value(base, n) for n in names} if base else None,
                theirs={n: revisions.article_value(current, n) for n in names},
                mine=cleaned,
                choices=choices,
            )
            seen = cleaned.get("seen_version") == current.version
            if not seen or conflicts:
                self.conflict = admin_views.describe_conflict(
                    current,
                    base_version=base_version,
                    current_version=current.version,
                    both_changed=[(n, self.fields[n].label, cleaned[n]) for n in conflicts],
                    again=seen,
                )
                raise ValidationError(self.conflict["message"], code="stale")
            for name, side in taken.items():
                if side == revisions.THEIRS:
                    cleaned[name] = revisions.article_value(current, name)
                    self.carried.append(self.fields[name].label)
            self.merged_with = admin_views.who_saved(current)[0]

        def ambiguous_times(self):
            return [
                (self.fields[name].label, self.fields[name].ambiguous_choice)
                for name in TIMED_FIELDS
                if name in self.fields and getattr(self.fields[name], "ambiguous_choice", None)
            ]

    WorkflowForm.__name__ = base.__name__
    return WorkflowForm


class CappedCountPaginator(Paginator):
    """Counts the matching articles only up to ``cap``: counting every story that matches a
    common word means reading all of them (a third of a million-story archive). Beyond the
    cap the list says so (`count_is_capped`) and pages stop there."""

    cap = 10_000

    @cached_property
    def count(self):
        found = self.object_list.order_by()[: self.cap + 1].count()
        self.count_is_capped = found > self.cap
        return min(found, self.cap)

    count_is_capped = False

    @property
    def cap_display(self):
        return number_format(self.cap, force_grouping=True)


# The mixin ------------------------------------------------------------------------------------


class ArticleWorkflowAdminMixin:
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    change_form_template = "admin/articles/article/change_form.html"
    change_list_template = "admin/articles/article/change_list.html"
    actions = ["bulk_submit", "bulk_publish", "bulk_withdraw"]

    # The list ---------------------------------------------------------------------------------

    def get_list_display(self, request):
        return ["headline", "section", "byline", "state_badge", "last_change"]

    def get_list_display_links(self, request, list_display):
        return ["headline"]

    def get_list_filter(self, request):
        return [StateFilter, "section", AuthorFilter, MineFilter, EmbargoFilter]

    def get_search_fields(self, request):
        return ["headline", "dek", "body"]

    def get_search_results(self, request, queryset, search_term):
        # Word prefixes through the full-text index, not a substring scan of every body.
        return search.editor_search(queryset, search_term), False

    def get_queryset(self, request):
        # Not super(): each row's `last_action` is annotated first (the state badge and the
        # "returned" filter read it).
        queryset = workflow.annotate(
            self.model._default_manager.get_queryset().select_related("section", "modified_by")
        ).prefetch_related("bylines__author")
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        if request.GET.get("state") == "in_review":
            # The review queue: whoever has waited longest comes first.
            return ["submitted_at", "pk"]
        return ["-modified_at", "-pk"]

    @admin.display(description=_("byline"))
    def byline(self, obj):
        return ", ".join(b.author.name for b in obj.bylines.all()) or "—"

    @admin.display(description=_("last change"), ordering="modified_at")
    def last_change(self, obj):
        # When and who in one column: the list fits a laptop screen without scrolling sideways.
        user = obj.modified_by
        return format_html(
            '<time datetime="{}" title="{}">{}</time><small class="nr-detail">{}</small>',
            obj.modified_at.isoformat(timespec="seconds"),
            describe(obj.modified_at, relative=False),
            relative_to_now(obj.modified_at),
            (user.get_full_name() or user.get_username()) if user else "—",
        )

    @admin.display(description=_("status"), ordering="status")
    def state_badge(self, obj):
        return state_badge(obj)

    # Permissions ------------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return workflow.can_edit(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        # A story readers have seen is withdrawn, never deleted: its URL must answer 410.
        return obj.first_published_at is None and workflow.can_edit(request.user, obj)

    def has_publish_permission(self, request):
        return workflow.can_publish(request.user)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not workflow.can_publish(request.user):
            readonly += [f for f in EDITOR_ONLY_FIELDS if f not in readonly]
        return readonly

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is not None and InternalNoteInline not in inlines:
            inlines.append(InternalNoteInline)
        return inlines

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return workflow_form(form, request=request, obj=obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # The two workflow fields are drawn by the change form template, not in a fieldset.
        return [
            (
                name,
                {
                    **opts,
                    "fields": _without(opts["fields"], WORKFLOW_FORM_FIELDS),
                },
            )
            for name, opts in fieldsets
        ]

    # Saving -----------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        now = timezone.now()
        if not change:
            obj.created_by = request.user
            obj.status = Status.DRAFT
        obj.modified_by = request.user
        if change and form.locked_version is not None:
            obj.version = form.locked_version + 1
        if (
            change
            and form.cleaned_data.get("substantive_update")
            and workflow.has_gone_live(obj, now)
        ):
            obj.updated_at = now
        if (
            obj.status == Status.PUBLISHED
            and not workflow.has_gone_live(obj, now)
            and obj.publish_at
        ):
            # A changed embargo moves a not-yet-live story's first publication with it.
            obj.first_published_at = obj.go_live_at
        super().save_model(request, obj, form, change)
        if form.carried:
            messages.info(
                request,
                gettext("Saved together with %(name)s’s changes: their %(fields)s kept.")
                % {"name": form.merged_with, "fields": ", ".join(f"“{f}”" for f in form.carried)},
            )
        for label, choice in form.ambiguous_times():
            messages.info(
                request,
                gettext("%(field)s: that time happens twice; it was read as %(choice)s.")
                % {"field": label, "choice": choice},
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is InternalNote:
            for note_form in formset.forms:
                if note_form.instance.pk is None and note_form.has_changed():
                    note_form.instance.author = request.user
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        if not change and not obj.bylines.exists():
            profile = getattr(request.user, "author_profile", None)
            if profile is not None:
                obj.bylines.create(author=profile)
        new_corrections = [
            f for formset in formsets if formset.model is Correction for f in formset.new_objects
        ]
        if change and new_corrections and workflow.has_gone_live(obj, timezone.now()):
            # A correction is a public, dated change: readers see a new "Updated" time.
            obj.updated_at = timezone.now()
            obj.save(update_fields=["updated_at"])
        # After the inlines, so the snapshot includes bylines, tags and sources.
        revisions.store(obj, by=request.user)
        tasks.after_save(obj, version=obj.version, corrected=bool(new_corrections))
        autosave.forget(request, obj, added=not change)
        if "_continue" in request.POST:
            EditingSession.objects.filter(article=obj, user=request.user).update(
                last_seen=timezone.now()
            )
        else:
            # Saved and left the form: nobody should be told they are still editing.
            leave_editing_session(obj, request.user)

    # Views ------------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            obj = self.get_object(request, object_id)
            if obj is not None and self.has_change_permission(request, obj):
                touch_editing_session(obj, request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["workflow"] = admin_views.change_form_context(
            self, request, obj, context.get("adminform")
        )
        context["autosave"] = autosave.form_context(self, request, context, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        return admin_views.history(request, self, object_id)

    def get_urls(self):
        def wrap(view):
            def wrapper(request, *args, **kwargs):
                return view(request, self, *args, **kwargs)

            return self.admin_site.admin_view(wrapper)

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = [
            ("calendar/", wrap(admin_views.calendar), "calendar"),
            ("calendar/reset-feed/", wrap(admin_views.reset_calendar_token), "calendar_reset"),
            # No login: calendar apps fetch it with the secret token instead of a session.
            ("calendar/feed/<str:token>.ics", admin_views.calendar_feed, "calendar_feed"),
            (
                "<path:object_id>/transition/<str:action>/",
                wrap(admin_views.transition),
                "transition",
            ),
            (
                "<path:object_id>/revisions/<int:number>/",
                wrap(admin_views.revision_diff),
                "revision",
            ),
            (
                "<path:object_id>/revisions/<int:number>/restore/",
                wrap(admin_views.restore),
                "restore",
            ),
            ("<path:object_id>/editing/", wrap(admin_views.editing), "editing"),
            ("<path:object_id>/preview/", wrap(admin_views.preview), "preview"),
            ("<path:object_id>/share/", wrap(admin_views.share_links), "share"),
        ]
        return [
            *(path(route, view, name=f"{prefix}_{name}") for route, view, name in views),
            *autosave.urls(self, wrap),
            *super().get_urls(),
        ]

    # Bulk actions -----------------------------------------------------------------------------

    @admin.action(description=_("Submit selected articles for review"))
    def bulk_submit(self, request, queryset):
        self._bulk(request, queryset, workflow.SUBMIT)

    @admin.action(description=_("Publish selected articles now"), permissions=["publish"])
    def bulk_publish(self, request, queryset):
        self._bulk(request, queryset, workflow.PUBLISH)

    @admin.action(description=_("Withdraw selected articles…"), permissions=["publish"])
    def bulk_withdraw(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("confirm") and reason:
            self._bulk(request, queryset, workflow.WITHDRAW, note=reason)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Withdraw articles"),
            "articles": queryset,
            "reason": reason,
            "missing_reason": bool(request.POST.get("confirm")),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/articles/article/bulk_withdraw.html", context)

    def _bulk(self, request, queryset, action, note=""):
        for article in queryset:
            try:
                workflow.perform(action, article, by=request.user, note=note)
            except workflow.WorkflowError as exc:
                self.message_user(
                    request,
                    format_html("“{}”: {}", article.headline, str(exc)),
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    format_html("“{}”: {}", article.headline, workflow.DONE_MESSAGES[action]),
                    messages.SUCCESS,
                )


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def _without(fields, names):
    result = []
    for item in fields:
        if isinstance(item, (list, tuple)):
            kept = [f for f in item if f not in names]
            if kept:
                result.append(type(item)(kept))
        elif item not in names:
            result.append(item)
    return result
