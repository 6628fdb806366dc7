"""The API's docs page works as served to readers: DEBUG off, the site's Content Security
Policy, and nothing fetched from another origin."""

import pytest

pytestmark = pytest.mark.browser


def test_the_api_docs_render_every_route_offline_under_the_sites_policy(new_page, site):
    page = new_page()
    refused, elsewhere = [], []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    page.on("request", lambda r: not r.url.startswith(site) and elsewhere.append(r.url))
    response = page.goto("/api/v1/docs")
    assert "script-src" in response.headers["content-security-policy"]
    page.get_by_text("Newsroom content API").first.wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/articles/{article_id}/ninjs").wait_for()
    assert page.locator(".opblock").count() == 10
    assert not refused, refused
    assert not elsewhere, elsewhere
