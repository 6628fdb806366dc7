"""Accessible names for admin inputs that Django's tabular inlines draw without a <label>.

A tabular inline shows each field's label once, as a column header; the inputs in its rows
have no label of their own, so a screen reader announces "combo box" or "spin button" and
nothing more. Each input gets its column's name instead.
"""

from django.contrib import admin
from django.utils.text import capfirst


def name_unlabelled_inputs(form):
    for field in form.fields.values():
        widget = field.widget
        # The admin's related-object wrapper shares its attrs with the original widget, not
        # with this form's copy: name the widget that renders the input.
        widget = getattr(widget, "widget", widget)
        if field.label and not widget.is_hidden:
            widget.attrs.setdefault("aria-label", capfirst(field.label))


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs (delete box included) carry their column's name."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                name_unlabelled_inputs(form)

        LabelledFormSet.__name__ = formset.__name__
        return LabelledFormSet
