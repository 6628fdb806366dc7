"""Count the clicks of the editorial day (NEWSROOM.md) in the admin, as a new user makes them.

Run against a newsroom serving the demo (`make run`), in Debian's Chromium:

    .venv/bin/python bench/editorial_day_clicks.py http://127.0.0.1:8000 [headline suffix]

A journalist writes a story with a byline (already hers), section, tags and a lead image
uploaded with alt text and credit, and submits it; the editor opens it from the review queue
and schedules it for 09:00 tomorrow. Typing is not counted; every click (and the file
dialog's choice) is, and listed. On code from before the one-click submit, the journalist
saves, then follows the step's link and confirms it, as she had to.
"""

import io
import os
import re
import sys
from datetime import datetime, timedelta

from PIL import Image
from playwright.sync_api import expect, sync_playwright

BASE = sys.argv[1]
SUFFIX = sys.argv[2] if len(sys.argv) > 2 else ""
HEADLINE = f"Harbour pilots end strike after overnight talks {SUFFIX}".strip()
PW = {"journalist": "journalist-demo-pass", "editor": "editor-demo-pass"}
clicks = {"journalist": [], "editor": []}


def jpeg():
    b = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 90, 140)).save(b, "JPEG")
    return b.getvalue()


def login(b, who):
    ctx = b.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", base_url=BASE)
    page = ctx.new_page()
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill(PW[who])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def click(who, what, locator):
    clicks[who].append(what)
    locator.click()


def pick(who, page, select_id, search, choice):
    click(who, f"open {select_id}", page.locator(f"#{select_id} + .select2 .select2-selection"))
    with page.expect_response(lambda r: "/autocomplete/" in r.url and "term=" in r.url):
        page.locator(".select2-container--open .select2-search__field").fill(search)
    res = (
        page.locator(".select2-container--open .select2-results__option")
        .filter(has_text=choice)
        .first
    )
    click(who, f"choose {choice}", res)


with sync_playwright() as p:
    b = p.chromium.launch(
        executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        args=["--no-sandbox", "--disable-gpu"],
    )
    j = login(b, "journalist")
    click(
        "journalist",
        "Add article",
        j.locator('#content-main a[href="/admin/articles/article/add/"]').first,
    )
    j.locator(".field-body .ProseMirror[contenteditable=true]").wait_for()
    headline = j.get_by_label("Headline:", exact=True)
    if not headline.evaluate("e => e === document.activeElement"):
        click("journalist", "headline", headline)
    j.keyboard.type(HEADLINE)
    click("journalist", "standfirst", j.get_by_label("Standfirst:", exact=True))
    j.keyboard.type("Ships queued off the port can dock from Friday.")
    click("journalist", "body", j.locator(".field-body .ProseMirror[contenteditable=true]"))
    j.keyboard.type("Pilots agreed a new rota after talks that ran through the night.")
    pick("journalist", j, "id_section", "Busi", "Business")
    click("journalist", "tags", j.get_by_label("Tags:", exact=True))
    j.keyboard.type("Ports, Strikes")
    library = j.get_by_role("button", name="Choose a lead image")
    if library.count():
        # The media library: a dialog in the page.
        click("journalist", "Choose a lead image", library)
        dialog = j.get_by_role("dialog", name="Media library")
        clicks["journalist"].append("choose file (file dialog)")
        dialog.get_by_label("Drop a picture here").set_input_files(
            {"name": "pilots.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
        )
        alt = dialog.get_by_role("textbox", name="Alt text")
        if not alt.evaluate("e => e === document.activeElement"):
            click("journalist", "alt text", alt)
        j.keyboard.type("Pilot boats moored in the harbour")
        click("journalist", "credit", dialog.get_by_role("textbox", name="Credit"))
        j.keyboard.type("Photo: Demo Ledger")
        click("journalist", "Upload", dialog.get_by_role("button", name="Upload", exact=True))
        click(
            "journalist", "Use this picture", dialog.get_by_role("button", name="Use this picture")
        )
        expect(j.locator(".nr-media-chosen")).to_contain_text("Photo: Demo Ledger")
    else:
        # lead image through the admin's "+" pop-up (the only way before the library)
        with j.expect_popup() as info:
            click("journalist", "+ lead image", j.locator("#add_id_lead_image"))
        pop = info.value
        clicks["journalist"].append("choose file (file dialog)")
        pop.get_by_label("Picture:", exact=True).set_input_files(
            {"name": "pilots.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
        )
        click("journalist", "alt text", pop.get_by_label("Alt text:", exact=True))
        pop.keyboard.type("Pilot boats moored in the harbour")
        click("journalist", "credit", pop.get_by_label("Credit:", exact=True))
        pop.keyboard.type("Photo: Demo Ledger")
        click("journalist", "save picture", pop.get_by_role("button", name="Save", exact=True))
        expect(j.locator("#id_lead_image + .select2")).to_contain_text("Pilot boats")
    # submit for review
    first_step = j.locator("#nr-workflow button[data-action=submit]")
    if first_step.count():
        click("journalist", "Submit for review (saves and submits)", first_step)
    else:
        click(
            "journalist",
            "Save and continue editing",
            j.get_by_role("button", name="Save and continue editing"),
        )
        click(
            "journalist",
            "Submit for review link",
            j.locator("#nr-workflow").get_by_role("link", name="Submit for review"),
        )
        click("journalist", "confirm Submit", j.get_by_role("button", name="Submit for review"))
    expect(j.locator("ul.messagelist")).to_contain_text("submitted for review")

    e = login(b, "editor")
    click("editor", "story in the review queue", e.get_by_role("link", name=HEADLINE).first)
    click(
        "editor",
        "Schedule",
        e.locator("#nr-workflow").get_by_role("link", name="Schedule", exact=True),
    )
    when = datetime.now() + timedelta(days=1)
    click("editor", "date", e.get_by_label("Date:"))
    e.keyboard.type(when.strftime("%Y-%m-%d"))
    click("editor", "time", e.get_by_label("Time:"))
    e.keyboard.type("09:00")
    click(
        "editor",
        "confirm Schedule",
        e.locator("#content-main").get_by_role("button", name="Schedule"),
    )
    expect(e.locator("ul.messagelist")).to_contain_text("cheduled")
    b.close()
for who, done in clicks.items():
    print(f"{who}: {len(done)} clicks: " + "; ".join(done))
print("total", sum(map(len, clicks.values())))
