"""IcebergSource: an Apache Iceberg table read through PyIceberg, its files on any operator.

::

    from opendal_lab.datasource import load, scan
    from opendal_lab.datasource.sources.iceberg import IcebergSource

    df = load(IcebergSource, {"catalog_uri": "sqlite:////data/catalog.db", "table": "lab.events"})
    old = load(IcebergSource, {..., "as_of": "2024-05-01T12:00:00Z"})
    lf = scan(IcebergSource, {"catalog_uri": ..., "table": "lab.events",
                              "storage.endpoint": "http://minio:9000", "storage.region": "eu"})
    lf.filter(pl.col("day") == date(2024, 5, 1)).select("user", "amount").collect()

By name, as Spark and Sail load it: ``python_module="opendal_lab.datasource.sources.iceberg"``,
``python_class="IcebergSource"``. Needs ``pip install 'opendal-lab[iceberg]'``. Options
(strings; names case-insensitive):

- ``catalog_uri``: PyIceberg's SQL catalog, a SQLAlchemy URI (``sqlite:////abs/catalog.db``;
  a SQLite file that does not exist is an error, not a new empty catalog).
- ``catalog_name``: the catalog's name (``default``), as PyIceberg's config files know it.
- ``catalog.<property>``: any PyIceberg catalog property, passed as it is
  (``catalog.type=rest``, ``catalog.uri=https://...``, ``catalog.warehouse=...``,
  ``catalog.credential=...``): another kind of catalog, or more for the SQL one.
- ``table``: ``namespace.table`` (``a.b.events``: namespace ``a.b``).
- ``snapshot_id`` or ``as_of`` (not both): time travel. ``as_of`` is an ISO timestamp (UTC
  when it has no offset) or epoch milliseconds, and picks the snapshot current then (the
  table's history); one before the first snapshot, or an unknown id, is an error.
- ``storage.<key>``: the warehouse operator's config (``storage.endpoint``,
  ``storage.region``, ``storage.access_key_id``, ``storage.secret_access_key``,
  ``storage.layers``, ...).
- ``io``: ``opendal`` (the default) reads every file through opendal_lab's fsspec face
  (``OpendalFileIO``: ``file://`` on ``fs``, ``s3://`` on ``s3``, ``opendal+memory://...``
  on memory, any ``opendal+<scheme>://``); ``pyiceberg`` leaves the choice to PyIceberg
  (its pyarrow FileIO by the location's scheme), for comparison.

Credentials (``storage.*secret*``, ``catalog.*password*`` / ``*token*`` / ``*credential*``)
are registered as secrets: no spec, error or log line shows them.

Schema: the Arrow form of the snapshot's schema (so an older snapshot reads with the columns
it had), ``large_`` types as their plain forms (PyIceberg's batches come in either).

Partitions: one per file scan task of the snapshot (a data file with its delete files),
planned by PyIceberg (``table.scan(...).plan_files()``), in its order. ``plan_partitions``
takes ``filters``: those with an exact PyIceberg form (``filters``) become the scan's row
filter, so partitions and files the table's metadata rules out are not planned at all.

A spec is ``{"metadata": <metadata.json location>, "snapshot": <id>, "file": <data file
location>, "records": n, "bytes": n, "deletes": n}``: the task is found again by its data
file's location, not serialised. Why: a task is a PyIceberg ``DataFile`` with its partition
record and delete files, whose Python values (dates as day numbers, decimals, bytes) have no
stable JSON form of PyIceberg's own, and carrying them by hand would re-implement its delete
matching. The metadata file is immutable, so a worker that opens it
(``StaticTable.from_metadata``, no catalog round trip) and plans the snapshot sees the very
tasks the caller planned. Each process plans each snapshot once and keeps the tasks by
location (a few tables at a time); in the caller's process (threads) the plan
``plan_partitions`` made is reused as it is, so nothing is planned twice.

Reading a partition: PyIceberg's ``ArrowScan`` on that one task, so positional deletes apply
as in ``table.scan().to_arrow()``, with the projection (``columns``), the translated filters
and the ``limit``; batches come out as Polars frames. ``exact_filters`` claims the translated
filters (PyIceberg applies them row by row); the others the loader applies.

``storage(options)`` names the operator of the table's files, so a memory warehouse handed
to workers in other processes (a process pool, a Dask cluster) is refused before any task
runs, as for FileSource.

Writes: ``save(IcebergSource, rows, options, mode=...)`` or ``df.write.format(...).save()``
on Spark and Sail -- ``append``, ``overwrite``, ``error``, ``ignore``; the partitions write
parquet data files, the caller commits them as one snapshot (``write``).

Not supported: equality deletes (PyIceberg refuses them while
planning, an error that names the table), vended credentials of a REST catalog on workers
(workers open the metadata with the options' properties, not the catalog's answer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa
from pyiceberg.io.pyarrow import ArrowScan, schema_to_pyarrow
from pyiceberg.schema import Schema
from pyiceberg.table import FileScanTask, StaticTable, Table

from opendal_lab.core.operator import Operator
from opendal_lab.datasource.api import Filter, PushdownSource, ReadRequest
from opendal_lab.datasource.sources.iceberg.catalog import (
    IcebergConfig,
    open_table,
    parse_options,
    pick_snapshot,
)
from opendal_lab.datasource.sources.iceberg.fileio import OpendalFileIO
from opendal_lab.datasource.sources.iceberg.filters import row_filter
from opendal_lab.datasource.sources.iceberg.write import IcebergWriter, make_writer

__all__ = ["IcebergSource", "TABLES_KEPT"]

#: Tables (with their planned tasks) each process keeps, newest used last.
TABLES_KEPT = 8


@dataclass(frozen=True)
class Resolved:
    """What the caller found for one set of options: the metadata, snapshot and shapes."""

    metadata: str  # the metadata.json location, the same for every partition
    snapshot_id: int | None  # None: the table has no snapshot yet
    schema: pa.Schema  # what infer_schema declares
    current: Schema  # the table's current schema, which PyIceberg binds filters to


class IcebergSource(PushdownSource):
    """An Iceberg table, read through PyIceberg (module docstring)."""

    write_modes = ("append", "overwrite", "error", "ignore")

    def __init__(self) -> None:
        # Filled in the caller's process and pickled to workers with the source: they then
        # need neither the catalog nor another look at the snapshot.
        self._resolved: dict[tuple[Any, ...], Resolved] = {}

    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        return self._resolve(parse_options(options), fresh=True).schema

    def plan_partitions(
        self, options: dict[str, str], *, filters: Sequence[Filter] | None = None
    ) -> list[dict[str, Any]]:
        config = parse_options(options)
        resolved = self._resolve(config)
        if resolved.snapshot_id is None:
            return []
        table = _open(resolved.metadata, config)
        expression, _ = row_filter(filters or (), resolved.current)
        tasks = list(
            table.scan(row_filter=expression, snapshot_id=resolved.snapshot_id).plan_files()
        )
        _remember(resolved.metadata, config, resolved.snapshot_id, tasks)
        return [
            {
                "metadata": resolved.metadata,
                "snapshot": resolved.snapshot_id,
                "file": task.file.file_path,
                "records": task.file.record_count,
                "bytes": task.file.file_size_in_bytes,
                "deletes": len(task.delete_files),
            }
            for task in tasks
        ]

    def read(
        self, spec: dict[str, Any], options: dict[str, str], request: ReadRequest
    ) -> Iterator[pl.DataFrame]:
        config = parse_options(options)
        metadata, snapshot_id = str(spec["metadata"]), int(spec["snapshot"])
        # Everything from the spec's metadata file, never the catalog: a worker reads the
        # snapshot the caller planned, whatever was committed since.
        table = _open(metadata, config)
        task = _task(table, metadata, config, snapshot_id, str(spec["file"]))
        fields = [f.name for f in table.scan(snapshot_id=snapshot_id).projection().fields]
        names = fields if request.columns is None else list(request.columns)
        if not names:  # only the row count is wanted: read the first column
            names = fields[:1]
        expression, _ = row_filter(request.filters, table.schema())
        scan = table.scan(
            row_filter=expression,
            selected_fields=tuple(names),
            snapshot_id=snapshot_id,
            limit=request.limit,
        )
        arrow = ArrowScan(
            table.metadata,
            table.io,
            scan.projection(),
            scan.row_filter,
            scan.case_sensitive,
            scan.limit,
        )
        for batch in arrow.to_record_batches([task]):
            yield pl.from_arrow(batch)  # type: ignore[misc]

    def exact_filters(self, filters: Sequence[Filter], options: dict[str, str]) -> list[Filter]:
        resolved = self._resolve(parse_options(options))
        return row_filter(filters, resolved.current)[1]

    def storage(self, options: dict[str, str]) -> Operator | None:
        """The operator the table's files are on, so the loader can refuse a per-process
        store (memory) on workers in other processes; None with ``io=pyiceberg``."""
        config = parse_options(options)
        resolved = self._resolve(config)
        io = _open(resolved.metadata, config).io
        if not isinstance(io, OpendalFileIO):
            return None
        operator = getattr(io.resolve(resolved.metadata)[0], "operator", None)
        return operator if isinstance(operator, Operator) else None

    def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> IcebergWriter:
        """The table's writer (``write``): table loaded and ``schema`` checked, here."""
        return make_writer(parse_options(options), schema, mode)

    # -- helpers ------------------------------------------------------------------------
    def _resolve(self, config: IcebergConfig, *, fresh: bool = False) -> Resolved:
        key = (*config.key, config.snapshot_id, config.as_of_ms)
        found = self._resolved.get(key)
        if found is not None and not fresh:
            return found
        table = open_table(config)
        snapshot = pick_snapshot(table, config)
        snapshot_id = None if snapshot is None else snapshot.snapshot_id
        projection = table.scan(snapshot_id=snapshot_id).projection()
        resolved = Resolved(
            metadata=table.metadata_location,
            snapshot_id=snapshot_id,
            schema=_plain_types(schema_to_pyarrow(projection, include_field_ids=False)),
            current=table.schema(),
        )
        _keep(resolved.metadata, config, table)
        if len(self._resolved) >= TABLES_KEPT:
            self._resolved.clear()  # one source used with many option sets: start over
        self._resolved[key] = resolved
        return resolved


# -- the per-process tables and plans ---------------------------------------------------------
@dataclass
class _Entry:
    table: Table
    tasks: dict[int, dict[str, FileScanTask]]  # snapshot id -> data file location -> task


_TABLES: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
_LOCK = threading.Lock()  # guards _TABLES; planning holds it too, so each plan runs once


def _cache_key(metadata: str, config: IcebergConfig) -> tuple[Any, ...]:
    return (metadata, config.catalog_name, config.properties)


def _keep(metadata: str, config: IcebergConfig, table: Table) -> _Entry:
    key = _cache_key(metadata, config)
    with _LOCK:
        entry = _TABLES.get(key)
        if entry is None:
            entry = _TABLES[key] = _Entry(table, {})
            while len(_TABLES) > TABLES_KEPT:
                _TABLES.popitem(last=False)
        _TABLES.move_to_end(key)
        return entry


def _open(metadata: str, config: IcebergConfig) -> Table:
    """The table at ``metadata``: the one this process has, or opened from the file."""
    with _LOCK:
        entry = _TABLES.get(_cache_key(metadata, config))
    if entry is not None:
        return entry.table
    table = StaticTable.from_metadata(metadata, properties=config.catalog_properties())
    return _keep(metadata, config, table).table


def _remember(metadata: str, config: IcebergConfig, snapshot: int, tasks: list[Any]) -> None:
    """Keep the caller's planned tasks, so its own threads find theirs without planning."""
    entry = _keep(metadata, config, _open(metadata, config))
    with _LOCK:
        known = entry.tasks.setdefault(snapshot, {})
        known.update((t.file.file_path, t) for t in tasks)


def _task(table: Table, metadata: str, config: IcebergConfig, snapshot: int, path: str) -> Any:
    """The scan task of the data file at ``path`` in ``snapshot``, planned once per process."""
    entry = _keep(metadata, config, table)
    with _LOCK:
        task = entry.tasks.get(snapshot, {}).get(path)
        if task is None:
            planned = table.scan(snapshot_id=snapshot).plan_files()
            entry.tasks[snapshot] = {t.file.file_path: t for t in planned}
            task = entry.tasks[snapshot].get(path)
    if task is None:
        raise FileNotFoundError(
            f"IcebergSource: snapshot {snapshot} of {metadata} has no data file {path}"
        )
    return task


def _plain_types(schema: pa.Schema) -> pa.Schema:
    """``schema`` with ``large_string`` / ``large_binary`` / ``large_list`` as plain types."""
    return pa.schema([f.with_type(_plain(f.type)) for f in schema], metadata=schema.metadata)


def _plain(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(kind):
        return pa.string()
    if pa.types.is_large_binary(kind):
        return pa.binary()
    if pa.types.is_large_list(kind) or pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_plain(kind.value_type)))
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_plain(f.type)) for f in kind])
    if pa.types.is_map(kind):
        return pa.map_(
            kind.key_field.with_type(_plain(kind.key_type)),
            kind.item_field.with_type(_plain(kind.item_type)),
        )
    return kind
