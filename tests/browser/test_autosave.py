"""Autosave in a real browser: a closed tab loses nothing, a lost connection loses nothing,
and the offer to restore reads well and passes axe."""

import re
import time

import pytest
from playwright.sync_api import expect

from articles.models import Article, Autosave

from .admin_helpers import body_editor
from .conftest import axe_violations, describe_violations
from .story import user

pytestmark = pytest.mark.browser

# What a journalist types, with what a careless round trip would lose or rewrite.
HEADLINE = "Tokyo’s “liaison” office: <b>not bold</b> & 😀 café  "
DEK = 'First line, "straight" and ‘curly’ quotes, <tags> 🇺🇦\nsecond line   \n  indented  '
BODY_FIRST = "A paragraph with <script>alert(1)</script> & emoji 🎉 and trailing spaces   "
BODY_SECOND = "Second paragraph — “quoted”  with two spaces."


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def draft_of(username, headline="Draft headline"):
    from articles import revisions
    from tests.factories import make_article

    article = make_article(
        status=Article.Status.DRAFT,
        created_by=user(username),
        headline=headline,
        dek="Old standfirst.",
        body="<p>Old body.</p>",
    )
    # Its first save's revision: what a stale save is merged against.
    revisions.store(article, by=user(username))
    return article


def form_values(page):
    return page.evaluate(
        """() => ({
            headline: document.getElementById("id_headline").value,
            dek: document.getElementById("id_dek").value,
            body: document.getElementById("id_body").value,
            editor: [...document.querySelectorAll(".prose-editor:has(#id_body) .ProseMirror")]
                .map((e) => e.editor).find(Boolean).getHTML(),
            base_version: document.querySelector("[name=base_version]").value,
        })"""
    )


def test_a_closed_tab_is_restored_character_for_character(new_page, shoot):
    article = draft_of("journalist")
    url = f"/admin/articles/article/{article.pk}/change/"
    page = new_page("journalist")
    page.goto(url)
    requests = []
    page.on(
        "request",
        lambda r: requests.append(time.monotonic()) if r.url.endswith("/autosave/") else None,
    )

    page.locator("#id_headline").fill(HEADLINE)
    page.locator("#id_dek").fill(DEK)
    editor = body_editor(page)
    editor.click()
    page.keyboard.press("ControlOrMeta+A")
    # About six seconds of steady typing: at most one autosave request per five seconds.
    started = time.monotonic()
    page.keyboard.type(BODY_FIRST, delay=60)
    page.keyboard.press("Enter")
    page.keyboard.type(BODY_SECOND, delay=60)
    typed_for = time.monotonic() - started
    assert len(requests) <= typed_for / 5 + 1, (len(requests), typed_for)
    typed = form_values(page)
    # The body as typed, trailing spaces and markup-looking text included (as text).
    assert "trailing spaces   </p>" in typed["body"], typed["body"]
    assert "&lt;script&gt;" in typed["body"]

    # Closed at once, before the next autosave was due: leaving the page sends it.
    page.close(run_before_unload=True)
    assert wait_for(
        lambda: (
            Autosave.objects.filter(article=article).exists()
            and ["dek", DEK] in Autosave.objects.get(article=article).fields
            and any(
                name == "body" and "two spaces" in value
                for name, value in Autosave.objects.get(article=article).fields
            )
        )
    ), "the form left with the tab was not autosaved"
    article.refresh_from_db()
    assert article.headline == "Draft headline"  # an autosave is not a save

    page = new_page("journalist")
    page.goto(url)
    offer = page.locator("#nr-autosave-offer")
    expect(offer).to_be_visible()
    restore = offer.get_by_role("button", name=re.compile(r"^Restore the autosave from \d\d:\d\d$"))
    expect(restore).to_be_visible()
    expect(offer.get_by_role("button", name="Discard")).to_be_visible()
    expect(offer.locator("ins").first).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    shoot(page, "autosave", "restore-offer")

    restore.click()
    expect(offer).to_have_count(0)
    expect(page.locator("#autosave-status")).to_contain_text("restored")
    restored = form_values(page)
    assert restored["headline"] == HEADLINE
    assert restored["dek"] == DEK
    assert restored["body"] == typed["body"]
    assert restored["editor"] == typed["editor"]
    assert restored["base_version"] == typed["base_version"]

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    article.refresh_from_db()
    assert article.headline == HEADLINE.strip()
    assert "🎉" in article.body and "two spaces" in article.body
    assert not Autosave.objects.filter(article=article).exists()


def test_typing_offline_is_kept_in_the_browser_and_saved_when_the_connection_returns(new_page):
    article = draft_of("journalist")
    page = new_page("journalist")
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    status = page.locator("#autosave-status")

    page.context.set_offline(True)
    page.locator("#id_dek").fill(DEK)
    expect(status).to_have_text("Offline — changes kept in this browser")
    kept = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('newsroom-autosave:'))"
    )
    assert len(kept) == 1
    page.wait_for_timeout(2500)  # past the quiet time: nothing could have reached the server
    assert not Autosave.objects.filter(article=article).exists()

    page.context.set_offline(False)
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"), timeout=15_000)
    saved = Autosave.objects.get(article=article)
    assert ["dek", DEK] in saved.fields
    assert (
        page.evaluate(
            "() => Object.keys(localStorage).filter((k) => k.startsWith('newsroom-autosave:'))"
        )
        == []
    )


def test_a_new_article_never_saved_is_offered_on_the_next_add_form(new_page, screenshot_dir):
    page = new_page("journalist")
    page.goto("/admin/articles/article/add/")
    first_key = page.locator("[name=autosave_draft_key]").input_value()
    page.locator("#id_headline").fill(HEADLINE)
    page.locator("#id_dek").fill(DEK)
    status = page.locator("#autosave-status")
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    page.locator(".submit-row").first.screenshot(path=str(screenshot_dir / "autosave-status.png"))
    assert Autosave.objects.get(article=None).draft_key == first_key

    page.goto("/admin/articles/article/add/")
    offer = page.locator("#nr-autosave-offer")
    expect(offer).to_contain_text("You have a new article that was never saved")
    offer.get_by_role("button", name=re.compile("^Restore the autosave from")).click()
    assert page.locator("#id_headline").input_value() == HEADLINE
    assert page.locator("#id_dek").input_value() == DEK
    # The restored form carries on as the autosaved one: saving it spends that autosave.
    assert page.locator("[name=autosave_draft_key]").input_value() == first_key
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    assert Article.objects.filter(headline=HEADLINE.strip()).exists()
    assert not Autosave.objects.exists()


def test_a_restored_autosave_never_overwrites_a_newer_save_by_someone_else(new_page):
    article = draft_of("journalist")
    url = f"/admin/articles/article/{article.pk}/change/"
    ana = new_page("journalist")
    ana.goto(url)
    ana.locator("#id_headline").fill("Ana's autosaved headline")
    expect(ana.locator("#autosave-status")).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    ana.close()

    # Tom saves the standfirst after Ana's form was opened.
    tom = new_page("editor")
    tom.goto(url)
    tom.locator("#id_dek").fill("Tom's standfirst.")
    tom.get_by_role("button", name="Save and continue editing").click()
    expect(tom.locator("ul.messagelist")).to_contain_text("was changed successfully")

    ana = new_page("journalist")
    ana.goto(url)
    offer = ana.locator("#nr-autosave-offer")
    expect(offer).to_contain_text("Tom Ruiz saved this article at")
    offer.get_by_role("button", name=re.compile("^Restore the autosave from")).click()
    # The form carries the version Ana's edits were made from, not the one it opened at.
    assert ana.locator("[name=base_version]").input_value() == "1"
    ana.get_by_role("button", name="Save and continue editing").click()
    expect(ana.locator("#nr-conflict")).to_contain_text("Tom's standfirst.")
    article.refresh_from_db()
    assert (article.headline, article.dek) == ("Draft headline", "Tom's standfirst.")

    # Having seen Tom's change, saving again keeps both: her headline, his standfirst.
    ana.get_by_role("button", name="Save and continue editing").click()
    expect(ana.locator("ul.messagelist")).to_contain_text("was changed successfully")
    article.refresh_from_db()
    assert (article.headline, article.dek) == ("Ana's autosaved headline", "Tom's standfirst.")
