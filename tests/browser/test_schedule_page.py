"""The schedule page as an editor sees it: the admin's date and time pickers, drawn and placed
as on any admin form, and one date format from the shortcuts to the error."""

import re

import pytest
from playwright.sync_api import expect

from .story import written_and_submitted

pytestmark = pytest.mark.browser


def test_the_pickers_are_styled_open_by_their_field_and_speak_one_format(
    new_page, shoot, screenshot_dir
):
    article = written_and_submitted()
    editor = new_page("editor")
    editor.goto(f"/admin/articles/article/{article.pk}/transition/schedule/")

    calendar_button = editor.locator("#calendarlink0 .date-icon")
    clock_button = editor.locator("#clocklink0 .clock-icon")
    for button in (calendar_button, clock_button):
        box = button.bounding_box()
        assert box["width"] >= 16 and box["height"] >= 16, box  # an icon, not a 16×6 bar
    assert "DD/MM/YYYY and HH:MM:SS" in editor.locator(".field-at .help").inner_text()

    calendar_button.click()
    calendar = editor.locator("#calendarbox0")
    expect(calendar).to_be_visible()
    field = editor.get_by_label("Date:").bounding_box()
    opened = calendar.bounding_box()
    # It opens beside its field, not somewhere down the page.
    assert abs(opened["y"] - field["y"]) < 80, (opened, field)
    assert abs(opened["x"] - (field["x"] + field["width"])) < 200, (opened, field)
    calendar.locator(".calendar-shortcuts").get_by_text("Today").click()
    expect(editor.get_by_label("Date:")).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
    editor.locator(".field-at .datetimeshortcuts").get_by_role("button", name="Now").click()
    expect(editor.get_by_label("Time:")).to_have_value(re.compile(r"^\d\d:\d\d:\d\d$"))

    editor.get_by_label("Date:").fill("2026-13-45")
    editor.get_by_role("button", name="Schedule").click()
    expect(editor.locator(".field-at .errorlist")).to_have_text("Enter the date as DD/MM/YYYY.")
    shoot(editor, "schedule", "error")
    calendar_button.click()
    expect(calendar).to_be_visible()
    editor.screenshot(path=str(screenshot_dir / "schedule-calendar-open-1280.png"))
