"""The databases SqlSource reads and writes: a Dialect per database, found by URI scheme, and
the statements run on them (what only writes need is in ``tables``).

A ``Dialect`` holds what differs between databases: the ADBC driver module and the pip
package that provides it (imported on first use), the URI the driver takes, the parameter
marker, how result columns get their Arrow types, and which column types compare exactly
as Polars does. ``DRIVERS`` maps URI schemes to them; a new database is a subclass and an
entry there. SQLite connections wait for the database's lock (``busy_timeout_ms``): it has
one writer at a time, and a write's commit holds readers off for a moment.

``Database`` opens connections and runs statements for one source and maps every driver
error, in one place, to ``SqlError``: its message names the partition (when there is one)
and the SQL, with registered secrets masked; the driver's exception stays as
``__cause__`` unless its text holds a secret.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import pyarrow as pa

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.secrets import redact

__all__ = [
    "DRIVERS",
    "SAMPLE_ROWS",
    "Database",
    "Dialect",
    "PostgresDialect",
    "SqlError",
    "SqliteDialect",
    "cause",
    "dialect_for",
    "invalid",
    "quote_name",
    "sqlite_type",
]

_log = logging.getLogger("opendal_lab.datasource.sql")

SAMPLE_ROWS = 1000  # rows SQLite's columns without a declared type are typed from


class SqlError(RuntimeError):
    """The database refused a statement; ``sql`` is the statement, ``partition`` its index."""

    def __init__(self, message: str, *, sql: str = "", partition: int | None = None) -> None:
        super().__init__(message)
        self.sql = sql
        self.partition = partition


def invalid(message: str) -> ConfigInvalid:
    """The ConfigInvalid for a bad SqlSource option (secrets masked)."""
    return ConfigInvalid(f"SqlSource: {redact(message)}", operation="datasource")


def quote_name(name: str) -> str:
    """``name`` as a quoted SQL identifier (case kept, quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


Run = Callable[..., Any]  # Database.run with the partition bound: (conn, sql, params) -> cursor


class Dialect:
    """What differs between databases (module docstring); the defaults are standard SQL."""

    name = ""
    module = ""  # the ADBC DB-API module, imported on first use
    package = ""  # what to pip install when it is missing
    text_collation = ""  # makes text compare bytewise, as Polars does

    def placeholder(self, index: int) -> str:
        """The marker of the ``index``-th (1-based) bound value."""
        return "?"

    def target(
        self, uri: str, user: str | None, password: str | None, *, write: bool = False
    ) -> str:
        """The URI handed to the driver's ``connect`` (``write``: for ``SqlSource.writer``)."""
        return uri

    def connect(self, target: str, *, autocommit: bool = False) -> Any:
        try:
            driver = importlib.import_module(self.module)
        except ImportError as exc:
            raise ImportError(
                f"SqlSource needs the ADBC {self.name} driver for this uri: "
                f"pip install {self.package}",
                name=self.module,
            ) from exc
        # Writes run their own BEGIN ... COMMIT (sql.write): the driver's must stay off.
        return (
            driver.connect(target, autocommit=autocommit) if autocommit else driver.connect(target)
        )

    def configure(self, cursor: Any, fetch_size: int | None) -> None:
        """Set statement options before a read (the batch size)."""

    def columns(
        self, conn: Any, relation: str, run: Run, typed: frozenset[str] = frozenset()
    ) -> list[tuple[str, pa.DataType, bool]]:
        """``(name, type, exact)`` per result column; ``exact``: its filters may go to SQL.

        ``typed`` are the columns ``custom_schema`` types: their type here is not used.
        """
        with contextlib.closing(run(conn, f"SELECT * FROM {relation} AS src LIMIT 0", [])) as c:
            schema = c.fetch_arrow_table().schema
        return [(f.name, f.type, True) for f in schema]

    def pushable(self, dtype: pa.DataType) -> bool:
        """Whether comparisons on a column of ``dtype`` give exactly Polars' answers."""
        return bool(
            pa.types.is_integer(dtype)
            or pa.types.is_floating(dtype)
            or pa.types.is_string(dtype)
            or pa.types.is_large_string(dtype)
            or pa.types.is_boolean(dtype)
        )


class SqliteDialect(Dialect):
    """SQLite through ``adbc_driver_sqlite``: files opened read-only, types from declarations."""

    name = "sqlite"
    module = "adbc_driver_sqlite.dbapi"
    package = "adbc-driver-sqlite"
    text_collation = " COLLATE BINARY"
    busy_timeout_ms = 120_000

    def target(
        self, uri: str, user: str | None, password: str | None, *, write: bool = False
    ) -> str:
        if user or password:
            raise invalid("SQLite has no users: drop the options 'user' and 'password'")
        if uri.startswith("file:") or uri == ":memory:":
            return uri
        path, query = uri, ""
        if uri.startswith("sqlite://"):  # a URI: percent-encoded, may carry parameters
            path, _, query = uri[len("sqlite://") :].partition("?")
            path = unquote(path)
        params = dict(parse_qsl(query))
        # Read-only: a mistyped path is an error, not a new empty database. A write may
        # create the file, as it may create the table (``?mode=rw`` in the URI refuses).
        params.setdefault("mode", "rwc" if write else "ro")
        return f"file:{quote(path)}?{urlencode(params)}"

    def connect(self, target: str, *, autocommit: bool = False) -> Any:
        # The driver reports a missing file as "failed to allocate memory": say it plainly.
        path, _, query = target.removeprefix("file:").partition("?")
        mode = next((p for p in query.split("&") if p.startswith("mode=")), "")
        if mode in ("mode=ro", "mode=rw") and not os.path.exists(unquote(path)):
            raise FileNotFoundError(f"no SQLite database at {unquote(path)}")
        conn = super().connect(target, autocommit=autocommit)
        try:
            # One writer at a time: wait for the lock (a write's staging, its commit) rather
            # than fail with "database is locked" -- readers too, while a commit holds it.
            with contextlib.closing(conn.cursor()) as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        except BaseException:
            conn.close()
            raise
        return conn

    def configure(self, cursor: Any, fetch_size: int | None) -> None:
        # The driver types each batch by its values; a batch as large as the result sees
        # them all (a text column NULL in a whole first batch would fail the next one).
        rows = fetch_size or (1 << 30)
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(rows)})

    def columns(
        self, conn: Any, relation: str, run: Run, typed: frozenset[str] = frozenset()
    ) -> list[tuple[str, pa.DataType, bool]]:
        # The declared types of a query's columns: pragma_table_info on a temporary view
        # (the temp schema is writable on a read-only connection; the view dies with it).
        view = f"opendal_lab_schema_{uuid.uuid4().hex}"
        select = relation[1:-1] if relation.startswith("(") else f"SELECT * FROM {relation}"
        with contextlib.closing(run(conn, f'CREATE TEMP VIEW "{view}" AS {select}', [])):
            pass
        try:
            with contextlib.closing(
                run(conn, "SELECT name, type FROM pragma_table_info(?)", [view])
            ) as cursor:
                declared = [(str(n), str(t or "")) for n, t in cursor.fetchall()]
        finally:
            with contextlib.closing(run(conn, f'DROP VIEW temp."{view}"', [])):
                pass
        sampled = self._sample(
            conn, relation, [n for n, t in declared if not t and n not in typed], run
        )
        return [
            (n, sqlite_type(t), True) if t else (n, sampled.get(n, pa.null()), False)
            for n, t in declared
        ]

    def _sample(
        self, conn: Any, relation: str, names: list[str], run: Run
    ) -> dict[str, pa.DataType]:
        if not names:
            return {}
        sql = f"SELECT {', '.join(map(quote_name, names))} FROM {relation} AS src LIMIT ?"
        with contextlib.closing(run(conn, sql, [SAMPLE_ROWS], configure=True)) as cursor:
            table = cursor.fetch_arrow_table()
        # All NULL (or no rows): ADBC says int64, a guess; null says what is known.
        return {
            n: table.column(i).type if table.column(i).null_count < table.num_rows else pa.null()
            for i, n in enumerate(names)
        }

    def pushable(self, dtype: pa.DataType) -> bool:
        # Booleans, dates and times are stored as numbers or text of no fixed form.
        return bool(
            pa.types.is_integer(dtype)
            or pa.types.is_floating(dtype)
            or pa.types.is_string(dtype)
            or pa.types.is_binary(dtype)
        )


class PostgresDialect(Dialect):
    """PostgreSQL through ``adbc_driver_postgresql`` (not exercised by the tests here)."""

    name = "postgresql"
    module = "adbc_driver_postgresql.dbapi"
    package = "adbc-driver-postgresql"
    text_collation = ' COLLATE "C"'

    def placeholder(self, index: int) -> str:
        return f"${index}"

    def target(
        self, uri: str, user: str | None, password: str | None, *, write: bool = False
    ) -> str:
        if not user and not password:
            return uri
        parts = urlsplit(uri)
        host = parts.netloc.rpartition("@")[2]
        name = quote(user if user is not None else (parts.username or ""), safe="")
        auth = name + (f":{quote(password, safe='')}" if password else "")
        return urlunsplit(parts._replace(netloc=f"{auth}@{host}"))


DRIVERS: dict[str, Dialect] = {
    "sqlite": SqliteDialect(),
    "postgresql": PostgresDialect(),
    "postgres": PostgresDialect(),
}


def dialect_for(uri: str) -> Dialect:
    """The dialect of ``uri``'s scheme; a path or ``file:`` URI is SQLite."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", uri)
    if match is None:
        return DRIVERS["sqlite"]
    scheme = match.group(1).lower()
    if scheme not in DRIVERS:
        raise invalid(
            f"no ADBC driver known for {scheme}:// URIs (option 'uri'); "
            f"known schemes: {', '.join(sorted(DRIVERS))}"
        )
    return DRIVERS[scheme]


def sqlite_type(declared: str) -> pa.DataType:
    """The Arrow type of a SQLite column declared ``declared`` (SQLite's affinity rules,
    in their order, with dates and times added)."""
    d = declared.upper()
    if "INT" in d:
        return pa.int64()
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return pa.string()
    if "BLOB" in d:
        return pa.binary()
    if any(k in d for k in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    if "BOOL" in d:
        return pa.bool_()
    if "DATETIME" in d or "TIMESTAMP" in d:
        return pa.timestamp("us")
    if "DATE" in d:
        return pa.date32()
    if "TIME" in d:
        return pa.string()  # Arrow casts no text to time64
    return pa.float64()  # NUMERIC affinity: NUMERIC, DECIMAL(10,5), ...


@dataclass(frozen=True)
class Database:
    """Connections and statements for one source, with errors mapped to SqlError."""

    dialect: Dialect
    uri: str  # as the options gave it, for messages (redacted there)
    target: str = field(repr=False)  # what the driver gets: may hold the password
    fetch_size: int | None = None
    on_query: Callable[[str, list[Any]], None] | None = None

    @contextlib.contextmanager
    def connect(
        self, where: str = "SqlSource", partition: int | None = None, *, autocommit: bool = False
    ) -> Iterator[Any]:
        try:
            # Dialects of other code may not take ``autocommit``: only writes pass it.
            dialect = self.dialect
            conn = (
                dialect.connect(self.target, autocommit=True)
                if autocommit
                else dialect.connect(self.target)
            )
        except ImportError:
            raise
        except Exception as exc:
            err = self.error(exc, f"{where}: connecting to {self.uri}", "", partition)
            raise err from cause(exc)
        try:
            yield conn
        finally:
            conn.close()

    def run(
        self,
        conn: Any,
        sql: str,
        params: list[Any],
        *,
        where: str = "SqlSource",
        partition: int | None = None,
        configure: bool = False,
    ) -> Any:
        """A cursor on which ``sql`` ran with ``params`` (close it)."""
        if self.on_query is not None:
            self.on_query(sql, list(params))
        _log.debug("%s: %s %r", where, sql, params)
        cursor = conn.cursor()
        try:
            if configure:
                self.dialect.configure(cursor, self.fetch_size)
            cursor.execute(sql, params or None)
        except Exception as exc:
            cursor.close()
            raise self.error(exc, f"{where}: the query", sql, partition) from cause(exc)
        return cursor

    def error(self, exc: BaseException, what: str, sql: str, partition: int | None) -> SqlError:
        detail = f"{what} failed: {type(exc).__name__}: {exc}"
        if sql:
            detail += f"\n  SQL: {sql}"
        return SqlError(redact(detail), sql=redact(sql), partition=partition)


def cause(exc: BaseException) -> BaseException | None:
    """What to chain a SqlError to: the driver's exception, unless its text shows a secret."""
    return None if redact(str(exc)) != str(exc) else exc
