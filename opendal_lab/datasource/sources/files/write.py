"""Writing frames as files through an operator: one file per partition, hive directories.

``FileSource.write_partition(frame, options, index)`` writes one partition: a file named
``part-<index>-<write id>.<ext>`` under ``path`` (a directory), or, with ``partition_by``,
one such file in each ``key=value/`` directory its rows fall into, those columns left out of
the files as Hive does (``listing.hive_dir`` escapes the values; null is
``__HIVE_DEFAULT_PARTITION__``). It streams through ``op.open(path, "wb")``: the object
appears only when complete (a put, a multipart upload completed, a renamed temporary file,
as the service does it), and a failure aborts it, so no reader sees half a file. It returns
the paths written.

``FileSource.write(frame, options, partition_by=, executor=, partitions=)`` splits a frame
into ``partitions`` slices (by default one per ``rows_per_file`` rows, 1,000,000) and runs
``write_partition`` on each, on ``executor`` (a thread pool by default; a Dask
``Client.get_executor()`` works the same). One write id, in every file name, keeps the files
of one write apart from those of others. ``mode``: ``append`` (the default) adds files next
to those present; ``overwrite`` deletes the files under ``path`` first; ``error`` refuses to
write where files exist. If a partition fails, the files the others wrote are deleted
(best effort) and PartitionFailed names the partition; with ``overwrite`` the old files are
gone by then.

Formats: ``format`` (parquet by default), ``compression`` for parquet (Polars' default,
zstd), ``header`` and ``separator`` for csv.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import uuid
from collections.abc import Mapping
from typing import IO, Any, cast

import polars as pl
import pyarrow as pa

from opendal_lab.core.errors import AlreadyExists, ConfigInvalid
from opendal_lab.core.operator import Operator
from opendal_lab.datasource.api import PartitionFailed, default_workers
from opendal_lab.datasource.sources.files.listing import hive_dir
from opendal_lab.datasource.sources.files.options import FileOptions

__all__ = ["EXTENSIONS", "write", "write_partition"]

EXTENSIONS = {"parquet": "parquet", "csv": "csv", "ndjson": "ndjson"}


def write_partition(
    op: Operator, frame: pl.DataFrame | pa.Table, opts: FileOptions, index: int
) -> list[str]:
    """Write one partition (module docstring); the paths written, in order."""
    data = _as_polars(frame)
    fmt = opts.format or "parquet"
    base = _directory(opts.path)
    name = f"part-{index:05d}-{opts.write_id or uuid.uuid4().hex[:12]}.{EXTENSIONS[fmt]}"
    if not opts.partition_by:
        pieces = [(base + name, data)]
    else:
        _check_partition_by(data, opts)
        groups = data.partition_by(
            list(opts.partition_by), as_dict=True, include_key=False, maintain_order=True
        )
        pieces = [(base + hive_dir(opts.partition_by, k) + name, g) for k, g in groups.items()]
    written = []
    for path, piece in pieces:
        _write_file(op, path, piece, fmt, opts)
        written.append(path)
    return written


def write(
    source: Any,
    op: Operator,
    frame: pl.DataFrame | pa.Table,
    options: Mapping[str, str],
    opts: FileOptions,
    executor: cf.Executor | None,
    partitions: int | None,
) -> list[str]:
    """Split ``frame``, write the slices with ``source.write_partition``; every path written."""
    data = _as_polars(frame)
    base = _directory(opts.path)
    _check_partition_by(data, opts)  # before overwrite deletes anything
    _prepare_target(op, base, opts.mode)
    if partitions is not None and partitions < 1:
        raise ConfigInvalid(
            f"partitions must be at least 1, not {partitions}", operation="datasource"
        )
    count = partitions or max(1, math.ceil(data.height / opts.rows_per_file))
    step = max(1, math.ceil(data.height / count))
    slices = [data.slice(i * step, step) for i in range(count)]
    # Each partition writes with the same id; its index tells the files apart.
    task_options = {**options, "write_id": opts.write_id or uuid.uuid4().hex[:12]}
    own = executor is None
    pool = executor or cf.ThreadPoolExecutor(default_workers(count))
    futures = [
        pool.submit(source.write_partition, piece, task_options, i)
        for i, piece in enumerate(slices)
    ]
    try:
        cf.wait(futures, return_when=cf.FIRST_EXCEPTION)
        for i, future in enumerate(futures):
            if future.done() and not future.cancelled() and future.exception() is not None:
                _fail(op, futures, i, slices[i].height)
        return [p for f in futures for p in f.result()]
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def _fail(op: Operator, futures: list[cf.Future[list[str]]], index: int, rows: int) -> None:
    for f in futures:
        f.cancel()
    cf.wait(futures)  # nothing still writing when the written files are removed
    for f in futures:
        if f.done() and not f.cancelled() and f.exception() is None:
            with contextlib.suppress(Exception):
                op.delete_many(f.result())
    exc = futures[index].exception()
    raise PartitionFailed(
        f"FileSource: writing partition {index} of {len(futures)} ({rows} rows) failed: "
        f"{type(exc).__name__}: {exc}",
        source="FileSource",
        partition=index,
        spec={"partition": index, "rows": rows},
    ) from exc


def _check_partition_by(data: pl.DataFrame, opts: FileOptions) -> None:
    missing = [c for c in opts.partition_by if c not in data.columns]
    if missing:
        raise ConfigInvalid(
            f"FileSource: partition_by names {', '.join(map(repr, missing))}, not columns "
            f"of the frame ({', '.join(data.columns)})",
            operation="datasource",
        )
    if len(opts.partition_by) == len(data.columns) and data.columns:
        raise ConfigInvalid(
            "FileSource: partition_by names every column; the files would have none",
            operation="datasource",
        )


def _prepare_target(op: Operator, base: str, mode: str) -> None:
    if mode == "append":
        return
    present = [e.path for e in op.list(base or "/", recursive=True) if e.is_file]
    if not present:
        return
    if mode == "error":
        raise AlreadyExists(
            f"FileSource: {len(present)} file(s) already under {base or '/'} (first: "
            f"{present[0]}); mode=error refuses to write there (use append or overwrite)",
            operation="write",
            service=op.scheme,
            path=base or "/",
        )
    op.delete_many(present)


def _write_file(op: Operator, path: str, frame: pl.DataFrame, fmt: str, opts: FileOptions) -> None:
    with op.open(path, "wb") as raw:
        f = cast(IO[bytes], raw)
        if fmt == "parquet":
            frame.write_parquet(f, compression=cast(Any, opts.compression or "zstd"))
        elif fmt == "csv":
            frame.write_csv(f, include_header=opts.header, separator=opts.separator)
        else:
            frame.write_ndjson(f)


def _directory(path: str) -> str:
    """``path`` as a directory prefix (``""`` for the root); globs are refused."""
    if any(c in path for c in "*?["):
        raise ConfigInvalid(
            f"FileSource: writing needs option 'path' to be a directory, not a glob ({path!r})",
            operation="datasource",
        )
    stripped = path.strip("/")
    return stripped + "/" if stripped else ""


def _as_polars(frame: pl.DataFrame | pa.Table) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, (pa.Table, pa.RecordBatch)):
        return cast(pl.DataFrame, pl.from_arrow(frame))
    raise TypeError(
        f"write needs a polars.DataFrame or a pyarrow.Table, not {type(frame).__name__}"
    )
