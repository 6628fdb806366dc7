"""The media library: choosing, uploading and framing a lead image without leaving the form.

The article form's lead image field opens a <dialog> (`MediaLibraryWidget`) that browses the
Image admin's pictures page by page, uploads new ones (checked and re-encoded by
`articles.images` exactly as the Image admin does) and sets their focal point. Its endpoints
are views of the Image admin (`MediaLibraryAdminMixin.get_urls`), so they answer to the same
permissions: view to browse, add to upload, change to edit a picture's words or focal point.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.forms.renderers import TemplatesSetting
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..forms import ImageForm
from ..models import Article, Image

PAGE_SIZE = 24
USED_BY_LIMIT = 20
SEARCH_MAX_LENGTH = 200
UPLOAD_PREFIX = "library"
DETAIL_PREFIX = "picked"


class LibraryUploadForm(ImageForm):
    """The Image admin's upload form, with words for a dialog rather than a page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages["required"] = _("Choose a picture to upload.")
        self.fields["alt_text"].error_messages["required"] = _(
            "Describe what the picture shows for readers who cannot see it."
        )
        self.fields["alt_text"].widget.attrs.pop("size", None)
        for name in ("focal_x", "focal_y"):
            self.fields[name].widget = forms.HiddenInput()


class LibraryImageForm(ImageForm):
    """A stored picture's words and focal point; its file stays as it is."""

    file = None

    class Meta(ImageForm.Meta):
        fields = ["alt_text", "caption", "credit", "copyright", "focal_x", "focal_y"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alt_text"].widget.attrs.pop("size", None)
        self.fields["alt_text"].error_messages["required"] = _(
            "Describe what the picture shows for readers who cannot see it."
        )
        self.fields["focal_x"].label = _("Focal point across (0 = left, 1 = right)")
        self.fields["focal_y"].label = _("Focal point down (0 = top, 1 = bottom)")
        for name in ("focal_x", "focal_y"):
            self.fields[name].help_text = ""


def lead_use_counts(images):
    """{image pk: how many articles lead with it}, for one page of the library."""
    rows = (
        Article.objects.filter(lead_image__in=[image.pk for image in images])
        .order_by()
        .values("lead_image")
        .annotate(articles=Count("pk"))
    )
    return {row["lead_image"]: row["articles"] for row in rows}


def form_errors(form):
    """{element id: [messages]} for the dialog to show beside each field."""
    return {
        (form[name].auto_id if name in form.fields else f"{form.prefix}-errors"): list(messages)
        for name, messages in form.errors.items()
    }


def detail_html(request, model_admin, image, form=None):
    can_change = model_admin.has_change_permission(request, image)
    if form is None and can_change:
        form = LibraryImageForm(instance=image, prefix=DETAIL_PREFIX)
    used_by = list(
        image.lead_for.only("pk", "headline", "status").order_by("-modified_at")[
            : USED_BY_LIMIT + 1
        ]
    )
    return render_to_string(
        "admin/articles/media_library/detail.html",
        {
            "image": image,
            "form": form if can_change else None,
            "used_by": used_by[:USED_BY_LIMIT],
            "more_used_by": len(used_by) > USED_BY_LIMIT,
            "detail_url": reverse("admin:articles_image_library_detail", args=[image.pk]),
        },
        request=request,
    )


# Views ------------------------------------------------------------------------------------------


def browse(request, model_admin):
    """One page of pictures, newest first, optionally matching a search: an HTML fragment."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    query = " ".join(request.GET.get("q", "").split())[:SEARCH_MAX_LENGTH]
    found = Image.objects.matching(query).for_library()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = lead_use_counts(page.object_list)
    return TemplateResponse(
        request,
        "admin/articles/media_library/results.html",
        {
            "query": query,
            "page": page,
            "items": [(image, counts.get(image.pk, 0)) for image in page.object_list],
            "browse_url": reverse("admin:articles_image_library"),
        },
    )


def detail(request, model_admin, object_id):
    """A picture's preview, words, focal point and the articles it leads; POST saves them."""
    image = get_object_or_404(Image, pk=object_id)
    if not model_admin.has_view_permission(request, image):
        raise PermissionDenied
    if request.method == "GET":
        return JsonResponse({"id": image.pk, "html": detail_html(request, model_admin, image)})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    if not model_admin.has_change_permission(request, image):
        raise PermissionDenied
    form = LibraryImageForm(request.POST, instance=image, prefix=DETAIL_PREFIX)
    if not form.is_valid():
        return JsonResponse({"errors": form_errors(form)}, status=400)
    with transaction.atomic():
        form.save()
    image.refresh_from_db()
    return JsonResponse(
        {
            "id": image.pk,
            "html": detail_html(request, model_admin, image),
            "message": gettext("Saved."),
        }
    )


def upload(request, model_admin):
    """Store an uploaded picture once it is a whole, safe picture with alt text; else say why."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = LibraryUploadForm(request.POST, request.FILES, prefix=UPLOAD_PREFIX)
    if not form.is_valid():
        return JsonResponse({"errors": form_errors(form)}, status=400)
    with transaction.atomic():
        image = form.save(commit=False)
        image.uploaded_by = request.user
        image.save()
    # The renditions were made as the upload committed; the preview should show them.
    image.refresh_from_db()
    return JsonResponse(
        {
            "id": image.pk,
            "html": detail_html(request, model_admin, image),
            "message": gettext("Uploaded. Set the focal point, then use the picture."),
        },
        status=201,
    )


class MediaLibraryAdminMixin:
    """The library's endpoints, as views of the Image admin (and under its permissions)."""

    def get_urls(self):
        def wrap(view):
            def wrapper(request, *args, **kwargs):
                return view(request, self, *args, **kwargs)

            return self.admin_site.admin_view(wrapper)

        return [
            path("library/", wrap(browse), name="articles_image_library"),
            path("library/upload/", wrap(upload), name="articles_image_library_upload"),
            path("library/<int:object_id>/", wrap(detail), name="articles_image_library_detail"),
            *super().get_urls(),
        ]


# The article form's field -----------------------------------------------------------------------


class MediaLibraryWidget(forms.Widget):
    """The chosen picture's thumbnail, buttons to choose or remove it, and the library dialog.

    The dialog is drawn inside a <template>: its search and upload forms cannot sit inside the
    article's <form>, so the script moves it to the end of the page before opening it.
    """

    template_name = "admin/articles/widgets/media_library.html"

    class Media:
        css = {"all": ["articles/admin/media-library.css"]}
        js = ["articles/admin/focal-point.js", "articles/admin/media-library.js"]

    def __init__(self, attrs=None, *, can_upload=False):
        super().__init__(attrs)
        self.can_upload = can_upload

    def render(self, name, value, attrs=None, renderer=None):
        # Drawn by the project's template engine, where the newsroom's admin templates live.
        return super().render(name, value, attrs, renderer=TemplatesSetting())

    def id_for_label(self, id_):
        # The hidden value is not something to label; the dialog's button names itself.
        return None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        image = None
        if value not in (None, ""):
            image = Image.objects.filter(pk=value).first() if str(value).isdigit() else None
        context.update(
            {
                "image": image,
                "can_upload": self.can_upload,
                "upload_form": LibraryUploadForm(prefix=UPLOAD_PREFIX) if self.can_upload else None,
                "browse_url": reverse("admin:articles_image_library"),
                "upload_url": reverse("admin:articles_image_library_upload"),
                "detail_url": reverse("admin:articles_image_library_detail", args=["0"]),
            }
        )
        return context


class LeadImageField(forms.ModelChoiceField):
    """A picture chosen in the library; one without alt text cannot newly lead a story.

    The picture the story already has (``kept_pk``) is let through: an imported story whose
    picture came without alt text must stay editable.
    """

    kept_pk = None

    def validate(self, value):
        super().validate(value)
        if value is not None and value.pk != self.kept_pk and not value.alt_text.strip():
            raise forms.ValidationError(
                _(
                    "This picture has no alt text. Choose it in the media library, describe "
                    "what it shows, and use it again."
                ),
                code="no_alt_text",
            )


class MediaLibraryFieldsMixin:
    """Puts the media library on the article admin's picture fields (`media_library_fields`)."""

    media_library_fields = ("lead_image",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in self.media_library_fields:
            field = form.base_fields.get(name)
            if isinstance(field, LeadImageField) and obj is not None:
                field.kept_pk = getattr(obj, f"{name}_id")
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name not in self.media_library_fields:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        image_admin = self.admin_site.get_model_admin(Image)
        if not image_admin.has_view_permission(request):
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        # Not wrapped in the admin's add/change pop-up links: the dialog does both.
        return db_field.formfield(
            form_class=LeadImageField,
            widget=MediaLibraryWidget(can_upload=image_admin.has_add_permission(request)),
        )
