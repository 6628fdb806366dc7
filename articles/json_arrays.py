"""Rows of a related table as one JSON array in a column: one query for an article's parts.

    JSONGroupArray(JSONObject(id="id", text="text"))

is ``JSON_GROUP_ARRAY(JSON_OBJECT(...))`` on SQLite and ``JSONB_AGG(JSONB_BUILD_OBJECT(...))`` on
PostgreSQL. The order of the elements is not promised by either database inside a subquery:
readers sort them by keys carried in each element.

`JSONArraySubquery` does the same for any subquery selecting one JSON object per row as
``item``, sliced and ordered as it likes (the newest few stories sharing a tag).
"""

from django.db.models import Aggregate, JSONField, OuterRef, Subquery


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
