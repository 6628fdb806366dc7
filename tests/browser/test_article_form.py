"""The article form as a journalist sees it: the headline's limit while typing, and an
editor toolbar whose every control is drawn whatever fonts the machine has."""

import pytest
from playwright.sync_api import expect

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
