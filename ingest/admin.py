"""Ingest in the admin: sources for editors, and the wire desk (incoming items) for everyone."""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from articles import revisions
from articles.workflow import WorkflowError

from . import polling, tasks
from .drafts import can_write_from, write_story
from .models import IncomingItem, IngestSource, StoryFromItem


def _int_or_404(value):
    if not str(value).isdigit():
        raise Http404
    return int(value)


class IngestSourceForm(forms.ModelForm):
    class Meta:
        model = IngestSource
        fields = [
            "name",
            "slug",
            "outlet",
            "kind",
            "active",
            "arrival",
            "url",
            "interval_minutes",
            "relation",
            "drop_lines",
            "default_section",
            "default_tags",
            "expiry_days",
        ]

    def clean_drop_lines(self):
        value = self.cleaned_data["drop_lines"]
        for line in value.splitlines():
            line = line.strip()
            if len(line) > 2 and line.startswith("/") and line.endswith("/"):
                try:
                    re.compile(line[1:-1])
                except re.error as exc:
                    raise forms.ValidationError(
                        _("“%(line)s” is not a valid regular expression: %(error)s"),
                        params={"line": line, "error": exc},
                    ) from exc
        return value

    def clean(self):
        data = super().clean()
        if data.get("arrival") == IngestSource.Arrival.POLL and not data.get("url"):
            self.add_error("url", _("A polled source needs its feed URL."))
        return data


@admin.register(IngestSource)
class IngestSourceAdmin(admin.ModelAdmin):
    form = IngestSourceForm
    list_display = ["name", "outlet", "kind", "arrival", "active", "last_delivery_at", "health"]
    list_filter = ["active", "kind", "arrival"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["outlet"]
    actions = ["new_push_token", "poll_now"]
    readonly_fields = [
        "push_address",
        "last_error_shown",
        "last_error_at",
        "failures",
        "last_polled_at",
        "next_poll_at",
        "last_delivery_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "outlet", "kind", "active"]}),
        (
            _("Arrival"),
            {"fields": ["arrival", "url", "interval_minutes", "push_address"]},
        ),
        (
            _("Stories made from it"),
            {
                "fields": [
                    "relation",
                    "drop_lines",
                    "default_section",
                    "default_tags",
                    "expiry_days",
                ]
            },
        ),
        (
            _("Health"),
            {
                "fields": [
                    "last_error_shown",
                    "last_error_at",
                    "failures",
                    "last_polled_at",
                    "next_poll_at",
                    "last_delivery_at",
                ]
            },
        ),
    ]

    @admin.display(description=_("health"))
    def health(self, obj):
        if obj.last_error:
            return format_html(
                '<span title="{}">⚠ {}</span>', obj.last_error, Truncator(obj.last_error).chars(60)
            )
        return "✓"

    @admin.display(description=_("last error"))
    def last_error_shown(self, obj):
        if not obj.last_error:
            return _("None")
        return format_html('<strong class="errornote">{}</strong>', obj.last_error)

    @admin.display(description=_("push address"))
    def push_address(self, obj):
        if not obj.pk:
            return _("Save the source first.")
        if obj.arrival != IngestSource.Arrival.PUSH:
            return "—"
        token_note = (
            _("A token is set (only its hash is kept).")
            if obj.token_hash
            else _("No token yet: use the “Make a new push token” action.")
        )
        return format_html("<code>POST {}</code><br>{}", obj.push_path(), token_note)

    def save_model(self, request, obj, form, change):
        fresh_token = None
        if obj.arrival == IngestSource.Arrival.PUSH and not obj.token_hash:
            fresh_token = obj.new_token()
        if obj.arrival == IngestSource.Arrival.POLL and obj.active:
            obj.next_poll_at = timezone.now()  # poll soon after any edit; older tasks go stale
        super().save_model(request, obj, form, change)
        tasks.wake(obj)
        if fresh_token:
            self._show_token(request, obj, fresh_token)

    def _show_token(self, request, obj, token):
        messages.warning(
            request,
            format_html(
                _(
                    "Push token for {name}: <code>{token}</code> — copy it now, it is not "
                    "shown again."
                ),
                name=obj.name,
                token=token,
            ),
        )

    @admin.action(description=_("Make a new push token"), permissions=["change"])
    def new_push_token(self, request, queryset):
        for source in queryset.filter(arrival=IngestSource.Arrival.PUSH):
            token = source.new_token()
            source.save(update_fields=["token_hash"])
            self._show_token(request, source, token)

    @admin.action(description=_("Poll now"), permissions=["change"])
    def poll_now(self, request, queryset):
        for source in queryset.filter(arrival=IngestSource.Arrival.POLL, active=True):
            report = polling.poll(source)
            tasks.wake(source)
            level = messages.ERROR if report.failed else messages.INFO
            self.message_user(request, f"{source.name}: {report.summary()}", level)


class UsedFilter(admin.SimpleListFilter):
    title = _("use")
    parameter_name = "used"

    def lookups(self, request, model_admin):
        return [("no", _("Not used yet")), ("yes", _("Used in a story"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.unused()
        if self.value() == "yes":
            return queryset.filter(used_at__isnull=False)
        return queryset


class UrgencyFilter(admin.SimpleListFilter):
    # Fixed ranges, not Django's distinct-values filter: that one reads the whole table.
    title = _("urgency")
    parameter_name = "urgency"
    RANGES = {"urgent": (1, 2), "normal": (3, 5), "low": (6, 9)}

    def lookups(self, request, model_admin):
        return [
            ("urgent", _("Urgent (1–2)")),
            ("normal", _("Normal (3–5)")),
            ("low", _("Low (6–9)")),
        ]

    def queryset(self, request, queryset):
        if self.value() in self.RANGES:
            return queryset.filter(urgency__range=self.RANGES[self.value()])
        return queryset


@admin.register(IncomingItem)
class IncomingItemAdmin(admin.ModelAdmin):
    """The wire desk: newest copy first, read-only, with "Write a story from this"."""

    # The item cell holds its own link, its source and state (a phone also gets the time and
    # urgency there, instead of their columns), the first lines and the write button.
    list_display = ["item", "arrived", "urgency_shown"]
    list_display_links = None
    list_filter = [UsedFilter, "source", "pub_status", UrgencyFilter]
    search_fields = ["headline", "byline"]
    list_select_related = ["source"]
    list_per_page = 50
    show_full_result_count = False
    actions = None
    change_form_template = "admin/ingest/incomingitem/change_form.html"

    class Media:
        css = {"all": ["ingest/desk.css"]}

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "headline",
                    "source",
                    "state",
                    "urgency_shown",
                    "byline",
                    "subjects_shown",
                    "updated_at",
                    "received_at",
                    "version",
                    "url_shown",
                    "embargoed_until",
                ]
            },
        ),
        (_("Text"), {"fields": ["dek", "preview"]}),
        (_("Stories made from it"), {"fields": ["stories_made"]}),
        (_("Original"), {"fields": ["guid", "raw"], "classes": ["collapse"]}),
    ]
    # Nothing on an incoming item is edited: it is the agency's copy.
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request):
        return super().get_queryset(request).for_desk()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": _("Wire desk: incoming copy, newest first"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Columns ---------------------------------------------------------------------------------

    @admin.display(description=_("incoming item"), ordering="headline")
    def item(self, obj):
        first_lines = obj.dek or strip_tags(obj.body.replace("</p>", "</p> "))
        on_phone = [self.arrived(obj)]
        if obj.urgency is not None:
            on_phone.append(_("urgency %(n)s") % {"n": obj.urgency})
        return format_html(
            '<a class="ingest-headline" href="{}">{}</a>'
            '<span class="ingest-meta">{} · {}<span class="ingest-phone"> · {}</span></span>'
            '<span class="ingest-lines">{}</span>{}',
            reverse("admin:ingest_incomingitem_change", args=[obj.pk]),
            obj.headline,
            obj.source.name,
            self.state(obj),
            " · ".join(on_phone),
            Truncator(" ".join(first_lines.split())).chars(180),
            self.write(obj),
        )

    @admin.display(description=_("last changed"), ordering="updated_at")
    def arrived(self, obj):
        return date_format(timezone.localtime(obj.updated_at), "j M H:i")

    @admin.display(description=_("urgency"), ordering="urgency")
    def urgency_shown(self, obj):
        if obj.urgency is None:
            return "—"
        if obj.urgency <= 2:
            return format_html(
                '<strong class="ingest-urgent">{} {}</strong>', obj.urgency, _("urgent")
            )
        return obj.urgency

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.is_killed:
            return format_html(
                '<strong class="ingest-killed">{}</strong>', obj.get_pub_status_display()
            )
        if obj.embargoed_until and obj.embargoed_until > timezone.now():
            return _("embargoed")
        if obj.used_at:
            return _("used")
        return _("new")

    def write(self, obj):
        if obj.is_killed:
            return ""
        # A button of the changelist's own form (which carries the CSRF token).
        return format_html(
            '<button type="submit" class="button ingest-write" formmethod="post" '
            'formaction="{}">{}</button>',
            reverse("admin:ingest_incomingitem_write", args=[obj.pk]),
            _("Write a story from this"),
        )

    @admin.display(description=_("subjects"))
    def subjects_shown(self, obj):
        return ", ".join(str(s) for s in obj.subjects) or "—"

    @admin.display(description=_("original URL"))
    def url_shown(self, obj):
        if not obj.url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', obj.url, obj.url)

    @admin.display(description=_("preview"))
    def preview(self, obj):
        # The body was cleaned by the editor's sanitiser when it arrived.
        return format_html('<div class="ingest-preview">{}</div>', mark_safe(obj.body))  # noqa: S308

    @admin.display(description=_("drafts and stories"))
    def stories_made(self, obj):
        uses = list(obj.stories.select_related("article", "made_by"))
        if not uses:
            return _("None yet.")
        rows = []
        for use in uses:
            changed = ""
            if use.item_updated:
                changed = format_html(
                    ' — <a href="{}">{}</a>',
                    reverse("admin:ingest_incomingitem_changes", args=[obj.pk, use.article_id]),
                    _("the agency updated this item since: see what changed"),
                )
            rows.append(
                (
                    reverse("admin:articles_article_change", args=[use.article_id]),
                    use.article.headline,
                    use.article.get_status_display(),
                    changed,
                )
            )
        return format_html(
            "<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> ({}){}</li>', rows)
        )

    # Views -----------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/write/", view(self.write_view), name="ingest_incomingitem_write"
            ),
            path(
                "<path:object_id>/changes/<int:article_id>/",
                view(self.changes_view),
                name="ingest_incomingitem_changes",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_write": can_write_from(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def write_view(self, request, object_id):
        if request.method != "POST":
            # Writing is a POST; a reloaded or shared address shows the item instead.
            return HttpResponseRedirect(
                reverse("admin:ingest_incomingitem_change", args=[object_id])
            )
        if not can_write_from(request.user):
            raise PermissionDenied
        item = get_object_or_404(
            IncomingItem.objects.select_related("source__outlet"), pk=_int_or_404(object_id)
        )
        try:
            article = write_story(item, by=request.user)
        except WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:ingest_incomingitem_change", args=[item.pk]))
        self.message_user(
            request,
            _(
                "A draft was made from “%(headline)s”, its source set to “%(relation)s "
                "%(source)s”. Rewrite it here."
            )
            % {
                "headline": item.headline,
                "relation": item.source.get_relation_display(),
                "source": item.source.outlet.name,
            },
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def changes_view(self, request, object_id, article_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        use = get_object_or_404(
            StoryFromItem.objects.select_related("item__source", "article"),
            item_id=_int_or_404(object_id),
            article_id=article_id,
        )
        item = use.item
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "media": self.media,
            "title": _("What the agency changed"),
            "use": use,
            "item": item,
            "article": use.article,
            "headline_diff": revisions.word_diff(use.headline, item.headline),
            "body_diff": revisions.word_diff(
                revisions.readable_text(use.body), revisions.readable_text(item.body)
            ),
            "article_url": reverse("admin:articles_article_change", args=[use.article_id]),
        }
        return TemplateResponse(request, "ingest/admin/changes.html", context)
