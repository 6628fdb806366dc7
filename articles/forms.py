"""Admin forms for writing: the article form and the image upload form."""

from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorFormField
from django_prose_editor.widgets import AdminProseEditorWidget
from taggit.forms import TagWidget

from . import images
from .models import Article, Image
from .sanitize import BODY_EDITOR_CONFIG, outside_pictures, sanitize_body
from .slugs import unique_slug

HEADLINE_MAX = Article._meta.get_field("headline").max_length


class TagSuggestionWidget(TagWidget):
    """Comma-separated tags, with existing tags suggested as the journalist types."""

    datalist_id = "newsroom-tag-suggestions"

    class Media:
        js = ["articles/admin/tag-suggestions.js"]

    def __init__(self, attrs=None):
        super().__init__({"size": 60, "autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        query = urlencode({"app_label": "articles", "model_name": "article", "field_name": "tags"})
        attrs = {
            **(attrs or {}),
            "list": self.datalist_id,
            "data-tag-suggestions": f"{reverse('admin:autocomplete')}?{query}",
        }
        return super().get_context(name, value, attrs)

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '{}<datalist id="{}"></datalist>',
            super().render(name, value, attrs, renderer),
            self.datalist_id,
        )


class CountedTextarea(forms.Textarea):
    """A textarea that shows its length against a limit while the person types.

    Nothing is cut: over the limit the count turns red, says by how much, and the browser
    will not send the form (article-form.js); the server says the same if it gets there.
    """

    def __init__(self, attrs=None, *, limit, noun):
        super().__init__(attrs)
        self.limit = limit
        self.noun = noun

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["data-max-length"] = self.limit
        widget_attrs["data-over"] = gettext(OVER_LIMIT) % {
            "noun": self.noun,
            "length": "{length}",
            "max": "{max}",
            "over": "{over}",
        }
        if widget_attrs.get("id"):
            counter = f"{widget_attrs['id']}_length"
            described = widget_attrs.get("aria-describedby", "")
            widget_attrs["aria-describedby"] = f"{described} {counter}".strip()
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        length = len(" ".join(str(value or "").split()))
        element_id = (attrs or {}).get("id") or self.attrs.get("id")
        return format_html(
            '{}<div class="nr-length help" id="{}_length" data-template="{}">{}</div>',
            html,
            element_id or name,
            gettext("{length} of {max} characters"),
            gettext("%(length)d of %(max)d characters") % {"length": length, "max": self.limit},
        )


# One sentence for the browser's count and the server's refusal.
OVER_LIMIT = _(
    "The %(noun)s is %(length)s characters long; the most is %(max)s. "
    "Shorten it by %(over)s characters."
)


class ArticleForm(forms.ModelForm):
    body = ProseEditorFormField(
        label=_("Body"),
        required=False,
        config=BODY_EDITOR_CONFIG,
        sanitize=sanitize_body,
        widget=AdminProseEditorWidget,
    )

    class Meta:
        model = Article
        fields = [
            "headline",
            "dek",
            "body",
            "section",
            "tags",
            "kicker",
            "featured",
            "lead_image",
            "lead_image_caption",
            "slug",
            "embargo_until",
            "expires_at",
            "seo_title",
            "meta_description",
            "canonical_url",
            "noindex",
        ]
        widgets = {
            "headline": CountedTextarea(
                attrs={
                    "rows": 2,
                    "class": "newsroom-headline",
                    "placeholder": _("Headline"),
                    "autofocus": True,
                },
                limit=HEADLINE_MAX,
                noun=_("headline"),
            ),
            "dek": forms.Textarea(
                attrs={
                    "rows": 2,
                    "class": "newsroom-dek",
                    "placeholder": _("One or two sentences under the headline"),
                }
            ),
            "kicker": forms.TextInput(attrs={"placeholder": _("Analysis")}),
            "tags": TagSuggestionWidget(),
        }
        error_messages = {
            "slug": {
                "unique": _("Another article already uses this address. Choose a different slug."),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser must not cut a pasted headline short (no maxlength): the count under
        # it shows the limit while typing, and the server says what is wrong.
        if "headline" in self.fields:  # absent when the form is read-only
            self.fields["headline"].widget.attrs.pop("maxlength", None)
            self.fields["headline"].max_length = None
            self.fields["headline"].validators = []
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "The last part of the article's address. Made from the headline if empty; "
                "a new article whose address is taken gets a number added."
            )
        self.slug_adjusted = None  # (wanted, given) when a new article's slug was taken

    def clean_headline(self):
        headline = " ".join(self.cleaned_data["headline"].split())
        if len(headline) > HEADLINE_MAX:
            raise forms.ValidationError(
                OVER_LIMIT,
                code="max_length",
                params={
                    "noun": _("headline"),
                    "length": len(headline),
                    "max": HEADLINE_MAX,
                    "over": len(headline) - HEADLINE_MAX,
                },
            )
        return headline

    def clean_body(self):
        # The sanitiser keeps only the image library's pictures; say so rather than drop one.
        refused = outside_pictures(self.data.get(self.add_prefix("body"), ""))
        if refused:
            raise forms.ValidationError(
                _(
                    "Pictures in the body must come from the image library: upload this one "
                    "under Images first, or remove it. Not from the library: %(sources)s"
                ),
                code="outside_picture",
                params={
                    "sources": ", ".join(
                        src or _("(a picture without an address)") for src in refused
                    )
                },
            )
        return self.cleaned_data["body"]

    def clean(self):
        cleaned = super().clean()
        if "slug" not in self.fields:
            return cleaned
        slug = cleaned.get("slug")
        if not slug and cleaned.get("headline"):
            exclude = self.instance.pk
            cleaned["slug"] = unique_slug(Article, cleaned["headline"], exclude_pk=exclude)
        elif slug and self.instance._state.adding:
            free = unique_slug(Article, slug)
            if free != slug:
                # A new article never fails over a taken address: it gets "-2" and is told.
                self.slug_adjusted = (slug, free)
                cleaned["slug"] = free
        return cleaned


class ImageUploadField(forms.FileField):
    """A picture upload checked and re-encoded by `articles.images` before anything is stored."""

    default_error_messages = {
        "invalid_image": _("Upload a JPEG, PNG, WebP, GIF or AVIF picture."),
    }

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return images.prepare_upload(upload)


class ImageForm(forms.ModelForm):
    file = ImageUploadField(
        label=_("Picture"),
        help_text=_(
            "JPEG, PNG, WebP, GIF or AVIF; at most 20 MB and 50 megapixels. Location and camera "
            "data are removed before anything is published."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif,image/avif"}
        ),
    )

    class Meta:
        model = Image
        fields = ["file", "alt_text", "caption", "credit", "copyright", "focal_x", "focal_y"]
        widgets = {
            "alt_text": forms.TextInput(attrs={"size": 80}),
            "caption": forms.Textarea(attrs={"rows": 2}),
            "focal_x": forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": 1}),
            "focal_y": forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": 1}),
        }

    def clean_alt_text(self):
        alt = " ".join(self.cleaned_data["alt_text"].split())
        if not alt:
            raise forms.ValidationError(
                _("Describe what the picture shows for readers who cannot see it."),
                code="required",
            )
        return alt
