"""IcebergSource's writer: data files written by the partitions, one snapshot committed at the end.

``IcebergSource.writer(schema, options, mode)`` returns an ``IcebergWriter`` (the write
protocol, ``opendal_lab.datasource.writer``), so ``save(IcebergSource, frame, options)`` and
Spark's / Sail's ``df.write.format(...).save()`` write the same table:

- ``writer`` (the caller's process) loads the table from its catalog -- a missing table is
  ``NotFound``, never created here -- and checks the rows' Arrow schema against the table's
  (``check_schema``): every column must be a table column of a type PyIceberg writes into
  it (the same type, or a promotion: int to long, float to double); a table column the rows
  lack is written as nulls when it is optional, refused when it is required. A nullable
  column (Polars and Spark declare them all so) goes into a required one, its nulls
  refused partition by partition.
- ``write(batches)``, per partition: PyIceberg's own data-file writer
  (``pyiceberg.io.pyarrow._dataframe_to_data_files``, what ``Table.append`` runs) writes the
  rows as parquet files under the table's data location, through the table's FileIO
  (``OpendalFileIO`` unless ``io=pyiceberg``), so any warehouse works. The files carry the
  Iceberg field ids, their column statistics are gathered as they are written, and a
  partitioned table's rows are split by its partition spec, any transform, a file per
  partition value. No catalog is touched: the worker opens the metadata file the caller
  loaded. The message is the files' ``DataFile`` records (location, partition values,
  statistics) -- everything a snapshot needs, with no file to read again.
- ``commit(messages)``: one catalog transaction on the table as it is then. ``append``: a
  snapshot adding every file (a fast append, or a merge append when the table's
  ``commit.manifest-merge.enabled`` says so). ``overwrite``: a delete of every row, then
  that append, in the same transaction. Readers see the previous snapshot until the
  catalog swaps the metadata pointer, then all of the write; a commit that fails leaves the
  table as it was. The snapshot summary carries ``opendal-lab.write-id``.
- ``abort(messages)``: the written files are deleted -- those the messages name, and when a
  message is missing (a failed partition; Sail passes none at all) every data file whose
  name ends in this write's id, found by listing the data location (the files are named
  ``00000-<n>-<write id>.parquet``). Before deleting, the table is loaded once more: when a
  snapshot of this write is there (a commit whose answer was lost), or the table cannot be
  loaded, nothing is deleted -- unreferenced files are harmless, Iceberg ignores them and
  orphan-file maintenance removes them; deleting files a snapshot references is not.

Why this route: ``Table.add_files`` registers parquet files written elsewhere, but it reads
every footer again on the caller, maps columns by name, and earlier PyIceberg releases
refuse files that carry field ids; PyIceberg's writer gives ``DataFile``s ready to append,
written with the table's own properties (compression, target file size, location provider),
so the files are the ones ``table.append`` would write. ``_dataframe_to_data_files`` is
private to PyIceberg (checked on 0.12): an upgrade may need its one call here adjusted, which
the tests would show.

Partition transforms other than identity and void are computed by ``pyiceberg-core``, an
optional package (``pyiceberg[pyiceberg-core]``): without it such a table is refused in
``writer``, before any partition runs. A table whose partition spec changes while the
partitions write is refused in ``commit`` (the files were written for the old spec). A JVM
Spark may call ``abort`` before a task it cancelled has finished writing: that task's file
stays, unreferenced (as Spark's own file committer leaves it).

Modes: ``append``, ``overwrite`` (above), ``error`` (refuse when the table has rows: checked
before any partition runs and again in the commit), ``ignore`` (write nothing when it has
rows). A write with no rows appends no snapshot; an overwrite with none empties the table.
The sort order is not applied (nor does PyIceberg apply it).

Rows go to partitions grouped by the table's identity-partition columns (``cluster_by``),
so each Iceberg partition is written by one partition of the write, as one file.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import logging
import secrets
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pyiceberg.exceptions import NotInstalledError
from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import (
    _check_pyarrow_schema_compatible,
    _dataframe_to_data_files,
    _pyarrow_to_schema_without_ids,
)
from pyiceberg.manifest import DataFile
from pyiceberg.schema import Schema, promote
from pyiceberg.table import StaticTable, Table, TableProperties
from pyiceberg.table.locations import load_location_provider
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import NestedField, PrimitiveType
from pyiceberg.utils.properties import property_as_bool

from opendal_lab.core.errors import AlreadyExists, ConfigInvalid
from opendal_lab.datasource.sources.iceberg.catalog import SOURCE, IcebergConfig, open_table
from opendal_lab.datasource.sources.iceberg.fileio import OpendalFileIO

__all__ = [
    "WRITE_ID",
    "IcebergWriter",
    "Written",
    "check_schema",
    "check_transforms",
    "identity_columns",
    "make_writer",
]

#: The snapshot summary property naming the write that made the snapshot.
WRITE_ID = "opendal-lab.write-id"

log = logging.getLogger("opendal_lab.datasource")


@dataclass(frozen=True)
class Written:
    """One partition's commit message: the data files it wrote, in no snapshot yet."""

    files: tuple[DataFile, ...]
    rows: int

    @property
    def paths(self) -> list[str]:
        return [f.file_path for f in self.files]


@dataclass(eq=False)
class IcebergWriter:
    """Writes one job's data files and commits them as one snapshot (module docstring)."""

    config: IcebergConfig
    metadata: str  # the metadata.json location the workers open (no catalog on workers)
    mode: str
    schema: pa.Schema
    spec_id: int  # the partition spec the files are written for
    cluster_by: list[str]
    required: list[str] = field(default_factory=list)  # required columns, null-checked
    skip: bool = False  # mode=ignore and the table had rows
    job: uuid.UUID = field(default_factory=uuid.uuid4)

    # -- the write protocol ---------------------------------------------------------------
    def write(self, batches: Iterator[pa.RecordBatch]) -> Written:
        pieces = list(batches)
        if self.skip:
            return Written((), 0)
        # The batches' own schema: Spark's may differ from the declared one in details
        # (nullability) that the table's schema decides anyway.
        rows = pa.Table.from_batches(pieces) if pieces else self.schema.empty_table()
        if rows.num_rows == 0:
            return Written((), 0)
        if self.required:
            rows = _check_nulls(rows, self.required, self.config.table)
        table = _static_table(self.metadata, self.config.properties)
        # Names are 00000-<n>-<job>.parquet: the job finds them again in abort; a random
        # start for <n> keeps another attempt of this partition from meeting this one.
        counter = itertools.count(secrets.randbits(48))
        files = tuple(
            _dataframe_to_data_files(
                table_metadata=table.metadata,
                df=rows,
                io=table.io,
                write_uuid=self.job,
                counter=counter,
            )
        )
        return Written(files, rows.num_rows)

    def commit(self, messages: list[Written]) -> None:
        if self.skip:
            return
        files = [f for m in messages for f in m.files]
        table = open_table(self.config)
        if table.metadata.default_spec_id != self.spec_id:
            raise ConfigInvalid(
                f"{SOURCE}: the partition spec of table {self.config.table!r} changed during "
                f"the write (spec {self.spec_id}, now {table.metadata.default_spec_id}); "
                "nothing was committed",
                operation="iceberg",
                path=self.config.table,
            )
        if self.mode == "error":
            _refuse_rows(table, self.config)
        if not files and (self.mode != "overwrite" or table.current_snapshot() is None):
            return  # nothing to add, nothing to remove: no new snapshot
        properties = {WRITE_ID: str(self.job)}
        transaction = table.transaction()
        if self.mode == "overwrite" and table.current_snapshot() is not None:
            with warnings.catch_warnings():
                # "did not match any records": the table had a snapshot but no rows.
                warnings.simplefilter("ignore", UserWarning)
                transaction.delete(AlwaysTrue(), snapshot_properties=properties)
        if files:
            update = transaction.update_snapshot(snapshot_properties=properties)
            merge = property_as_bool(
                table.metadata.properties,
                TableProperties.MANIFEST_MERGE_ENABLED,
                TableProperties.MANIFEST_MERGE_ENABLED_DEFAULT,
            )
            with update.merge_append() if merge else update.fast_append() as append:
                for data_file in files:
                    append.append_data_file(data_file)
        transaction.commit_transaction()

    def abort(self, messages: list[Written | None]) -> None:
        try:
            table = open_table(self.config)
        except Exception as exc:
            log.warning(
                "%s: abort could not load table %r (%s), so the files of write %s stay, "
                "unreferenced", SOURCE, self.config.table, exc, self.job,
            )  # fmt: skip
            return
        if any(s.summary and s.summary.get(WRITE_ID) == str(self.job) for s in table.snapshots()):
            log.warning(
                "%s: write %s is committed in table %r after all; abort keeps its files",
                SOURCE, self.job, self.config.table,
            )  # fmt: skip
            return
        paths = {p for m in messages if m is not None for p in m.paths}
        if not messages or any(m is None for m in messages):
            paths.update(self.orphans(table))
        for path in sorted(paths):
            with contextlib.suppress(FileNotFoundError):
                table.io.delete(path)

    # -- helpers ------------------------------------------------------------------------
    def orphans(self, table: Table) -> list[str]:
        """Every data file this write left under the table's data location, by its name."""
        provider = load_location_provider(table.metadata.location, table.metadata.properties)
        root = provider.data_path
        fileio = table.io
        if not isinstance(fileio, OpendalFileIO):  # io=pyiceberg: list through ours anyway
            fileio = OpendalFileIO(table.io.properties)
        fs, path = fileio.resolve(root)
        suffix = f"-{self.job}.parquet"
        try:
            found = fs.find(path)
        except FileNotFoundError:
            return []
        base = root.rstrip("/")
        prefix = path.rstrip("/")
        # Back to the table's own form of the location (file://..., s3://...).
        return [base + p[len(prefix) :] for p in found if p.endswith(suffix)]


@functools.lru_cache(maxsize=8)
def _static_table(metadata: str, properties: tuple[tuple[str, str], ...]) -> StaticTable:
    """The table at ``metadata``, opened once per process (no catalog: the file is immutable)."""
    return StaticTable.from_metadata(metadata, properties=dict(properties))


def make_writer(config: IcebergConfig, schema: pa.Schema, mode: str) -> IcebergWriter:
    """The writer for ``config``'s table, checked against ``schema`` and ``mode`` here."""
    if config.snapshot_id is not None or config.as_of_ms is not None:
        raise ConfigInvalid(
            f"{SOURCE}: options 'snapshot_id' / 'as_of' pick a snapshot to read; a write "
            "always adds to the table's current one -- leave them out",
            operation="iceberg",
            path=config.table,
        )
    table = open_table(config)
    required = [f.name for f in table.schema().fields if f.required and f.name in schema.names]
    check_schema(
        table.schema(), _as_required(schema, required), config.table, table.metadata.format_version
    )
    check_transforms(table, config.table)
    skip = False
    if mode == "error":
        _refuse_rows(table, config)
    elif mode == "ignore":
        skip = _rows(table) > 0
    return IcebergWriter(
        config=config,
        metadata=table.metadata_location,
        mode=mode,
        schema=schema,
        spec_id=table.metadata.default_spec_id,
        cluster_by=[c for c in identity_columns(table) if c in schema.names],
        required=required,
        skip=skip,
    )


def identity_columns(table: Table) -> list[str]:
    """The top-level columns the table's spec partitions by as they are (identity)."""
    schema = table.schema()
    names = []
    for part in table.spec().fields:
        if isinstance(part.transform, IdentityTransform):
            name = schema.find_column_name(part.source_id)
            if name is not None and "." not in name:
                names.append(name)
    return names


def check_transforms(table: Table, name: str) -> None:
    """ConfigInvalid when PyIceberg cannot compute a partition transform in this process.

    Every transform but identity and void is computed on Arrow by ``pyiceberg-core``, an
    optional package: without it the partitions would all fail, so the write stops here.
    """
    schema = table.schema()
    for part in table.spec().fields:
        source = schema.find_field(part.source_id)
        try:
            part.transform.pyarrow_transform(source.field_type)
        except NotInstalledError as exc:
            raise ConfigInvalid(
                f"{SOURCE}: cannot write into table {name!r}: its partition field "
                f"{part.name!r} ({part.transform}({source.name})) is computed by PyIceberg "
                f"with pyiceberg-core, which is not installed ({exc}); pip install "
                "'pyiceberg[pyiceberg-core]', or write to a table partitioned by identity",
                operation="iceberg",
                path=name,
            ) from None
        except NotImplementedError:
            raise ConfigInvalid(
                f"{SOURCE}: cannot write into table {name!r}: PyIceberg cannot compute its "
                f"partition field {part.name!r} ({part.transform}({source.name}))",
                operation="iceberg",
                path=name,
            ) from None


def check_schema(table: Schema, rows: pa.Schema, name: str, format_version: Any = 2) -> None:
    """ConfigInvalid unless rows of ``rows`` can be written into ``table``, naming the column.

    Columns are matched by name (as ``Table.append`` does): each must exist in the table with
    a type that is the table's or promotes to it; a required table column must be there.
    """
    columns = {f.name: f for f in table.fields}
    for arrow_field in rows:
        column = columns.get(arrow_field.name)
        if column is None:
            raise _schema_error(
                name,
                f"column {arrow_field.name!r} ({arrow_field.type}) is not in the table "
                f"(its columns: {', '.join(columns)}); add it to the table's schema first",
            )
        try:
            given = _pyarrow_to_schema_without_ids(pa.schema([arrow_field])).fields[0]
        except (ValueError, TypeError) as exc:
            raise _schema_error(
                name, f"column {arrow_field.name!r} has type {arrow_field.type}, which "
                f"Iceberg has no type for ({exc}); the table's is {column.field_type}",
            ) from None  # fmt: skip
        if isinstance(column.field_type, PrimitiveType) and not _fits(given, column):
            raise _schema_error(
                name,
                f"column {arrow_field.name!r} is {given.field_type} ({arrow_field.type} in "
                f"the rows), the table's is {column.field_type}; cast it first",
            )
    given_names = set(rows.names)
    missing = [f.name for f in table.fields if f.required and f.name not in given_names]
    if missing:
        raise _schema_error(
            name, f"required column(s) {', '.join(map(repr, missing))} missing from the rows"
        )
    try:  # nested types and nullability: PyIceberg's own check, the one append runs
        # (it prints its table of fields too: the message carries it, stdout need not)
        with contextlib.redirect_stdout(io.StringIO()):
            _check_pyarrow_schema_compatible(table, rows, format_version=format_version)
    except ValueError as exc:
        raise _schema_error(name, f"PyIceberg refuses the rows' schema: {exc}") from None


def _as_required(schema: pa.Schema, required: list[str]) -> pa.Schema:
    """``schema`` with the ``required`` columns declared non-nullable.

    Polars and Spark declare every column nullable; a required Iceberg column takes such a
    column when it holds no null, which ``write`` checks partition by partition.
    """
    if not required:
        return schema
    return pa.schema(
        [f.with_nullable(False) if f.name in required else f for f in schema],
        metadata=schema.metadata,
    )


def _check_nulls(rows: pa.Table, required: list[str], table: str) -> pa.Table:
    """``rows`` with the required columns non-nullable; ValueError when one holds a null."""
    for name in required:
        nulls = rows.column(name).null_count
        if nulls:
            raise ValueError(
                f"{SOURCE}: column {name!r} is required in table {table!r}, but {nulls} of "
                f"this partition's {rows.num_rows} rows have no value there"
            )
    return rows.cast(_as_required(rows.schema, required))


def _fits(given: NestedField, column: NestedField) -> bool:
    if given.field_type == column.field_type:
        return True
    try:
        promote(given.field_type, column.field_type)
    except Exception:
        return False
    return True


def _schema_error(table: str, message: str) -> ConfigInvalid:
    return ConfigInvalid(
        f"{SOURCE}: cannot write into table {table!r}: {message}",
        operation="iceberg",
        path=table,
    )


def _rows(table: Table) -> int:
    """The current snapshot's row count (its summary's, or counted from its files)."""
    snapshot = table.current_snapshot()
    if snapshot is None:
        return 0
    total = snapshot.summary.get("total-records") if snapshot.summary else None
    if total is not None:
        return int(total)
    return sum(task.file.record_count for task in table.scan().plan_files())


def _refuse_rows(table: Table, config: IcebergConfig) -> None:
    count = _rows(table)
    if count:
        raise AlreadyExists(
            f"{SOURCE}: table {config.table!r} already has {count} rows; mode=error refuses "
            "to write there (use append or overwrite)",
            operation="iceberg",
            path=config.table,
        )
