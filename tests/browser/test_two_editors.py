"""Scenario 5: two editors edit one story; the second save is refused and nothing is lost,
neither then nor when she saves again."""

import pytest
from playwright.sync_api import expect

from articles.models import Article, EditingSession

from .admin_helpers import body_editor, flash, replace_text
from .story import written_and_submitted

pytestmark = pytest.mark.browser

PASSWORD = "second editor's demo password"
TOMS_DEK = "NATO's Tokyo office, its first in Asia, is due to open next year."
LENAS_DEK = "Japan will host the alliance's first liaison office in the Indo-Pacific."
LENAS_SENTENCE = "Japan's foreign ministry declined to comment."
LENAS_HEADLINE = "NATO picks Tokyo for its first liaison office in Asia"


@pytest.fixture
def second_editor():
    from tests.factories import make_user

    user = make_user("Editor", username="lena", first_name="Lena", last_name="Vogel")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_second_editor_save_is_refused_with_who_saved_and_her_text_stays_in_the_form(
    new_page, shoot, second_editor
):
    article = written_and_submitted()
    change_url = f"/admin/articles/article/{article.pk}/change/"

    tom = new_page("editor")
    tom.goto(change_url)
    lena = new_page("lena", PASSWORD)
    lena.goto(change_url)
    expect(lena.locator("#nr-editing")).to_contain_text("Tom Ruiz is editing this article")

    tom.get_by_label("Standfirst:", exact=True).fill(TOMS_DEK)
    tom.get_by_role("button", name="Save and continue editing").click()
    expect(flash(tom)).to_contain_text("was changed successfully")

    lena.get_by_label("Standfirst:", exact=True).fill(LENAS_DEK)
    replace_text(
        lena,
        body_editor(lena),
        "This was reported by Nikkei Asia.",
        f"This was reported by Nikkei Asia. {LENAS_SENTENCE}",
    )
    lena.get_by_role("button", name="Save and continue editing").click()

    refusal = lena.locator("#content-main")
    expect(refusal).to_contain_text("Tom Ruiz saved this article at")
    expect(refusal).to_contain_text("Your changes were NOT saved")
    expect(lena.locator("#nr-conflict")).to_contain_text(TOMS_DEK)
    expect(lena.get_by_label("Standfirst:", exact=True)).to_have_value(LENAS_DEK)
    expect(body_editor(lena)).to_contain_text(LENAS_SENTENCE)
    shoot(lena, "5-two-editors", "refused")

    article.refresh_from_db()
    assert article.dek == TOMS_DEK
    assert LENAS_SENTENCE not in article.body
    assert Article.objects.get(pk=article.pk).modified_by.username == "editor"

    # Saving again without choosing is refused again: both changed the standfirst, shown
    # side by side. Choosing hers saves her standfirst and her sentence.
    lena.get_by_role("button", name="Save and continue editing").click()
    both = lena.locator("#nr-both-dek")
    expect(both).to_contain_text(TOMS_DEK)
    expect(both).to_contain_text(LENAS_DEK)
    shoot(lena, "5-two-editors", "both-changed")
    article.refresh_from_db()
    assert article.dek == TOMS_DEK
    both.get_by_label("Keep mine").check()
    lena.get_by_role("button", name="Save and continue editing").click()
    expect(flash(lena)).to_contain_text("was changed successfully")
    article.refresh_from_db()
    assert article.dek == LENAS_DEK
    assert LENAS_SENTENCE in article.body


def test_saving_again_after_a_refusal_carries_the_other_editors_change_forward(
    new_page, second_editor
):
    """Tom changes the standfirst; Lena, in a form opened before, the headline and the body.
    Her first save is refused; pressing Save again keeps Tom's standfirst with her changes."""
    article = written_and_submitted()
    change_url = f"/admin/articles/article/{article.pk}/change/"
    tom = new_page("editor")
    tom.goto(change_url)
    lena = new_page("lena", PASSWORD)
    lena.goto(change_url)

    tom.get_by_label("Standfirst:", exact=True).fill(TOMS_DEK)
    tom.get_by_role("button", name="Save and continue editing").click()
    expect(flash(tom)).to_contain_text("was changed successfully")

    lena.get_by_label("Headline:", exact=True).fill(LENAS_HEADLINE)
    replace_text(
        lena,
        body_editor(lena),
        "This was reported by Nikkei Asia.",
        f"This was reported by Nikkei Asia. {LENAS_SENTENCE}",
    )
    lena.get_by_role("button", name="Save and continue editing").click()
    expect(lena.locator("#content-main")).to_contain_text("Your changes were NOT saved")
    expect(lena.locator("#nr-conflict ins").first).to_contain_text("NATO's Tokyo office")

    lena.get_by_role("button", name="Save and continue editing").click()
    expect(flash(lena)).to_contain_text("Saved together with Tom Ruiz’s changes")
    expect(lena.get_by_label("Standfirst:", exact=True)).to_have_value(TOMS_DEK)
    article.refresh_from_db()
    assert article.dek == TOMS_DEK
    assert article.headline == LENAS_HEADLINE
    assert LENAS_SENTENCE in article.body


@pytest.fixture
def quick_presence(settings):
    """Heartbeats a second apart and a three-second window, so the test waits seconds."""
    settings.NEWSROOM_EDITING_HEARTBEAT_SECONDS = 1
    settings.NEWSROOM_EDITING_WINDOW_SECONDS = 3


def test_the_editing_banner_comes_and_goes_with_the_other_editors_page(
    new_page, second_editor, quick_presence
):
    article = written_and_submitted()
    change_url = f"/admin/articles/article/{article.pk}/change/"
    lena = new_page("lena", PASSWORD)
    lena.goto(change_url)
    expect(lena.locator("#content-main")).to_be_visible()
    expect(lena.locator("#nr-editing")).to_have_count(0)

    # Tom opens the story after her: her open page learns it from its next heartbeat.
    tom = new_page("editor")
    tom.goto(change_url)
    expect(lena.locator("#nr-editing")).to_contain_text("Tom Ruiz is editing this article")

    # Tom goes elsewhere: his page says goodbye as it is left, and her banner goes, unreloaded.
    tom.goto("/admin/")
    expect(lena.locator("#nr-editing")).to_have_count(0)
    assert not EditingSession.objects.filter(article=article, user__username="editor").exists()


def test_the_editing_banner_ends_when_the_other_page_goes_silent(
    new_page, second_editor, quick_presence
):
    """Tom's laptop lost its connection: no goodbye, no more heartbeats."""
    article = written_and_submitted()
    change_url = f"/admin/articles/article/{article.pk}/change/"
    tom = new_page("editor")
    tom.goto(change_url)
    lena = new_page("lena", PASSWORD)
    lena.goto(change_url)
    expect(lena.locator("#nr-editing")).to_contain_text("Tom Ruiz is editing this article")

    tom.route("**/editing/", lambda route: route.abort())
    # Gone within the window (three seconds here, a minute in the newsroom), not lingering.
    expect(lena.locator("#nr-editing")).to_have_count(0, timeout=8_000)
    expect(tom.locator("#content-main")).to_be_visible()  # his page is still open
