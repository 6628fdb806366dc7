"""Signed cursors for the API's lists: where the next page starts, tamper-evident.

A cursor carries the sort values of the last item sent (for stories, its publish time and
id), so the next page starts right after it however many stories went live meanwhile; it is
signed, so a client cannot forge one to read past the visibility rule or make the server
parse something it did not write."""

from django.core import signing

SALT = "newsroom.api.cursor"


class BadCursor(ValueError):
    """The cursor was not made by this server for this list."""


def make(kind, values):
    return signing.dumps([kind, *values], salt=SALT, compress=False)


def read(kind, cursor):
    """The values of a cursor made by `make(kind, ...)`; BadCursor otherwise."""
    try:
        found = signing.loads(cursor, salt=SALT)
    except signing.BadSignature as exc:
        raise BadCursor(str(exc)) from exc
    if not isinstance(found, list) or not found or found[0] != kind:
        raise BadCursor("made for another list")
    return found[1:]
