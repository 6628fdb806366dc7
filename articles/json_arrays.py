"""Rows of a related table as one JSON array in a column: one query for an article's parts.

    JSONGroupArray(JSONObject(id="id", text="text"))

is ``JSON_GROUP_ARRAY(JSON_OBJECT(...))`` on SQLite and ``JSONB_AGG(JSONB_BUILD_OBJECT(...))`` on
PostgreSQL. The order of the elements is not promised by either database inside a subquery:
readers sort them by keys carried in each element.

`JSONRow` is Django's `JSONObject` with its keys written into the SQL instead of sent as
parameters: they are the code's own field names, and an article's query has a hundred of them.
"""

import datetime
import json
import re

from django.db.models import Aggregate, Expression, JSONField, OuterRef, Subquery, TextField
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class JSONGroupArray(Aggregate):
    """Aggregate the values of a group into a JSON array ([] or NULL for an empty group)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def json_array_of(queryset, element, *, link):
    """A subquery: ``element`` (a JSONObject) for each row of ``queryset`` whose ``link``
    column points at the outer row's primary key, as one JSON array."""
    grouped = (
        queryset.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(items=JSONGroupArray(element))
        .values("items")
    )
    return Subquery(grouped, output_field=JSONField())


class _Key(Expression):
    output_field = TextField()

    def __init__(self, name):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"JSONRow keys are plain names, not {name!r}")
        super().__init__()
        self.name = name

    def as_sql(self, compiler, connection):
        return f"'{self.name}'", ()


class JSONRow(JSONObject):
    def __init__(self, **fields):
        super().__init__(**fields)
        self.set_source_expressions(
            [
                _Key(expression.value) if index % 2 == 0 else expression
                for index, expression in enumerate(self.get_source_expressions())
            ]
        )


def json_value(value):
    """A JSON column or element: parsed by the database driver, or still text (SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def utc_moment(value):
    """A datetime read back from JSON: ISO text from PostgreSQL, naive UTC text from SQLite."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment
