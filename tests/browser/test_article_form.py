"""The article form as a journalist sees it: a writing desk (the story in view on load, its
settings in a side panel, bylines ordered by dragging or by keyboard), the headline's limit
while typing, and an editor toolbar whose every control is drawn whatever fonts the machine
has."""

import pytest
from playwright.sync_api import expect

from articles.models import Article

from .admin_helpers import flash, pick

pytestmark = pytest.mark.browser


def test_the_headline_shows_its_limit_while_typing_and_keeps_every_character(new_page, shoot):
    journalist = new_page("journalist")
    journalist.goto("/admin/articles/article/add/")
    headline = journalist.get_by_label("Headline:", exact=True)
    counter = journalist.locator("#id_headline_length")
    expect(counter).to_have_text("0 of 200 characters")
    headline.fill("Port strike talks resume")
    expect(counter).to_have_text("24 of 200 characters")

    too_long = "A headline that goes on " * 10  # 240 characters, 239 once trimmed
    headline.fill(too_long)
    expect(counter).to_contain_text("239 of 200 characters")
    expect(counter).to_contain_text("Shorten it by 39 characters")
    assert len(headline.input_value()) == 240  # nothing cut
    assert "Shorten it by 39 characters" in headline.evaluate("e => e.validationMessage")
    shoot(journalist, "article-form", "headline-too-long")
    journalist.get_by_role("button", name="Save and continue editing").click()
    expect(journalist).to_have_url(journalist.url)  # the browser kept the form
    assert "/add/" in journalist.url


def test_the_paragraph_style_menu_draws_its_arrow_without_a_font_glyph(new_page):
    journalist = new_page("journalist")
    journalist.goto("/admin/articles/article/add/")
    menu = journalist.locator(".prose-menubar__selected").first
    expect(menu).to_be_visible()
    arrow = menu.evaluate(
        """e => {
            const s = getComputedStyle(e, "::after");
            return {content: s.content, border: s.borderTopWidth, width: s.width};
        }"""
    )
    # No character to look up in a font (the editor's "⏷" is a box on many machines): a
    # triangle drawn with borders.
    assert arrow["content"] in ('""', "none", ""), arrow
    assert arrow["border"] == "5px", arrow


# The writing desk ---------------------------------------------------------------------------


def draft_with_three_bylines():
    """Ana Lee's draft, credited to her, then David Wyatt, then Maya Okafor."""
    from articles.models import Byline
    from authors.models import Author

    from .story import user

    journalist = user("journalist")
    article = Article.objects.create(
        headline="Port strike talks resume as deadline nears",
        body="<p>Dock workers' unions and port operators resumed talks on Thursday.</p>",
        created_by=journalist,
        modified_by=journalist,
    )
    for position, name in enumerate(["Ana Lee", "David Wyatt", "Maya Okafor"]):
        Byline.objects.create(
            article=article, author=Author.objects.get(name=name), position=position
        )
    return article


def saved_byline(article):
    return list(article.bylines.order_by("position").values_list("author__name", flat=True))


def byline_row(page, name):
    return page.locator("#bylines-group .nr-ordered-row:not(.empty-form)").filter(
        has=page.locator(".select2-selection__rendered", has_text=name)
    )


def shown_byline(page):
    return page.locator(
        "#bylines-group .nr-ordered-row:not(.empty-form) .field-author .select2-selection__rendered"
    ).all_inner_texts()


def test_at_1280_by_800_the_headline_body_and_action_bar_are_in_view_on_load(new_page):
    for who in ("journalist", "editor"):
        page = new_page(who)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto("/admin/articles/article/add/")
        body = page.locator(".field-body .ProseMirror[contenteditable=true]")
        body.wait_for()
        for part in (
            page.get_by_label("Headline:", exact=True),
            page.locator("#nr-workflow"),
            page.get_by_role("button", name="Save and continue editing"),
            page.locator("#autosave-status"),
        ):
            expect(part).to_be_in_viewport()
        # The body's first paragraphs: at least a third of the screen's height of it.
        box = body.bounding_box()
        assert box["y"] < 800 - 800 / 3, box
        assert page.evaluate("() => window.scrollY") == 0


def test_on_a_phone_the_panel_follows_the_body(new_page):
    page = new_page("journalist")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/admin/articles/article/add/")
    body = page.locator(".field-body .ProseMirror[contenteditable=true]")
    body.wait_for()
    panel = page.locator(".nr-desk-side").bounding_box()
    assert panel["y"] >= body.bounding_box()["y"] + body.bounding_box()["height"]
    assert panel["x"] + panel["width"] <= 390
    # The save buttons stay at the foot of the screen.
    expect(page.get_by_role("button", name="Save and continue editing")).to_be_in_viewport()


def test_bylines_are_reordered_by_dragging_and_saved_in_that_order(new_page, shoot):
    article = draft_with_three_bylines()
    page = new_page("journalist")
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    expect(page.locator("#bylines-group").get_by_role("spinbutton")).to_have_count(0)
    assert shown_byline(page) == ["Ana Lee", "David Wyatt", "Maya Okafor"]

    # Maya Okafor dragged by her handle to the top.
    handle = byline_row(page, "Maya Okafor").locator(".nr-handle")
    target = byline_row(page, "Ana Lee").locator("h3")
    handle.hover()
    page.mouse.down()
    box = target.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 2, steps=8)
    page.mouse.up()
    assert shown_byline(page) == ["Maya Okafor", "Ana Lee", "David Wyatt"]
    expect(page.locator("#bylines-order-status")).to_have_text("Maya Okafor moved to place 1 of 3.")
    shoot(page, "desk", "byline-dragged")

    page.get_by_role("button", name="Save and continue editing").click()
    expect(flash(page)).to_contain_text("was changed successfully")
    assert saved_byline(article) == ["Maya Okafor", "Ana Lee", "David Wyatt"]
    assert shown_byline(page) == ["Maya Okafor", "Ana Lee", "David Wyatt"]


def test_bylines_are_reordered_by_keyboard_with_a_new_row_and_saved_in_that_order(new_page):
    article = draft_with_three_bylines()
    page = new_page("journalist")
    page.goto(f"/admin/articles/article/{article.pk}/change/")

    # A new credit, added last, then moved up twice with the arrow key on its handle.
    page.get_by_role("button", name="Add another Byline").click()
    pick(page, "id_bylines-3-author", "Priya", "Priya Natarajan")
    page.locator("#id_bylines-3-role").select_option(label="additional reporting by")
    handle = byline_row(page, "Priya Natarajan").locator(".nr-handle")
    handle.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(handle).to_be_focused()
    expect(page.locator("#bylines-order-status")).to_have_text(
        "Priya Natarajan moved to place 2 of 4."
    )
    # And David Wyatt down one with his "Move down" button.
    byline_row(page, "David Wyatt").get_by_role("button", name="Move down").click()
    assert shown_byline(page) == ["Ana Lee", "Priya Natarajan", "Maya Okafor", "David Wyatt"]

    page.get_by_role("button", name="Save and continue editing").click()
    expect(flash(page)).to_contain_text("was changed successfully")
    assert saved_byline(article) == ["Ana Lee", "Priya Natarajan", "Maya Okafor", "David Wyatt"]
    assert shown_byline(page) == ["Ana Lee", "Priya Natarajan", "Maya Okafor", "David Wyatt"]


def test_the_source_address_is_a_plain_box_and_journalists_see_no_red_cross(new_page):
    from articles.models import ArticleSource, Source

    article = draft_with_three_bylines()
    ArticleSource.objects.create(
        article=article,
        source=Source.objects.get(name="korrespondent"),
        original_url="https://korrespondent.example/nato-tokyo",
    )
    page = new_page("journalist")
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    url = page.locator("#id_article_sources-0-original_url")
    expect(url).to_have_value("https://korrespondent.example/nato-tokyo")
    expect(page.locator("#article_sources-0 .field-original_url")).not_to_contain_text("Currently")
    lead = page.locator(".field-lead_story")
    expect(lead).to_contain_text("Editors choose the home page's lead story.")
    expect(lead.locator("img")).to_have_count(0)
