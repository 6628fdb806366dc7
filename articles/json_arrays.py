"""Rows of a related table as one JSON array in a column: one query for an article's parts.

    JSONGroupArray(JSONObject(id="id", text="text"))

is ``JSON_GROUP_ARRAY(JSON_OBJECT(...))`` on SQLite and ``JSONB_AGG(JSONB_BUILD_OBJECT(...))`` on
PostgreSQL. The order of the elements is not promised by either database inside a subquery:
readers sort them by keys carried in each element.

`JSONArraySubquery` does the same for any subquery selecting one JSON object per row as
``item``, sliced and ordered as it likes (the newest few stories sharing a tag).

`JSONRow` is Django's `JSONObject` with its keys written into the SQL instead of sent as
parameters: they are the code's own field names, and an article's query has a hundred of them.
"""

import re

from django.db.models import Aggregate, Expression, JSONField, OuterRef, Subquery, TextField
from django.db.models.functions import JSONObject


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


class JSONArraySubquery(Subquery):
    """The ``item`` column of each row of a subquery, as one JSON array (NULL for no rows)."""

    output_field = JSONField()
    template = '(SELECT JSON_GROUP_ARRAY(JSON("_rows"."item")) FROM (%(subquery)s) "_rows")'

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template='(SELECT JSONB_AGG("_rows"."item") FROM (%(subquery)s) "_rows")',
            **extra_context,
        )


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
