"""stream(): a source as a pyarrow RecordBatchReader, read by DuckDB and by plain pyarrow.

What a consumer gets (the same rows as ``load``, the declared schema exactly, a projection),
how much is read ahead of it (``in_flight``, checked batch by batch against what the source
recorded), what stops the run (close, drop, a failure), and the same on a Dask process
cluster and over parquet files.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import FileSource, load, stream
from tests.datasource.files_data import Store, fs_store, mem_store, three_files
from tests.datasource.sources import SCHEMA, Numbers, PolarsFrames, Staged, numbers

duckdb = pytest.importorskip("duckdb")

__all__ = ["fs_store", "mem_store"]  # fixtures, used by name

OPTIONS = {"rows": "150", "partitions": "7", "batch": "11"}
QUERY = (
    "select s, count(*) as rows, sum(n) as n, round(sum(f), 6) as f, min(d) as d "
    "from {} group by s order by s nulls first"
)


def sql(query: str, **tables: Any) -> list[tuple[Any, ...]]:
    """``query`` on a fresh DuckDB connection, ``tables`` (readers, frames) under their names."""
    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return list(con.sql(query).fetchall())
    finally:
        con.close()


def one_batch_each(partitions: int) -> dict[str, str]:
    """Options giving each partition one batch: batch i is partition i (in plan order)."""
    return {"rows": str(10 * partitions), "partitions": str(partitions), "batch": "1000"}


def wait_for(condition: Any, what: str) -> None:
    """Wait for threads of a run to end (a timeout only so a bug fails instead of hanging)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.parametrize("source", [Numbers, PolarsFrames])
def test_duckdb_group_by_equals_the_same_query_over_load(source: type) -> None:
    reader = stream(source, OPTIONS)
    frame = load(source, OPTIONS)
    got = sql(QUERY.format("t"), t=reader)
    assert got == sql(QUERY.format("t"), t=frame)
    assert len(got) == 6  # s0..s4 and null


@pytest.mark.parametrize("source", [Numbers, PolarsFrames])
def test_batches_have_exactly_the_declared_schema(source: type) -> None:
    # Polars frames convert to large_string / string_view; the reader casts to ``string``.
    reader = stream(source, OPTIONS)
    assert reader.schema.equals(SCHEMA)
    batches = list(reader)
    assert batches
    assert all(b.schema.equals(SCHEMA) for b in batches)
    table = pa.Table.from_batches(batches, schema=SCHEMA)
    assert_frame_equal(pl.DataFrame(pl.from_arrow(table)), numbers(150))


def test_column_projection_in_the_order_asked() -> None:
    reader = stream(Numbers, OPTIONS, columns=["s", "n"])
    assert reader.schema.names == ["s", "n"]
    assert reader.schema.field("s").type == pa.string()
    got = sql("select s, sum(n) from t group by s order by s nulls first", t=reader)
    expected = numbers(150).group_by("s").agg(pl.col("n").sum()).sort("s", nulls_last=False)
    assert got == expected.rows()


def test_parquet_files_through_duckdb(fs_store: Store) -> None:
    frame = three_files(fs_store)
    options = {**fs_store.options, "path": "data/*.parquet"}
    reader = stream(FileSource, options, in_flight=2)
    query = (
        "select s, count(*), sum(n), round(sum(f), 6), max(d), sum(b::int) "
        "from {} group by s order by s"
    )
    loaded = load(FileSource, options)
    assert sql(query.format("t"), t=reader) == sql(query.format("t"), t=loaded)
    assert_frame_equal(loaded, frame)


def test_parquet_files_projected(fs_store: Store) -> None:
    frame = three_files(fs_store)
    options = {**fs_store.options, "path": "data/*.parquet"}
    table = stream(FileSource, options, columns=["b", "n"]).read_all()
    assert table.schema.names == ["b", "n"]
    assert_frame_equal(pl.DataFrame(pl.from_arrow(table)), frame.select("b", "n"))


def test_nothing_runs_before_the_first_read() -> None:
    source = Staged()
    reader = stream(source, OPTIONS)
    assert source.started == []
    assert reader.read_all().num_rows == 150
    assert sorted(source.started) == list(range(7))


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("in_flight", [1, 2, 3])
def test_memory_is_bounded_by_in_flight(in_flight: int, ordered: bool) -> None:
    # While the consumer holds batch i, partitions 0..i have been handed out and at most
    # in_flight (the one handed out included) are submitted and not yet consumed.
    source = Staged()
    parts = 12
    reader = stream(source, one_batch_each(parts), in_flight=in_flight, ordered=ordered)
    seen = []
    for i, batch in enumerate(reader):
        with source._lock:
            started = len(source.started)
        assert started <= i + in_flight, f"batch {i}: {started} partitions started"
        seen.extend(batch.column("n").to_pylist())
    assert i == parts - 1  # one batch a partition, as the bound's count assumes
    assert sorted(seen) == list(range(10 * parts))
    if ordered:
        assert seen == list(range(10 * parts))


class Overtaken(Numbers):
    """Partition 0 waits until the consumer has seen a row of partition 1."""

    def __init__(self) -> None:
        self.overtaken = threading.Event()

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        if spec["index"] == 0 and not self.overtaken.wait(30):
            raise TimeoutError("partition 1 was never handed out before partition 0")
        yield from self.batches(spec, options)


def test_unordered_hands_out_partitions_as_they_finish() -> None:
    source = Overtaken()
    options = one_batch_each(4)
    reader = stream(source, options, in_flight=2, ordered=False)
    first = reader.read_next_batch()
    assert first.column("n").to_pylist() == list(range(10, 20))  # partition 1 first
    source.overtaken.set()
    rest = [n for b in reader for n in b.column("n").to_pylist()]
    assert sorted(first.column("n").to_pylist() + rest) == list(range(40))


@pytest.mark.parametrize("how", ["close", "drop", "with"])
def test_closing_early_cancels_the_rest(how: str) -> None:
    source = Staged()
    parts = 40
    reader = stream(source, one_batch_each(parts), in_flight=2)
    if how == "with":
        with reader:
            assert reader.read_next_batch().num_rows == 10
    else:
        assert reader.read_next_batch().num_rows == 10
        if how == "close":
            reader.close()
        else:
            del reader
            gc.collect()
    with source._lock:
        started = len(source.started)
    assert started <= 3  # the batch read, and in_flight ahead of it
    # Those started end (their generators closed); none more starts.
    wait_for(lambda: source.closed >= set(source.started), "the started partitions to end")
    assert len(source.started) == started < parts
    if how == "close":
        with pytest.raises(pa.ArrowInvalid, match="closed"):
            reader.read_next_batch()


def test_duckdb_limit_then_close_leaves_the_rest_unread() -> None:
    source = Staged()
    parts = 40
    reader = stream(source, one_batch_each(parts), in_flight=2)
    assert len(sql("select n from t limit 3", t=reader)) == 3
    reader.close()
    wait_for(lambda: source.closed >= set(source.started), "the started partitions to end")
    assert len(source.started) < parts


def test_a_failing_partition_raises_naming_it_after_the_rows_before_it() -> None:
    reader = stream(Staged, {**OPTIONS, "fail": "4"}, in_flight=3)
    rows: list[int] = []

    def read() -> None:
        for batch in reader:
            rows.append(batch.num_rows)

    with pytest.raises(pa.ArrowInvalid) as e:
        read()
    message = str(e.value)
    assert "Staged: partition 4 of 7 failed (spec {'index': 4, 'start': 85, 'stop': 107})" in (
        message
    )
    assert "ValueError: disk on fire under partition 4" in message
    assert "PartitionFailed" in message  # the traceback pyarrow carries names the class
    assert sum(rows) == 85  # partitions 0..3, in order, came first


def test_a_failing_partition_through_duckdb() -> None:
    reader = stream(Staged, {**OPTIONS, "fail": "2"})
    with pytest.raises(duckdb.Error, match=r"Staged: partition 2 of 7 failed"):
        sql("select count(*) from t", t=reader)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_in_flight(bad: Any) -> None:
    with pytest.raises(ConfigInvalid, match=r"in_flight must be an int of at least 1.*not"):
        stream(Numbers, OPTIONS, in_flight=bad)


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        (
            ["n", "nope"],
            r"Numbers: stream\(columns=...\): no column 'nope'; the source's "
            r"columns are n, s, f, d",
        ),
        ("n", r"a list of column names, not the string 'n'; write columns=\['n'\]"),
        ([], r"names no column"),
        (["n", "s", "n"], r"names 'n' twice"),
        ([1], r"1 is a int, not a column name"),
    ],
)
def test_bad_columns(columns: Any, match: str) -> None:
    with pytest.raises(ConfigInvalid, match=match):
        stream(Numbers, OPTIONS, columns=columns)


class Nothing(Numbers):
    """Plans no partition at all."""

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        return []


def test_no_partitions_is_an_empty_reader_with_the_schema() -> None:
    reader = stream(Nothing, columns=["d"])
    table = reader.read_all()
    assert table.num_rows == 0
    assert table.schema.names == ["d"]
    assert sql("select count(*) from t", t=stream(Nothing)) == [(0,)]


@pytest.mark.parametrize("ordered", [True, False])
def test_on_a_process_cluster(dask_process_client: Any, ordered: bool) -> None:
    executor = dask_process_client.get_executor()
    table = stream(Numbers, OPTIONS, executor=executor, ordered=ordered, in_flight=2).read_all()
    assert table.schema.equals(SCHEMA)
    got = pl.DataFrame(pl.from_arrow(table))
    if not ordered:
        got = got.sort("n")
    assert_frame_equal(got, numbers(150))


def test_parquet_files_on_a_process_cluster(dask_process_client: Any, fs_store: Store) -> None:
    three_files(fs_store)
    options = {**fs_store.options, "path": "data/*.parquet"}
    executor = dask_process_client.get_executor()
    reader = stream(FileSource, options, executor=executor, columns=["s", "n"])
    loaded = load(FileSource, options)
    query = "select s, count(*), sum(n) from {} group by s order by s"
    assert sql(query.format("t"), t=reader) == sql(query.format("t"), t=loaded)


def test_failure_on_a_process_cluster(dask_process_client: Any) -> None:
    executor = dask_process_client.get_executor()
    reader = stream(Staged, {**OPTIONS, "fail": "4"}, executor=executor)
    with pytest.raises(pa.ArrowInvalid, match=r"Staged: partition 4 of 7 failed"):
        reader.read_all()


def test_memory_store_refused_at_once_on_a_process_cluster(
    dask_process_client: Any, mem_store: Store
) -> None:
    three_files(mem_store)
    with pytest.raises(ConfigInvalid, match="lives in this process only"):
        stream(
            FileSource,
            {**mem_store.options, "path": "data/*.parquet"},
            executor=dask_process_client.get_executor(),
        )
