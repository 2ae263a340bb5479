"""What one partition of a FileSource asks of its file, and the last steps every reader shares.

The readers (``parquet``, ``text``) narrow the I/O as they can; ``finish`` then
applies the filters, the projection and the limit in Polars, so what a partition returns is
exact whichever way the bytes were read -- which is why ``FileSource.exact_filters`` can
claim every filter.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from opendal_lab.datasource.api import Filter

__all__ = ["Query", "conform", "finish", "trim_memory"]


@dataclass(frozen=True)
class Query:
    """What one partition needs from its file; columns and filters name file columns only."""

    columns: list[str]  # to return, in schema order
    projected: bool  # columns is fewer than the file has
    filters: list[Filter]
    condition: pl.Expr | None  # the filters as one Polars expression
    limit: int | None
    ranged: str  # the option: auto | always | never
    # schema_mode=union: the unified file types every file is cast/extended to (evolution)
    union: Mapping[str, pl.DataType] | None = None


def finish(lf: pl.LazyFrame, query: Query) -> pl.DataFrame | None:
    """Filter, project and limit ``lf`` (one Polars query); None when no row is left."""
    if query.union is not None:
        lf = conform(lf, query)
    if query.condition is not None:
        lf = lf.filter(query.condition)
    lf = lf.select(query.columns)
    if query.limit is not None:
        lf = lf.head(query.limit)
    frame = lf.collect()
    return frame if frame.height else None


def conform(lf: pl.LazyFrame, query: Query) -> pl.LazyFrame:
    """``lf`` (one file's rows) as the columns ``query`` reads or filters, with the unified
    types of ``query.union``: cast where the file's type is narrower, nulls where the file
    has no such column. Only those columns, so the projection still reaches the reader."""
    assert query.union is not None
    declared = query.union
    used = set(query.columns) | {f.column for f in query.filters}
    wanted: Sequence[str] = [c for c in declared if c in used]
    present = lf.collect_schema()
    changes = []
    for name in wanted:
        dtype = declared[name]
        if name not in present:
            changes.append(pl.lit(None, dtype=dtype).alias(name))
        elif present[name] != dtype:
            changes.append(pl.col(name).cast(dtype))
    # with_columns, then select: a null column gets the file's row count (a select of
    # literals alone would yield one row).
    return (lf.with_columns(changes) if changes else lf).select(wanted)


def _malloc_trim() -> Callable[[], object] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return lambda: trim(0)


_TRIM = _malloc_trim()


def trim_memory() -> None:
    """Hand the memory freed since the last call back to the OS (glibc only; else nothing).

    Why: a whole-file read holds the file's bytes (``op.read`` makes a Python ``bytes``)
    while Polars decodes them. glibc serves such a block from a per-thread arena once it
    has freed one of that size (its mmap threshold rises to the largest block freed), and
    keeps it there after ``free``, so a load on six threads kept several files' worth of
    bytes for good: on 16 files of 12 MB the load's peak was 1.45x Polars' without this
    call after each big partition, 1.1x with it (bench/bench_loader.py --quick). It costs
    about 0.1 ms (it walks the arenas), so the readers call it only after partitions that
    held megabytes (``parquet.TRIM_AFTER``), not after every small one.
    """
    if _TRIM is not None:
        _TRIM()
