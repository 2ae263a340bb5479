"""``save``: rows written through a source's writer, partitions in parallel, all or nothing.

::

    from opendal_lab.datasource import save, FileSource

    save(FileSource, frame, {"uri": "s3://lake/events", "path": "daily/",
                             "partition_by": "day"}, mode="append")
    with distributed.Client(...) as client:
        save(FileSource, lazy_frame, options, mode="overwrite", executor=client.get_executor())

The write protocol is ``opendal_lab.datasource.writer``: ``source.writer(schema, options,
mode)`` once, here; its ``write(batches)`` once per partition, on ``executor`` (a thread
pool made for this call by default, or any ``concurrent.futures.Executor``: a process pool,
a Dask ``Client.get_executor()``); then ``commit(messages)`` here, in partition order.

The rows: a ``polars.DataFrame``, a ``polars.LazyFrame`` (collected first, on Polars'
streaming engine), a ``pyarrow.Table`` or ``RecordBatch``. They are cut into
``partitions`` consecutive slices (by default one per ``PARTITION_BYTES`` of data, at
least one, at most one per row). A writer may ask for rows to be grouped instead by
setting ``cluster_by`` (a list of column names): rows with equal values there go to one
partition -- a group a partition, up to ``MAX_GROUPED`` (or ``partitions``) of them, the
groups dealt to partitions largest first -- so a writer of hive directories writes one
file per directory per write. Slices sent to another process carry
only their own rows (Arrow IPC), not the buffers they were cut from.

All or nothing: when a partition fails, partitions not started are cancelled (on a thread
pool; on other executors every partition runs to its end, since a Dask task "cancelled"
while running still runs), the run waits for those running and then calls ``abort`` with the
messages of those that finished, so nothing a partition staged is left; PartitionFailed
names the partition, its rows and the cause. A partition that fails with a temporary error
is written again first, as reads are (``retries``; the ``partition_retries`` option): a
writer stages each attempt anew and commits only what the messages name. When ``commit``
fails, ``abort`` runs and the commit's error is raised with a note saying so.

``progress``: a ``tqdm`` bar of partitions written, as ``load``'s.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource.engines.executors import open_executor
from opendal_lab.datasource.engines.locality import check_reachable
from opendal_lab.datasource.errors import DataSourceError, PartitionFailed
from opendal_lab.datasource.loader import retries as retry_policy
from opendal_lab.datasource.loader.prepare import check_options, resolve_source
from opendal_lab.datasource.loader.run import progress_bar
from opendal_lab.datasource.options import Options
from opendal_lab.datasource.protocol import source_name
from opendal_lab.datasource.writer import check_message, check_mode, check_writer

__all__ = ["PARTITION_BYTES", "Rows", "WriteTask", "open_writer", "save", "write_partition"]

PARTITION_BYTES = 64 * 1024 * 1024
MAX_GROUPED = 256  # partitions of a write grouped by cluster_by, unless told

log = logging.getLogger("opendal_lab.datasource")


class Rows:
    """One partition's rows; pickled as Arrow IPC of those rows alone (a slice of a table
    pickles the whole buffers it points into)."""

    __slots__ = ("table",)

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __reduce__(self) -> tuple[Any, ...]:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, self.table.schema) as out:
            out.write_table(self.table)
        return (_rows_from_ipc, (sink.getvalue(),))

    def batches(self) -> Iterator[pa.RecordBatch]:
        return iter(self.table.to_batches())


def _rows_from_ipc(buffer: pa.Buffer) -> Rows:
    return Rows(pa.ipc.open_stream(buffer).read_all())


@dataclass(frozen=True, eq=False)
class WriteTask:
    """What a worker needs besides the partition's index and rows."""

    writer: Any
    source: Any
    source_name: str
    options: Options
    count: int  # partitions; 0 until the rows are split (Spark never says)
    retries: int

    def __dask_tokenize__(self) -> tuple[str, int]:
        return ("opendal_lab.datasource.WriteTask", id(self))


def open_writer(
    source: Any, options: Mapping[str, str] | None, mode: str, schema: pa.Schema
) -> WriteTask:
    """The start of every write (``save`` and Spark's): the source found, the options and
    mode checked, and its writer made and checked."""
    checked = check_options(options)
    resolved = resolve_source(source, checked, require=("writer",))
    name = source_name(resolved)
    retries = retry_policy.take_retries(checked, name)
    canonical = check_mode(resolved, mode, name)
    made = resolved.writer(schema, checked.copy(), canonical)  # type: ignore[attr-defined]
    writer = check_writer(made, name)
    return WriteTask(writer, resolved, name, checked, 0, retries)


def write_partition(task: WriteTask, index: int, rows: Rows) -> Any:
    """Write partition ``index`` with ``task.writer``: its commit message (checked).

    A temporary failure is written again, as ``run_partition`` reads again.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            message = task.writer.write(rows.batches())
        except Exception as exc:
            if not retry_policy.is_temporary(exc) or attempt > task.retries:
                raise
            log.warning(
                "%s: writing partition %d of %d failed with a temporary error (attempt %d "
                "of %d), writing it again: %s: %s",
                task.source_name, index, task.count, attempt, task.retries + 1,
                type(exc).__name__, exc,
            )  # fmt: skip
            time.sleep(retry_policy.delay(attempt))
            continue
        return check_message(message, task.source_name, index, task.count)


def save(
    source: Any,
    data: pl.DataFrame | pl.LazyFrame | pa.Table | pa.RecordBatch,
    options: Mapping[str, str] | None = None,
    *,
    mode: str = "append",
    executor: cf.Executor | None = None,
    partitions: int | None = None,
    progress: bool | None = None,
) -> list[Any]:
    """Write ``data`` through ``source``'s writer; the partitions' commit messages.

    Parameters
    ----------
    source
        A source class (instantiated without arguments) or instance with a ``writer``
        method, or None to name it with ``python_module`` / ``python_class``.
    data
        The rows: a Polars DataFrame or LazyFrame, an Arrow Table or RecordBatch.
    options
        Strings for the source, as for ``load`` (``partition_retries`` is the loader's).
    mode
        ``append``, ``overwrite``, ``error`` or ``ignore`` (Spark's save modes), among
        those the source's ``write_modes`` declares.
    executor
        Where partitions are written; a thread pool made for this call when None.
    partitions
        How many partitions; by default from the data's size (module docstring).
    progress
        As ``load``'s: a bar of partitions written.

    Raises
    ------
    ConfigInvalid
        Bad options or mode, or a per-process store handed to another process.
    SourceInvalid
        The source has no writer, or its writer breaks the protocol (no commit message).
    PartitionFailed
        A partition's ``write`` raised; nothing was committed and ``abort`` ran.
    """
    table = _as_table(data)
    opened = open_writer(source, options, mode, table.schema)
    writer, name = opened.writer, opened.source_name
    pieces = _split(table, partitions, _cluster_by(writer, table, name))
    task = dataclasses.replace(opened, count=len(pieces))
    resolved, checked = opened.source, opened.options
    bar = progress_bar(progress, len(pieces), f"save {name}")
    try:
        with open_executor(executor, len(pieces)) as (pool, in_process):
            if not in_process:
                check_reachable(pool, resolved, checked, name)
            messages = _run(pool, task, pieces, cancel=in_process)
            if bar is not None:
                bar.update(len(pieces))
    finally:
        if bar is not None:
            bar.close()
    try:
        writer.commit(list(messages))
    except BaseException as exc:
        _abort(writer, list(messages), name, exc)
        _note(exc, f"{name}: commit() failed, so abort() ran: nothing was published")
        raise
    return messages


def _run(pool: cf.Executor, task: WriteTask, pieces: list[Rows], *, cancel: bool) -> list[Any]:
    futures = [pool.submit(write_partition, task, i, rows) for i, rows in enumerate(pieces)]
    try:
        cf.wait(futures, return_when=cf.FIRST_EXCEPTION)
    except BaseException:  # interrupted: stop, clean up, re-raise
        _fail(task, futures, pieces, None, cancel=cancel)
        raise
    failed = next(
        (i for i, f in enumerate(futures) if f.done() and not f.cancelled() and f.exception()),
        None,
    )
    if failed is not None:
        _fail(task, futures, pieces, failed, cancel=cancel)
    return [f.result() for f in futures]


def _fail(
    task: WriteTask,
    futures: list[cf.Future[Any]],
    pieces: list[Rows],
    index: int | None,
    *,
    cancel: bool,
) -> None:
    if cancel:
        # A thread pool cancels only what has not started. Elsewhere nothing is cancelled:
        # a Dask future's cancel() succeeds on a running task too, which the worker then
        # finishes unseen -- staging files after abort() cleaned up.
        for f in futures:
            f.cancel()
    # Wait for every partition still writing: abort must come last, or a straggler would
    # stage files after the clean-up.
    cf.wait(futures)
    done = [
        f.result() if f.done() and not f.cancelled() and f.exception() is None else None
        for f in futures
    ]
    if index is None:
        _abort(task.writer, done, task.source_name, None)
        return
    exc = futures[index].exception()
    assert exc is not None
    _abort(task.writer, done, task.source_name, exc)
    if isinstance(exc, DataSourceError):
        raise exc
    rows = pieces[index].table.num_rows
    raise PartitionFailed(
        f"{task.source_name}: writing partition {index} of {task.count} ({rows} rows) "
        f"failed: {type(exc).__name__}: {exc}; nothing was committed",
        source=task.source_name,
        partition=index,
        spec={"partition": index, "rows": rows},
    ) from exc


def _abort(writer: Any, messages: list[Any], name: str, cause: BaseException | None) -> None:
    try:
        writer.abort(messages)
    except Exception as exc:
        log.error("%s: abort() failed: %s: %s", name, type(exc).__name__, exc)
        if cause is not None:
            _note(cause, f"{name}: abort() failed too: {type(exc).__name__}: {exc}")


def _note(exc: BaseException, text: str) -> None:
    add_note = getattr(exc, "add_note", None)  # Python 3.11+
    if add_note is not None:
        add_note(text)


def _as_table(data: Any) -> pa.Table:
    if isinstance(data, pl.LazyFrame):
        data = data.collect(engine="streaming")
    if isinstance(data, pl.DataFrame):
        return data.to_arrow()
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data
    raise TypeError(
        "save needs a polars.DataFrame or LazyFrame, or a pyarrow.Table or RecordBatch, "
        f"not {type(data).__name__}"
    )


def _count(table: pa.Table, partitions: int | None) -> int:
    if partitions is None:
        wanted = math.ceil(int(table.nbytes) / PARTITION_BYTES)
    elif isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ConfigInvalid(
            f"partitions must be a whole number of at least 1, not {partitions!r}",
            operation="datasource",
        )
    else:
        wanted = partitions
    rows: int = table.num_rows
    return max(1, min(wanted, rows))


def _cluster_by(writer: Any, table: pa.Table, name: str) -> list[str]:
    columns = list(getattr(writer, "cluster_by", None) or [])
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ConfigInvalid(
            f"{name}: the writer groups rows by {', '.join(map(repr, missing))}, not columns "
            f"of the data ({', '.join(table.column_names)})",
            operation="datasource",
        )
    return columns


def _split(table: pa.Table, partitions: int | None, cluster_by: Sequence[str]) -> list[Rows]:
    """Consecutive slices; or whole groups of ``cluster_by``, one partition each (at most
    ``MAX_GROUPED``, or ``partitions``), dealt out largest first."""
    if not cluster_by:
        count = _count(table, partitions)
        step = max(1, math.ceil(table.num_rows / count))
        return [Rows(table.slice(i * step, step)) for i in range(count)]
    _count(table, partitions)  # checked alike
    frame = pl.from_arrow(table, rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    groups = frame.partition_by(list(cluster_by), maintain_order=True)
    count = min(partitions or MAX_GROUPED, len(groups)) or 1
    bins: list[list[pl.DataFrame]] = [[] for _ in range(count)]
    sizes = [0] * count
    for group in sorted(groups, key=lambda g: -g.height):
        smallest = sizes.index(min(sizes))
        bins[smallest].append(group)
        sizes[smallest] += group.height
    pieces = []
    for b in bins:
        part = (pl.concat(b, rechunk=False) if len(b) > 1 else b[0]) if b else frame.clear()
        arrow = part.to_arrow()
        # Back to the schema the writer was given, where Polars' export differs from it.
        pieces.append(Rows(arrow if arrow.schema == table.schema else arrow.cast(table.schema)))
    return pieces
