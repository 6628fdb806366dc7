"""Scenario 4: a reader reports the misspelt name; the editor corrects it with a public note."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from articles import workflow

from .admin_helpers import body_editor, flash, replace_text
from .story import HEADLINE, user, written_and_submitted

pytestmark = pytest.mark.browser

NOTE = "An earlier version of this article misspelt Michito Tsuruoka's name."


def datetime_attribute(locator):
    return datetime.fromisoformat(locator.get_attribute("datetime"))


def test_editor_corrects_a_published_name_and_readers_see_the_dated_note_and_new_updated_time(
    new_page, shoot
):
    article = written_and_submitted()
    # Published at 09:00, two hours before the reader's e-mail.
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        workflow.publish(article, by=user("editor"))
    article.refresh_from_db()

    reader = new_page()
    reader.goto(article.get_absolute_url())
    story = reader.locator("main")
    expect(story).to_contain_text("Tsuruoki noted that a NATO foothold")
    dates = reader.locator(".story__dates")
    expect(dates).not_to_contain_text("Updated")
    published = datetime_attribute(dates.locator("time").first)
    expect(reader.locator(".story__corrections")).to_have_count(0)

    editor = new_page("editor")
    editor.goto(f"/admin/articles/article/{article.pk}/change/")
    replace_text(editor, body_editor(editor), "Tsuruoki noted", "Tsuruoka noted")
    editor.locator("summary", has_text="Corrections and updates").click()
    editor.get_by_role("button", name=re.compile("Add another Correction")).click()
    correction = editor.locator("#corrections-0")
    correction.get_by_label("Kind:").select_option(label="Correction")
    correction.get_by_label("Public text:").fill(NOTE)
    shoot(editor, "4-correction", "admin-form")
    editor.get_by_role("button", name="Save and continue editing").click()
    expect(flash(editor)).to_contain_text("was changed successfully")
    expect(editor.locator("#nr-workflow")).to_contain_text("Updated")

    # The reader reloads the page they had open.
    reader.reload()
    expect(story).to_contain_text("Tsuruoka noted that a NATO foothold")
    expect(story).not_to_contain_text("Tsuruoki")
    corrections = reader.locator(".story__corrections")
    expect(corrections).to_contain_text(NOTE)
    expect(corrections.locator("time")).to_have_attribute(
        "datetime", re.compile(rf"^{timezone.localdate():%Y-%m-%d}T")
    )
    expect(dates).to_contain_text("Updated")
    updated = datetime_attribute(dates.locator("time").nth(1))
    assert published + timedelta(hours=1) < updated <= timezone.now() + timedelta(minutes=1)
    assert datetime_attribute(dates.locator("time").first) == published
    expect(reader.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    shoot(reader, "4-correction", "article")
