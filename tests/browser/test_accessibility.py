"""axe-core in Chromium: the public pages, the article form and the article list have no serious
or critical accessibility violations."""

import json
import re

import pytest
from playwright.sync_api import expect

from articles.models import Article
from authors.models import Author

from .conftest import DESKTOP, PHONE, REPO, axe_violations, describe_violations

pytestmark = pytest.mark.browser

PICTURED_STORY = "Baltic ports brace for a record grain transit season"

ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


def public_pages():
    story = Article.objects.published().get(headline=PICTURED_STORY)
    return {
        "home": "/",
        "article": story.get_absolute_url(),
        "section": story.section.get_absolute_url(),
        "author": Author.objects.get(name="Ana Lee").get_absolute_url(),
        "search": "/search/?q=NATO",
    }


@pytest.mark.parametrize("page_name", ["home", "article", "section", "author", "search"])
def test_public_page_has_no_serious_or_critical_accessibility_violations(new_page, page_name):
    page = new_page()
    response = page.goto(public_pages()[page_name])
    assert response.status == 200
    assert page.locator("main a").count() > 0, "the page has content to audit"

    # As most readers see it, in dark mode, and on a phone.
    found = {}
    for label, scheme, viewport in [
        ("desktop", "light", DESKTOP),
        ("desktop, dark mode", "dark", DESKTOP),
        ("phone", "light", PHONE),
    ]:
        page.emulate_media(color_scheme=scheme)
        page.set_viewport_size(viewport)
        # Loaded afresh: axe must not sample colours halfway through a CSS transition.
        page.reload()
        if violations := axe_violations(page):
            found[label] = describe_violations(violations)

    assert not found, "\n".join(f"{label}:\n{text}" for label, text in found.items())


def audit_admin_page(page, name):
    """Serious and critical violations on an admin page; every finding is saved for reviewers."""
    violations = axe_violations(page, impacts=ALL_IMPACTS)
    report = REPO / "artifacts" / "axe" / f"{name}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(violations, indent=2), encoding="utf-8")
    return [v for v in violations if v["impact"] in {"serious", "critical"}]


def test_new_article_form_has_no_serious_or_critical_accessibility_violations(new_page):
    page = new_page("journalist")
    page.goto("/admin/articles/article/add/")
    page.locator(".ProseMirror[contenteditable=true]").wait_for()

    unexpected = audit_admin_page(page, "admin-article-form")
    assert not unexpected, describe_violations(unexpected)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize("who", ["journalist", "editor"])
def test_writing_desk_has_no_serious_or_critical_violations_on_desktop_and_phone(
    new_page, viewport, who
):
    story = Article.objects.published().get(headline=PICTURED_STORY)
    page = new_page(who)
    page.set_viewport_size(viewport)
    found = {}
    for name, url in [
        ("new", "/admin/articles/article/add/"),
        ("existing", f"/admin/articles/article/{story.pk}/change/"),
    ]:
        page.goto(url)
        # Drawn once the page's scripts have run (a journalist may only read a live story).
        page.locator("#nr-workflow").wait_for()
        page.wait_for_load_state("load")
        report = f"admin-article-desk-{who}-{name}-{viewport['width']}"
        if unexpected := audit_admin_page(page, report):
            found[name] = describe_violations(unexpected)
    assert not found, "\n".join(f"{name}:\n{text}" for name, text in found.items())


def test_article_form_with_every_section_open_and_new_rows_has_no_serious_violations(new_page):
    story = Article.objects.published().get(headline=PICTURED_STORY)
    page = new_page("editor")
    page.goto(f"/admin/articles/article/{story.pk}/change/")
    page.locator(".ProseMirror[contenteditable=true]").wait_for()
    page.evaluate("() => document.querySelectorAll('form details').forEach(d => (d.open = true))")
    # A blank row in every inline: its autocomplete box is drawn when the row is added.
    for add_row in page.locator(".add-row a").all():
        add_row.click()
    new_related = page.locator(".field-related .select2-selection[role=combobox]").last
    expect(new_related).to_have_accessible_name("Related story:")

    unexpected = audit_admin_page(page, "admin-article-form-open")
    assert not unexpected, describe_violations(unexpected)

    # With an autocomplete list open: its search box and highlighted choice.
    page.get_by_role("combobox", name="Section").click()
    expect(page.get_by_role("searchbox", name="Section")).to_be_focused()
    unexpected = audit_admin_page(page, "admin-article-form-autocomplete-open")
    assert not unexpected, describe_violations(unexpected)


def test_article_form_widgets_are_announced_by_their_field_names(new_page):
    page = new_page("journalist")
    page.goto("/admin/articles/article/add/")
    page.locator(".ProseMirror[contenteditable=true]").wait_for()

    body = page.get_by_role("textbox", name="Body")
    expect(body).to_have_attribute("contenteditable", "true")
    expect(page.get_by_role("combobox", name="Section")).to_have_count(1)
    expect(page.get_by_role("button", name="Choose a lead image")).to_have_count(1)
    # The byline row: the writer's own name is the choice, "Author" the field.
    byline = page.locator("#bylines-0")
    expect(byline.get_by_role("combobox", name=re.compile("^Author"))).to_have_count(1)
    expect(byline.get_by_role("combobox", name="Role:", exact=True)).to_have_value("written_by")
    # Its place in the byline is kept out of sight, in a hidden input the page fills.
    expect(byline.get_by_role("spinbutton")).to_have_count(0)
    expect(byline.locator('input[name="bylines-0-position"]')).to_have_attribute("type", "hidden")
    expect(byline.locator('input[name="bylines-0-position"]')).to_have_value("0")

    # The body's label leads to the editor, as a label leads to its field.
    page.get_by_text("Body:", exact=True).click()
    expect(body).to_be_focused()


def test_article_list_filters_are_large_enough_to_tap(new_page):
    page = new_page("editor")
    page.goto("/admin/articles/article/")
    expect(page.locator("#changelist-filter")).to_be_visible()

    unexpected = audit_admin_page(page, "admin-article-list")
    assert not unexpected, describe_violations(unexpected)
