"""An editor arranges the front page; readers see it, and a layout scheduled for 09:00 at 09:00."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from articles import workflow
from articles.models import FrontPageLayout
from articles.newsroom_time import newsroom_zone

from .conftest import axe_violations, describe_violations
from .story import HEADLINE, user, written_and_submitted

pytestmark = pytest.mark.browser

SCREEN = "/admin/articles/frontpagelayout/"
OLDER = "Chipmakers warn of tight supply into next year"
OTHER = "Baltic ports brace for a record grain transit season"


def story_item(page, headline):
    return page.locator(".fp-story").filter(has=page.get_by_role("link", name=headline, exact=True))


def slot(page, label):
    return page.locator(".fp-slot").filter(has=page.get_by_role("heading", name=label, exact=True))


def lead_headline(page):
    return page.locator(".front__lead h3 a")


def test_editor_arranges_lead_and_top_stories_and_readers_see_them(new_page, shoot):
    article = written_and_submitted()
    workflow.publish(article, by=user("editor"))

    editor = new_page("editor")
    editor.goto(SCREEN)
    expect(editor.get_by_role("heading", name="Front page", level=1)).to_be_visible()
    violations = axe_violations(editor)
    assert not violations, describe_violations(violations)

    # With the keyboard: "Place in" beside the story, the place chosen in its list.
    story_item(editor, OLDER).get_by_role("combobox").select_option(label="Lead")
    story_item(editor, OLDER).get_by_role("button", name=re.compile("^Place in")).click()
    expect(slot(editor, "Lead").locator("[data-role=picked]")).to_contain_text(OLDER)
    # With the mouse: dragged from the list onto a place, both in view (a scroll between
    # pressing and moving would start the drag from whatever the sticky list shows then).
    editor.set_viewport_size({"width": 1280, "height": 1200})
    editor.evaluate("window.scrollTo(0, 0)")
    story_item(editor, OTHER).drag_to(slot(editor, "Top story 2"))
    expect(slot(editor, "Top story 2").locator("[data-role=picked]")).to_contain_text(OTHER)
    shoot(editor, "front-page", "arranged")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator(".messagelist")).to_contain_text("the front page shows it now")
    assert FrontPageLayout.objects.get().created_by == user("editor")
    violations = axe_violations(editor)
    assert not violations, describe_violations(violations)
    shoot(editor, "front-page", "screen")

    reader = new_page()
    reader.goto("/")
    expect(lead_headline(reader)).to_have_text(OLDER)
    top = reader.locator(".front__top h3 a")
    expect(top.nth(0)).to_have_text(HEADLINE)  # the newest fills the empty first place
    expect(top.nth(1)).to_have_text(OTHER)
    shoot(reader, "front-page", "home")


def test_a_layout_scheduled_for_nine_appears_on_the_cached_home_page_at_nine(new_page):
    zone = newsroom_zone()
    tomorrow = timezone.localtime(timezone.now(), zone).date() + timedelta(days=1)
    nine = datetime.combine(tomorrow, time(9, 0), tzinfo=zone)

    editor = new_page("editor")
    editor.goto(SCREEN)
    story_item(editor, OLDER).get_by_role("button", name=re.compile("^Place in")).click()
    editor.get_by_label("At a set time").check()
    editor.locator("#id_effective_at_0").fill(tomorrow.strftime("%d/%m/%Y"))
    editor.locator("#id_effective_at_1").fill("09:00")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator(".messagelist")).to_contain_text("the front page changes")
    expect(editor.locator("#fp-scheduled-label + .fp-table")).to_contain_text(
        f"{nine:%a} {tomorrow.day} {nine:%b}, 09:00"
    )
    assert FrontPageLayout.objects.get().effective_at == nine

    reader = new_page()
    with time_machine.travel(nine - timedelta(seconds=2), tick=True):
        reader.goto("/")
        # Asked again past the browser's own cache: the site's page cache has it.
        assert reader.request.get("/").headers["x-page-cache"] == "hit"
        expect(lead_headline(reader)).not_to_have_text(OLDER)
    with time_machine.travel(nine, tick=True):
        reader.reload()
        expect(lead_headline(reader)).to_have_text(OLDER)
