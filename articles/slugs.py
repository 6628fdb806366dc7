"""Slugs that are unique in the database, with a visible numeric suffix on collision."""

from django.utils.text import slugify


def unique_slug(model, text, *, field="slug", exclude_pk=None, max_length=None):
    """Return a slug for ``text`` that no other row of ``model`` uses: "tokyo", "tokyo-2"...

    The database constraint is still the last word; this only picks a free candidate.
    """
    max_length = max_length or model._meta.get_field(field).max_length
    base = slugify(text)[:max_length].strip("-") or "item"
    taken = model._default_manager.filter(**{f"{field}__startswith": base})
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    taken = set(taken.values_list(field, flat=True))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = f"{base[: max_length - len(suffix)].rstrip('-')}{suffix}"
    return candidate
