"""Scenario 1: a journalist writes the seed story in the admin and submits it for review."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article, ArticleSource

from .admin_helpers import (
    PROMOTIONAL_LINE,
    body_editor,
    delete_paragraph,
    flash,
    jpeg_bytes,
    paste,
    pick,
    seed_as_copied_from_the_web,
)
from .story import DEK, HEADLINE

pytestmark = pytest.mark.browser


def test_journalist_writes_the_seed_story_and_submits_it_for_review(new_page, shoot):

    page = new_page("journalist")
    page.goto("/admin/articles/article/add/")

    page.get_by_label("Headline:", exact=True).fill(HEADLINE)
    page.get_by_label("Standfirst:", exact=True).fill(DEK)
    editor = body_editor(page)
    paste(page, editor, *seed_as_copied_from_the_web())
    # Everything pasted is in the editor; the page's styles and spans are not.
    expect(editor.locator("p", has_text="Michito Tsuruoka, an assistant professor")).to_be_visible()
    expect(editor.locator("a", has_text="Nikkei Asia")).to_have_attribute(
        "href", "https://asia.nikkei.com/"
    )
    expect(editor.locator("[style], span")).to_have_count(0)
    # The CMS keeps whatever text was pasted (it never silently drops words), so the channel
    # promotion arrives too. It, the aggregator's link to another story, its source line and
    # its writer's bio are not the story: the journalist deletes them, and the source becomes
    # structured data below.
    expect(editor.locator("p", has_text=PROMOTIONAL_LINE)).to_have_count(1)
    for junk in (
        PROMOTIONAL_LINE,
        "NATO Secretary General: China draws conclusions",
        "Source: korrespondent",
        "I am David Wyatt",
    ):
        delete_paragraph(page, editor, junk)

    pick(page, "id_section", "World")
    page.get_by_label("Tags:", exact=True).fill("NATO, Japan, China")

    # The lead image is uploaded in the media library, a dialog inside the article form.
    page.get_by_role("button", name="Choose a lead image").click()
    library = page.get_by_role("dialog", name="Media library")
    library.get_by_label("Drop a picture here").set_input_files(
        {"name": "liaison-office.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    library.get_by_role("textbox", name="Alt text").fill(
        "NATO and Japanese flags outside the alliance's office"
    )
    library.get_by_role("textbox", name="Caption").fill(
        "The alliance would open its Tokyo office next year."
    )
    library.get_by_role("textbox", name="Credit").fill("Photo: Demo Ledger / Priya Nair")
    library.get_by_role("button", name="Upload", exact=True).click()
    library.get_by_role("button", name="Use this picture").click()
    expect(page.locator(".nr-media-chosen")).to_contain_text("NATO and Japanese flags")

    # The writer is already on the byline.
    expect(page.locator("#id_bylines-0-author + .select2")).to_contain_text("Ana Lee")

    page.get_by_role("button", name="Add another Source of this article").click()
    pick(page, "id_article_sources-0-source", "korresp", "korrespondent")
    page.locator("#id_article_sources-0-relation").select_option(label="rewritten from")
    page.get_by_role("button", name="Add another Source of this article").click()
    pick(page, "id_article_sources-1-source", "Nikkei", "Nikkei Asia")
    page.locator("#id_article_sources-1-relation").select_option(label="reported by / citing")
    shoot(page, "1-journalist", "admin-form")

    page.get_by_role("button", name="Save and continue editing").click()
    expect(flash(page)).to_contain_text("was added successfully")
    expect(body_editor(page).locator("p", has_text="liaison office")).not_to_have_count(0)
    expect(body_editor(page)).not_to_contain_text("Telegram")

    workflow = page.locator("#nr-workflow")
    workflow.locator("summary", has_text="Note for the editor").click()
    note = "Rewritten from korrespondent, checked Nikkei."
    workflow.get_by_label("Note for the editor").fill(note)
    workflow.get_by_role("button", name="Submit for review").click()
    expect(flash(page)).to_contain_text("submitted for review")
    expect(page.locator("#nr-workflow")).to_contain_text("In review")
    shoot(page, "1-journalist", "submitted")

    article = Article.objects.get(headline=HEADLINE)
    assert article.status == Article.Status.IN_REVIEW
    assert "Telegram" not in article.body and "Athletistic" not in article.body
    assert "Source:" not in article.body and "David Wyatt" not in article.body
    assert "Michito Tsuruoka" in article.body and "style=" not in article.body
    assert sorted(article.tags.names()) == ["China", "Japan", "NATO"]
    assert [(s.source.name, s.relation) for s in article.article_sources.order_by("position")] == [
        ("korrespondent", ArticleSource.Relation.REWRITTEN_FROM),
        ("Nikkei Asia", ArticleSource.Relation.REPORTED_BY),
    ]
    assert article.lead_image.credit == "Photo: Demo Ledger / Priya Nair"
    assert [b.author.name for b in article.bylines.all()] == ["Ana Lee"]

    # The preview shows the story as readers will see it.
    with page.expect_popup() as preview_info:
        page.get_by_role("link", name="Preview").click()
    preview = preview_info.value
    expect(preview.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(preview.locator("body")).not_to_contain_text("Telegram")
    expect(preview.get_by_text("Photo: Demo Ledger / Priya Nair")).to_be_visible()
    expect(preview.locator(".story__byline")).to_have_text("By Ana Lee")
    expect(preview.get_by_text(re.compile(r"Source:\s+korrespondent"))).to_be_visible()
    expect(preview.get_by_text(re.compile(r"Originally reported by\s+Nikkei Asia"))).to_be_visible()
    expect(
        preview.get_by_alt_text("NATO and Japanese flags outside the alliance's office")
    ).to_be_visible()
    shoot(preview, "1-journalist", "preview")
