"""Autosave of the article form: the endpoint the open form posts to, and the offer to restore.

The form (`articles/static/articles/admin/autosave.js`) posts its raw fields a few seconds
after the journalist stops typing, when the page is left and when a lost connection comes
back. The endpoint keeps them as the person's `Autosave` of that form with one upsert; it
never touches the article, so an autosave cannot overwrite anyone's save. Reopening the form
offers the autosave back with what it changes; the restored form keeps the version its edits
were made from, so the stale-save check still stands between it and a newer save.
"""

import json
import uuid

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse, QueryDict
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext

from .. import revisions
from ..models import Autosave
from ..newsroom_time import describe, newsroom_zone

# Never kept: the CSRF token is a secret of the session, and the rest says how to save, not
# what was typed.
NOT_KEPT = {"csrfmiddlewaretoken", "_save", "_continue", "_addanother", "autosave_draft_key"}
MAX_FIELDS = 5000
# The form's bookkeeping, not what the person wrote: never listed as a change.
BOOKKEEPING = {"base_version", "seen_version", "substantive_update"}


class BadAutosave(ValueError):
    """The posted autosave is not a form's fields; the message says what is wrong."""


def _route(model_admin, name):
    return f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_{name}"


def urls(model_admin, wrap):
    """The autosave views, for `ArticleWorkflowAdminMixin.get_urls()`."""
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"
    return [
        path("autosave/", wrap(keep), name=f"{prefix}_autosave_new"),
        path("autosave/discard/", wrap(discard), name=f"{prefix}_autosave_new_discard"),
        path("<path:object_id>/autosave/", wrap(keep), name=f"{prefix}_autosave"),
        path(
            "<path:object_id>/autosave/discard/", wrap(discard), name=f"{prefix}_autosave_discard"
        ),
    ]


def _form_owner(request, model_admin, object_id):
    """(article or None, draft key) of the form posting, refused as the form itself would be.

    The same rule as the change view: the article must be in the admin's queryset and the
    person must be allowed to change it; a new article needs the add permission.
    """
    if object_id is None:
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        draft_key = request.POST.get("draft_key", "")
        if not Autosave.DRAFT_KEY.match(draft_key):
            raise BadAutosave(gettext("This form has no valid draft key."))
        return None, draft_key
    # The change view's queryset, without the prefetches its list columns need.
    queryset = model_admin.get_queryset(request).prefetch_related(None)
    try:
        article = queryset.filter(pk=unquote(object_id)).first()
    except (ValueError, ValidationError):
        article = None
    if article is None:
        raise Http404(gettext("No such article."))
    if not model_admin.has_change_permission(request, article):
        raise PermissionDenied
    return article, ""


def _posted_fields(request):
    try:
        pairs = json.loads(request.POST.get("fields", ""))
        labels = json.loads(request.POST.get("labels") or "{}")
    except ValueError as exc:
        raise BadAutosave(gettext("The autosave is not valid JSON.")) from exc
    if (
        not isinstance(pairs, list)
        or len(pairs) > MAX_FIELDS
        or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in pairs
        )
    ):
        raise BadAutosave(gettext("The autosave must be a list of [name, value] pairs."))
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise BadAutosave(gettext("The autosave's labels must map names to texts."))
    base_version = request.POST.get("base_version", "")
    if base_version and not base_version.isdigit():
        raise BadAutosave(gettext("The autosave's base version must be a number."))
    return (
        [p for p in pairs if p[0] not in NOT_KEPT],
        labels,
        int(base_version) if base_version else None,
    )


def saved_time(moment):
    """ "10:42": how the status line writes an autosave's time, in the newsroom's zone."""
    return timezone.localtime(moment, newsroom_zone()).strftime("%H:%M")


def refused():
    # JSON, so the form can tell this refusal from a CSRF failure (an HTML page).
    return JsonResponse(
        {"error": gettext("You may not change this article, so its form is not kept.")},
        status=403,
    )


def keep(request, model_admin, object_id=None):
    """Keep the posted form as the person's autosave of it (POST); 403 if they may not edit."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        article, draft_key = _form_owner(request, model_admin, object_id)
        fields, labels, base_version = _posted_fields(request)
    except BadAutosave as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except PermissionDenied:
        return refused()
    row = Autosave.objects.keep(
        user=request.user,
        article=article,
        draft_key=draft_key,
        fields=fields,
        labels=labels,
        base_version=base_version,
    )
    return JsonResponse(
        {
            "saved_at": row.saved_at.isoformat(),
            "time": saved_time(row.saved_at),
            # Someone saved the article after this form was opened: saving the form will show
            # their changes first (the stale-save check), and the status line says so now.
            "newer_save": bool(
                article is not None and base_version and base_version < article.version
            ),
        }
    )


def discard(request, model_admin, object_id=None):
    """Delete the person's autosave of this form (the offer's "Discard")."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        article, draft_key = _form_owner(request, model_admin, object_id)
    except BadAutosave as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except PermissionDenied:
        return refused()
    Autosave.objects.of_form(request.user, article=article, draft_key=draft_key).delete()
    return JsonResponse({"discarded": True})


def forget(request, article, *, added):
    """The article was saved from its form: the person's autosave of that form is spent."""
    if added:
        draft_key = request.POST.get("autosave_draft_key", "")
        if Autosave.DRAFT_KEY.match(draft_key):
            Autosave.objects.of_form(request.user, draft_key=draft_key).delete()
    else:
        Autosave.objects.of_form(request.user, article=article).delete()


# The change form's part --------------------------------------------------------------------


def form_context(model_admin, request, context, obj):
    """What the change form's autosave include needs: where to post, the add form's draft
    key, and on opening the form the person's autosave to offer back, with its changes."""
    add = obj is None or obj.pk is None
    if add:
        if not model_admin.has_add_permission(request):
            return None
        urls = {
            "keep_url": reverse(_route(model_admin, "autosave_new")),
            "discard_url": reverse(_route(model_admin, "autosave_new_discard")),
        }
    else:
        if not model_admin.has_change_permission(request, obj):
            return None
        urls = {
            "keep_url": reverse(_route(model_admin, "autosave"), args=[obj.pk]),
            "discard_url": reverse(_route(model_admin, "autosave_discard"), args=[obj.pk]),
        }
    result = {
        **urls,
        # This browser's copy while offline, per person and form.
        "storage_key": f"newsroom-autosave:{request.user.pk}:{'new' if add else obj.pk}",
        # A new article's form is known by this key until its first save (kept when a save
        # is refused and the form shown again).
        "draft_key": _draft_key(request) if add else "",
        "offer": None,
    }
    # A refused save shows the form as it was posted: there is nothing to restore.
    if request.method == "GET":
        if add:
            found = Autosave.objects.of_new_articles(request.user).first()
        else:
            found = Autosave.objects.of_form(request.user, article=obj).first()
        if found is not None:
            result["offer"] = offer(found, context, obj)
    return result


def _draft_key(request):
    posted = request.POST.get("autosave_draft_key", "")
    return posted if Autosave.DRAFT_KEY.match(posted) else uuid.uuid4().hex


def offer(autosave, context, obj):
    """The restore offer: when, what it changes against the form as it opens, and whether
    someone has saved the article since the autosaved form was opened."""
    adminform = context.get("adminform")
    form = adminform.form if adminform else None
    data = QueryDict(mutable=True)
    for name, value in autosave.fields:
        data.appendlist(name, value)
    changes = {"texts": [], "fields": []}
    if form is not None:
        changes = form_changes(form, data, autosave.labels)
    other_parts = [
        str(inline.opts.verbose_name_plural)
        for inline in context.get("inline_admin_formsets", [])
        if formset_changed(inline.formset, data, obj)
    ]
    newer_save = None
    if obj is not None and autosave.base_version and autosave.base_version < obj.version:
        who = obj.modified_by
        newer_save = {
            "name": (who.get_full_name() or who.get_username()) if who else gettext("Someone"),
            "when": describe(obj.modified_at, relative=False),
        }
    return {
        "time": saved_time(autosave.saved_at),
        "when": describe(autosave.saved_at, relative=False),
        "changes": changes,
        "other_parts": other_parts,
        "unchanged": not (changes["texts"] or changes["fields"] or other_parts),
        "newer_save": newer_save,
        "data": {
            "fields": autosave.fields,
            "labels": autosave.labels,
            "base_version": autosave.base_version,
            "draft_key": autosave.draft_key,
            "time": saved_time(autosave.saved_at),
            "saved_at": autosave.saved_at.isoformat(),
        },
    }


def form_changes(form, data, labels):
    """The autosave's fields against the form as it opens, in the revision diff's shape."""
    bound = type(form)(data=data, instance=form.instance, initial=form.initial)
    texts, fields = [], []
    for name in bound.changed_data:
        if name in BOOKKEEPING:
            continue
        field = form.fields[name]
        label = field.label or name
        before, after = form[name].initial, bound[name].data
        if name in revisions.TEXT_FIELDS:
            text = revisions.readable_text if name == "body" else str
            diff = revisions.word_diff(text(before or ""), text(after or ""))
            texts.append((label, diff, True))
        else:
            fields.append((label, _shown(field, before), _shown(field, after, labels.get(name))))
    return {"texts": texts, "fields": fields}


def formset_changed(formset, data, obj):
    """Whether an inline's rows in the autosave differ from the rows the form opens with."""
    prefix = formset.prefix
    if not any(name.startswith(f"{prefix}-") for name in data):
        return False
    bound = type(formset)(
        data=data, instance=formset.instance, prefix=prefix, queryset=formset.get_queryset()
    )
    if not bound.management_form.is_valid():
        return True
    return bound.has_changed() or bound.total_form_count() != formset.total_form_count()


def _shown(field, value, label=None):
    """A field's value as a person reads it, before or after; an invalid one as typed."""
    if label:
        return label
    if value in (None, "", [], ()):
        return "—"
    typed = isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )
    if typed or (isinstance(value, int) and not isinstance(value, bool)):
        try:
            value = field.clean(value)
        except ValidationError:
            return " ".join(value) if isinstance(value, list) else str(value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if hasattr(value, "astimezone"):
        return describe(value, relative=False)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return str(value) if value not in (None, "") else "—"
