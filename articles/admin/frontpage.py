"""The *Front page* screen: editors arrange the home page; journalists may look at it.

One screen (the front page's place in the admin index) shows the lead and top-story places,
the order of the section blocks, the stories to pick from, what is scheduled and the history.
Saving writes a new version (`frontpage.save_layout`), now or for a time; "Undo" writes the
previous one again; "Preview" renders the home page with the unsaved layout, never cached.
Arranging needs `articles.add_frontpagelayout` (editors), looking `view_frontpagelayout`;
both are checked here on the server, whatever the page showed.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import frontpage, search
from ..caching import navigation_sections
from ..models import Article, FrontPageLayout, Section
from ..newsroom_time import NewsroomDateTimeField, describe
from ..preview import no_store
from .status import state_badge

# Stories offered to pick from, and found by a search.
PICKABLE = 20
MAX_QUERY = 100


def place_key(place, position):
    return "lead" if place == frontpage.LEAD else f"top{position + 1}"


class FrontPageForm(forms.Form):
    """A layout as the screen posts it: a story id and an optional pin per place, the section
    blocks' order as ids, and when it takes effect."""

    effective = forms.ChoiceField(
        label=_("Takes effect"),
        choices=[("now", _("Now")), ("later", _("At a set time"))],
        widget=forms.RadioSelect,
        initial="now",
    )
    effective_at = NewsroomDateTimeField(label=_("At"), required=False)
    section_order = forms.CharField(required=False, widget=forms.HiddenInput)
    # The latest version when the form was opened: a save on top of a newer one is shown first.
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for place, position in frontpage.places():
            key = place_key(place, position)
            label = frontpage.place_label(place, position)
            self.fields[f"{key}_story"] = forms.IntegerField(
                label=label, required=False, min_value=1, widget=forms.HiddenInput
            )
            self.fields[f"{key}_from"] = NewsroomDateTimeField(
                label=_("Pinned from"), required=False, help_text=""
            )
            self.fields[f"{key}_until"] = NewsroomDateTimeField(
                label=_("Pinned until"), required=False, help_text=""
            )

    def places(self):
        """[(key, label, story field, from field, until field)] for the template."""
        return [
            {
                "key": place_key(place, position),
                "label": frontpage.place_label(place, position),
                "story": self[f"{place_key(place, position)}_story"],
                "from": self[f"{place_key(place, position)}_from"],
                "until": self[f"{place_key(place, position)}_until"],
                "place": place,
                "position": position,
            }
            for place, position in frontpage.places()
        ]

    def clean_section_order(self):
        raw = self.cleaned_data["section_order"].strip()
        if not raw:
            return []
        try:
            ids = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("The order of the sections could not be read.")) from None
        known = set(Section.objects.filter(pk__in=ids).values_list("pk", flat=True))
        return list(dict.fromkeys(pk for pk in ids if pk in known))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("effective") == "later":
            moment = cleaned.get("effective_at")
            if moment is None and "effective_at" not in self.errors:
                self.add_error("effective_at", _("Give the time the layout takes effect."))
            elif moment is not None and moment <= timezone.now():
                self.add_error("effective_at", _("That time has passed: pick a later one."))
        ids = {}
        for place, position in frontpage.places():
            key = place_key(place, position)
            story = cleaned.get(f"{key}_story")
            start, end = cleaned.get(f"{key}_from"), cleaned.get(f"{key}_until")
            if story is None:
                if start or end:
                    self.add_error(f"{key}_from", _("A pin needs a story in its place."))
                continue
            if story in ids.values():
                self.add_error(
                    f"{key}_story", _("This story already has a place on the front page.")
                )
            ids[key] = story
            if start and end and start >= end:
                self.add_error(f"{key}_until", _("The pin must end after it starts."))
        known = set(Article.objects.filter(pk__in=ids.values()).values_list("pk", flat=True))
        for key, story in ids.items():
            if story not in known:
                self.add_error(
                    f"{key}_story",
                    _("There is no story number %(id)s; pick one from the list.") % {"id": story},
                )
        return cleaned

    def plan(self):
        data = self.cleaned_data
        placements = []
        for place, position in frontpage.places():
            key = place_key(place, position)
            if data.get(f"{key}_story"):
                placements.append(
                    frontpage.Placement(
                        place,
                        position,
                        data[f"{key}_story"],
                        data.get(f"{key}_from"),
                        data.get(f"{key}_until"),
                    )
                )
        effective_at = data["effective_at"] if data.get("effective") == "later" else None
        return frontpage.Plan(
            placements=tuple(placements),
            section_order=tuple(data.get("section_order") or ()),
            effective_at=effective_at,
        )


def initial_for(plan):
    initial = {"section_order": ",".join(str(pk) for pk in plan.section_order)}
    for p in plan.placements:
        key = place_key(p.place, p.position)
        initial.update(
            {
                f"{key}_story": p.article_id,
                f"{key}_from": p.pinned_from,
                f"{key}_until": p.pinned_until,
            }
        )
    return initial


def story_row(story, now):
    return {
        "id": story.pk,
        "headline": story.headline,
        "section": story.section.name if story.section_id else "",
        "badge": state_badge(story, now=now),
        "when": describe(story.go_live_at, now=now) if story.go_live_at else "",
        "url": reverse("admin:articles_article_change", args=[story.pk]),
    }


def pickable(query="", *, now):
    """Stories an editor may place: published ones (live, scheduled or under embargo) that
    have not expired, the latest to go live first; with ``query``, those its words find."""
    stories = (
        Article.objects.filter(status=Article.Status.PUBLISHED)
        .exclude(expires_at__lte=now)
        .select_related("section")
    )
    if query:
        stories = search.editor_search(stories, query)
    stories = stories.order_by("-publish_at", "-id").only(
        "headline", "status", "publish_at", "embargo_until", "expires_at", "section__name"
    )
    return [story_row(story, now) for story in stories[:PICKABLE]]


@admin.register(FrontPageLayout)
class FrontPageAdmin(admin.ModelAdmin):
    """The front page screen in place of a list of versions; versions are never edited."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def wrap(view):
            def wrapper(request, *args, **kwargs):
                return view(request, *args, **kwargs)

            return self.admin_site.admin_view(wrapper)

        return [
            path("", wrap(self.screen), name="articles_frontpagelayout_changelist"),
            path("preview/", wrap(self.preview), name="articles_frontpagelayout_preview"),
            path("undo/", wrap(self.undo), name="articles_frontpagelayout_undo"),
            path("stories/", wrap(self.stories), name="articles_frontpagelayout_stories"),
        ]

    # Views -----------------------------------------------------------------------------------

    def screen(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        if request.method == "POST":
            if not self.has_add_permission(request):
                raise PermissionDenied
            form = FrontPageForm(request.POST)
            if form.is_valid():
                return self._save(request, form, now)
        else:
            form = FrontPageForm(
                initial={
                    **initial_for(self._starting_plan(request, now)),
                    "base_version": _latest_number(),
                }
            )
        return self._render(request, form, now)

    def preview(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        now = timezone.now()
        form = FrontPageForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, now, status=400)
        from ..public.views import render_home

        plan = form.plan()
        # A layout for later is shown as readers will see it then, stories due by then included.
        at = max(now, plan.effective_at or now)
        page = frontpage.arrange(at, navigation_sections(), plan)
        label = gettext("Front page as it will look %(when)s, with the layout not yet saved.") % {
            "when": describe(at, now=now)
        }
        # What the screen would warn about, said where the editor is looking.
        label = " ".join([label, *frontpage.warnings(plan, at)])
        return no_store(render_home(request, page, at=at, preview_label=label))

    def undo(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        latest = _latest_number()
        if request.POST.get("version", str(latest)) != str(latest):
            # The button named another version: undo only what the editor saw.
            messages.warning(
                request,
                gettext("Version %(n)s was saved since; nothing was undone. Look again.")
                % {"n": latest},
            )
            return redirect("admin:articles_frontpagelayout_changelist")
        layout = frontpage.undo_last(by=request.user)
        if layout is None:
            messages.info(request, gettext("Nothing to undo: the front page was never arranged."))
        else:
            messages.success(request, self._saved_message(layout))
        return redirect("admin:articles_frontpagelayout_changelist")

    def stories(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = search.clean_query(request.GET.get("q", "")[:MAX_QUERY])[0]
        return JsonResponse({"stories": pickable(query, now=timezone.now())})

    # Helpers ---------------------------------------------------------------------------------

    def _starting_plan(self, request, now):
        """What the form starts from: a version asked for ("Edit a copy"), else the one in
        force."""
        if (number := request.GET.get("version", "")).isdigit():
            layout = FrontPageLayout.objects.filter(pk=number).prefetch_related("slots").first()
            if layout is not None:
                return frontpage.as_plan(layout)
            messages.warning(request, gettext("There is no version %(n)s.") % {"n": number})
        return frontpage.in_force(now)

    def _save(self, request, form, now):
        latest = _latest_number()
        if form.cleaned_data.get("base_version") != latest:
            # Someone saved while this editor arranged: say so before replacing their layout;
            # the form keeps what this editor did, and saving again replaces theirs.
            last = frontpage.last_change()
            messages.warning(
                request,
                gettext(
                    "%(who)s saved version %(n)s while you were arranging (see the history). "
                    "Nothing was saved; your layout is still below: save again to replace theirs."
                )
                % {"who": _name(last.created_by), "n": last.pk},
            )
            data = form.data.copy()
            data["base_version"] = str(latest)
            return self._render(request, FrontPageForm(data), now, status=409)
        plan = form.plan()
        layout = frontpage.save_layout(
            plan, by=request.user, effective_at=plan.effective_at, note=form.cleaned_data["note"]
        )
        messages.success(request, self._saved_message(layout))
        for warning in frontpage.warnings(plan, max(now, layout.effective_at)):
            messages.warning(request, warning)
        return redirect("admin:articles_frontpagelayout_changelist")

    @staticmethod
    def _saved_message(layout):
        if layout.effective_at > timezone.now():
            return gettext("Version %(n)s saved: the front page changes %(when)s.") % {
                "n": layout.pk,
                "when": describe(layout.effective_at),
            }
        return gettext("Version %(n)s saved: the front page shows it now.") % {"n": layout.pk}

    def _render(self, request, form, now, status=200):
        sections = navigation_sections()
        current = frontpage.in_force(now)
        page = frontpage.arrange(now, sections, current)
        plan = form.plan() if form.is_bound and form.is_valid() else None
        rows = form.places()
        chosen_ids = {_int(row["story"].value()) for row in rows} - {None}
        picked = {
            story.pk: story_row(story, now)
            for story in Article.objects.filter(pk__in=chosen_ids).select_related("section")
        }
        order = str(form["section_order"].value() or "")
        order_ids = [int(p) for p in order.split(",") if p.strip().isdigit()]
        upcoming = frontpage.scheduled(now)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Front page"),
            "form": form,
            "can_arrange": self.has_add_permission(request),
            "places": [
                {
                    **row,
                    "picked": picked.get(_int(row["story"].value())),
                    "automatic_now": _shown_at(page, row["place"], row["position"]),
                }
                for row in rows
            ],
            "now_showing": [
                {
                    "label": frontpage.place_label(place, position),
                    "story": _shown_at(page, place, position),
                    "automatic": (place, position) in page.automatic,
                }
                for place, position in frontpage.places()
            ],
            "sections": frontpage.ordered_sections(list(sections), order_ids),
            "latest": pickable(now=now),
            "current": current.version,
            "current_warnings": frontpage.warnings(current, now),
            "upcoming": [
                {
                    "layout": layout,
                    "summary": frontpage.summary(layout),
                    "warnings": frontpage.warnings(frontpage.as_plan(layout), layout.effective_at),
                }
                for layout in upcoming
            ],
            "history": [
                {"layout": layout, "summary": frontpage.summary(layout)}
                for layout in frontpage.history()
            ],
            "last_change": frontpage.last_change(),
            "plan_warnings": frontpage.warnings(plan, max(now, plan.effective_at or now))
            if plan
            else [],
            "stories_url": reverse("admin:articles_frontpagelayout_stories"),
        }
        return TemplateResponse(request, "admin/articles/frontpage.html", context, status=status)


def _latest_number():
    last = frontpage.last_change()
    return last.pk if last is not None else 0


def _name(user):
    if user is None:
        return gettext("Someone")
    return user.get_full_name() or user.get_username()


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _shown_at(page, place, position):
    """The story a place of the arranged ``page`` shows."""
    if place == frontpage.LEAD:
        return page.lead
    return page.top[position] if position < len(page.top) else None
