"""SqlSource's writer: each partition stages its rows in a table of its own; the commit moves
them all into the target in one transaction.

``SqlSource.writer(schema, options, mode)`` returns a ``SqlWriter`` (the write protocol,
``opendal_lab.datasource.writer``), so ``save(SqlSource, frame, options)`` and Spark's
``df.write.format(...).save()`` write the same rows::

    save(SqlSource, frame, {"uri": "sqlite:///data/shop.db", "table": "orders"},
         mode="append", partitions=4)

- ``write(batches)``, per partition, on any worker: its rows go into a staging table of its
  own, ``_opendal_lab_stage_<job>_<attempt>`` (in the target's schema), created by ADBC's
  ``adbc_ingest`` and committed on the partition's own connection. Each attempt gets a new
  name, so a partition written again never meets its earlier try. No reader looks there.
  The message is the staging table's name and its rows (no table for a partition with no
  rows).
- ``commit(messages)``: ONE transaction on one connection -- the target created when it is
  missing, emptied first for ``overwrite`` (``DELETE``), then ``INSERT INTO target (cols)
  SELECT cols FROM staging`` for each staging table in partition order (columns by name:
  the target may have more, with their defaults), and the job's staging tables dropped
  (those of attempts no message names too: Spark may run a task again) -- then
  ``COMMIT``. Readers see every row of the write or none; a failure anywhere (a PRIMARY
  KEY duplicate, a NOT NULL column) rolls it all back, and the staging tables are dropped
  after.
- ``abort(messages)``: drops this job's staging tables, found in the catalog by the job's
  prefix (Sail passes no messages, and a partition that failed after staging returned
  none). Staging tables of other jobs are left alone, even stale ones of a crashed run.

Why staging tables rather than one transaction per partition: partitions run on other
processes and machines, and a transaction cannot span connections; the rows are sent to
the database once, by the workers, and the commit moves them inside the database.

Modes, as Spark's JDBC writer has them: ``append`` (the table created when missing),
``overwrite`` (its rows replaced: the table, its indexes and constraints are kept -- Spark's
``truncate=true`` -- and created when missing), ``error`` (refused in ``writer``, before any
partition runs, when the table exists, rows or not; created in the commit), ``ignore``
(nothing written when the table exists). The table's existence is checked again inside the
commit's transaction, so a table created meanwhile is met as the mode says.

A new table is created in the commit's transaction from the Arrow schema, each column
typed as ``Tables.column_type`` says. For SQLite those declared types read back through
SqlSource as they were written, with these losses: every integer is INTEGER and reads back
as int64, every float REAL (float64); timestamps are ISO text in microseconds (nanoseconds
cut), a zoned one as UTC without its zone, read back as ``timestamp[us]``; dates read back
as date32; decimals are stored as REAL (float64), times as text (string). A column of the
``null`` type is declared TEXT and reads back as string. Lists, structs, maps and durations are
refused in ``writer``, naming the column.

SQLite: one writer at a time. Partitions stage in turn, each waiting (``PRAGMA
busy_timeout``, set on every connection by ``SqliteDialect``, reads' too: a commit's lock
holds readers off for its moment) instead of failing with "database is locked", and every write
transaction takes the lock at ``BEGIN IMMEDIATE``: a transaction that read first and then
asked to write could be refused at once to avoid a deadlock. The file is opened with
``mode=rwc`` (created when missing, as the table is; ``?mode=rw`` in the URI refuses);
``:memory:`` is refused (each connection would see a database of its own).

Secrets: ``user`` / ``password`` and a password in ``uri`` are masked in every message
(``dialects.SqlError``); the writer's repr shows the URI as given.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from opendal_lab.core.errors import AlreadyExists
from opendal_lab.core.secrets import redact, register_secret
from opendal_lab.datasource.api import Options
from opendal_lab.datasource.sources.sql.dialects import (
    Database,
    SqlError,
    cause,
    dialect_for,
    invalid,
    quote_name,
)
from opendal_lab.datasource.sources.sql.tables import TableName, Tables, tables_for

__all__ = ["STAGING_PREFIX", "WRITE_MODES", "WRITE_OPTIONS", "SqlWriter", "Staged", "open_writer"]

STAGING_PREFIX = "_opendal_lab_stage_"
WRITE_MODES = ("append", "overwrite", "error", "ignore")
WRITE_OPTIONS = ("uri", "user", "password", "table")
_READ_OPTIONS = (
    "query",
    "partition_column",
    "num_partitions",
    "lower_bound",
    "upper_bound",
    "fetch_size",
    "custom_schema",
)
_FOREIGN = ("python_module", "python_class", "path")
_SPARK_NAMES = {"url": "uri", "dbtable": "table"}


@dataclass(frozen=True)
class Staged:
    """One partition's commit message: its staging table (None: nothing staged), its rows."""

    table: str | None
    rows: int


@dataclass(frozen=True)
class WriteConfig:
    """The write options, checked."""

    database: Database
    table: TableName
    secrets: tuple[str, ...] = field(repr=False)  # registered again on each worker

    def __repr__(self) -> str:
        uri = redact(self.database.uri)
        return f"WriteConfig(uri={uri!r}, table={self.table.sql!r})"

    @property
    def tables(self) -> Tables:
        return tables_for(self.database.dialect)


def parse_write_options(
    options: dict[str, str], on_query: Callable[[str, list[Any]], None] | None
) -> WriteConfig:
    """The write options checked; ConfigInvalid names the bad one."""
    options = Options(options)
    for key in options:
        if key in _READ_OPTIONS:
            what = "a SELECT cannot be written to" if key == "query" else "it shapes reads"
            raise invalid(
                f"option {key!r} is for reads ({what}); a write takes 'table' (the table to "
                f"write), with {', '.join(WRITE_OPTIONS)}"
            )
        if key not in WRITE_OPTIONS and key not in _FOREIGN:
            hint = _SPARK_NAMES.get(key.lower()) or next(
                iter(difflib.get_close_matches(key, WRITE_OPTIONS, n=1)), None
            )
            raise invalid(
                f"unknown option {key!r} for a write"
                + (f" (did you mean {hint!r}?)" if hint else "")
                + f"; a write takes {', '.join(WRITE_OPTIONS)}"
            )
    secrets = _secrets(options)
    uri = options.get("uri", "").strip()
    if not uri:
        raise invalid("option 'uri' is required (sqlite:///path/to.db, postgresql://...)")
    dialect = dialect_for(uri)
    tables = tables_for(dialect)
    target = dialect.target(uri, options.get("user"), options.get("password"), write=True)
    if dialect.name == "sqlite" and (target == ":memory:" or "mode=memory" in target):
        raise invalid(
            f"cannot write to an in-memory SQLite database ({uri!r}): each connection "
            "would see its own; give a file"
        )
    text = options.get("table", "").strip()
    if not text:
        raise invalid("option 'table' is required: the table to write")
    table = TableName.parse(text, tables.fold)
    if dialect.name == "sqlite" and (table.schema or "").lower() == "temp":
        raise invalid(f"cannot write to {text!r}: a temp table lives on one connection only")
    database = Database(dialect, uri, target, None, on_query)
    return WriteConfig(database, table, secrets)


def _secrets(options: Options) -> tuple[str, ...]:
    uri = options.get("uri", "")
    found = [options.get("password"), urlsplit(uri).password if "://" in uri else None]
    secrets = tuple(s for s in found if s)
    for secret in secrets:
        register_secret(secret)
    return secrets


def open_writer(
    schema: pa.Schema,
    options: dict[str, str],
    mode: str,
    on_query: Callable[[str, list[Any]], None] | None = None,
) -> SqlWriter:
    """``SqlSource.writer``: options, schema and target checked (module docstring)."""
    if mode not in WRITE_MODES:
        raise invalid(f"unknown write mode {mode!r}; SqlSource writes {', '.join(WRITE_MODES)}")
    config = parse_write_options(options, on_query)
    _check_schema(schema, config)
    db, table = config.database, config.table
    with db.connect(f"SqlSource, writing {table.sql}") as conn:
        run = _runner(db, f"SqlSource, writing {table.sql}")
        exists = config.tables.exists(conn, table, run)
        if exists and mode == "error":
            raise AlreadyExists(
                f"SqlSource: table {table.sql} already exists in {db.uri}; mode=error "
                "refuses to write there (use append, overwrite or ignore)",
                operation="write",
            )
        if exists:
            _check_columns(schema, config.tables.columns(conn, table, run), config)
    return SqlWriter(config, mode, schema, skip=exists and mode == "ignore")


def _check_schema(schema: pa.Schema, config: WriteConfig) -> None:
    if not schema.names:
        raise invalid(f"nothing to write to {config.table.sql}: the data has no columns")
    sqlite = config.database.dialect.name == "sqlite"  # names compare case-insensitively
    seen: dict[str, str] = {}
    for name in schema.names:
        key = name.lower() if sqlite else name
        if key in seen:
            raise invalid(
                f"the data has columns {seen[key]!r} and {name!r}, one column to "
                f"{config.database.dialect.name}"
            )
        seen[key] = name
    for f in schema:
        if config.tables.column_type(f.type) is None:
            raise invalid(
                f"column {f.name!r} is {f.type}, which SqlSource cannot write to "
                f"{config.database.dialect.name} (numbers, text, bytes, booleans, dates, "
                "times, timestamps and decimals it can)"
            )


def _check_columns(schema: pa.Schema, present: list[str], config: WriteConfig) -> None:
    sqlite = config.database.dialect.name == "sqlite"  # names compare case-insensitively
    have = {n.lower() if sqlite else n for n in present}
    missing = [n for n in schema.names if (n.lower() if sqlite else n) not in have]
    if missing:
        raise invalid(
            f"table {config.table.sql} has no column {', '.join(map(repr, missing))} "
            f"(its columns: {', '.join(present)}); the data's columns are written by name"
        )


def _runner(db: Database, where: str) -> Callable[..., Any]:
    def run(conn: Any, sql: str, params: list[Any], **kwargs: Any) -> Any:
        return db.run(conn, sql, params, where=where, **kwargs)

    return run


def _execute(run: Callable[..., Any], conn: Any, sql: str, params: list[Any] | None = None) -> None:
    with contextlib.closing(run(conn, sql, params or [])):
        pass


@dataclass(eq=False)
class SqlWriter:
    """Writes one job's rows (module docstring); pickled to each worker."""

    config: WriteConfig
    mode: str
    schema: pa.Schema
    skip: bool = False  # mode=ignore and the table exists
    job: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def prefix(self) -> str:
        """The start of this job's staging table names."""
        return f"{STAGING_PREFIX}{self.job}_"

    # -- the write protocol ---------------------------------------------------------------
    def write(self, batches: Iterator[pa.RecordBatch]) -> Staged:
        self._register()
        batches = iter(batches)
        first = next(batches, None) if not self.skip else None
        if first is None:
            return Staged(None, 0)
        target = pa.schema(
            [pa.field(f.name, self.config.tables.staging_type(f.type)) for f in first.schema]
        )
        counted = [0]

        def rows() -> Iterator[pa.RecordBatch]:
            for batch in itertools.chain([first], batches):
                counted[0] += batch.num_rows
                yield _cast(batch, target)

        name = f"{self.prefix}{uuid.uuid4().hex[:12]}"
        table, db = self.config.table, self.config.database
        where = f"SqlSource, staging rows for {table.sql} in {name}"
        with self._transaction(where) as (conn, _):
            cursor = conn.cursor()
            try:
                reader = pa.RecordBatchReader.from_batches(target, rows())
                cursor.adbc_ingest(name, reader, mode="create", db_schema_name=self._schema)
            except SqlError:
                raise
            except Exception as exc:
                raise db.error(exc, where, "", None) from cause(exc)
            finally:
                cursor.close()
        return Staged(name, counted[0])

    def commit(self, messages: list[Staged]) -> None:
        self._register()
        table = self.config.table
        staged = [m.table for m in messages if m is not None and m.table is not None]
        columns = ", ".join(quote_name(n) for n in self.schema.names)
        try:
            with self._transaction(f"SqlSource, committing to {table.sql}") as (conn, run):
                exists = self.config.tables.exists(conn, table, run)
                if exists and self.mode == "error":
                    raise AlreadyExists(
                        f"SqlSource: table {table.sql} was created while this write ran; "
                        "mode=error refuses to write there",
                        operation="write",
                    )
                if not (exists and (self.skip or self.mode == "ignore")):
                    if not exists:
                        _execute(run, conn, self._create_sql())
                    elif self.mode == "overwrite":
                        _execute(run, conn, f"DELETE FROM {table.sql}")
                    for name in staged:
                        _execute(
                            run,
                            conn,
                            f"INSERT INTO {table.sql} ({columns}) "
                            f"SELECT {columns} FROM {self._staging_sql(name)}",
                        )
                # With any this job staged and no message names: an attempt Spark ran again.
                found = self.config.tables.staged(conn, self._schema, self.prefix, run)
                for name in sorted({*staged, *found}):
                    _execute(run, conn, f"DROP TABLE IF EXISTS {self._staging_sql(name)}")
        except BaseException:
            # The transaction rolled back, with its DROPs: the staging tables go now.
            with contextlib.suppress(Exception):
                self.abort(list(messages))
            raise

    def abort(self, messages: list[Staged | None]) -> None:
        self._register()
        table = self.config.table
        with self._transaction(f"SqlSource, dropping the staging tables of {table.sql}") as (
            conn,
            run,
        ):
            names = set(self.config.tables.staged(conn, self._schema, self.prefix, run))
            names |= {m.table for m in messages if m is not None and m.table is not None}
            for name in sorted(names):
                _execute(run, conn, f"DROP TABLE IF EXISTS {self._staging_sql(name)}")

    # -- helpers --------------------------------------------------------------------------
    @property
    def _schema(self) -> str | None:
        """The schema of the staging tables (None: the connection's default)."""
        return self.config.table.schema if self.config.tables.schemas else None

    def _staging_sql(self, name: str) -> str:
        if self.config.tables.schemas:
            return self.config.table.sibling(name)
        return quote_name(name)

    @contextlib.contextmanager
    def _transaction(self, where: str) -> Iterator[tuple[Any, Callable[..., Any]]]:
        """A connection in a write transaction, committed when the block ends, rolled
        back when it raises."""
        db = self.config.database
        run = _runner(db, where)
        with db.connect(where, autocommit=True) as conn:
            _execute(run, conn, self.config.tables.begin)
            try:
                yield conn, run
            except BaseException:
                with contextlib.suppress(Exception):
                    _execute(run, conn, "ROLLBACK")
                raise
            _execute(run, conn, "COMMIT")

    def _create_sql(self) -> str:
        tables = self.config.tables
        columns = [f"{quote_name(f.name)} {tables.column_type(f.type)}" for f in self.schema]
        return f"CREATE TABLE {self.config.table.sql} ({', '.join(columns)})"

    def _register(self) -> None:
        for secret in self.config.secrets:
            register_secret(secret)


def _cast(batch: pa.RecordBatch, target: pa.Schema) -> pa.RecordBatch:
    """``batch`` in the staged types: zoned timestamps as UTC, nanoseconds cut."""
    if batch.schema.equals(target):
        return batch
    arrays = []
    for array, f in zip(batch.columns, target, strict=True):
        if pa.types.is_timestamp(array.type) and array.type != f.type:
            array = pc.cast(array.cast(pa.timestamp(array.type.unit)), f.type, safe=False)
        elif pa.types.is_time(array.type) and pa.types.is_string(f.type):
            array = pa.array([None if v is None else v.isoformat() for v in array.to_pylist()])
        elif array.type != f.type:
            array = pc.cast(array, f.type)
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=target)
