"""The front page as editors arrange it: a lead, a row of top stories, the section blocks' order.

A *layout* (`FrontPageLayout`, with its `FrontPageSlot` rows) names stories for places, each
for the layout's life or pinned for a period, and the order of the section blocks. The layout
in force at a moment is the one with the latest `effective_at` at or before it (the later
saved, on a tie), so a layout saved for 09:00 takes over at 09:00 with nothing run then.

What readers see is decided at the moment of reading, by `arrange()`:

* a place's story is shown only while its pin lasts and while it is public: every story is read
  through `Article.objects.published()`, so one withdrawn, expired or not yet live leaves its
  place to the automatic fill by itself;
* an empty lead takes the newest story flagged "lead story" (`Article.featured`), else the
  newest story; empty top places take the newest stories not shown above;
* the page cache needs no purge at a layout's moment or a pin's start or end:
  `caching.schedule_window()` counts them as changes of the public site (`moments()`).

Saving, undoing and restoring are the functions at the end (`save_layout`, `undo_last`); each
writes a new version with who and when.
"""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from .json_arrays import JSONRow, json_array_of, json_value, utc_moment
from .models import Article, FrontPageLayout, FrontPageSlot
from .newsroom_time import describe
from .public import listings

TOP_SLOTS = 4
LATEST = 10
SECTION_STORIES = 3
LEAD = FrontPageSlot.Place.LEAD
TOP = FrontPageSlot.Place.TOP


@dataclass(frozen=True)
class Placement:
    """One story in one place: the lead (position 0) or a top story (positions 0 to 3)."""

    place: str
    position: int
    article_id: int | None
    pinned_from: datetime | None = None
    pinned_until: datetime | None = None

    def pinned_at(self, at):
        """Whether the pin holds at ``at`` (a place without a pin holds for the layout's life)."""
        return (self.pinned_from is None or self.pinned_from <= at) and (
            self.pinned_until is None or at < self.pinned_until
        )


@dataclass(frozen=True)
class Plan:
    """A layout's content, saved or not: what `arrange` reads and the screen previews."""

    placements: tuple = ()
    section_order: tuple = ()
    effective_at: datetime | None = None
    version: FrontPageLayout | None = field(default=None, compare=False)

    def placement(self, place, position):
        return next(
            (p for p in self.placements if p.place == place and p.position == position), None
        )

    def story_ids(self):
        return [p.article_id for p in self.placements if p.article_id is not None]


EMPTY = Plan()


def places():
    """Every place of the front page, in reading order: (place, position)."""
    return [(LEAD, 0), *((TOP, i) for i in range(TOP_SLOTS))]


def place_label(place, position):
    if place == LEAD:
        return gettext("Lead")
    return gettext("Top story %(n)s") % {"n": position + 1}


# Reading ---------------------------------------------------------------------------------------


def _with_slots(layouts):
    """Layouts with their slots carried on the row as JSON: one query however many."""
    return layouts.annotate(
        slot_rows=json_array_of(
            FrontPageSlot.objects.all(),
            JSONRow(
                place="place",
                position="position",
                article_id="article_id",
                pinned_from="pinned_from",
                pinned_until="pinned_until",
            ),
            link="layout",
        )
    )


def as_plan(layout):
    """The `Plan` of a layout read with `_with_slots` (or one whose slots are prefetched)."""
    if hasattr(layout, "slot_rows"):
        rows = json_value(layout.slot_rows) or []
        placements = [
            Placement(
                place=row["place"],
                position=row["position"],
                article_id=row["article_id"],
                pinned_from=utc_moment(row["pinned_from"]),
                pinned_until=utc_moment(row["pinned_until"]),
            )
            for row in rows
        ]
    else:
        placements = [
            Placement(s.place, s.position, s.article_id, s.pinned_from, s.pinned_until)
            for s in layout.slots.all()
        ]
    placements.sort(key=lambda p: (p.place != LEAD, p.position))
    return Plan(
        placements=tuple(placements),
        section_order=tuple(layout.section_order or ()),
        effective_at=layout.effective_at,
        version=layout,
    )


def in_force(at=None):
    """The `Plan` in force at ``at`` (default: now); `EMPTY` when no layout was ever saved.
    One query, the first entry of the `frontpage_effective` index at or before ``at``."""
    at = at or timezone.now()
    layout = (
        _with_slots(FrontPageLayout.objects.filter(effective_at__lte=at))
        .order_by("-effective_at", "-id")
        .first()
    )
    return as_plan(layout) if layout is not None else EMPTY


def _for_screen(layouts):
    """Versions with who saved them and their places' stories (headlines only)."""
    slots = FrontPageSlot.objects.select_related("article").only(
        "layout_id", "place", "position", "pinned_from", "pinned_until", "article__headline"
    )
    return layouts.select_related("created_by").prefetch_related(Prefetch("slots", slots))


def scheduled(at=None):
    """Versions still to take effect after ``at``, soonest first."""
    at = at or timezone.now()
    return list(
        _for_screen(FrontPageLayout.objects.filter(effective_at__gt=at)).order_by(
            "effective_at", "id"
        )
    )


def history(limit=20):
    """The latest versions, newest saved first."""
    return list(_for_screen(FrontPageLayout.objects.order_by("-id"))[:limit])


def summary(layout):
    """What a version puts where, in a line: "Lead: …; Top story 2: …" (read with
    `_for_screen`)."""
    parts = [
        gettext("%(place)s: %(headline)s")
        % {
            "place": place_label(slot.place, slot.position),
            "headline": slot.article.headline if slot.article_id else gettext("a deleted story"),
        }
        for slot in sorted(layout.slots.all(), key=lambda s: (s.place != LEAD, s.position))
    ]
    return "; ".join(parts) or gettext("Every place filled automatically")


def moments():
    """(queryset, field) pairs whose values are moments at which the home page changes by
    itself: a layout taking effect, a pin starting or ending. `caching.schedule_window` reads
    the last one at or before now and the first one after, each from an index."""
    slots = FrontPageSlot.objects.order_by()
    return [
        (FrontPageLayout.objects.order_by(), "effective_at"),
        (slots.filter(pinned_from__isnull=False), "pinned_from"),
        (slots.filter(pinned_until__isnull=False), "pinned_until"),
    ]


# The page --------------------------------------------------------------------------------------


@dataclass
class FrontPage:
    """What the home page shows, and where each placed story went."""

    lead: Article | None
    top: list
    latest: list
    per_section: list  # [{"section": Section, "articles": [Article]}]
    stories: list  # every story loaded, for the page's cache keys
    placed: dict  # {(place, position): Article} of the editor's picks shown
    automatic: set  # {(place, position)} filled automatically


def ordered_sections(sections, order):
    """``sections`` with those named in ``order`` (ids) first, in that order, then the rest."""
    rank = {pk: i for i, pk in enumerate(order)}
    return sorted(sections, key=lambda s: (rank.get(s.pk, len(rank)), sections.index(s)))


def arrange(at, sections, plan=None):
    """The front page at ``at``: ``plan`` (default: the layout in force) over the newest stories.

    Five queries whatever the layout names: the layout, the newest "lead story", the ids of
    the newest stories, and the cards (with their bylines) of every story that may be shown.
    A quiet section with nothing among the newest stories costs one more short read, as the
    home page always has."""
    plan = in_force(at) if plan is None else plan
    wanted = {p: p.article_id for p in plan.placements if p.article_id and p.pinned_at(at)}
    picked_ids = set(wanted.values())
    featured_pk = listings.featured_id(at)
    pool = listings.newest_ids(at)
    # Enough of the newest to fill every place and the "Latest" list if no pick is public.
    fill_ids = [pk for pk, _ in pool if pk not in picked_ids][: 2 + TOP_SLOTS + LATEST]
    sections = ordered_sections(list(sections), plan.section_order)
    # Each section's newest, one more than a block shows: the lead, found later, is left out.
    section_ids = {}
    for section in sections:
        pks = [pk for pk, section_id in pool if section_id == section.pk][: SECTION_STORIES + 1]
        if not pks and len(pool) >= listings.HOME_POOL:
            # A quiet section with nothing among the newest stories: one short indexed read.
            stories = listings.in_section(listings.live(at), section)
            pks = list(stories.values_list("pk", flat=True)[: SECTION_STORIES + 1])
        section_ids[section.pk] = pks
    everything = {*picked_ids, featured_pk, *fill_ids, *chain.from_iterable(section_ids.values())}
    loaded = listings.cards_by_id(everything - {None}, at)

    placed, automatic, used = {}, set(), set()
    lead_pick = plan.placement(LEAD, 0)
    lead = None
    if lead_pick in wanted and (story := loaded.get(wanted[lead_pick])) is not None:
        lead = story
        placed[(LEAD, 0)] = story
    else:
        automatic.add((LEAD, 0))
        if featured_pk in loaded:
            lead = loaded[featured_pk]
    fill = iter([loaded[pk] for pk in fill_ids if pk in loaded])
    if lead is None:
        lead = next(fill, None)
    if lead is not None:
        used.add(lead.pk)

    top = [None] * TOP_SLOTS
    for i in range(TOP_SLOTS):
        pick = plan.placement(TOP, i)
        story = loaded.get(wanted[pick]) if pick in wanted else None
        if story is not None and story.pk not in used:
            top[i] = story
            placed[(TOP, i)] = story
            used.add(story.pk)
    for i in range(TOP_SLOTS):
        if top[i] is None:
            automatic.add((TOP, i))
            top[i] = next((s for s in fill if s.pk not in used), None)
            if top[i] is not None:
                used.add(top[i].pk)
    top = [story for story in top if story is not None]
    latest = [s for s in fill if s.pk not in used][:LATEST]

    lead_pk = lead.pk if lead else None
    per_section = []
    for section in sections:
        pks = [pk for pk in section_ids[section.pk] if pk != lead_pk][:SECTION_STORIES]
        if stories := [loaded[pk] for pk in pks if pk in loaded]:
            per_section.append({"section": section, "articles": stories})
    return FrontPage(
        lead=lead,
        top=top,
        latest=latest,
        per_section=per_section,
        stories=list(loaded.values()),
        placed=placed,
        automatic=automatic,
    )


# What the screen warns about -------------------------------------------------------------------


def warnings(plan, at):
    """Sentences for the editor: each pick that readers will not see at ``at`` (the plan's
    moment), and why; its place is then filled automatically."""
    ids = plan.story_ids()
    if not ids:
        return []
    stories = Article.objects.in_bulk(ids)
    public = set(Article.objects.published(at=at).filter(pk__in=ids).values_list("pk", flat=True))
    found = []
    for p in plan.placements:
        if p.article_id is None:
            continue
        story = stories.get(p.article_id)
        where = place_label(p.place, p.position)
        if story is None:
            found.append(
                gettext("%(place)s: the story picked there was deleted; filled automatically.")
                % {"place": where}
            )
        elif p.article_id not in public:
            found.append(
                gettext(
                    "%(place)s: “%(headline)s” is not public at %(when)s (%(why)s), so the place "
                    "is filled automatically until it is."
                )
                % {
                    "place": where,
                    "headline": story.headline,
                    "when": describe(at, relative=False),
                    "why": why_not_public(story, at),
                }
            )
        elif p.pinned_until is not None and p.pinned_until <= at:
            found.append(
                gettext("%(place)s: the pin of “%(headline)s” has already ended.")
                % {"place": where, "headline": story.headline}
            )
    return found


def why_not_public(story, at):
    Status = Article.Status
    if story.status == Status.DRAFT:
        return gettext("a draft")
    if story.status == Status.IN_REVIEW:
        return gettext("in review")
    if story.status == Status.WITHDRAWN:
        return gettext("withdrawn")
    if story.expires_at is not None and story.expires_at <= at:
        return gettext("expired %(when)s") % {"when": describe(story.expires_at, relative=False)}
    go_live = story.go_live_at
    if go_live is not None and go_live > at:
        return gettext("goes live %(when)s") % {"when": describe(go_live, relative=False)}
    return gettext("not published")


# Writing ---------------------------------------------------------------------------------------


@transaction.atomic
def save_layout(plan, *, by, effective_at=None, note="", restores=None):
    """Record ``plan`` as a new version, in force from ``effective_at`` (default: now)."""
    layout = FrontPageLayout.objects.create(
        effective_at=effective_at or timezone.now(),
        section_order=list(plan.section_order),
        note=note,
        created_by=by,
        restores=restores,
    )
    FrontPageSlot.objects.bulk_create(
        FrontPageSlot(
            layout=layout,
            place=p.place,
            position=p.position,
            article_id=p.article_id,
            pinned_from=p.pinned_from,
            pinned_until=p.pinned_until,
        )
        for p in plan.placements
        if p.article_id is not None
    )
    return layout


def last_change():
    """The latest version saved, or None."""
    return FrontPageLayout.objects.select_related("created_by").order_by("-id").first()


def undo_last(*, by, now=None):
    """Undo the latest version: save again what it replaced, as a new version.

    What it replaced is the version that was in force at its moment among those saved before
    it (nothing at all: the automatic front page). The copy takes effect at that same moment,
    or now if it has passed, so undoing a layout scheduled for 09:00 cancels it and undoing
    one already in force brings the previous one back at once. Returns the new version, or
    None when nothing was ever saved."""
    now = now or timezone.now()
    last = last_change()
    if last is None:
        return None
    before = (
        _with_slots(
            FrontPageLayout.objects.filter(pk__lt=last.pk, effective_at__lte=last.effective_at)
        )
        .order_by("-effective_at", "-id")
        .first()
    )
    plan = as_plan(before) if before is not None else EMPTY
    note = gettext("Undid version %(n)s") % {"n": last.pk}
    return save_layout(
        plan, by=by, effective_at=max(now, last.effective_at), note=note, restores=before
    )
