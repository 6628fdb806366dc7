"""Scenario 6: a share-preview link works for someone without a login until it is revoked."""

import re

import pytest
from playwright.sync_api import expect

from .admin_helpers import admin_path, flash
from .story import HEADLINE, written_and_submitted

pytestmark = pytest.mark.browser


def test_share_link_opens_logged_out_and_answers_404_once_the_editor_revokes_it(new_page, shoot):
    article = written_and_submitted()

    editor = new_page("editor")
    editor.goto(f"/admin/articles/article/{article.pk}/change/")
    editor.get_by_role("link", name="Share links").click()
    editor.get_by_role("button", name="Create a link").click()
    expect(flash(editor)).to_contain_text("Share link created")
    link = editor.locator("input[readonly]").first
    shared_path = admin_path(link.input_value())
    shoot(editor, "6-share", "share-links")

    # Someone outside the newsroom: a fresh browser with no session.
    guest = new_page()
    response = guest.goto(shared_path)
    assert response.status == 200
    assert "no-store" in response.headers["cache-control"]
    expect(guest.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(guest.get_by_role("status").first).to_contain_text("Preview")
    assert "noindex" in response.headers["x-robots-tag"]
    robots = guest.locator("meta[name=robots]").evaluate_all("(m) => m.map((e) => e.content)")
    assert robots and all("noindex" in content for content in robots), robots
    expect(guest.locator("main")).to_contain_text("Michito Tsuruoka")
    expect(guest.locator(".story__byline")).to_have_text("By Ana Lee")
    expect(guest.get_by_text(re.compile(r"Source:\s+korrespondent"))).to_be_visible()
    shoot(guest, "6-share", "preview")
    # The story itself is still unpublished.
    assert guest.goto(article.get_absolute_url()).status == 404

    editor.get_by_role("button", name="Revoke").click()
    expect(flash(editor)).to_contain_text("revoked")
    expect(editor.locator("#content-main tbody")).to_contain_text("revoked")

    assert guest.goto(shared_path).status == 404
    assert new_page().goto(shared_path).status == 404
