"""Data sources for the tests: one data set, read with and without pushdown, and broken ones.

They live in an importable module (not in a test file) so Dask worker processes can
unpickle them, and so ``python_module="tests.datasource.sources"`` finds them.

``numbers(rows)`` is the data every ``Numbers`` source serves, so a test compares a load or
a scan with Polars' own evaluation of the same frame.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from opendal_lab.datasource import BaseDataSource, Filter, filters_to_expr

SCHEMA = pa.schema(
    [
        ("n", pa.int64()),
        ("s", pa.string()),
        ("f", pa.float64()),
        ("d", pa.date32()),
    ]
)


def numbers_table(rows: int) -> pa.Table:
    """``n`` 0..rows-1; ``s`` "s<n%5>" (null when n%4==3); ``f`` n/3 (null when n%5==4); ``d``."""
    start = datetime.date(2024, 1, 1)
    return pa.table(
        {
            "n": pa.array(range(rows), pa.int64()),
            "s": pa.array([None if n % 4 == 3 else f"s{n % 5}" for n in range(rows)], pa.string()),
            "f": pa.array([None if n % 5 == 4 else n / 3 for n in range(rows)], pa.float64()),
            "d": pa.array([start + datetime.timedelta(days=n) for n in range(rows)], pa.date32()),
        },
        schema=SCHEMA,
    )


def numbers(rows: int) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(numbers_table(rows)))


class Numbers(BaseDataSource):
    """``numbers(rows)`` in ``partitions`` partitions of ``batch`` rows a batch; no pushdown.

    Options: ``rows`` (100), ``partitions`` (4), ``batch`` (7).
    """

    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        return SCHEMA

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        rows, parts = int(options.get("rows", "100")), int(options.get("partitions", "4"))
        bounds = [rows * i // parts for i in range(parts + 1)]
        return [{"index": i, "start": bounds[i], "stop": bounds[i + 1]} for i in range(parts)]

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        yield from self.batches(spec, options)

    def batches(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[pa.RecordBatch]:
        table = numbers_table(int(options.get("rows", "100")))
        part = table.slice(spec["start"], spec["stop"] - spec["start"])
        yield from part.to_batches(max_chunksize=int(options.get("batch", "7")))


class Recorder(Numbers):
    """Takes every pushdown keyword, records what it got, and ignores it all."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def read_partition(  # type: ignore[override]
        self,
        spec: dict[str, Any],
        options: dict[str, str],
        *,
        columns: list[str] | None = None,
        filters: list[Filter] | None = None,
        limit: int | None = None,
        predicate: pl.Expr | None = None,
    ) -> Iterator[Any]:
        with self._lock:
            self.calls.append(
                {
                    "index": spec["index"],
                    "columns": columns,
                    "filters": filters,
                    "limit": limit,
                    "predicate": predicate,
                }
            )
        yield from self.batches(spec, options)

    def __getstate__(self) -> dict[str, Any]:
        return {}  # the lock does not pickle; a worker's record stays on the worker

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


class Obedient(Numbers):
    """Applies columns, filters and limit itself, and claims every filter exact."""

    def read_partition(  # type: ignore[override]
        self,
        spec: dict[str, Any],
        options: dict[str, str],
        *,
        columns: list[str] | None = None,
        filters: list[Filter] | None = None,
        limit: int | None = None,
    ) -> Iterator[Any]:
        frame = pl.concat([pl.DataFrame(pl.from_arrow(b)) for b in self.batches(spec, options)])
        condition = filters_to_expr(filters or [])
        if condition is not None:
            frame = frame.filter(condition)
        if columns is not None:
            frame = frame.select(columns)
        if limit is not None:
            frame = frame.head(limit)
        yield frame

    def exact_filters(self, filters: Sequence[Filter], options: dict[str, str]) -> list[Filter]:
        return list(filters)


class PolarsFrames(Numbers):
    """Yields Polars frames instead of Arrow batches."""

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        for batch in self.batches(spec, options):
            yield pl.DataFrame(pl.from_arrow(batch))


class Gappy(Numbers):
    """Odd partitions yield nothing at all; partition 2 yields a zero-row batch first."""

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        if spec["index"] % 2:
            return
        if spec["index"] == 2:
            yield pa.RecordBatch.from_pylist([], schema=SCHEMA)
        yield from self.batches(spec, options)


class Staged(Numbers):
    """Records which partitions started and how far they got; ``fail`` names one that raises.

    Options: ``fail`` (index of the failing partition), ``delay`` (seconds before each
    batch), ``fail_delay`` (seconds before the failure).
    """

    def __init__(self) -> None:
        self.started: list[int] = []
        self.batches_out: dict[int, int] = {}
        self.closed: set[int] = set()
        self._lock = threading.Lock()

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        index = spec["index"]
        with self._lock:
            self.started.append(index)
        try:
            if str(index) == options.get("fail"):
                time.sleep(float(options.get("fail_delay", "0")))
                raise ValueError(f"disk on fire under partition {index}")
            for batch in self.batches(spec, options):
                time.sleep(float(options.get("delay", "0")))
                with self._lock:
                    self.batches_out[index] = self.batches_out.get(index, 0) + 1
                yield batch
        finally:
            with self._lock:
                self.closed.add(index)

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


class Liar(Numbers):
    """Declares ``n`` as int64 and yields it as int32 in partition 1 (``lie``: how it lies).

    ``lie``: ``type`` (int32 n), ``missing`` (no ``f``), ``extra`` (an undeclared column),
    ``polars`` (a Polars frame with ``n`` as Int32).
    """

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        for batch in self.batches(spec, options):
            if spec["index"] == 1:
                batch = _lie(batch, options.get("lie", "type"))
            yield batch


def _lie(batch: pa.RecordBatch, how: str) -> Any:
    if how == "missing":
        return batch.drop_columns(["f"])
    if how == "extra":
        return batch.append_column("bonus", pa.array([1] * batch.num_rows, pa.int8()))
    if how == "polars":
        return pl.DataFrame(pl.from_arrow(batch)).with_columns(pl.col("n").cast(pl.Int32))
    return batch.set_column(0, "n", batch.column(0).cast(pa.int32()))


class Kept(Numbers):
    """Keeps the batches it yields, so a test can compare buffer addresses (zero copy)."""

    def __init__(self) -> None:
        self.yielded: list[pa.RecordBatch] = []

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        for batch in self.batches(spec, options):
            self.yielded.append(batch)
            yield batch


class NeedsArgs(Numbers):
    def __init__(self, rows: int) -> None:
        self.rows = rows


def not_a_class() -> None:
    """python_class pointing at a function."""


class Pruning(Obedient):
    """Obedient, and its ``plan_partitions`` drops partitions an ``n`` filter rules out.

    With a ``log`` option (a file path), each call appends one JSON line saying what it was
    given: ``{"plan": [...]}`` or ``{"read": index, "filters": [...]}`` -- a record that
    survives the trip to Spark's or Sail's Python workers.
    """

    def plan_partitions(  # type: ignore[override]
        self, options: dict[str, str], *, filters: list[Filter] | None = None
    ) -> list[dict[str, Any]]:
        _log(options, {"plan": [str(f) for f in filters or []]})
        specs = super().plan_partitions(options)
        condition = filters_to_expr([f for f in filters or [] if f.column == "n"])
        if condition is None:
            return specs
        return [s for s in specs if _rows(s).filter(condition).height]

    def read_partition(  # type: ignore[override]
        self,
        spec: dict[str, Any],
        options: dict[str, str],
        *,
        columns: list[str] | None = None,
        filters: list[Filter] | None = None,
        limit: int | None = None,
    ) -> Iterator[Any]:
        _log(options, {"read": spec["index"], "filters": [str(f) for f in filters or []]})
        yield from super().read_partition(
            spec, options, columns=columns, filters=filters, limit=limit
        )


def _rows(spec: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame({"n": range(spec["start"], spec["stop"])}, schema={"n": pl.Int64})


def _log(options: dict[str, str], record: dict[str, Any]) -> None:
    if "log" in options:
        with open(options["log"], "a") as out:
            out.write(json.dumps(record) + "\n")


def read_log(path: Any) -> list[dict[str, Any]]:
    with open(path) as lines:
        return [json.loads(line) for line in lines]
