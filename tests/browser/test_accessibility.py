"""axe-core in Chromium: the public pages have no serious or critical accessibility violations."""

import pytest

from .conftest import axe_violations, describe_violations

pytestmark = pytest.mark.browser

PICTURED_STORY = "Baltic ports brace for a record grain transit season"


def public_pages():
    from articles.models import Article
    from authors.models import Author

    story = Article.objects.published().get(headline=PICTURED_STORY)
    return {
        "home": "/",
        "article": story.get_absolute_url(),
        "section": story.section.get_absolute_url(),
        "author": Author.objects.get(name="Ana Lee").get_absolute_url(),
    }


@pytest.mark.parametrize("page_name", ["home", "article", "section", "author"])
def test_public_page_has_no_serious_or_critical_accessibility_violations(
    new_page, shoot, page_name
):
    page = new_page()
    response = page.goto(public_pages()[page_name])
    assert response.status == 200

    violations = axe_violations(page)

    assert not violations, describe_violations(violations)
