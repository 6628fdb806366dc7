"""Escaping for the markup built in Python: cards, bylines, pictures, timestamps.

`text()` is what `format_html()` does to each value — safe strings pass, anything else is
escaped as Django's `escape()` escapes it — without the lazy-string wrappers around Django's
functions, which cost a listing of twenty cards more than writing the cards themselves.
"""

from html import escape


def text(value):
    """``value`` as HTML: already-safe markup as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))
