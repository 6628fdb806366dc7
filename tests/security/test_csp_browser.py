"""The admin and its body editor work under the site's Content Security Policy, in Chromium.

Every policy violation the browser reports (console message or `securitypolicyviolation`
event) fails the test: a blocked script would mean a broken editor in production.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def watch(page):
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    return console


def violations(page, console):
    return console + page.evaluate("window.__cspViolations || []")


@pytest.mark.parametrize("username", ["journalist", "editor"])
def test_the_article_form_and_its_body_editor_work_under_the_csp(new_page, username):
    page = new_page()
    console = watch(page)
    log_in(page, username)
    page.goto("/admin/articles/article/add/")
    editor = page.locator(".prose-editor:has(#id_body) .ProseMirror[contenteditable=true]")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type("Typed under a strict policy.")
    page.keyboard.press("ControlOrMeta+B")
    page.keyboard.type(" Bold too.")
    expect(editor.locator("strong")).to_contain_text("Bold too.")
    # The editor writes back into the hidden field the form submits.
    page.get_by_label("Headline:", exact=True).click()
    assert "Typed under a strict policy." in page.locator("#id_body").input_value()
    assert violations(page, console) == []


def test_admin_pages_with_scripts_load_without_policy_violations(new_page):
    from articles.models import Article

    page = new_page()
    console = watch(page)
    log_in(page, "editor")
    article = Article.objects.published().first()
    for path in [
        "/admin/",
        "/admin/articles/article/",
        f"/admin/articles/article/{article.pk}/change/",
        "/admin/articles/image/add/",
        "/",
        article.get_absolute_url(),
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert violations(page, console) == []
