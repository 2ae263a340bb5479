"""``stream``: a source's rows as a ``pyarrow.RecordBatchReader``, partition by partition.

::

    import duckdb
    from opendal_lab.datasource import FileSource, stream

    reader = stream(FileSource, {"uri": "fs:///data", "path": "*.parquet"}, columns=["k", "v"])
    duckdb.sql("select k, sum(v) from reader group by k").fetchall()

Anything that reads Arrow streams reads it -- DuckDB, ``pyarrow.Table.from_batches``,
``pyarrow.dataset.write_dataset``, Polars' ``pl.from_arrow`` -- and a process never holds
the whole result: batches are handed out as partitions finish, and at most ``in_flight``
partitions are submitted and not yet handed out (the one being handed out included). The
next partition is submitted only when the consumer asks for a batch past the last one
read, so a slow consumer holds the run back instead of memory filling up.

The partitions run as for ``load``: on ``executor`` (any ``concurrent.futures.Executor``, a
Dask ``Client.get_executor()`` included) or on a thread pool made for the stream. Each
worker turns its partition into Arrow record batches of the reader's schema before
anything travels: the declared schema, cut to ``columns`` when given (``columns`` is
offered to the source, as a scan's projection is). Polars frames convert to Arrow with
``large_string`` or ``string_view`` (Polars' own types), so every batch is cast to the
declared types; a reader's consumer sees exactly its schema.

Order: ``ordered=True`` hands partitions out in plan order; ``ordered=False`` in the order
they finish (a slow partition does not hold up those after it), under the same bound.

Nothing runs until the first batch is asked for. The run ends:

- when every partition is read; the thread pool made for it is shut down;
- when the reader is closed (``reader.close()``, the end of a ``with`` block, or the reader
  dropped): partitions not started are cancelled, those running here stop at their next
  piece, those running in other processes finish and their results are dropped -- as when
  a scan has its rows (``loader.run``). A consumer that stops reading early (a DuckDB
  ``limit``) leaves the reader open; close it to stop the run;
- at the first failure the consumer reaches: it raises from the read. Partitions fail in
  the order they are handed out, so a consumer that stops early never sees the failure of
  a partition it did not read.

The reader is pyarrow's ``RecordBatchReader.from_batches`` over a generator, seen through
the Arrow C stream interface (``RecordBatchReader.from_stream``): ``from_batches``' own
``close()`` keeps the generator alive until the reader is garbage, while a reader imported
from a C stream releases it at ``close()``. The price is the error's type: a failure
arrives as ``pyarrow.ArrowInvalid`` (from DuckDB: ``duckdb.InvalidInputException``) whose
message carries the loader's error -- ``PartitionFailed``'s "<source>: partition <i> of
<n> failed (spec ...): <error>" -- and its traceback; the exception object itself does
not cross the C interface.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import polars as pl
import pyarrow as pa

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource.engines.executors import default_workers, open_executor
from opendal_lab.datasource.engines.locality import check_reachable
from opendal_lab.datasource.errors import SchemaMismatch
from opendal_lab.datasource.loader.partition import ReadPlan, run_partition
from opendal_lab.datasource.loader.prepare import Prepared, prepare
from opendal_lab.datasource.loader.pushdown import Pushdown, plan_pushdown
from opendal_lab.datasource.loader.run import progress_bar, run_partitions

__all__ = ["read_batches", "reader_schema", "stream"]


def stream(
    source: Any,
    options: Mapping[str, str] | None = None,
    *,
    columns: Iterable[str] | None = None,
    executor: cf.Executor | None = None,
    in_flight: int | None = None,
    ordered: bool = True,
    progress: bool | None = None,
) -> pa.RecordBatchReader:
    """A reader of every partition of ``source`` as Arrow record batches (module docstring).

    Parameters
    ----------
    source, options
        As for ``load``.
    columns
        The columns wanted, in this order; all by default. Offered to the source's
        ``read_partition`` as ``columns`` when it takes them, cut by the loader otherwise.
    executor
        Where partitions run; a thread pool made for this stream when None.
    in_flight
        Partitions submitted and not yet handed to the consumer, at most: the memory
        bound. By default as many as the default pool has threads.
    ordered
        True: partitions in plan order; False: in the order they finish.
    progress
        As for ``load``: a bar of the partitions read.

    Raises
    ------
    ConfigInvalid
        Bad options, an unknown column, a bad ``in_flight``; a store only this process
        sees, with an executor running partitions elsewhere.
    SourceInvalid
        The source breaks the protocol while its schema or partitions are asked for.

    Partitions are planned here; they are read when the reader is, and their failures are
    raised from the read (``pyarrow.ArrowInvalid`` naming the partition).
    """
    if in_flight is not None and (
        isinstance(in_flight, bool) or not isinstance(in_flight, int) or in_flight < 1
    ):
        raise ConfigInvalid(
            "stream: in_flight must be an int of at least 1 (partitions read ahead of the "
            f"consumer), not {in_flight!r}",
            operation="datasource",
        )
    prepared = prepare(source, options)
    wanted = _check_columns(prepared, columns)
    pushdown = plan_pushdown(prepared, wanted, None, None)
    schema = reader_schema(prepared.schema, pushdown.output)
    if executor is not None and not isinstance(executor, cf.ThreadPoolExecutor):
        # Here rather than at the first read: the error keeps its type.
        check_reachable(executor, prepared.source, prepared.options, prepared.name)
    specs = prepared.partitions()
    window = in_flight or default_workers(len(specs))
    batches = _batches(prepared, pushdown, specs, executor, window, ordered, progress)
    inner = pa.RecordBatchReader.from_batches(schema, batches)
    # Through the C stream interface, close() releases the generator (module docstring).
    return pa.RecordBatchReader.from_stream(inner)


def reader_schema(schema: pa.Schema, columns: tuple[str, ...]) -> pa.Schema:
    """The declared ``schema`` cut to ``columns``, in their order, its metadata kept."""
    if tuple(schema.names) == columns:
        return schema
    return pa.schema([schema.field(c) for c in columns], metadata=schema.metadata)


def read_batches(plan: ReadPlan, index: int, spec: dict[str, Any]) -> list[pa.RecordBatch]:
    """What runs on a worker for a stream: partition ``index`` as batches of exactly the
    reader's schema (cast on the worker, in parallel, before anything travels)."""
    schema = reader_schema(plan.schema, plan.output)
    # Polars' oldest Arrow types (large_string) cast to string as cheaply as its views do
    # (one copy either way); a declared view type is Polars' own, shared as it is.
    views = any(pa.types.is_string_view(t) or pa.types.is_binary_view(t) for t in schema.types)
    level = pl.CompatLevel.newest() if views else pl.CompatLevel.oldest()
    batches: list[pa.RecordBatch] = []
    for frame in run_partition(plan, index, spec):
        table = frame if isinstance(frame, pa.Table) else frame.to_arrow(compat_level=level)
        batches.extend(_conform(plan, index, table, schema).to_batches())
    return batches


def _conform(plan: ReadPlan, index: int, table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``: each column cast to its declared type."""
    columns = []
    for field, column in zip(schema, table.columns, strict=True):
        if column.type != field.type:
            try:
                column = column.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise SchemaMismatch(
                    f"{plan.source_name}.read_partition, partition {index}: column "
                    f"{field.name!r} came back from Polars as {column.type} and does not "
                    f"cast to the declared {field.type}: {exc}",
                    source=plan.source_name,
                    partition=index,
                    column=field.name,
                    expected=str(field.type),
                    actual=str(column.type),
                ) from exc
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _check_columns(prepared: Prepared, columns: Iterable[str] | None) -> list[str] | None:
    if columns is None:
        return None
    available = ", ".join(prepared.schema.names)
    if isinstance(columns, (str, bytes)):
        raise ConfigInvalid(
            f"{prepared.name}: stream(columns=...) takes a list of column names, not the "
            f"string {columns!r}; write columns=[{columns!r}]",
            operation="datasource",
        )
    wanted = list(columns)
    if not wanted:
        raise ConfigInvalid(
            f"{prepared.name}: stream(columns=[]) names no column; leave columns out for "
            f"all of them ({available})",
            operation="datasource",
        )
    for column in wanted:
        if not isinstance(column, str):
            raise ConfigInvalid(
                f"{prepared.name}: stream(columns=...): {column!r} is a "
                f"{type(column).__name__}, not a column name",
                operation="datasource",
            )
        if column not in prepared.schema.names:
            raise ConfigInvalid(
                f"{prepared.name}: stream(columns=...): no column {column!r}; "
                f"the source's columns are {available}",
                operation="datasource",
            )
    dupes = sorted({c for c in wanted if wanted.count(c) > 1})
    if dupes:
        raise ConfigInvalid(
            f"{prepared.name}: stream(columns=...) names {', '.join(map(repr, dupes))} twice",
            operation="datasource",
        )
    return wanted


def _batches(
    prepared: Prepared,
    pushdown: Pushdown,
    specs: list[dict[str, Any]],
    executor: cf.Executor | None,
    window: int,
    ordered: bool,
    progress: bool | None,
) -> Iterator[pa.RecordBatch]:
    """The reader's generator: runs the partitions when first asked for a batch."""
    if not specs:
        return
    bar = progress_bar(progress, len(specs), f"stream {prepared.name}")
    try:
        # No more threads than partitions in flight: the rest would idle.
        with open_executor(executor, min(len(specs), window)) as (pool, in_process):
            plan = prepared.read_plan(
                len(specs),
                arrow=False,  # read_batches converts on the worker
                kwargs=pushdown.kwargs,
                need=pushdown.need,
                output=pushdown.output,
            )
            run = run_partitions(
                pool,
                plan,
                specs,
                window=window,
                in_process=in_process,
                ordered=ordered,
                fail_fast=False,
                bar=bar,
                task=read_batches,
            )
            try:
                for _, batches in run:
                    batches.reverse()
                    while batches:
                        yield batches.pop()  # handed out, no longer held here
            finally:
                # Closed early (GeneratorExit): cancel and stop what has not been read.
                run.close()
    finally:
        if bar is not None:
            bar.close()
