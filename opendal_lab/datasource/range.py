"""RangeSource: the integers ``0 .. rows-1`` in ``partitions`` partitions, for docs and tests.

Columns: ``id`` (int64), ``half`` (float64, ``id / 2``) and ``label`` (string, ``"row<id>"``,
null on every seventh row). Options, all strings:

- ``rows``: how many rows (default ``"100"``);
- ``partitions``: how many partitions, as equal as they come (default ``"4"``);
- ``batch_rows``: rows per batch a partition yields (default ``"1000"``).

A ``PushdownSource``: it takes every pushdown keyword but ``predicate`` (as one
``ReadRequest``), and shows the three ways to use them:
``columns`` -- it builds only those; ``filters`` -- comparisons of ``id`` with an integer
narrow the range it generates, exactly (so ``exact_filters`` claims them), and the rest
it leaves to the loader; ``limit`` -- it stops after that many rows::

    load(RangeSource, {"rows": "10", "partitions": "3"})
    scan(RangeSource, {"rows": "1000000"}).filter(pl.col("id") >= 999_990).collect()
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from opendal_lab.datasource.api import Filter, PushdownSource, ReadRequest, int_option

__all__ = ["RangeSource"]

SCHEMA = pa.schema([("id", pa.int64()), ("half", pa.float64()), ("label", pa.string())])
_NARROWING = ("==", "<", "<=", ">", ">=")


class RangeSource(PushdownSource):
    """Integers split into partitions (module docstring)."""

    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        return SCHEMA

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        rows = int_option(options, "rows", 100, minimum=0, source="RangeSource")
        parts = int_option(options, "partitions", 4, minimum=1, source="RangeSource")
        bounds = [rows * i // parts for i in range(parts + 1)]
        return [{"start": bounds[i], "stop": bounds[i + 1]} for i in range(parts)]

    def read(
        self, spec: dict[str, Any], options: dict[str, str], request: ReadRequest
    ) -> Iterator[pa.RecordBatch]:
        start, stop = _narrow(int(spec["start"]), int(spec["stop"]), request.filters)
        if request.limit is not None:
            stop = min(stop, start + request.limit)
        step = int_option(options, "batch_rows", 1000, minimum=1, source="RangeSource")
        names = request.columns if request.columns is not None else SCHEMA.names
        for low in range(start, stop, step):
            yield _batch(low, min(low + step, stop), names)

    def exact_filters(self, filters: Sequence[Filter], options: dict[str, str]) -> list[Filter]:
        return [f for f in filters if _narrows(f)]


def _narrows(f: Filter) -> bool:
    return (
        f.column == "id"
        and f.op in _NARROWING
        and isinstance(f.value, int)
        and not isinstance(f.value, bool)
    )


def _narrow(start: int, stop: int, filters: Sequence[Filter]) -> tuple[int, int]:
    for f in filters:
        if not _narrows(f):
            continue
        v = int(f.value)
        if f.op == "==":
            start, stop = max(start, v), min(stop, v + 1)
        elif f.op == "<":
            stop = min(stop, v)
        elif f.op == "<=":
            stop = min(stop, v + 1)
        elif f.op == ">":
            start = max(start, v + 1)
        else:
            start = max(start, v)
    return start, max(start, stop)


def _batch(low: int, high: int, names: Sequence[str]) -> pa.RecordBatch:
    ids = pa.array(range(low, high), pa.int64())
    columns = {
        "id": lambda: ids,
        "half": lambda: pc.divide(pc.cast(ids, pa.float64()), 2.0),
        "label": lambda: pa.array(
            [None if i % 7 == 0 else f"row{i}" for i in range(low, high)], pa.string()
        ),
    }
    return pa.record_batch([columns[n]() for n in names], names=list(names))
