"""ORM querysets compiled to SQL once per process, then run with fresh parameters.

Building and compiling a queryset costs Django far more than PostgreSQL needs to run it: on the
article page, compiling its queries took longer than the database and the template
together. A `PreparedQuery` keeps the queryset as the definition — the visibility rule still
comes from `Article.objects.published()` — but compiles it once, with placeholder values, and
afterwards only swaps the real values into the compiled parameters:

    by_slug = PreparedQuery(
        lambda slug, at: Article.objects.published(at=at).filter(slug=slug).values("id"),
        slug=str,
        at=datetime,
    )
    rows = by_slug.rows(slug="some-story", at=timezone.now())   # [{"id": 1}]

Only ``.values()`` querysets are supported (rows come back as dicts, with the field
converters applied as `QuerySet.values()` would). Each parameter must reach the SQL as a
parameter, unchanged but for the database's own adaptation of datetimes; compiling refuses a
queryset in which a placeholder does not appear.

A slice's bounds are written into the SQL itself (``LIMIT 21 OFFSET 40``), so they cannot be
parameters. Name such arguments in ``shape``: the query is compiled once for each value they
take (a page of a listing), keeping the most recent `MAX_SHAPES` forms:

    page = PreparedQuery(
        lambda at, section, start, stop: (
            Article.objects.published(at=at).filter(section=section).values("id")[start:stop]
        ),
        shape=("start", "stop"),
        at=datetime,
        section=int,
    )
    page.rows(at=timezone.now(), section=3, start=20, stop=41)

A shape may also leave a filter out (a search narrowed to a section, or not): name such
parameters in ``optional``; they need not reach the SQL.

``prepare=False`` keeps a query off the server's prepared statements (and their one generic
plan): for a query whose best plan depends on its values, such as a tag's stories (a topic on
every third story, or on a dozen).
"""

import datetime
import threading

from django.db import connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import F, Func, Value
from django.db.models.fields import BooleanField, CharField

_KINDS = (str, int, datetime.datetime)
# Compiled forms kept per query and database for the values of its `shape` arguments.
MAX_SHAPES = 64


def _placeholder(kind, index):
    """A value no caller passes, different for each parameter, recognisable in the compiled
    parameters. Integers stay in the range of a 32-bit column (out-of-range lookups are
    compiled to match nothing)."""
    if kind is str:
        return f"\ufffeprepared-query-placeholder-{index}\ufffe"
    if kind is int:
        return -2_147_000_000 - index
    return datetime.datetime(1901, 2, 3, 4, 5, 6, 789_000 + index, tzinfo=datetime.UTC)


class PreparedQuery:
    def __init__(
        self, build, *, using="default", shape=(), optional=(), prepare=True, **parameters
    ):
        """``build(**parameters, **shape)`` returns the queryset; ``parameters`` name each
        one's type (str, int or datetime); ``shape`` names the integer arguments that change
        the SQL itself (slice bounds, which filters apply); ``optional`` the parameters some
        shapes do not use."""
        unknown = {kind for kind in parameters.values() if kind not in _KINDS}
        if unknown:
            raise TypeError(f"PreparedQuery parameters must be str, int or datetime: {unknown}")
        self.build = build
        self.using = using
        self.parameters = parameters
        self.shape = tuple(shape)
        self.optional = frozenset(optional)
        self.prepare = prepare
        # One compiled form per database alias (and shape), shared by its threads: the SQL
        # and the field converters depend on the backend, not on one connection.
        self._compiled = {}
        self._lock = threading.Lock()

    def _adapt(self, connection, kind, value):
        if kind is datetime.datetime:
            return connection.ops.adapt_datetimefield_value(value)
        return value

    def _compile(self, connection, shape):
        placeholders = {
            name: _placeholder(kind, index)
            for index, (name, kind) in enumerate(self.parameters.items())
        }
        queryset = self.build(**placeholders, **dict(zip(self.shape, shape, strict=True)))
        query = queryset.query
        if not (query.values_select or query.annotation_select):
            raise TypeError("PreparedQuery needs a .values() queryset")
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        adapted = {
            self._adapt(connection, self.parameters[name], value): name
            for name, value in placeholders.items()
        }
        slots = [adapted.get(param) if _hashable(param) else None for param in params]
        missing = set(self.parameters) - set(slots) - self.optional
        if missing:
            raise ValueError(f"PreparedQuery parameters not sent as SQL parameters: {missing}")
        names = (
            list(query.selected)
            if query.selected
            else [
                *query.extra_select,
                *query.values_select,
                *query.annotation_select,
            ]
        )
        # The converters (JSON columns parsed, for one) are worked out once, as the SQL is.
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise TypeError("PreparedQuery does not read composite fields")
        return sql, list(params), slots, tuple(names), compiler, compiler.get_converters(fields)

    def rows(self, **values):
        """Run the query with these parameter (and shape) values: a list of dicts."""
        fetched = self.fetch(**values)
        return fetched.dicts(fetched.rows)

    def fetch(self, **values):
        """Run the query: a `Fetched`, the rows as the database driver returned them (tuples,
        JSON still as text), and how to turn some of them into dicts as `rows()` does."""
        connection = connections[self.using]
        shape = tuple(values[name] for name in self.shape)
        if not all(type(value) is int for value in shape):
            raise TypeError(f"PreparedQuery shape values must be integers: {shape}")
        key = (self.using, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(connection, shape)
                self._compiled.pop(key, None)
                self._compiled[key] = compiled
                while len(self._compiled) > MAX_SHAPES:  # the oldest first
                    del self._compiled[next(iter(self._compiled))]
        sql, params, slots, names, compiler, converters = compiled
        kinds = self.parameters
        actual = {name: self._adapt(connection, kinds[name], values[name]) for name in kinds}
        bound = [
            param if slot is None else actual[slot]
            for param, slot in zip(params, slots, strict=True)
        ]
        with _cursor(connection, prepare=self.prepare) as cursor:
            cursor.execute(sql, bound)
            return Fetched(cursor.fetchall(), names, compiler, converters)


class Fetched:
    """A query's rows as fetched (``rows``), its column names (``names``), and `dicts()`."""

    __slots__ = ("rows", "names", "_compiler", "_converters")

    def __init__(self, rows, names, compiler, converters):
        self.rows = rows
        self.names = names
        self._compiler = compiler
        self._converters = converters

    def dicts(self, rows):
        """``rows`` (some of these) as dicts, with the field converters applied as
        `QuerySet.values()` would."""
        if self._converters:
            rows = self._compiler.apply_converters(rows, self._converters)
        return [dict(zip(self.names, row, strict=True)) for row in rows]


def _cursor(connection, *, prepare):
    """A cursor that prepares each statement on PostgreSQL when asked and the database
    settings allow it (`prepare_threshold`), else the connection's usual cursor. Either way it
    is wrapped as Django wraps its own, so queries are logged, counted and mapped to Django's
    errors."""
    if (
        not prepare
        or connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    ):
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedCursor(raw, connection)
    return connection.make_cursor(raw)


class _LoggedCursor(CursorDebugWrapper):
    """Logs a prepared statement with its values written in, as Django logs its own queries
    (a statement bound on the server has no such text of its own)."""

    def execute(self, sql, params=None):
        readable = self.db.ops.compose_sql(sql, params)
        with self.debug_sql(readable):
            return CursorWrapper.execute(self, sql, params)


try:
    from django.db.backends.postgresql.base import ServerBindingCursor
except ImportError:  # psycopg is not installed: SQLite only.
    _PreparingCursor = None
else:
    try:  # psycopg's own query parser (pinned in the lock); without it, parse every time.
        from psycopg._queries import PostgresQuery, _query2pg_nocache
    except ImportError:  # pragma: no cover
        _StatementQuery = None
    else:

        class _StatementQuery(PostgresQuery):
            """Finds a statement's placeholders once per process. psycopg remembers that only
            for short statements; the article page's is long, fixed and run on every visit."""

            __slots__ = ()
            _parsed = {}

            def convert(self, query, vars):  # noqa: A002 - psycopg's name
                key = (query, self._tx.encoding)
                parsed = self._parsed.get(key)
                if parsed is None:
                    parsed = _query2pg_nocache(self._ensure_bytes(query), self._tx.encoding)
                    self._parsed[key] = parsed
                self.query, self._want_formats, self._order, self._parts = parsed
                self.dump(vars)

    class _PreparingCursor(ServerBindingCursor):
        """Binds parameters on the server and prepares the statement on first use."""

        if _StatementQuery is not None:
            _query_cls = _StatementQuery

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)


class IdIn(Func):
    """``id IN (…)`` for ids sent as one text parameter, "3,17,42": one compiled query for
    any number of ids (``pk__in=[…]`` makes a new one for each count)."""

    output_field = BooleanField()
    # SQLite reads the ids back as the rows of a JSON array.
    template = "%(field)s IN (SELECT value FROM json_each('[' || %(ids)s || ']'))"

    def __init__(self, field, ids):
        super().__init__(F(field), Value(ids, output_field=CharField()))

    def as_sql(self, compiler, connection, template=None, **extra_context):
        field, ids = (compiler.compile(e) for e in self.get_source_expressions())
        sql = (template or self.template) % {"field": field[0], "ids": ids[0]}
        return sql, (*field[1], *ids[1])

    def as_postgresql(self, compiler, connection, **extra_context):
        # A literal list is folded into an array constant when the query is planned, so the
        # planner still sees the values (a tag on a third of the stories, or on two).
        template = "%(field)s = ANY(string_to_array(%(ids)s, ',')::bigint[])"
        return self.as_sql(compiler, connection, template=template)


def id_list(ids):
    """The text an `IdIn` parameter takes: "3,17,42" (each id once, in order)."""
    return ",".join(str(pk) for pk in sorted({int(pk) for pk in ids}))


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
