"""The tables a SqlSource write touches, per database: names, column types, the catalog.

``TableName`` parses the ``table`` option (``orders``, ``shop.orders``, ``"Order Lines"``)
into the SQL text to put in statements -- as given, so the database folds unquoted names
as it always does -- and the bare names its catalog and ADBC's ``adbc_ingest`` want.

``Tables`` holds what writing differs in between databases: the statement that opens a
write transaction, the column type of an Arrow type in a new table, the Arrow type rows
are staged as, whether a table exists and the staging tables of a job. ``tables_for``
picks one by the dialect's name.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from opendal_lab.datasource.sources.sql.dialects import Dialect, invalid, quote_name

__all__ = ["PostgresTables", "SqliteTables", "TableName", "Tables", "tables_for"]

Run = Callable[..., Any]  # Database.run: (conn, sql, params) -> cursor

_PART = re.compile(r'[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+"')


@dataclass(frozen=True)
class TableName:
    """A table option split into its parts: ``schema`` (or None) and ``name``, bare."""

    sql: str  # as given: what statements use
    schema_sql: str | None  # the schema part as given
    schema: str | None  # bare (unquoted, or folded by the database's rule)
    name: str

    @classmethod
    def parse(cls, text: str, fold: Callable[[str], str]) -> TableName:
        """``text`` split; ConfigInvalid unless it is ``name`` or ``schema.name``."""
        parts: list[str] = []
        rest = text
        while True:
            match = _PART.match(rest)
            if match is None:
                break
            parts.append(match.group(0))
            rest = rest[match.end() :]
            if not rest.startswith(".") or len(parts) > 2:
                break
            rest = rest[1:]
        if rest or not 1 <= len(parts) <= 2:
            raise invalid(
                f"option 'table' must name a table to write, as name or schema.name (an "
                f'unquoted part is letters, digits, _ and $; quote any other with "), '
                f"not {text!r}"
            )
        bare = [p[1:-1].replace('""', '"') if p.startswith('"') else fold(p) for p in parts]
        if len(parts) == 1:
            return cls(text, None, None, bare[0])
        return cls(text, parts[0], bare[0], bare[1])

    def sibling(self, name: str) -> str:
        """The SQL of table ``name`` in this table's schema."""
        return (f"{self.schema_sql}." if self.schema_sql else "") + quote_name(name)


class Tables:
    """What writing differs in between databases (module docstring)."""

    begin = "BEGIN"  # opens the write transaction
    schemas = True  # staging tables go in the target's schema (else the default one)

    def fold(self, name: str) -> str:
        """An unquoted identifier as the database stores it."""
        return name

    def column_type(self, dtype: pa.DataType) -> str | None:
        """The column type a new table gets for ``dtype``; None when there is none."""
        raise NotImplementedError

    def staging_type(self, dtype: pa.DataType) -> pa.DataType:
        """The type rows of ``dtype`` are staged (and so stored) as: a dictionary by its
        values; the rest as they are."""
        if pa.types.is_dictionary(dtype):
            return self.staging_type(dtype.value_type)
        return dtype

    def exists(self, conn: Any, table: TableName, run: Run) -> bool:
        raise NotImplementedError

    def staged(self, conn: Any, schema: str | None, prefix: str, run: Run) -> list[str]:
        """The tables in ``schema`` whose names start with ``prefix``."""
        raise NotImplementedError

    def columns(self, conn: Any, table: TableName, run: Run) -> list[str]:
        """The column names of ``table``, in order."""
        with contextlib.closing(run(conn, f"SELECT * FROM {table.sql} LIMIT 0", [])) as cursor:
            return [str(d[0]) for d in cursor.description or ()]


def _like(prefix: str) -> str:
    """A LIKE pattern (``ESCAPE '\\'``) matching names that start with ``prefix``."""
    return re.sub(r"([\\%_])", r"\\\1", prefix) + "%"


class SqliteTables(Tables):
    """SQLite: one writer at a time, so a write transaction takes the lock up front (and
    waits for it: ``SqliteDialect.busy_timeout_ms``)."""

    begin = "BEGIN IMMEDIATE"
    schemas = False  # main: the driver stages nowhere else, and no other file is attached

    def column_type(self, dtype: pa.DataType) -> str | None:
        # Declared types that SqlSource's reads map back (dialects.sqlite_type).
        t = pa.types
        if t.is_dictionary(dtype):
            return self.column_type(dtype.value_type)
        if t.is_integer(dtype):
            return "INTEGER"
        if t.is_floating(dtype):
            return "REAL"
        if t.is_string(dtype) or t.is_large_string(dtype) or t.is_string_view(dtype):
            return "TEXT"
        if t.is_binary(dtype) or t.is_large_binary(dtype) or t.is_fixed_size_binary(dtype):
            return "BLOB"
        if t.is_boolean(dtype):
            return "BOOLEAN"
        if t.is_timestamp(dtype):
            return "TIMESTAMP"
        if t.is_date(dtype):
            return "DATE"
        if t.is_time(dtype):
            return "TIME"
        if t.is_decimal(dtype):
            return "NUMERIC"
        if t.is_null(dtype):
            # Not "" (no declared type): a view over such a column, as reads make, says BLOB.
            return "TEXT"
        return None

    def staging_type(self, dtype: pa.DataType) -> pa.DataType:
        # What the ADBC driver stores in the form SqlSource reads back: ISO text for
        # dates and timestamps (in microseconds, UTC for zoned ones), text for times,
        # REAL for decimals (SQLite has no decimal type).
        t = pa.types
        if t.is_dictionary(dtype):
            return self.staging_type(dtype.value_type)
        if t.is_date(dtype):
            return pa.date32()
        if t.is_timestamp(dtype):
            return pa.timestamp("us")
        if t.is_time(dtype) or t.is_string_view(dtype):
            return pa.string()
        if t.is_decimal(dtype):
            return pa.float64()
        if t.is_fixed_size_binary(dtype):
            return pa.binary()
        return dtype

    def exists(self, conn: Any, table: TableName, run: Run) -> bool:
        master = f"{table.schema_sql or 'main'}.sqlite_master"
        sql = (
            f"SELECT 1 FROM {master} WHERE type IN ('table', 'view') "
            "AND name = ? COLLATE NOCASE LIMIT 1"
        )
        with contextlib.closing(run(conn, sql, [table.name])) as cursor:
            return cursor.fetchone() is not None

    def staged(self, conn: Any, schema: str | None, prefix: str, run: Run) -> list[str]:
        master = f"{quote_name(schema) if schema else 'main'}.sqlite_master"
        sql = f"SELECT name FROM {master} WHERE type = 'table' AND name LIKE ? ESCAPE '\\'"
        with contextlib.closing(run(conn, sql, [_like(prefix)])) as cursor:
            return [str(row[0]) for row in cursor.fetchall()]


class PostgresTables(Tables):
    """PostgreSQL (not exercised by the tests here: no server or driver)."""

    def fold(self, name: str) -> str:
        return name.lower()

    def column_type(self, dtype: pa.DataType) -> str | None:
        t = pa.types
        if t.is_dictionary(dtype):
            return self.column_type(dtype.value_type)
        if t.is_int8(dtype) or t.is_int16(dtype) or t.is_uint8(dtype):
            return "SMALLINT"
        if t.is_int32(dtype) or t.is_uint16(dtype):
            return "INTEGER"
        if t.is_int64(dtype) or t.is_uint32(dtype):
            return "BIGINT"
        if t.is_uint64(dtype):
            return "NUMERIC(20)"
        if t.is_float16(dtype) or t.is_float32(dtype):
            return "REAL"
        if t.is_float64(dtype):
            return "DOUBLE PRECISION"
        if t.is_string(dtype) or t.is_large_string(dtype) or t.is_string_view(dtype):
            return "TEXT"
        if t.is_binary(dtype) or t.is_large_binary(dtype) or t.is_fixed_size_binary(dtype):
            return "BYTEA"
        if t.is_boolean(dtype):
            return "BOOLEAN"
        if t.is_timestamp(dtype):
            return "TIMESTAMPTZ" if dtype.tz else "TIMESTAMP"
        if t.is_date(dtype):
            return "DATE"
        if t.is_time(dtype):
            return "TIME"
        if t.is_decimal(dtype):
            return f"NUMERIC({dtype.precision}, {dtype.scale})"
        if t.is_null(dtype):
            return "TEXT"
        return None

    def exists(self, conn: Any, table: TableName, run: Run) -> bool:
        with contextlib.closing(run(conn, "SELECT to_regclass($1) IS NOT NULL", [table.sql])) as c:
            return bool(c.fetchone()[0])

    def staged(self, conn: Any, schema: str | None, prefix: str, run: Run) -> list[str]:
        sql = (
            "SELECT tablename FROM pg_tables WHERE schemaname = COALESCE($1, current_schema()) "
            "AND tablename LIKE $2 ESCAPE '\\'"
        )
        with contextlib.closing(run(conn, sql, [schema, _like(prefix)])) as cursor:
            return [str(row[0]) for row in cursor.fetchall()]


_TABLES: dict[str, Tables] = {"sqlite": SqliteTables(), "postgresql": PostgresTables()}


def tables_for(dialect: Dialect) -> Tables:
    """The ``Tables`` of ``dialect``; ConfigInvalid for a database writes do not know."""
    found = _TABLES.get(dialect.name)
    if found is None:
        raise invalid(f"writing to {dialect.name or type(dialect).__name__} is not supported")
    return found
