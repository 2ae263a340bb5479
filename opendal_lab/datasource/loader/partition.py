"""What runs on a worker: one partition, read, checked, cut down and packed for the trip back.

``run_partition(plan, index, spec)`` is a top-level function of an importable module, and
``ReadPlan`` a plain dataclass of picklable fields (the source, its options, the declared
schema, the pushdown), so any ``concurrent.futures.Executor`` can run it: a thread pool
calls it directly; a process pool or a Dask ``Client.get_executor()`` pickles the plan
and the spec to the worker and the result back.

The worker does the loader's share of the pushdown before anything travels: it filters
with the predicate the source did not apply exactly, keeps the requested columns, and
stops reading once it has the row limit. What goes back is one frame per piece:

- across a process boundary, ``pyarrow.Table`` (Polars' ``to_arrow`` at the newest compat
  level, which shares Polars' buffers, strings included). Arrow tables pickle out of band
  under protocol 5, which Dask uses: 10M rows of int64 and strings pickle in ~0 s with
  their buffers handed over as they are, where a ``polars.DataFrame`` is written to IPC
  bytes in-band (0.6 s and one more copy, measured on polars 2.1 / pyarrow 26);
- within the process (a thread pool), the ``polars.DataFrame`` itself.

Stopping: when a load fails or a scan has what it needs, the caller marks its run stopped.
A partition running in this process checks the mark between pieces and ends there
(closing the source's generator, so its ``finally`` blocks run); one running in another
process cannot see the mark and runs to its end, its result dropped.

Retrying: a partition that fails with a temporary error is read again, from the start,
up to ``plan.retries`` times, after a short backoff (``retries`` says what is temporary);
the last failure then becomes PartitionFailed saying how many attempts were made.

Checking: every piece is checked against the declared schema before anything else is done
with it (``check_piece``): the wrong type is SourceInvalid, a missing, undeclared or
differently typed column SchemaMismatch, both naming the source and the partition.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, cast

import polars as pl
import pyarrow as pa

from opendal_lab.datasource.errors import (
    DataSourceError,
    PartitionFailed,
    SchemaMismatch,
    SourceInvalid,
)
from opendal_lab.datasource.loader import retries as retry_policy
from opendal_lab.datasource.options import Options

__all__ = [
    "ReadPlan",
    "Stopped",
    "check_piece",
    "clear_stop",
    "raise_partition_failure",
    "request_stop",
    "run_partition",
]

_STOPPED: set[str] = set()


def request_stop(run_id: str) -> None:
    """Ask the partitions of run ``run_id`` running in this process to stop."""
    _STOPPED.add(run_id)


def clear_stop(run_id: str) -> None:
    _STOPPED.discard(run_id)


class Stopped(Exception):
    """A partition ended early because its run was stopped; its caller has gone."""


@dataclass(frozen=True, eq=False)
class ReadPlan:
    """Everything a worker needs besides the partition's index and spec."""

    run_id: str
    source: Any
    source_name: str
    options: dict[str, str]
    schema: pa.Schema
    polars_schema: dict[str, pl.DataType]
    count: int  # partitions in the run, for messages
    kwargs: dict[str, Any]  # pushdown keywords read_partition accepts
    need: tuple[str, ...]  # columns the source must deliver
    output: tuple[str, ...]  # columns of the result, in order
    reapply: pl.Expr | None  # the predicate the source did not apply exactly
    limit: int | None  # rows a partition needs at most, after reapply
    arrow: bool  # send results back as Arrow tables (another process) or Polars frames
    retries: int = retry_policy.DEFAULT_RETRIES  # reads again after a temporary error

    def __dask_tokenize__(self) -> tuple[str, str]:
        # Dask hashes task arguments for their key; the run id is unique and cheap.
        return ("opendal_lab.datasource.ReadPlan", self.run_id)


def run_partition(plan: ReadPlan, index: int, spec: dict[str, Any]) -> list[Any]:
    """Read partition ``index``: a list of ``pa.Table`` (``plan.arrow``) or ``pl.DataFrame``.

    A temporary failure is retried (``plan.retries`` times at most, logged); when the
    retries run out, PartitionFailed names the partition and the attempts. Otherwise raises
    whatever ``read_partition`` raises, unchanged (the caller names the partition);
    SourceInvalid / SchemaMismatch for what the source got wrong; Stopped when the run was
    stopped.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return _read_once(plan, index, spec)
        except Exception as exc:
            if not retry_policy.is_temporary(exc):
                raise
            if attempt > plan.retries:
                raise PartitionFailed(
                    f"{plan.source_name}: partition {index} of {plan.count} failed after "
                    f"{attempt} attempt{'s' if attempt > 1 else ''} (spec {spec!r}), "
                    "the last with a temporary error: "
                    f"{type(exc).__name__}: {exc}",
                    source=plan.source_name,
                    partition=index,
                    spec=spec,
                ) from exc
            wait = retry_policy.delay(attempt)
            retry_policy.log.warning(
                "%s: partition %d of %d (spec %r) failed on attempt %d of %d with a "
                "temporary error, retrying in %.2f s: %s: %s",
                plan.source_name,
                index,
                plan.count,
                spec,
                attempt,
                plan.retries + 1,
                wait,
                type(exc).__name__,
                exc,
            )
            time.sleep(wait)


def _read_once(plan: ReadPlan, index: int, spec: dict[str, Any]) -> list[Any]:
    """One attempt at partition ``index`` (``run_partition`` without the retries)."""
    if plan.run_id in _STOPPED:
        raise Stopped(plan.run_id)
    # Copies: a thread pool shares these objects between partitions, and a source that
    # edits its spec or options must not change another partition's.
    # A fresh copy each attempt, names case-insensitive as on Spark (datasource.options).
    pieces = plan.source.read_partition(dict(spec), Options(plan.options), **plan.kwargs)
    _check_iterator(plan, index, pieces)
    frames: list[pl.DataFrame] = []
    rows = 0
    iterator = iter(pieces)
    try:
        for piece in iterator:
            if plan.run_id in _STOPPED:
                raise Stopped(plan.run_id)
            frame = check_piece(
                plan.source_name, index, piece, plan.schema, plan.polars_schema, plan.need
            )
            if plan.reapply is not None:
                frame = frame.filter(plan.reapply)
            if plan.output != plan.need:
                frame = frame.select(plan.output)
            if plan.limit is not None:
                frame = frame.head(plan.limit - rows)
            if frame.height:
                frames.append(frame)
                rows += frame.height
            if plan.limit is not None and rows >= plan.limit:
                break  # the source ignored the limit (or could not use it): stop reading
    finally:
        close = getattr(iterator, "close", None)
        if callable(close):
            close()
    if plan.arrow:
        return [f.to_arrow(compat_level=pl.CompatLevel.newest()) for f in frames]
    return frames


def raise_partition_failure(
    plan: ReadPlan, index: int, spec: dict[str, Any], exc: BaseException
) -> NoReturn:
    """Raise for partition ``index``, which raised ``exc``.

    A DataSourceError already names the partition and goes as it came; anything else the
    source raised becomes PartitionFailed naming the source, the partition and its spec,
    with ``exc`` as its cause.
    """
    if isinstance(exc, DataSourceError):
        raise exc
    raise PartitionFailed(
        f"{plan.source_name}: partition {index} of {plan.count} failed "
        f"(spec {spec!r}): {type(exc).__name__}: {exc}",
        source=plan.source_name,
        partition=index,
        spec=spec,
    ) from exc


def _check_iterator(plan: ReadPlan, index: int, pieces: Any) -> None:
    # A single batch or frame is not an iterator of them (a DataFrame iterates its
    # columns); Spark and Sail want an iterator, so say so rather than guess.
    if isinstance(pieces, (pa.RecordBatch, pa.Table, pl.DataFrame)) or not isinstance(
        pieces, Iterable
    ):
        raise SourceInvalid(
            f"{plan.source_name}.read_partition, partition {index}: returned a "
            f"{type(pieces).__module__}.{type(pieces).__name__}, not an iterator of batches "
            "(write it as a generator: `yield` each batch)",
            source=plan.source_name,
            partition=index,
        )


def check_piece(
    name: str,
    partition: int,
    piece: Any,
    schema: pa.Schema,
    polars_schema: Mapping[str, pl.DataType],
    need: tuple[str, ...],
) -> pl.DataFrame:
    """One piece from ``read_partition`` as a Polars frame of the ``need`` columns.

    SourceInvalid for a piece of the wrong type, SchemaMismatch for a missing, undeclared or
    differently typed column; Arrow pieces are compared in Arrow types, Polars frames in
    Polars types.
    """
    where = f"{name}.read_partition, partition {partition}"
    if isinstance(piece, (pa.RecordBatch, pa.Table)):
        actual = {f.name: f.type for f in piece.schema}
        expected = {f.name: f.type for f in schema}
    elif isinstance(piece, pl.DataFrame):
        actual = dict(piece.schema)
        expected = dict(polars_schema)
    else:
        raise SourceInvalid(
            f"{where} yielded a {type(piece).__module__}.{type(piece).__name__}; "
            "yield pyarrow.RecordBatch, pyarrow.Table or polars.DataFrame",
            source=name,
            partition=partition,
        )
    for column, dtype in actual.items():
        if column not in expected:
            detail = f"column {column!r} ({dtype}) is not in the declared schema"
            _mismatch(f"{where}: {detail}", name, partition, column, "<not declared>", dtype)
        if dtype != expected[column]:
            detail = (
                f"column {column!r} is {dtype}, but the declared schema says {expected[column]}"
            )
            _mismatch(f"{where}: {detail}", name, partition, column, expected[column], dtype)
    for column in need:
        if column not in actual:
            detail = f"column {column!r} (declared {expected[column]}) is missing"
            _mismatch(f"{where}: {detail}", name, partition, column, expected[column], "<missing>")
    if isinstance(piece, pl.DataFrame):
        frame = piece
    else:
        frame = cast(pl.DataFrame, pl.from_arrow(piece, rechunk=False))
    if tuple(frame.columns) != need:
        frame = frame.select(need)
    return frame


def _mismatch(
    message: str, name: str, partition: int, column: str, expected: Any, actual: Any
) -> NoReturn:
    raise SchemaMismatch(
        message,
        source=name,
        partition=partition,
        column=column,
        expected=str(expected),
        actual=str(actual),
    )
