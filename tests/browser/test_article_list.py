"""The article list fits the screen it is read on: every column at 1280 px beside the
sidebar and filters, every story's state and last change at 390 px, nothing cut."""

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

OVERFLOW = """() => {
    const results = document.querySelector("#changelist .results");
    const right = results.getBoundingClientRect().right;
    const cut = [...document.querySelectorAll("#result_list .nr-badge, #result_list .nr-when,"
                                              + " #result_list .field-last_change")]
        .filter((e) => e.getBoundingClientRect().right > right + 0.5)
        .map((e) => e.textContent);
    return {scrolls: results.scrollWidth > results.clientWidth + 1, cut,
            page: document.documentElement.scrollWidth > window.innerWidth + 1};
}"""


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "390"])
def test_every_column_of_the_article_list_is_in_view(new_page, shoot, size):
    editor = new_page("editor")
    editor.set_viewport_size(size)
    editor.goto("/admin/articles/article/")
    expect(editor.locator("#result_list .nr-scheduled").first).to_be_visible()
    found = editor.evaluate(OVERFLOW)
    assert found == {"scrolls": False, "cut": [], "page": False}, found
    if size == DESKTOP:
        header = editor.locator("#result_list thead").get_by_text("Last change")
        expect(header).to_be_in_viewport()
        shoot(editor, "article-list", "editor")
