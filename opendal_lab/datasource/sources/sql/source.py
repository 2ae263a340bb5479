"""SqlSource: a table or a query read through ADBC, in range partitions over a numeric column.

The JDBC source of Sail's seed (``url``, ``dbtable``, ``partitionColumn``, ``numPartitions``,
``user``, ``password``) in this project's terms. Its options are strings, so it also runs by
name on Spark and Sail (``python_module="opendal_lab.datasource.sources.sql"``,
``python_class="SqlSource"``)::

    load(SqlSource, {"uri": "sqlite:///data/shop.db", "table": "orders",
                     "partition_column": "id", "num_partitions": "8"})
    scan(SqlSource, {"uri": "postgresql://app@db.internal/shop", "password": "...",
                     "query": "SELECT o.*, c.region FROM orders o JOIN customers c USING (cid)",
                     "partition_column": "amount", "num_partitions": "16"})

It writes too (``writer``, ``write_modes``: append, overwrite, error, ignore): ``save(SqlSource,
frame, {"uri": ..., "table": "orders"}, mode="append")`` or ``df.write.format(...)``, each
partition staged in a table of its own and all of them moved into ``table`` in one
transaction -- ``sql.write`` says how, which types change on the way, and why.

Options:

- ``uri``: the database. ``sqlite:///abs/path.db``, ``sqlite://rel/path.db`` (URIs:
  percent-encoded, as ConnectorX takes them) or a plain path open a SQLite file read-only;
  ``file:...`` is a SQLite URI filename, passed as it is. ``postgresql://...`` goes to
  PostgreSQL. The scheme picks the ADBC driver from ``DRIVERS``, imported on first use; a
  missing one raises ImportError naming its package.
- ``user`` / ``password``: credentials for drivers that take them (put into the URI).
  They, and a password inside ``uri``, are registered as secrets: no spec, error message or
  log line shows them.
- ``table`` or ``query``, exactly one: a table (or view) name, or any SELECT (a join, an
  aggregate), which is read as the subquery ``(query) AS src``.
- ``partition_column`` with ``num_partitions``: read in that many ranges of a numeric
  column of the result (below). Without them, one partition reads everything.
- ``lower_bound`` / ``upper_bound`` (both or neither): the range to split; by default the
  column's MIN and MAX, found with one query when the partitions are planned.
- ``fetch_size``: rows per Arrow batch, for SQLite (other drivers size their own). The
  default is a whole partition per batch: SQLite's driver types each batch by the values
  in it, so with smaller batches a text column NULL throughout the first one fails the
  read once text arrives in the next.
- ``custom_schema``: Arrow types for some result columns, ``"total float64, day date"``
  (Spark's ``customSchema``); names from ``TYPE_NAMES``.

Partitions (``plan_partitions``). As Spark's JDBC source does, ``num_partitions`` ranges of
equal width split ``[lower, upper]``, and the first and last are open-ended, so a row
outside the bounds is still read (the bounds set the stride, not a filter). Unlike Spark,
whose first range also takes the NULLs, and unlike ConnectorX, which drops them, rows whose
partition column is NULL get a partition of their own (``IS NULL``): planned when the
MIN/MAX query finds one, and always when the bounds are given (nothing was asked then).
Ranges are half-open (``>= lower AND < upper``) and share their boundaries, so each non-NULL
row falls into exactly one of them however the boundaries round. A spec holds its index and
bounds, numbers only: ``{"partition": 1, "lower": 250, "upper": 500}``, ``{"partition": 4,
"is_null": True}``, ``{"partition": 0}`` (everything).

Types (``infer_schema``). PostgreSQL reports them: the query is run with ``LIMIT 0``.
SQLite types values, not columns, so the declared type of each result column (read from a
temporary view with ``pragma_table_info``) is mapped the way SQLite's affinity rules read
it, with dates added: ``*INT*`` int64; ``*CHAR*``, ``*CLOB*``, ``*TEXT*`` string; ``*BLOB*``
binary; ``*REAL*``, ``*FLOA*``, ``*DOUB*`` float64; ``*BOOL*`` bool; ``*DATETIME*`` or
``*TIMESTAMP*`` timestamp[us] and ``*DATE*`` date32 (from ISO text); ``*TIME*`` string; any
other declared type (NUMERIC, DECIMAL) float64. A column with no declared type (an
expression, an aggregate) takes the type ADBC infers from the first ``SAMPLE_ROWS`` rows,
or ``null`` if they are all NULL (``custom_schema`` says otherwise). ``read_partition``
casts each batch to these types, so what it yields matches the schema exactly; a value
that does not fit (text in an INTEGER column, an epoch number in a DATE one) fails the
partition, naming the column.

Pushdown. ``read_partition`` takes ``columns``, ``filters`` and ``limit``, and puts them in
the SQL: ``SELECT <columns> FROM <relation> AS src WHERE <range> AND <filters> LIMIT ?``,
every value a bound parameter. A filter goes into the SQL only where the database gives
exactly Polars' answer, and ``exact_filters`` claims those: comparisons and ``in`` of
numbers (finite ones) on numeric columns, of text on text columns (compared bytewise:
``COLLATE BINARY`` in SQLite, ``COLLATE "C"`` in PostgreSQL, whatever the column's own
collation) and, in SQLite, of bytes on blob columns; ``is_null`` / ``is_not_null`` on any
column. In SQLite only on columns with a declared type, whose values SQLite converts to
it; temporal and boolean ones stay with the loader (SQLite stores them as text or numbers
of no fixed form). The loader applies the others.

Connections: one per partition, opened by ``read_partition`` on whichever worker runs it
and closed when the partition ends. A SQLite connection costs ~0.1 ms and a PostgreSQL
one a round trip or two, small against a partition's read; a per-process pool would be
state to guard across threads (a SQLite connection belongs to one) and to pickle around.

``SqlSource(on_query=fn)`` calls ``fn(sql, params)`` before each statement it runs (tests
and debugging; the ``opendal_lab.datasource.sql`` logger has the same at DEBUG).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from typing import Any

import pyarrow as pa

from opendal_lab.datasource.api import Filter, PushdownSource, ReadRequest
from opendal_lab.datasource.sources.sql.dialects import (
    DRIVERS,
    SAMPLE_ROWS,
    Dialect,
    SqlError,
    cause,
    invalid,
    quote_name,
)
from opendal_lab.datasource.sources.sql.query import (
    OPTIONS,
    TYPE_NAMES,
    Params,
    Shape,
    SqlConfig,
    check_partition_column,
    conform,
    describe,
    edges,
    expressible,
    filter_sql,
    parse_bound,
    parse_options,
    range_sql,
)
from opendal_lab.datasource.sources.sql.write import WRITE_MODES, SqlWriter, open_writer

__all__ = ["DRIVERS", "OPTIONS", "SAMPLE_ROWS", "TYPE_NAMES", "Dialect", "SqlError", "SqlSource"]


class SqlSource(PushdownSource):
    """A table or query read through ADBC, in ranges of a numeric column (module docstring).

    ``on_query(sql, params)``, when given, is called before every statement the source runs.
    """

    def __init__(self, *, on_query: Callable[[str, list[Any]], None] | None = None) -> None:
        self.on_query = on_query
        # Shapes this instance inferred, by database, relation and custom_schema. They
        # travel with it to the workers, which then need not ask the database again.
        self._shapes: dict[Any, Shape] = {}

    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        config = parse_options(options)
        shape = self._shapes[config.key] = self._infer(config)  # always fresh here
        return shape.schema

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        config = parse_options(options)
        column = config.partition_column
        if column is None or config.num_partitions == 1:
            return [{"partition": 0}]
        integral = pa.types.is_integer(self._shape(config).schema.field(column).type)
        if config.bounds is not None:
            lower, upper = (parse_bound(b, integral) for b in config.bounds)
            if upper < lower:
                raise invalid(f"'lower_bound' {lower} is above 'upper_bound' {upper}")
            nulls = True  # not known without a query: plan their partition anyway
        else:
            lower, upper, nulls = self._min_max(config, integral)
            if lower is None:
                return [{"partition": 0}]  # no number in the column: read it whole
        inner = edges(lower, upper, config.num_partitions, integral)
        if not inner:
            return [{"partition": 0}]
        bounds = [None, *inner, None]
        specs: list[dict[str, Any]] = [
            {"partition": i, "lower": bounds[i], "upper": bounds[i + 1]}
            for i in range(len(bounds) - 1)
        ]
        if nulls:
            specs.append({"partition": len(specs), "is_null": True})
        return specs

    def read(
        self, spec: dict[str, Any], options: dict[str, str], request: ReadRequest
    ) -> Iterator[pa.RecordBatch]:
        config = parse_options(options)
        shape = self._shape(config)
        names = list(shape.schema.names if request.columns is None else request.columns)
        if not names:  # only the row count is wanted: read the first column
            names = shape.schema.names[:1]
        target = pa.schema([shape.schema.field(n) for n in names])
        params = Params(config.dialect)
        where = range_sql(spec, config.partition_column, params)
        where += [
            filter_sql(f, config.dialect, params)
            for f in self._exact(config, shape, request.filters)
        ]
        sql = f"SELECT {', '.join(map(quote_name, names))} FROM {config.relation} AS src"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if request.limit is not None:
            sql += f" LIMIT {params.add(int(request.limit))}"
        index = spec.get("partition")
        label = f"SqlSource, partition {index} ({describe(spec, config.partition_column)})"
        db = config.database(self.on_query)
        with db.connect(label, index) as conn:
            cursor = db.run(conn, sql, params.values, where=label, partition=index, configure=True)
            with closing(cursor):
                try:
                    for batch in cursor.fetch_record_batch():
                        yield conform(batch, target, index)
                except SqlError:
                    raise
                except Exception as exc:
                    raise db.error(exc, f"{label}: reading the rows", sql, index) from cause(exc)

    def exact_filters(self, filters: Sequence[Filter], options: dict[str, str]) -> list[Filter]:
        config = parse_options(options)
        return self._exact(config, self._shape(config), filters)

    # -- writes (sql.write) -----------------------------------------------------------
    write_modes = WRITE_MODES

    def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> SqlWriter:
        """A writer of ``schema``'s rows into the ``table`` option's table, committed in
        one transaction (``opendal_lab.datasource.sources.sql.write``)."""
        return open_writer(schema, options, mode, self.on_query)

    # -- helpers ----------------------------------------------------------------------
    def _shape(self, config: SqlConfig) -> Shape:
        shape = self._shapes.get(config.key)
        if shape is None:
            shape = self._shapes[config.key] = self._infer(config)
        return shape

    def _infer(self, config: SqlConfig) -> Shape:
        db = config.database(self.on_query)
        custom = dict(config.custom)
        with db.connect() as conn:
            found = config.dialect.columns(conn, config.relation, db.run, frozenset(custom))
        missing = sorted(set(custom) - {n for n, _, _ in found})
        if missing:
            raise invalid(
                f"option 'custom_schema' names {', '.join(map(repr, missing))}, not in the "
                f"result (its columns: {', '.join(n for n, _, _ in found)})"
            )
        schema = pa.schema([(n, custom.get(n, t)) for n, t, _ in found])
        # A custom type is the caller's word, not the database's: the loader filters those.
        exact = frozenset(n for n, _, exact in found if exact and n not in custom)
        check_partition_column(config, schema)
        return Shape(schema, exact)

    def _min_max(self, config: SqlConfig, integral: bool) -> tuple[Any, Any, bool]:
        column = quote_name(str(config.partition_column))
        rel = f"{config.relation} AS src"
        # Three subqueries, not one `SELECT MIN(c), MAX(c), COUNT(*) - COUNT(c)`: a lone
        # MIN or MAX reads one end of an index (0.1 ms, where the combined form scans
        # 1M rows in 50 ms), and EXISTS stops at the first NULL.
        sql = (
            f"SELECT (SELECT MIN({column}) FROM {rel}), (SELECT MAX({column}) FROM {rel}), "
            f"EXISTS (SELECT 1 FROM {rel} WHERE {column} IS NULL)"
        )
        db = config.database(self.on_query)
        with db.connect() as conn, closing(db.run(conn, sql, [])) as cursor:
            low, high, nulls = cursor.fetchone()
        for value in (low, high):
            if isinstance(value, (bool, str, bytes)):
                raise invalid(
                    f"partition column {config.partition_column!r} holds a non-numeric "
                    f"value ({type(value).__name__} {value!r}); partition on a numeric column"
                )
        if low is None:
            return None, None, bool(nulls)
        number = int if integral else float
        return number(low), number(high), bool(nulls)

    def _exact(
        self, config: SqlConfig, shape: Shape, filters: Sequence[Filter] | None
    ) -> list[Filter]:
        return [f for f in filters or [] if expressible(f, shape, config.dialect)]
