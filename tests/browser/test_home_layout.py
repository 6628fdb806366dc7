"""The home page's top looks finished whether its lead story has a picture or not: no wide
blank under the lead while the other top stories run on beside it."""

import pytest
from django.core.cache import cache

from articles.models import Article

from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# The tallest run of empty page straight below the lead story, inside the top-stories block:
# heights where no story's picture or text stands under any part of the lead.
BLANK_UNDER_LEAD = """() => {
    const front = document.querySelector(".front").getBoundingClientRect();
    const lead = document.querySelector(".front__lead article").getBoundingClientRect();
    const below = [...document.querySelectorAll(".front article > *")]
        .map((part) => part.getBoundingClientRect())
        .filter((r) => r.height > 0 && r.right > lead.left && r.left < lead.right
                       && r.bottom > lead.bottom)
        .sort((a, b) => a.top - b.top);
    let reached = lead.bottom, longest = 0;
    for (const r of below) {
        longest = Math.max(longest, r.top - reached);
        reached = Math.max(reached, r.bottom);
    }
    const padding = parseFloat(getComputedStyle(document.querySelector(".front")).paddingBottom);
    return Math.round(Math.max(longest, front.bottom - padding - reached));
}"""


@pytest.mark.parametrize("pictured", [True, False], ids=["lead with picture", "lead without"])
def test_home_page_top_has_no_wide_blank_under_the_lead(new_page, shoot, pictured):
    page = new_page()
    page.goto("/")
    lead_url = page.locator(".front__lead h3 a").get_attribute("href")
    lead = next(a for a in Article.objects.published() if a.get_absolute_url() == lead_url)
    if pictured:
        assert lead.lead_image_id, "the demo's lead story has a picture"
    else:
        Article.objects.filter(pk=lead.pk).update(lead_image=None)
        cache.clear()
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.reload()
        page.evaluate("window.scrollTo(0, 0)")
        assert page.locator(".front__lead .card__media").count() == int(pictured)
        blank = page.evaluate(BLANK_UNDER_LEAD)
        assert blank <= 80, f"{size['width']} px: {blank} px of blank page under the lead"
    shoot(page, "home-top", "with-picture" if pictured else "without-picture")
