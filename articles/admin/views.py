"""Workflow views inside the admin: transitions, history and diffs, restore, preview, share
links, the editorial calendar and its iCal feed.

Each view is a plain function `(request, model_admin, ...)` wired up by
`ArticleWorkflowAdminMixin.get_urls()`, and checks its own permission on the server.
"""

import calendar as pycalendar
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import preview as public_preview
from .. import revisions, workflow
from ..models import Article, CalendarToken, PreviewLink, Revision, Section
from ..newsroom_time import NewsroomDateTimeField, describe, newsroom_zone
from .status import (
    describe_editing,
    editing_heartbeat,
    leave_editing_session,
    others_editing,
    state_after,
    state_badge,
    step_words,
    touch_editing_session,
)

Status = Article.Status


def _article(request, model_admin, object_id):
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        raise Http404(gettext("No such article."))
    if not model_admin.has_view_or_change_permission(request, obj):
        raise PermissionDenied
    return obj


def _context(request, model_admin, obj=None, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": obj,
        "article": obj,
        **extra,
    }


# The change form's workflow panel --------------------------------------------------------------


def change_form_context(model_admin, request, obj, adminform):
    form = adminform.form if adminform else None
    conflict = getattr(form, "conflict", None)
    context = {"conflict": conflict}
    if obj is None or obj.pk is None:
        # A new article can be saved and taken straight to its first step (the form's
        # "_workflow" button): the steps the one rule allows on a new draft of this person's.
        draft = Article(status=Status.DRAFT, created_by=request.user)
        context["actions"] = [
            (action, workflow.ACTION_LABELS[action], None)
            for action in (workflow.SUBMIT, workflow.PUBLISH, workflow.SCHEDULE)
            if allowed_on_new_draft(action, draft, request.user)
        ]
        return context
    user = request.user
    now = timezone.now()
    info = model_admin.opts.app_label, model_admin.opts.model_name
    # A refused save keeps the version the form was opened at (what the person's edits are
    # measured from) and records the newer one it has now shown them.
    if form is not None and form.is_bound:
        base_version = form.data.get("base_version") or obj.version
        seen_version = conflict["current_version"] if conflict else form.data.get("seen_version")
    else:
        base_version, seen_version = obj.version, ""
    context.update(
        {
            "base_version": base_version,
            "seen_version": seen_version or "",
            "badge": state_badge(obj, now=now),
            "actions": [
                (
                    action,
                    workflow.ACTION_LABELS[action],
                    reverse(f"admin:{info[0]}_{info[1]}_transition", args=[obj.pk, action]),
                )
                for action in workflow.allowed_actions(obj, user, now=now)
            ],
            "publish_at": describe(obj.publish_at, now=now) if obj.publish_at else "",
            "embargo": describe(obj.embargo_until, now=now) if obj.embargo_until else "",
            "embargo_active": bool(obj.embargo_until and obj.embargo_until > now),
            "expires": describe(obj.expires_at, now=now) if obj.expires_at else "",
            "first_published": describe(obj.first_published_at, now=now)
            if obj.first_published_at
            else "",
            "updated": describe(obj.updated_at, now=now) if obj.updated_at else "",
            "editing": describe_editing(others_editing(obj, user)),
            "returned": workflow.latest_return(obj),
            "events": [
                {"event": e, "step": step_words(e)} for e in obj.events.select_related("actor")[:5]
            ],
            "can_preview": can_preview(user, obj),
            "can_share": can_share(user),
            "show_substantive": obj.status == Status.PUBLISHED and workflow.has_gone_live(obj, now),
            "substantive_field": form["substantive_update"]
            if form is not None and "substantive_update" in form.fields
            else None,
            "presence_url": reverse(f"admin:{info[0]}_{info[1]}_editing", args=[obj.pk]),
            "heartbeat_seconds": int(editing_heartbeat().total_seconds()),
            "preview_url": reverse(f"admin:{info[0]}_{info[1]}_preview", args=[obj.pk]),
            "share_url": reverse(f"admin:{info[0]}_{info[1]}_share", args=[obj.pk]),
            "history_url": reverse(f"admin:{info[0]}_{info[1]}_history", args=[obj.pk]),
        }
    )
    return context


def allowed_on_new_draft(action, draft, user):
    try:
        workflow.check(action, draft, user)
    except workflow.WorkflowError:
        return False
    return True


def after_save_step(request, model_admin, obj):
    """Where a save made with a workflow button ("_workflow") goes next. Submitting, whose
    note is optional, is done at once with the note from the action bar; every other step
    opens its page, which checks it and asks for its note or time. None for a plain save."""
    action = request.POST.get("_workflow")
    if action not in workflow.ACTION_LABELS or obj.pk is None:
        return None
    info = model_admin.opts.app_label, model_admin.opts.model_name
    if action != workflow.SUBMIT:
        return redirect(reverse(f"admin:{info[0]}_{info[1]}_transition", args=[obj.pk, action]))
    try:
        workflow.perform(action, obj, by=request.user, note=request.POST.get("_workflow_note", ""))
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        leave_editing_session(obj, request.user)
        messages.success(request, f"“{obj.headline}”: {workflow.DONE_MESSAGES[action]}")
    return redirect(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))


def who_saved(article):
    """(name, when) of the last save or workflow step on ``article``, for a refused save."""
    latest = revisions.latest(article)
    if latest is not None and latest.data.get("version") == article.version:
        who, when = latest.created_by, latest.created_at
    else:
        event = article.events.select_related("actor").order_by("-at").first()
        who, when = (event.actor, event.at) if event else (None, None)
    name = (who.get_full_name() or who.get_username()) if who else gettext("Someone")
    return name, when


def describe_conflict(article, *, base_version, current_version, both_changed=(), again=False):
    """Who saved in between, when, what they changed, and the fields both of you changed side
    by side: for the refusal of a save made on an older version.

    ``both_changed`` is [(name, label, my value)]; ``again`` means the person has already seen
    the other save and is refused only for the fields both changed.
    """
    latest = revisions.latest(article)
    base = revisions.revision_for_version(article, base_version)
    name, when = who_saved(article)
    labels = ", ".join(f"“{item[1]}”" for item in both_changed)
    if again:
        message = gettext(
            "Not saved yet: you and %(name)s both changed %(fields)s. Choose whose version to "
            "keep for each, then save again."
        ) % {"name": name, "fields": labels}
    else:
        message = gettext(
            "%(name)s saved this article at %(when)s, after you opened it. Your changes were NOT "
            "saved: they are still in the form below. Their changes are shown above the form. "
            "Save again to add your changes to theirs: what you did not change keeps their "
            "version."
        ) % {"name": name, "when": describe(when, relative=False) if when else "?"}
        if both_changed:
            message += " " + gettext(
                "You both changed %(fields)s: choose whose version to keep for each."
            ) % {"fields": labels}
    changes = None
    if latest is not None and latest.data.get("version") == current_version:
        changes = revisions.compare(base, latest) if base else revisions.compare(None, latest)
    return {
        "message": message,
        "name": name,
        "when": when,
        "changes": changes,
        "side_by_side": [
            side_by_side(article, base, field_name, label, mine)
            for field_name, label, mine in both_changed
        ],
        "base_version": base_version,
        "current_version": current_version,
    }


def side_by_side(article, base, name, label, mine):
    """One field both sides changed: their value and mine, each marked against the start."""
    theirs = revisions.article_value(article, name)
    start = revisions.revision_value(base, name) if base else None
    # Each side as it would read, its own new words marked against where both started.
    if name in revisions.TEXT_FIELDS:
        text = revisions.readable_text if name == "body" else str
        start_text = text(start or "")
        theirs_html = revisions.word_diff(start_text, text(theirs or ""), removed=False)
        mine_html = revisions.word_diff(start_text, text(mine or ""), removed=False)
        if base is None:
            theirs_html, mine_html = text(theirs or ""), text(mine or "")
    else:
        theirs_html, mine_html = _shown(name, theirs), _shown(name, mine)
    return {"name": name, "label": label, "theirs": theirs_html, "mine": mine_html}


def _shown(name, value):
    if value in (None, "", []):
        return "—"
    if name == "tags":
        return ", ".join(getattr(t, "name", t) for t in value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime):
        return describe(value, relative=False)
    return str(value)


def editing(request, model_admin, object_id):
    """The open form's heartbeat (POST), answered with who else has the form open now, and its
    goodbye when the page is left (POST left=1)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = _article(request, model_admin, object_id)
    if request.POST.get("left"):
        leave_editing_session(article, request.user)
        return HttpResponse(status=204)
    if model_admin.has_change_permission(request, article):
        touch_editing_session(article, request.user)
    return JsonResponse({"editing": describe_editing(others_editing(article, request.user))})


# Transitions ----------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 70})
    )
    at = NewsroomDateTimeField(label=_("Publish at"), required=False)

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if action != workflow.SCHEDULE:
            del self.fields["at"]
        else:
            self.fields["at"].required = True
        labels = {
            workflow.SUBMIT: (_("Note for the editor (optional)"), False),
            workflow.RETURN: (_("What should the writer change? (required)"), True),
            workflow.WITHDRAW: (_("Reason for withdrawing (internal, required)"), True),
            workflow.PUBLISH: (_("Note (optional)"), False),
            workflow.SCHEDULE: (_("Note (optional)"), False),
            workflow.BACK_TO_DRAFT: (_("Note (optional)"), False),
        }
        label, required = labels[action]
        self.fields["note"].label = label
        self.fields["note"].required = required


def transition(request, model_admin, object_id, action):
    article = _article(request, model_admin, object_id)
    if action not in workflow.ACTION_LABELS:
        raise Http404(gettext("No such action."))
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    refusal = None
    try:
        workflow.check(action, article, request.user)
    except workflow.WorkflowError as exc:
        refusal = str(exc)
    form = TransitionForm(request.POST or None, action=action)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            workflow.perform(
                action,
                article,
                by=request.user,
                note=form.cleaned_data["note"],
                at=form.cleaned_data.get("at"),
            )
        except workflow.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            article.refresh_from_db()
            # They have left the form: no "is editing" banner for them any more.
            leave_editing_session(article, request.user)
            message = f"“{article.headline}”: {workflow.DONE_MESSAGES[action]}"
            if action == workflow.SCHEDULE:
                message += " " + describe(article.publish_at)
            messages.success(request, message)
            return redirect(change_url)
    elif request.method == "POST" and refusal:
        messages.error(request, refusal)
        return redirect(change_url)
    return TemplateResponse(
        request,
        "admin/articles/article/transition.html",
        _context(
            request,
            model_admin,
            article,
            title=workflow.ACTION_LABELS[action],
            form=form,
            action=action,
            refusal=refusal,
            change_url=change_url,
            media=model_admin.media + form.media,
            now_text=describe(timezone.now(), relative=False),
            zone=settings.TIME_ZONE,
        ),
    )


# History, diff, restore ---------------------------------------------------------------------


def history(request, model_admin, object_id):
    article = _article(request, model_admin, object_id)
    entries = []
    for revision in article.revisions.select_related("created_by").order_by("-number")[:200]:
        entries.append(
            {
                "kind": "revision",
                "at": revision.created_at,
                "who": revision.created_by,
                "revision": revision,
                "status": revision.get_status_display(),
            }
        )
    for event in article.events.select_related("actor")[:200]:
        entries.append(
            {
                "kind": "event",
                "at": event.at,
                "who": event.actor,
                "event": event,
                "step": step_words(event),
                "status": state_after(event),
            }
        )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return TemplateResponse(
        request,
        "admin/articles/article/workflow_history.html",
        _context(
            request,
            model_admin,
            article,
            title=gettext("History of “%(headline)s”") % {"headline": article.headline},
            entries=entries,
            can_restore=workflow.can_edit(request.user, article),
            can_share=can_share(request.user),
        ),
    )


def revision_diff(request, model_admin, object_id, number):
    article = _article(request, model_admin, object_id)
    revision = get_object_or_404(Revision, article=article, number=number)
    against_number = request.GET.get("against")
    if against_number and against_number.isdigit():
        against = get_object_or_404(Revision, article=article, number=int(against_number))
    else:
        against = (
            Revision.objects.filter(article=article, number__lt=number).order_by("-number").first()
        )
    old, new = (
        (against, revision) if not against or against.number < number else (revision, against)
    )
    return TemplateResponse(
        request,
        "admin/articles/article/revision_diff.html",
        _context(
            request,
            model_admin,
            article,
            title=gettext("Changes in revision #%(n)s") % {"n": number},
            old=old,
            new=new,
            changes=revisions.compare(old, new),
            numbers=list(article.revisions.values_list("number", flat=True)[:200]),
            revision=revision,
            can_restore=workflow.can_edit(request.user, article),
        ),
    )


def restore(request, model_admin, object_id, number):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = _article(request, model_admin, object_id)
    revision = get_object_or_404(Revision, article=article, number=number)
    try:
        _, new = revisions.restore(article, revision, by=request.user)
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
        raise PermissionDenied from exc
    messages.success(
        request,
        gettext("Revision #%(old)s restored as revision #%(new)s.")
        % {"old": revision.number, "new": new.number},
    )
    return redirect("admin:articles_article_change", article.pk)


# Preview and share links -----------------------------------------------------------------------


def can_preview(user, article):
    return workflow.can_edit(user, article) or workflow.is_owner(user, article)


def can_share(user):
    return user.has_perm("articles.share_preview") and user.has_perm("articles.add_previewlink")


def preview(request, model_admin, object_id):
    article = _article(request, model_admin, object_id)
    if not can_preview(request.user, article):
        raise PermissionDenied
    return public_preview.render_preview(
        request,
        Article.objects.select_related("section", "lead_image").get(pk=article.pk),
        label=gettext("Preview of the current version — not public."),
    )


def share_links(request, model_admin, object_id):
    article = _article(request, model_admin, object_id)
    if not can_share(request.user):
        raise PermissionDenied
    if request.method == "POST":
        if "revoke" in request.POST:
            link = get_object_or_404(PreviewLink, article=article, pk=request.POST["revoke"])
            if link.revoked_at is None:
                link.revoked_at = timezone.now()
                link.save(update_fields=["revoked_at"])
            messages.success(request, gettext("The share link was revoked; it now answers 404."))
        else:
            number = request.POST.get("revision", "")
            if number.isdigit():
                revision = get_object_or_404(Revision, article=article, number=int(number))
            else:
                # No revision yet (an article older than revisions): snapshot it now.
                revision = revisions.latest(article) or revisions.store(
                    article, by=request.user, note=gettext("Snapshot for a share link")
                )
            link = PreviewLink.objects.create(
                article=article, revision=revision, created_by=request.user
            )
            messages.success(
                request,
                gettext("Share link created for revision #%(n)s; it expires %(when)s.")
                % {"n": revision.number, "when": describe(link.expires_at)},
            )
        return redirect("admin:articles_article_share", article.pk)
    links = [
        {
            "link": link,
            "url": settings.SITE_URL + reverse("shared_preview", args=[link.token]),
            "expires": describe(link.expires_at),
        }
        for link in article.preview_links.select_related("revision", "created_by")
    ]
    return TemplateResponse(
        request,
        "admin/articles/article/share_links.html",
        _context(
            request,
            model_admin,
            article,
            title=gettext("Share links for “%(headline)s”") % {"headline": article.headline},
            links=links,
            latest=revisions.latest(article),
            hours=settings.NEWSROOM_PREVIEW_LINK_HOURS,
        ),
    )


# Calendar -------------------------------------------------------------------------------------


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min), newsroom_zone())


def calendar_entries(start, end, *, section=None, now=None):
    """Scheduled and published stories with a publish time in [start, end), oldest first."""
    now = now or timezone.now()
    queryset = (
        Article.objects.filter(
            status__in=[Status.PUBLISHED, Status.WITHDRAWN],
            publish_at__gte=start,
            publish_at__lt=end,
        )
        .select_related("section")
        .order_by("publish_at", "pk")
    )
    if section:
        queryset = queryset.filter(section=section)
    entries = []
    for article in queryset:
        local = timezone.localtime(article.publish_at, newsroom_zone())
        if article.status == Status.WITHDRAWN:
            css = "withdrawn"
        elif article.publish_at > now:
            css = "scheduled"
        elif article.expires_at and article.expires_at <= now:
            css = "expired"
        elif article.embargo_until and article.embargo_until > now:
            css = "embargoed"
        else:
            css = "live"
        entries.append(
            {
                "article": article,
                "day": local.date(),
                "time": f"{local:%H:%M} {local.tzname()}",
                "css": css,
                "badge": state_badge(article, now=now),
                "url": reverse("admin:articles_article_change", args=[article.pk]),
            }
        )
    return entries


def calendar(request, model_admin):
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    zone = newsroom_zone()
    today = timezone.localtime(timezone.now(), zone).date()
    view = "month" if request.GET.get("view") == "month" else "week"
    try:
        anchor = (
            date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else today
        )
    except ValueError:
        anchor = today
    section = None
    if (section_id := request.GET.get("section", "")).isdigit():
        section = Section.objects.filter(pk=section_id).first()
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=7)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
        title = gettext("Week of %(day)s") % {"day": first.strftime("%d %b %Y")}
    else:
        month_start = anchor.replace(day=1)
        first = month_start - timedelta(days=month_start.weekday())
        days_in_month = pycalendar.monthrange(anchor.year, anchor.month)[1]
        month_end = month_start + timedelta(days=days_in_month)
        last = month_end + timedelta(days=(7 - month_end.weekday()) % 7)
        previous = (month_start - timedelta(days=1)).replace(day=1)
        following = month_end
        title = month_start.strftime("%B %Y")
    entries = calendar_entries(_local_midnight(first), _local_midnight(last), section=section)
    by_day = {}
    for entry in entries:
        by_day.setdefault(entry["day"], []).append(entry)
    days = []
    day = first
    while day < last:
        days.append(
            {
                "date": day,
                "entries": by_day.get(day, []),
                "today": day == today,
                "outside": view == "month" and day.month != anchor.month,
            }
        )
        day += timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    token = CalendarToken.objects.filter(user=request.user).first()
    feed_url = (
        settings.SITE_URL + reverse("admin:articles_article_calendar_feed", args=[token.token])
        if token
        else ""
    )
    return TemplateResponse(
        request,
        "admin/articles/article/calendar.html",
        _context(
            request,
            model_admin,
            title=gettext("Editorial calendar"),
            view=view,
            weeks=weeks,
            heading=title,
            anchor=anchor,
            previous=previous,
            following=following,
            today=today,
            sections=Section.objects.all(),
            section=section,
            zone=settings.TIME_ZONE,
            feed_url=feed_url,
            entry_count=len(entries),
            weekday_names=[pycalendar.day_abbr[i] for i in range(7)],
        ),
    )


def reset_calendar_token(request, model_admin):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    CalendarToken.objects.filter(user=request.user).delete()
    CalendarToken.objects.create(user=request.user)
    messages.success(
        request, gettext("A new calendar feed address was made; the old one no longer works.")
    )
    return redirect("admin:articles_article_calendar")


def calendar_feed(request, token):
    """The schedule as iCalendar, for editors' calendar apps; the token is the password."""
    found = CalendarToken.objects.select_related("user").filter(token=token).first()
    if (
        found is None
        or not found.user.is_active
        or not found.user.has_perm("articles.view_article")
    ):
        raise Http404
    now = timezone.now()
    entries = calendar_entries(now - timedelta(days=30), now + timedelta(days=90), now=now)
    host = settings.SITE_URL.split("://", 1)[-1]
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Newsroom//Editorial calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _ical_text(
            "X-WR-CALNAME", gettext("%(site)s schedule") % {"site": settings.NEWSROOM_SITE["name"]}
        ),
        f"X-WR-TIMEZONE:{settings.TIME_ZONE}",
    ]
    for entry in entries:
        article = entry["article"]
        start = article.publish_at
        lines += [
            "BEGIN:VEVENT",
            f"UID:article-{article.pk}@{host}",
            f"DTSTAMP:{_ical_time(now)}",
            f"DTSTART:{_ical_time(start)}",
            f"DTEND:{_ical_time(start + timedelta(minutes=15))}",
            _ical_text("SUMMARY", f"[{_STATE_WORDS[entry['css']]}] {article.headline}"),
            _ical_text(
                "DESCRIPTION",
                " · ".join(filter(None, [str(article.section or ""), article.dek[:300]])),
            ),
            _ical_text(
                "URL",
                settings.SITE_URL + reverse("admin:articles_article_change", args=[article.pk]),
            ),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    response = HttpResponse(
        "".join(_fold(line) + "\r\n" for line in lines), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


_STATE_WORDS = {
    "scheduled": "Scheduled",
    "live": "Live",
    "expired": "Expired",
    "embargoed": "Embargoed",
    "withdrawn": "Withdrawn",
}


def _ical_time(moment):
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ical_text(name, value):
    escaped = (
        str(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )
    return f"{name}:{escaped}"


def _fold(line):
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)
