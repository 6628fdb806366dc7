"""Scenario 2: the editor returns the story with a note, the journalist revises and resubmits,
the editor schedules it and finds it on the calendar."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles import workflow
from articles.models import Article
from articles.newsroom_time import newsroom_zone

from .admin_helpers import body_editor, flash, replace_text
from .story import HEADLINE, user, written_and_submitted

LATER_HEADLINE = "Election commission budget comes under scrutiny"

pytestmark = pytest.mark.browser


def test_editor_returns_the_story_with_a_note_then_schedules_the_resubmitted_version(
    new_page, shoot
):

    article = written_and_submitted()
    # Submitted after ours: the queue is oldest first, so it must come below.
    later = Article.objects.get(headline=LATER_HEADLINE)
    workflow.submit(later, by=user("journalist"))
    note = "Please give the Danish ambassador's name as his embassy spells it: Taksøe-Jensen."

    editor = new_page("editor")
    editor.goto("/admin/articles/article/")
    editor.get_by_role("link", name="Awaiting review", exact=True).click()
    queue = editor.locator("#result_list")
    expect(queue.get_by_role("link", name=HEADLINE)).to_be_visible()
    expect(queue.get_by_role("link", name=LATER_HEADLINE)).to_be_visible()
    rows = queue.locator("tbody tr").all_inner_texts()
    assert next(i for i, r in enumerate(rows) if HEADLINE in r) < next(
        i for i, r in enumerate(rows) if LATER_HEADLINE in r
    ), rows
    shoot(editor, "2-review", "review-queue")
    queue.get_by_role("link", name=HEADLINE).click()
    editor.locator("#nr-workflow").get_by_role("link", name="Return to writer").click()
    # Returning without saying what to change is not possible.
    note_field = editor.get_by_label("What should the writer change?")
    editor.get_by_role("button", name="Return to writer").click()
    assert note_field.evaluate("(field) => field.validity.valueMissing")
    expect(editor).to_have_url(re.compile(r"/transition/return/$"))
    note_field.fill(note)
    editor.get_by_role("button", name="Return to writer").click()
    expect(flash(editor)).to_contain_text("returned to the writer")

    journalist = new_page("journalist")
    journalist.goto("/admin/articles/article/")
    journalist.get_by_role("link", name="My articles", exact=True).click()
    row = journalist.locator("#result_list tr", has_text=HEADLINE)
    expect(row).to_contain_text("Returned to writer")
    row.get_by_role("link", name=HEADLINE).click()
    returned = journalist.locator("#nr-returned")
    expect(returned).to_contain_text("Returned to you by Tom Ruiz")
    expect(returned).to_contain_text(note)
    shoot(journalist, "2-review", "returned-note")
    replace_text(journalist, body_editor(journalist), "Peter Taxo-Jensen", "Peter Taksøe-Jensen")
    # One click saves the fix and submits it again.
    journalist.locator("#nr-workflow").get_by_role("button", name="Submit for review").click()
    expect(flash(journalist)).to_contain_text("was changed successfully")
    expect(flash(journalist)).to_contain_text("submitted for review")

    editor.goto("/admin/articles/article/?state=in_review")
    editor.locator("#result_list").get_by_role("link", name=HEADLINE).click()
    expect(body_editor(editor)).to_contain_text("Peter Taksøe-Jensen, Danish Ambassador")
    editor.locator("#nr-workflow").get_by_role("link", name="Schedule", exact=True).click()
    go_live = timezone.localtime(timezone.now() + timedelta(minutes=20), newsroom_zone())
    go_live = go_live.replace(second=0, microsecond=0)
    editor.get_by_label("Date:").fill(go_live.strftime("%Y-%m-%d"))
    editor.get_by_label("Time:").fill(go_live.strftime("%H:%M"))
    shoot(editor, "2-review", "schedule")
    editor.get_by_role("button", name="Schedule").click()
    expect(flash(editor)).to_contain_text("scheduled")
    expect(editor.locator("#nr-workflow")).to_contain_text("Scheduled")
    expect(editor.locator("#nr-workflow")).to_contain_text(go_live.strftime("%H:%M"))

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.publish_at == go_live
    assert not Article.objects.published().filter(pk=article.pk).exists()

    # The day's schedule: the story sits on its day at its minute.
    editor.goto("/admin/articles/article/")
    editor.get_by_role("link", name="Calendar", exact=True).click()
    expect(editor.get_by_role("heading", name="Editorial calendar")).to_be_visible()
    if not editor.locator(f"td[data-date='{go_live:%Y-%m-%d}']").count():
        # Twenty minutes from now can be next week (late on a Sunday).
        editor.get_by_role("link", name="Later ›").click()
        expect(editor).to_have_url(re.compile(r"[?&]date="))
    day = editor.locator(f"td[data-date='{go_live:%Y-%m-%d}']")
    expect(day.get_by_role("link", name=re.compile(re.escape(HEADLINE[:40])))).to_contain_text(
        go_live.strftime("%H:%M")
    )
    # Ours, marked scheduled (the demo's own scheduled story falls on the same day when the
    # test runs in the small hours).
    expect(day.locator(".nr-entry.nr-scheduled", has_text=HEADLINE[:40])).to_have_count(1)
    shoot(editor, "2-review", "calendar")
