"""A bounded per-process store, used only by search (`articles/search.py`) until its rewrite.

The public pages keep nothing between requests; this module goes when search stops using it.
"""

import threading


class Kept:
    """At most ``size`` entries kept per process, the oldest dropped first: what is drawn or
    computed once from data that is its own key (a row, a body's digest)."""

    def __init__(self, size):
        self.size = size
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, key, default=None):
        return self._entries.get(key, default)

    def __contains__(self, key):
        return key in self._entries

    def __len__(self):
        return len(self._entries)

    def get_or_make(self, key, make):
        """The value kept under ``key``, else ``make()``, kept under it. A key holding a value
        that cannot be hashed (a row with a value the driver sent as a list) keeps nothing:
        ``make()`` every time."""
        try:
            value = self._entries.get(key)
        except TypeError:
            return make()
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def put(self, key, value):
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]

    def clear(self):
        self._entries.clear()
