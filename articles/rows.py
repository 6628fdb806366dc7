"""Model instances from rows and JSON objects read without the ORM's own iteration.

The article page (`article_page`) and listings (`ArticleQuerySet.for_listing`) read related
rows as JSON arrays on the article's row instead of with prefetch queries. These helpers turn
such data back into ordinary model instances, with the test suite's fetch mode (so a lazy load
still fails there), and cache related lists as a prefetch would.
"""

import datetime
import functools
import json
import threading

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def instance(model, data, prefix=None, *, from_json=False, columns=None):
    """A ``model`` instance from the keys ``prefix__<attname>`` of ``data`` (a row read with
    `values()`, or a JSON object, whose dates, booleans and nested JSON arrive as text or
    numbers). ``columns``: the attnames to read (a tuple), all concrete fields by default;
    the others are deferred."""
    names, attnames, keys, converters = _layout(model, prefix, from_json, columns)
    values = [data[key] for key in keys]
    if from_json:
        values = [
            value if convert is None or value is None else convert(value)
            for convert, value in zip(converters, values, strict=True)
        ]
    fetch_mode = getattr(settings, "NEWSROOM_FETCH_MODE", None)
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db("default", names, values, fetch_mode=fetch_mode)
    return _loaded(model, attnames, values, fetch_mode)


def _loaded(model, attnames, values, fetch_mode):
    """What `Model.from_db` returns, for a model no ``pre_init``/``post_init`` receiver
    watches, without `Model.__init__`: it sends those two signals and walks every field,
    deferred ones too, which was the largest part of turning a listing's rows into cards.
    The fields not read stay deferred: each is missing from the instance's ``__dict__``."""
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding = False
    state.db = "default"
    if fetch_mode is not None:
        state.fetch_mode = fetch_mode
    obj.__dict__.update(zip(attnames, values, strict=True))
    return obj


@functools.cache
def _layout(model, prefix, from_json, columns):
    """Which fields an instance is built from, where each is read, and how JSON values are
    turned back into Python ones: worked out once per shape."""
    fields = [f for f in model._meta.concrete_fields if columns is None or f.attname in columns]
    key = f"{prefix}__" if prefix else ""
    converters = [_json_converter(f) for f in fields] if from_json else None
    attnames = tuple(f.attname for f in fields)
    return frozenset(attnames), attnames, [key + f.attname for f in fields], converters


def _json_converter(field):
    if isinstance(field, models.DateTimeField):
        return utc_moment
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.JSONField):
        return json_value
    return None


def json_value(value):
    """A JSON column or element: parsed by the database driver, or still text (SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def utc_moment(value):
    """A datetime read back from JSON: ISO text from PostgreSQL, naive UTC text from SQLite."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def cache_prefetched(obj, name, objects, model):
    """Make ``obj.<name>.all()`` return ``objects`` without a query, as a prefetch does."""
    queryset = QuerySet(model=model)
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._prefetched_objects_cache[name] = queryset


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
