"""What a person does in the admin, spelled as browser steps the scenarios share."""

import io
import re
from html import escape
from pathlib import Path

from playwright.sync_api import expect

SEED_FILE = Path(__file__).resolve().parents[2] / "articles" / "data" / "seed_nato_tokyo.txt"
PROMOTIONAL_LINE = "news Correspondent.net on Telegram. Subscribe to our channel Athletistic"


def seed_lines():
    return [line.strip() for line in SEED_FILE.read_text(encoding="utf-8").splitlines() if line]


def seed_as_copied_from_the_web():
    """The seed as a browser puts it on the clipboard when it is copied from the partner's page.

    Paragraphs with the page's classes and inline styles, a link to the cited outlet, the linked
    related headline, and the channel promotion with its link, as the page shows them.
    """
    parts = ['<meta charset="utf-8"><div class="post-item__text" style="font-family: Georgia">']
    for line in seed_lines():
        text = escape(line)
        if line == PROMOTIONAL_LINE:
            text = (
                '<a href="https://t.me/korrespondentnet" target="_blank">news Correspondent.net '
                'on Telegram</a>. Subscribe to our channel <span class="promo">Athletistic</span>'
            )
        elif "This was reported by Nikkei Asia." in line:
            text = text.replace(
                "Nikkei Asia",
                '<a href="https://asia.nikkei.com/" style="color: #0645ad">Nikkei Asia</a>',
            )
        elif not line.endswith((".", "”", ":")):
            text = f'<a href="https://korrespondent.net/world/"><b>{text}</b></a>'
        parts.append(f'<p style="margin: 0 0 1em; line-height: 1.6"><span>{text}</span></p>')
    parts.append("</div>")
    return "".join(parts), "\n".join(seed_lines())


def paste(page, locator, html, text):
    """Paste through the system clipboard with the keyboard, as a person does (Ctrl+V)."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate(
        """async ([html, text]) => {
            await navigator.clipboard.write([new ClipboardItem({
                "text/html": new Blob([html], {type: "text/html"}),
                "text/plain": new Blob([text], {type: "text/plain"}),
            })]);
        }""",
        [html, text],
    )
    locator.click()
    page.keyboard.press("ControlOrMeta+V")


def body_editor(page, field="body"):
    """The prose editor's editable area for a body field."""
    return page.locator(f".prose-editor:has(#id_{field}) .ProseMirror[contenteditable=true]")


def delete_paragraph(page, editor, text):
    """Select a paragraph in the editor by triple-click and delete it."""
    paragraph = editor.locator("p", has_text=text).first
    paragraph.click(click_count=3)
    page.keyboard.press("Backspace")
    expect(editor.locator("p", has_text=text)).to_have_count(0)


def pick(page, select_id, search, choice=None):
    """Choose in an admin autocomplete (select2) field: open it, type, click the result."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    # Wait for the answer to what was typed: the list shown before it may be replaced mid-click.
    with page.expect_response(lambda r: "/autocomplete/" in r.url and "term=" in r.url):
        page.locator(".select2-container--open .select2-search__field").fill(search)
    results = page.locator(".select2-container--open .select2-results__option")
    expect(results.filter(has_text="Searching")).to_have_count(0)
    results.filter(has_text=choice or search).first.click()
    expect(page.locator(f"#{select_id} + .select2 .select2-selection__rendered")).to_contain_text(
        choice or search
    )


def jpeg_bytes(size=(1600, 900), colour=(40, 90, 140)):
    """A real JPEG picture made with Pillow, with a few shapes so renditions differ."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(picture)
    for i in range(6):
        x, y = 150 + i * 230, 200 + (i % 3) * 180
        draw.ellipse([x - 90, y - 90, x + 90, y + 90], outline=(255, 255, 255), width=6)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def flash(page):
    """The admin's message list (success, warning and error messages after an action)."""
    return page.locator("ul.messagelist")


def admin_path(url):
    """The path of an absolute URL the admin shows (share links are built from SITE_URL)."""
    return re.sub(r"^[a-z]+://[^/]+", "", url)


def select_text(page, editor, text):
    """Select the first occurrence of ``text`` in the editor, as a drag across it would."""
    found = editor.evaluate(
        """(root, text) => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at >= 0) {
                    root.focus();
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + text.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return true;
                }
            }
            return false;
        }""",
        text,
    )
    assert found, f"{text!r} is not in the editor"
    # ProseMirror picks the selection up from the browser's selectionchange event.
    page.wait_for_function("() => !window.getSelection().isCollapsed")


def replace_text(page, editor, old, new):
    """Select ``old`` in the editor and type ``new`` over it."""
    select_text(page, editor, old)
    page.keyboard.type(new)
    expect(editor).to_contain_text(new)
