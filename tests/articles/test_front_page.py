"""The front page as editors arrange it: places, pins, the automatic fill, stories leaving the
public site, scheduled layouts through the page cache, undo, rights and bad input."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import caching, frontpage, workflow
from articles.frontpage import LEAD, TOP, Placement, Plan
from articles.models import Article, FrontPageLayout
from tests.factories import make_article, make_section, make_user

SCREEN = reverse("admin:articles_frontpagelayout_changelist")
PREVIEW = reverse("admin:articles_frontpagelayout_preview")
UNDO = reverse("admin:articles_frontpagelayout_undo")
STORIES = reverse("admin:articles_frontpagelayout_stories")


@pytest.fixture(autouse=True)
def _cache_reachable():
    caching.breaker.reset()
    yield
    caching.breaker.reset()


@pytest.fixture(autouse=True)
def _uncached(settings):
    """Saves made in a test's transaction purge nothing (no commit): the page cache is on only
    in the tests about it (`page_cache`), which run the after-commit work themselves."""
    settings.NEWSROOM_PAGE_CACHE = False


@pytest.fixture
def page_cache(_uncached, settings):
    settings.NEWSROOM_PAGE_CACHE = True


@pytest.fixture
def editor(db):
    return make_user("Editor", first_name="Tom", last_name="Ruiz")


@pytest.fixture
def journalist(db):
    return make_user("Journalist", first_name="Ana", last_name="Lee")


@pytest.fixture
def world(db):
    return make_section("World", slug="world")


@pytest.fixture
def stories(world):
    """Eight live stories, newest first: "Story 0" went live a minute ago, "Story 7" eight."""
    now = timezone.now()
    return [
        make_article(
            headline=f"Story {n}", section=world, publish_at=now - timedelta(minutes=n + 1)
        )
        for n in range(8)
    ]


def lead_and_top(client):
    """The headlines of the home page's lead and of its top stories, in order."""
    html = client.get("/").content.decode()
    lead = re.search(r'class="front__lead">.*?<a [^>]*>([^<]+)</a>', html, re.S)
    top_block = re.search(r'class="front__top".*?</ol>', html, re.S)
    top = re.findall(r"<h3[^>]*>\s*<a [^>]*>([^<]+)</a>", top_block.group(0)) if top_block else []
    return (lead.group(1).strip() if lead else None), [t.strip() for t in top]


def plan(*placements, section_order=()):
    return Plan(placements=tuple(placements), section_order=tuple(section_order))


def form_data(**values):
    latest = FrontPageLayout.objects.order_by("-id").first()
    data = {
        "effective": "now",
        "section_order": "",
        "note": "",
        "base_version": latest.pk if latest else 0,
    }
    for key in ("lead", "top1", "top2", "top3", "top4"):
        data[f"{key}_story"] = ""
        for part in ("from_0", "from_1", "until_0", "until_1"):
            data[f"{key}_{part}"] = ""
    data.update({k: str(v) for k, v in values.items()})
    return data


# Places and the automatic fill --------------------------------------------------------------


def test_without_a_layout_the_newest_story_leads_and_the_next_four_are_top_stories(client, stories):
    assert lead_and_top(client) == ("Story 0", ["Story 1", "Story 2", "Story 3", "Story 4"])


def test_picked_lead_and_top_story_are_shown_and_empty_places_fill_with_the_newest(
    client, stories, editor
):
    frontpage.save_layout(
        plan(Placement(LEAD, 0, stories[6].pk), Placement(TOP, 1, stories[7].pk)), by=editor
    )
    assert lead_and_top(client) == ("Story 6", ["Story 0", "Story 7", "Story 1", "Story 2"])


def test_the_lead_story_flag_still_leads_when_the_layout_leaves_the_lead_empty(
    client, stories, editor
):
    Article.objects.filter(pk=stories[5].pk).update(featured=True)
    frontpage.save_layout(plan(Placement(TOP, 0, stories[7].pk)), by=editor)
    assert lead_and_top(client) == ("Story 5", ["Story 7", "Story 0", "Story 1", "Story 2"])


def test_a_pinned_story_holds_its_place_only_within_its_period(client, stories, editor):
    now = timezone.now().replace(microsecond=0)
    frontpage.save_layout(
        plan(
            Placement(
                LEAD,
                0,
                stories[7].pk,
                pinned_from=now + timedelta(minutes=10),
                pinned_until=now + timedelta(minutes=20),
            )
        ),
        by=editor,
        effective_at=now - timedelta(seconds=1),
    )
    with time_machine.travel(now + timedelta(minutes=9), tick=False):
        assert lead_and_top(client)[0] == "Story 0"
    with time_machine.travel(now + timedelta(minutes=10), tick=False):
        assert lead_and_top(client)[0] == "Story 7"
    with time_machine.travel(now + timedelta(minutes=20), tick=False):
        assert lead_and_top(client)[0] == "Story 0"


def test_section_blocks_follow_the_layouts_order(client, stories, editor):
    business = make_section("Business", slug="business", position=5)
    make_article(headline="Markets rally", section=business)
    html = client.get("/").content.decode()
    assert html.index('id="section-world"') < html.index('id="section-business"')
    frontpage.save_layout(plan(section_order=[business.pk]), by=editor)
    html = client.get("/").content.decode()
    assert html.index('id="section-business"') < html.index('id="section-world"')


def test_a_story_placed_twice_is_shown_once(client, stories, editor):
    frontpage.save_layout(
        plan(Placement(LEAD, 0, stories[6].pk), Placement(TOP, 0, stories[6].pk)), by=editor
    )
    lead, top = lead_and_top(client)
    assert lead == "Story 6" and "Story 6" not in top and len(top) == 4


# Stories that leave the public site --------------------------------------------------------


@pytest.mark.parametrize("leaves", ["withdrawn", "expired", "unpublished"])
def test_a_picked_story_that_leaves_the_public_site_drops_out_of_its_place(
    page_cache, client, stories, editor, leaves, django_capture_on_commit_callbacks
):
    picked = stories[6]
    frontpage.save_layout(plan(Placement(LEAD, 0, picked.pk)), by=editor)
    assert lead_and_top(client)[0] == "Story 6"
    assert client.get("/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        if leaves == "withdrawn":
            workflow.withdraw(picked, by=editor, reason="Legal asked us to.")
        elif leaves == "unpublished":
            picked.status = Article.Status.DRAFT
            picked.save()
        else:
            picked.expires_at = timezone.now() - timedelta(seconds=1)
            picked.save()
    lead, top = lead_and_top(client)
    assert lead == "Story 0" and "Story 6" not in top


def test_a_scheduled_story_in_a_place_appears_there_when_it_goes_live(client, stories, editor):
    start = timezone.now().replace(microsecond=0)
    later = make_article(headline="Story later", publish_at=start + timedelta(seconds=5))
    frontpage.save_layout(plan(Placement(LEAD, 0, later.pk)), by=editor)
    with time_machine.travel(start, tick=False) as clock:
        assert lead_and_top(client)[0] == "Story 0"
        clock.move_to(start + timedelta(seconds=5))
        assert lead_and_top(client)[0] == "Story later"


# Scheduled layouts through the page cache ---------------------------------------------------


def test_a_scheduled_layout_takes_effect_on_the_cached_home_page_at_its_second(
    page_cache, client, stories, editor, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(microsecond=0)
    nine = start + timedelta(seconds=2)
    with time_machine.travel(start, tick=False) as clock:
        client.get("/")
        assert client.get("/")["X-Page-Cache"] == "hit"
        with django_capture_on_commit_callbacks(execute=True):
            frontpage.save_layout(
                plan(Placement(LEAD, 0, stories[7].pk)), by=editor, effective_at=nine
            )
        client.get("/")
        assert client.get("/")["X-Page-Cache"] == "hit"  # readers keep it cached after the save
        clock.move_to(nine - timedelta(milliseconds=1))
        response = client.get("/")
        assert response["X-Page-Cache"] == "hit"
        assert lead_and_top(client)[0] == "Story 0"
        clock.move_to(nine)
        assert lead_and_top(client)[0] == "Story 7"


def test_a_page_stored_before_a_layouts_moment_is_not_served_after_it_without_any_signal(
    page_cache, client, stories, editor
):
    """A layout written behind the signals' back (a script's bulk insert) still counts once the
    schedule is read again: its moment bounds every stored page."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        layout = FrontPageLayout.objects.bulk_create(
            [FrontPageLayout(effective_at=start + timedelta(seconds=30), created_by=editor)]
        )[0]
        layout.slots.create(place=LEAD, position=0, article=stories[7])
        client.get("/")
        assert client.get("/")["X-Page-Cache"] == "hit"
        clock.move_to(start + timedelta(seconds=30))
        assert lead_and_top(client)[0] == "Story 7"


def test_the_schedule_window_counts_layouts_and_pins_as_changes(stories, editor):
    now = timezone.now().replace(microsecond=0)
    frontpage.save_layout(
        plan(Placement(TOP, 0, stories[3].pk, pinned_until=now + timedelta(hours=1))),
        by=editor,
        effective_at=now - timedelta(seconds=1),
    )
    frontpage.save_layout(plan(), by=editor, effective_at=now + timedelta(hours=2))
    last, upcoming = caching.schedule_window(now)
    assert last == (now - timedelta(seconds=1)).timestamp()
    assert upcoming == (now + timedelta(hours=1)).timestamp()


def test_saving_a_layout_in_force_now_refreshes_the_cached_home_page(
    page_cache, client, stories, editor, django_capture_on_commit_callbacks
):
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        frontpage.save_layout(plan(Placement(LEAD, 0, stories[5].pk)), by=editor)
    assert lead_and_top(client)[0] == "Story 5"


def test_the_home_page_costs_the_same_queries_with_or_without_a_layout(
    client, stories, editor, settings
):
    settings.NEWSROOM_PAGE_CACHE = False

    def count():
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            client.get("/")
        return len(captured)

    without = count()
    frontpage.save_layout(
        plan(
            Placement(LEAD, 0, stories[5].pk),
            *(Placement(TOP, i, stories[i + 1].pk) for i in range(4)),
        ),
        by=editor,
    )
    assert count() == without


# Undo and the record --------------------------------------------------------------------------


def test_undo_brings_back_the_previous_layout_as_a_new_version(client, stories, editor):
    first = frontpage.save_layout(plan(Placement(LEAD, 0, stories[5].pk)), by=editor)
    frontpage.save_layout(plan(Placement(LEAD, 0, stories[6].pk)), by=editor)
    assert lead_and_top(client)[0] == "Story 6"
    client.force_login(editor)
    response = client.post(UNDO)
    assert response.status_code == 302
    client.logout()
    assert lead_and_top(client)[0] == "Story 5"
    undo = FrontPageLayout.objects.order_by("-id").first()
    assert FrontPageLayout.objects.count() == 3
    assert undo.created_by == editor and undo.restores == first


def test_undo_of_a_version_no_longer_the_last_undoes_nothing(client, stories, editor):
    seen = frontpage.save_layout(plan(Placement(LEAD, 0, stories[5].pk)), by=editor)
    frontpage.save_layout(plan(Placement(LEAD, 0, stories[6].pk)), by=editor)
    client.force_login(editor)
    response = client.post(UNDO, {"version": seen.pk}, follow=True)
    assert "nothing was undone" in response.content.decode()
    assert FrontPageLayout.objects.count() == 2


def test_undoing_a_scheduled_layout_cancels_it(client, stories, editor):
    now = timezone.now()
    frontpage.save_layout(plan(Placement(LEAD, 0, stories[5].pk)), by=editor)
    frontpage.save_layout(
        plan(Placement(LEAD, 0, stories[6].pk)), by=editor, effective_at=now + timedelta(hours=1)
    )
    frontpage.undo_last(by=editor)
    with time_machine.travel(now + timedelta(hours=1, seconds=1), tick=False):
        assert lead_and_top(client)[0] == "Story 5"


def test_undo_of_the_first_layout_returns_to_the_automatic_front_page(client, stories, editor):
    frontpage.save_layout(plan(Placement(LEAD, 0, stories[5].pk)), by=editor)
    frontpage.undo_last(by=editor)
    assert lead_and_top(client)[0] == "Story 0"


def test_the_screen_lists_each_version_with_who_saved_it(client, stories, editor):
    frontpage.save_layout(plan(Placement(LEAD, 0, stories[5].pk)), by=editor, note="Morning")
    client.force_login(editor)
    html = client.get(SCREEN).content.decode()
    assert "Tom Ruiz" in html and "Morning" in html and "(in force)" in html
    assert "Lead: Story 5" in html


# The screen -----------------------------------------------------------------------------------


def test_an_editor_saves_a_layout_from_the_screen_and_the_home_page_shows_it(
    client, stories, editor
):
    client.force_login(editor)
    response = client.post(
        SCREEN, form_data(lead_story=stories[7].pk, top2_story=stories[6].pk, note="NATO")
    )
    assert response.status_code == 302
    layout = FrontPageLayout.objects.get()
    assert layout.created_by == editor and layout.note == "NATO"
    client.logout()
    assert lead_and_top(client) == ("Story 7", ["Story 0", "Story 6", "Story 1", "Story 2"])


def test_an_editor_schedules_a_layout_in_the_newsrooms_time(client, stories, editor):
    client.force_login(editor)
    at = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    response = client.post(
        SCREEN,
        form_data(
            lead_story=stories[7].pk,
            effective="later",
            effective_at_0=at.strftime("%d/%m/%Y"),
            effective_at_1="09:00",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert FrontPageLayout.objects.get().effective_at == at


def test_a_pin_is_saved_from_the_screen(client, stories, editor):
    client.force_login(editor)
    start = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    response = client.post(
        SCREEN,
        form_data(
            top1_story=stories[7].pk,
            top1_from_0=start.strftime("%d/%m/%Y"),
            top1_from_1="08:00",
            top1_until_0=start.strftime("%d/%m/%Y"),
            top1_until_1="12:00",
        ),
    )
    assert response.status_code == 302
    slot = FrontPageLayout.objects.get().slots.get()
    assert (slot.pinned_from, slot.pinned_until) == (start, start + timedelta(hours=4))


def test_a_layout_saved_by_someone_else_meanwhile_is_shown_before_it_is_replaced(
    client, stories, editor
):
    client.force_login(editor)
    opened = form_data(lead_story=stories[7].pk)
    other = make_user("Editor", first_name="Ines", last_name="Ortiz")
    frontpage.save_layout(plan(Placement(LEAD, 0, stories[5].pk)), by=other)
    response = client.post(SCREEN, opened)
    html = response.content.decode()
    assert response.status_code == 409
    assert "saved version" in html and "Ines Ortiz" in html and "Nothing was saved" in html
    assert FrontPageLayout.objects.count() == 1
    again = re.search(r'name="base_version" value="(\d+)"', html).group(1)
    assert client.post(SCREEN, {**opened, "base_version": again}).status_code == 302
    client.logout()
    assert lead_and_top(client)[0] == "Story 7"


def test_a_journalist_sees_the_screen_but_cannot_save_undo_or_preview(client, stories, journalist):
    client.force_login(journalist)
    response = client.get(SCREEN)
    assert response.status_code == 200
    assert "Editors arrange the front page" in response.content.decode()
    assert 'type="submit" class="default"' not in response.content.decode()
    assert client.post(SCREEN, form_data(lead_story=stories[7].pk)).status_code == 403
    assert client.post(UNDO).status_code == 403
    assert client.post(PREVIEW, form_data(lead_story=stories[7].pk)).status_code == 403
    assert not FrontPageLayout.objects.exists()


def test_a_reader_without_an_account_is_sent_to_log_in(client, stories):
    assert client.get(SCREEN).status_code == 302
    assert client.post(SCREEN, form_data(lead_story=stories[7].pk)).status_code == 302
    assert not FrontPageLayout.objects.exists()


def test_an_unknown_story_is_refused_with_a_clear_error_and_nothing_is_lost(
    client, stories, editor
):
    client.force_login(editor)
    response = client.post(
        SCREEN, form_data(lead_story=999999, top1_story=stories[3].pk, note="Keep me")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is no story number 999999" in html
    assert "Keep me" in html and "Story 3" in html
    assert not FrontPageLayout.objects.exists()


@pytest.mark.parametrize(
    "values,message",
    [
        ({"lead_story": "abc"}, "Enter a whole number"),
        ({"section_order": "1,x"}, "could not be read"),
        ({"effective": "later"}, "Give the time the layout takes effect"),
        ({"effective": "sometime"}, "Select a valid choice"),
        ({"top1_from_0": "01/01/2030", "top1_from_1": "09:00"}, "A pin needs a story"),
    ],
)
def test_bad_input_is_refused_with_a_message_never_a_500(client, stories, editor, values, message):
    client.force_login(editor)
    response = client.post(SCREEN, form_data(**values))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FrontPageLayout.objects.exists()


def test_a_pin_ending_before_it_starts_is_refused(client, stories, editor):
    client.force_login(editor)
    response = client.post(
        SCREEN,
        form_data(
            top1_story=stories[3].pk,
            top1_from_0="01/01/2030",
            top1_from_1="12:00",
            top1_until_0="01/01/2030",
            top1_until_1="09:00",
        ),
    )
    assert "The pin must end after it starts" in response.content.decode()
    assert not FrontPageLayout.objects.exists()


def test_a_story_in_two_places_is_refused(client, stories, editor):
    client.force_login(editor)
    response = client.post(SCREEN, form_data(lead_story=stories[3].pk, top2_story=stories[3].pk))
    assert "already has a place" in response.content.decode()


def test_a_story_that_is_not_public_is_saved_with_a_warning_and_the_place_fills_itself(
    client, stories, editor
):
    draft = make_article(headline="Unfinished draft", status=Article.Status.DRAFT)
    client.force_login(editor)
    response = client.post(SCREEN, form_data(lead_story=draft.pk), follow=True)
    html = response.content.decode()
    assert "“Unfinished draft” is not public" in html and "filled automatically" in html
    assert FrontPageLayout.objects.count() == 1
    client.logout()
    assert lead_and_top(client)[0] == "Story 0"


def test_the_screen_warns_when_a_picked_story_has_left_the_public_site(client, stories, editor):
    frontpage.save_layout(plan(Placement(TOP, 2, stories[4].pk)), by=editor)
    workflow.withdraw(stories[4], by=editor, reason="Rights expired.")
    client.force_login(editor)
    html = client.get(SCREEN).content.decode()
    assert "Top story 3: “Story 4” is not public" in html and "withdrawn" in html


def test_preview_says_when_a_picked_story_will_not_be_shown(client, stories, editor):
    draft = make_article(headline="Unfinished draft", status=Article.Status.DRAFT)
    client.force_login(editor)
    html = client.post(PREVIEW, form_data(lead_story=draft.pk)).content.decode()
    assert "“Unfinished draft” is not public" in html
    assert re.search(r'class="front__lead">.*?Story 0', html, re.S)


def test_preview_renders_the_unsaved_layout_uncached_and_saves_nothing(client, stories, editor):
    client.force_login(editor)
    response = client.post(PREVIEW, form_data(lead_story=stories[7].pk))
    assert response.status_code == 200
    assert {"private", "no-store"} <= {
        part.strip() for part in response["Cache-Control"].split(",")
    }
    html = response.content.decode()
    assert "with the layout not yet saved" in html
    assert re.search(r'class="front__lead">.*?Story 7', html, re.S)
    assert not FrontPageLayout.objects.exists()
    client.logout()
    assert lead_and_top(client)[0] == "Story 0"


def test_story_search_finds_published_and_scheduled_stories_by_headline(client, world, editor):
    make_article(headline="NATO summit opens", section=world)
    make_article(headline="NATO liaison office", publish_at=timezone.now() + timedelta(hours=2))
    make_article(headline="NATO draft", status=Article.Status.DRAFT)
    make_article(headline="NATO expired", expires_at=timezone.now() - timedelta(minutes=1))
    make_article(headline="Grain prices", section=world)
    client.force_login(editor)
    found = client.get(STORIES, {"q": "nato"}).json()["stories"]
    assert sorted(s["headline"] for s in found) == ["NATO liaison office", "NATO summit opens"]
