"""The media library: a journalist picks the lead image in a dialog inside the article form,
uploads a picture (refused until it has alt text), sets its focal point and saves the story."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article, Image

from .admin_helpers import body_editor, flash, jpeg_bytes, pick
from .conftest import describe_violations
from .test_accessibility import audit_admin_page

pytestmark = pytest.mark.browser

HEADLINE = "Grain ships queue outside Baltic ports"
ALT = "Grain ships anchored in a line outside the harbour"
PICTURE = {"name": "grain-ships.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}


def open_library(page):
    page.get_by_role("button", name="Choose a lead image").click()
    dialog = page.get_by_role("dialog", name="Media library")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".nr-media-item").first).to_be_visible()
    return dialog


def test_journalist_uploads_frames_and_picks_a_lead_image_in_the_page(new_page, shoot):
    page = new_page("journalist")
    page.goto("/admin/articles/article/add/")
    page.get_by_label("Headline:", exact=True).fill(HEADLINE)
    body_editor(page).click()
    page.keyboard.type("Dozens of ships wait to load grain.")
    pick(page, "id_section", "World")
    pictures_before = Image.objects.count()

    # The library opens in the page, not in a pop-up window, with the search box ready.
    dialog = open_library(page)
    expect(dialog.get_by_role("searchbox", name=re.compile("Search"))).to_be_focused()
    expect(dialog.locator(".nr-media-count")).to_contain_text(f"{pictures_before} pictures")
    assert len(page.context.pages) == 1

    # Search narrows the pictures.
    dialog.get_by_role("searchbox").fill("Baltic port")
    dialog.get_by_role("button", name="Search").click()
    expect(dialog.locator(".nr-media-count")).to_contain_text("1 picture matches")
    expect(dialog.locator(".nr-media-item")).to_have_count(1)

    # No serious or critical accessibility finding with the dialog open.
    unexpected = audit_admin_page(page, "admin-media-library")
    assert not unexpected, describe_violations(unexpected)

    # Upload without alt text: refused, said beside the field, nothing stored.
    dialog.get_by_label("Drop a picture here").set_input_files(PICTURE)
    expect(dialog.locator(".nr-media-drop-name")).to_have_text("grain-ships.jpg")
    dialog.get_by_role("button", name="Upload", exact=True).click()
    alt = dialog.get_by_role("textbox", name="Alt text")
    expect(alt).to_have_attribute("aria-invalid", "true")
    expect(alt).to_be_focused()
    expect(dialog.locator("#id_library-alt_text_error")).to_have_text(
        "Describe what the picture shows for readers who cannot see it."
    )
    assert Image.objects.count() == pictures_before
    shoot(page, "media-library", "refused-without-alt")

    # With alt text and a credit it is stored and shown for framing at once.
    alt.fill(ALT)
    dialog.get_by_role("textbox", name="Credit").fill("Photo: Demo Ledger / Priya Nair")
    dialog.get_by_role("button", name="Upload", exact=True).click()
    expect(dialog.get_by_role("heading", name="Selected picture")).to_be_focused()
    expect(dialog.locator(".nr-media-picked .nr-media-status")).to_contain_text("Uploaded")
    image = Image.objects.get(alt_text=ALT)
    assert image.uploaded_by.username == "journalist"

    # The focal point: a click on the preview, near the right edge and the top.
    frame = dialog.locator(".nr-media-focal")
    box = frame.bounding_box()
    frame.click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.3})
    expect(dialog.get_by_label("Focal point across")).to_have_value(re.compile(r"^0\.(79|80|81)$"))
    expect(dialog.get_by_label("Focal point down")).to_have_value(re.compile(r"^0\.(29|30|31)$"))
    shoot(page, "media-library", "framing")

    # Using it saves the focal point, closes the dialog and shows the picture in the form.
    dialog.get_by_role("button", name="Use this picture").click()
    # Saving a moved focal point remakes the picture's crops before the dialog closes.
    expect(dialog).to_be_hidden(timeout=30_000)
    expect(page.get_by_role("button", name="Change the lead image")).to_be_focused()
    chosen = page.locator(".nr-media-chosen")
    expect(chosen).to_contain_text(ALT)
    expect(chosen.get_by_role("img", name=ALT)).to_be_visible()
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (
        pytest.approx(0.8, abs=0.011),
        pytest.approx(0.3, abs=0.011),
    )

    page.get_by_role("button", name="Save and continue editing").click()
    expect(flash(page)).to_contain_text("was added successfully")
    article = Article.objects.get(headline=HEADLINE)
    assert article.lead_image == image
    expect(page.locator(".nr-media-chosen")).to_contain_text("Photo: Demo Ledger / Priya Nair")


def test_library_dialog_keeps_the_keyboard_inside_and_closes_with_escape(new_page, shoot):
    page = new_page("journalist")
    page.goto("/admin/articles/article/add/")
    dialog = open_library(page)

    # Tab and Shift+Tab go round the dialog's own controls, never to the form behind it.
    close = dialog.get_by_role("button", name="Close", exact=True)
    close.focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.closest('dialog') !== null")
    for _ in range(60):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.closest('dialog') !== null")

    # A picture is chosen from the keyboard alone.
    dialog.locator(".nr-media-item").first.focus()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Selected picture")).to_be_focused()
    unexpected = audit_admin_page(page, "admin-media-library-picked")
    assert not unexpected, describe_violations(unexpected)
    shoot(page, "media-library", "picked")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Choose a lead image")).to_be_focused()
    assert page.locator("input[name=lead_image]").input_value() == ""


def test_a_picture_dropped_on_the_library_is_uploaded_and_searchable(new_page):
    page = new_page("editor")
    page.goto("/admin/articles/article/add/")
    dialog = open_library(page)

    # A file dragged from the desktop and dropped on the upload area.
    drop = dialog.locator(".nr-media-drop")
    drop.evaluate(
        """(area, bytes) => {
            const files = new DataTransfer();
            files.items.add(new File([new Uint8Array(bytes)], "dropped.jpg", {type: "image/jpeg"}));
            area.dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true,
                                                      cancelable: true}));
        }""",
        list(jpeg_bytes(size=(800, 600))),
    )
    expect(dialog.locator(".nr-media-drop-name")).to_have_text("dropped.jpg")
    alt = dialog.get_by_role("textbox", name="Alt text")
    expect(alt).to_be_focused()
    alt.fill("A dropped picture of a lighthouse")
    dialog.get_by_role("button", name="Upload", exact=True).click()
    expect(dialog.get_by_role("heading", name="Selected picture")).to_be_focused()
    assert Image.objects.filter(alt_text="A dropped picture of a lighthouse").exists()

    # Typing in the search box is enough: the pictures follow.
    dialog.get_by_role("searchbox").fill("lighthouse")
    expect(dialog.locator(".nr-media-count")).to_contain_text("1 picture matches")
    expect(dialog.locator(".nr-media-item")).to_contain_text("A dropped picture of a lighthouse")
