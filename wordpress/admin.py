from django import forms
from django.contrib import admin
from django.db import transaction
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import ImportRun, OldAddress
from .tasks import run_import

# An export uploaded in the admin is kept in the database until the task has read it; a
# larger site uses `manage.py import_wordpress`, which streams a file of any size.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def may_import(user):
    # An import publishes stories: besides the model's permission (the Editor group has it),
    # only those who may publish may start one.
    return user.is_active and user.has_perm("articles.publish_article")


class ImportRunForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("WordPress export"),
        help_text=_(
            "The file WordPress writes in Tools → Export (All content). At most %(size)s; "
            "for a larger site, or to bring in the pictures, use manage.py import_wordpress."
        )
        % {"size": filesizeformat(MAX_UPLOAD_BYTES)},
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,text/xml,application/xml"}),
    )

    class Meta:
        model = ImportRun
        fields = []

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("This file is %(size)s; at most %(max)s can be uploaded here.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        head = upload.read(1024).lstrip()
        upload.seek(0)
        if not head.startswith(b"<"):
            raise forms.ValidationError(
                _("This is not an XML file. Upload the .xml file WordPress's export wrote.")
            )
        return upload


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    form = ImportRunForm
    list_display = ["file_name", "state", "progress", "created_by", "created_at", "finished_at"]
    list_filter = ["state"]
    readonly_fields = [
        "file_name",
        "state",
        "progress",
        "report_lines",
        "error",
        "created_by",
        "created_at",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and may_import(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.state != ImportRun.State.RUNNING
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["upload"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "title": _("Import from WordPress")}
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        running = run is not None and run.state in {ImportRun.State.QUEUED, ImportRun.State.RUNNING}
        extra_context = {**(extra_context or {}), "refresh_seconds": 2 if running else None}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data["upload"]
        obj.file_name = upload.name[:255]
        obj.export = upload.read()
        obj.created_by = request.user
        obj.save()
        transaction.on_commit(lambda: run_import.enqueue(obj.pk))

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("admin:wordpress_importrun_change", args=[obj.pk]))

    @admin.display(description=_("progress"))
    def progress(self, obj):
        if not obj.posts_total:
            return "—"
        return format_html(
            '<progress value="{}" max="{}"></progress> {} / {}',
            obj.posts_done,
            obj.posts_total,
            obj.posts_done,
            obj.posts_total,
        )

    @admin.display(description=_("report"))
    def report_lines(self, obj):
        lines = (obj.report or {}).get("lines") or []
        if not lines:
            return "—"
        return format_html(
            '<div style="white-space: pre-wrap">{}</div>',
            format_html_join("\n", "{}", ((line,) for line in lines)),
        )


@admin.register(OldAddress)
class OldAddressAdmin(admin.ModelAdmin):
    list_display = ["path", "article", "section", "tag", "site"]
    search_fields = ["path"]
    list_select_related = ["article", "section", "tag", "site"]
    readonly_fields = ["site", "path", "article", "section", "tag"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
