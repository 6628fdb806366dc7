"""The body's allowlist: exactly what the editor can produce, enforced on the server.

The editor (django-prose-editor) and the sanitiser (nh3) are configured from the same
extension list, so what a journalist can make is what survives a save, and nothing else.
"""

from functools import cache

import nh3
from django_prose_editor.config import allowlist_from_extensions, expand_extensions

BODY_EDITOR_CONFIG = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Heading": {"levels": [2, 3, 4]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        "History": True,
    }
}


@cache
def _cleaner():
    allow = allowlist_from_extensions(expand_extensions(BODY_EDITOR_CONFIG["extensions"]))
    allow["url_schemes"] = {"http", "https", "mailto"}
    # Links get rel=noopener from nh3 unless a rel attribute is allowed; keep it simple.
    allow["link_rel"] = "noopener noreferrer"
    allow["attributes"] = {tag: attrs - {"rel"} for tag, attrs in allow["attributes"].items()}
    allow["clean_content_tags"] = {"script", "style"}
    return nh3.Cleaner(**allow)


def sanitize_body(html):
    """Return ``html`` reduced to the allowlist. Idempotent."""
    if not html:
        return ""
    cleaned = _cleaner().clean(html).strip()
    return "" if cleaned in {"<p></p>", "<p><br></p>"} else cleaned
