"""The article admin's addresses, and an admin form page turned into the POST a browser
would send back unchanged."""

from django.forms import BoundField
from django.urls import reverse
from taggit.utils import edit_string_for_tags


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def transition_url(article, action):
    return reverse("admin:articles_article_transition", args=[article.pk, action])


def _value(bound: BoundField):
    value = bound.value()
    if bound.name == "tags" and isinstance(value, list | tuple):
        return edit_string_for_tags(value) if value and hasattr(value[0], "name") else ""
    return value


def _add(data, prefix, form):
    for name in form.fields:
        bound = form[name]
        if bound.field.disabled:
            continue
        value = _value(bound)
        key = f"{prefix}{name}"
        if value is None:
            continue
        widget = bound.field.widget
        if hasattr(widget, "widgets") and not isinstance(value, list | tuple):
            # Split widgets (date and time) post one value per part: name_0, name_1.
            for index, part in enumerate(widget.decompress(value)):
                data[f"{key}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        else:
            data[key] = value


def post_data(response, **changes):
    """The form's current values as POST data, with ``changes`` applied."""
    data = {}
    _add(data, "", response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for index, form in enumerate(formset.forms):
            _add(data, f"{formset.prefix}-{index}-", form)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
