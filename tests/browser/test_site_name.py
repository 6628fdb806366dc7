"""The site's name in the masthead is text a reader's fonts draw whole: never cut, on a desktop
or a phone, with the fonts the stylesheet asks for or with a much wider fallback."""

import pytest

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# Where the name's text is drawn, and every box on the way up that would clip it.
MEASURE_NAME = """(name) => {
    const banner = document.querySelector("header");
    const walker = document.createTreeWalker(banner, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode()) && !node.textContent.includes(name)) {}
    if (!node) return null;
    const range = document.createRange();
    const start = node.textContent.indexOf(name);
    range.setStart(node, start);
    range.setEnd(node, start + name.length);
    const text = range.getBoundingClientRect();
    const clipped = [];
    for (let box = node.parentElement; box; box = box.parentElement) {
        const style = getComputedStyle(box);
        if (style.overflowX === "visible" && style.overflowY === "visible") continue;
        const edge = box.getBoundingClientRect();
        if (text.left < edge.left - 0.5 || text.right > edge.right + 0.5
            || text.top < edge.top - 0.5 || text.bottom > edge.bottom + 0.5) {
            clipped.push(box.className || box.tagName);
        }
    }
    const search = banner.querySelector("form").getBoundingClientRect();
    const overlapsSearch = !(text.right <= search.left || text.left >= search.right
        || text.bottom <= search.top || text.top >= search.bottom);
    return {left: text.left, right: text.right, width: innerWidth, clipped, overlapsSearch,
            visible: getComputedStyle(node.parentElement).visibility === "visible"};
}"""

# A reader without Georgia, Iowan Old Style or Times: the widest fallback there is.
WIDE_FALLBACK = """() => {
    document.documentElement.style.setProperty("--serif", '"DejaVu Sans Mono", monospace');
    document.documentElement.style.setProperty("--sans", '"DejaVu Sans Mono", monospace');
}"""


def assert_name_whole(page, name, label):
    box = page.evaluate(MEASURE_NAME, name)
    assert box is not None, f"{label}: the masthead does not show {name!r} as text"
    assert box["visible"], f"{label}: the name is hidden"
    assert box["left"] >= 0 and box["right"] <= box["width"], f"{label}: off the screen: {box}"
    assert not box["clipped"], f"{label}: the name is cut by {box['clipped']}"
    assert not box["overlapsSearch"], f"{label}: the name runs under the search form"


@pytest.mark.parametrize(
    "name", ["The Demo Ledger", "The Greater Riverside and Lakeshore Evening Chronicle"]
)
def test_site_name_is_never_cut_whatever_the_fonts_and_screen(new_page, settings, name):
    settings.NEWSROOM_SITE = {**settings.NEWSROOM_SITE, "name": name}
    page = new_page()
    page.goto("/")
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_name_whole(page, name, f"{size['width']} px")
        page.evaluate(WIDE_FALLBACK)
        assert_name_whole(page, name, f"{size['width']} px, wide fallback font")
        page.reload()
