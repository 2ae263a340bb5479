"""scan(): what the source is offered, and answers equal to Polars' own on the same data."""

from __future__ import annotations

import concurrent.futures as cf
import datetime
import threading
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.datasource import (
    Filter,
    PartitionFailed,
    RangeSource,
    SchemaMismatch,
    scan,
)
from opendal_lab.datasource.loader.lazy import _read
from opendal_lab.datasource.loader.prepare import prepare
from opendal_lab.datasource.loader.pushdown import plan_pushdown
from tests.datasource.sources import (
    Liar,
    Numbers,
    Obedient,
    PolarsFrames,
    Pruning,
    Recorder,
    Staged,
    numbers,
    read_log,
)

col = pl.col
ROWS = 120
OPTIONS = {"rows": str(ROWS), "partitions": "6", "batch": "9"}

PREDICATES: list[pl.Expr | None] = [
    None,
    col("n") > 37,
    (col("n") >= 10) & (col("n") < 50) & col("s").is_not_null(),
    col("s").is_in(["s1", "s3"]),
    col("f").is_null(),
    (col("n") % 7 == 0) | (col("s") == "s2"),
    col("d") > datetime.date(2024, 2, 1),
    col("n").is_between(5, 95) & (col("f") * 2 > 30),
    ~col("n").is_in([1, 2, 3]),
    col("n") > 10_000,
]
SELECTS: list[list[str] | None] = [None, ["s"], ["f", "n"]]
HEADS: list[int | None] = [None, 3, 25, 1000]


def query(lf: pl.LazyFrame, predicate: pl.Expr | None, select: Any, head: Any) -> pl.LazyFrame:
    if predicate is not None:
        lf = lf.filter(predicate)
    if select is not None:
        lf = lf.select(select)
    if head is not None:
        lf = lf.head(head)
    return lf


@pytest.mark.parametrize("source", [Numbers, Recorder, Obedient, PolarsFrames])
@pytest.mark.parametrize("predicate", PREDICATES, ids=lambda p: str(p)[:30])
def test_answers_equal_polars_own(source: type, predicate: pl.Expr | None) -> None:
    lf = scan(source, OPTIONS)
    full = numbers(ROWS).lazy()
    for select in SELECTS:
        for head in HEADS:
            got = query(lf, predicate, select, head).collect()
            expected = query(full, predicate, select, head).collect()
            try:
                assert_frame_equal(got, expected)
            except AssertionError as exc:
                raise AssertionError(f"{predicate} / select {select} / head {head}") from exc


def test_source_receives_projection_filters_and_predicate() -> None:
    source = Recorder()
    q = scan(source, OPTIONS).filter((col("n") > 37) & (col("n") % 2 == 0)).select("s").head(3)
    assert q.collect()["s"].to_list() == ["s3", "s0", "s2"]  # n = 38, 40, 42
    call = source.calls[0]
    assert call["columns"] == ["n", "s"]  # the projection, plus what the filter reads
    assert call["filters"] == [Filter("n", ">", 37)]
    assert call["limit"] is None  # Recorder claims no filter exact: a limit would cut rows
    assert isinstance(call["predicate"], pl.Expr)


def test_limit_is_offered_when_nothing_is_left_to_filter() -> None:
    source = Recorder()
    assert scan(source, OPTIONS).select("s").head(4).collect().height == 4
    assert source.calls[0] == {
        "index": 0,
        "columns": ["s"],
        "filters": None,
        "limit": 4,
        "predicate": None,
    }


class NClaimer(Obedient):
    """Applies everything, claims only the filters on ``n`` exact, records the limits."""

    def __init__(self) -> None:
        self.limits: list[int | None] = []

    def read_partition(self, spec, options, *, columns=None, filters=None, limit=None):  # type: ignore[no-untyped-def, override]
        self.limits.append(limit)
        return super().read_partition(spec, options, columns=columns, filters=filters, limit=limit)

    def exact_filters(self, filters, options):  # type: ignore[no-untyped-def]
        return [f for f in filters if f.column == "n"]


def test_limit_with_filters_the_source_claims_exact() -> None:
    # Polars 2.1 sends no n_rows when a filter sits below the limit (test_polars_plugin),
    # but the Spark adapter will: plan it directly.
    prepared = prepare(NClaimer, OPTIONS)
    exact = plan_pushdown(prepared, None, col("n") > 37, 2)
    assert exact.kwargs["limit"] == 2  # n > 37 is claimed exact: the limit goes down with it
    assert exact.reapply is None
    assert exact.exact == [Filter("n", ">", 37)]
    mixed = plan_pushdown(prepared, ["n"], (col("n") > 37) & col("s").is_null(), 2)
    assert mixed.kwargs["limit"] is None  # a condition left for the loader withholds it
    assert mixed.reapply is not None
    assert mixed.reapply.meta.root_names() == ["s"]
    assert mixed.kwargs["columns"] == ["n", "s"]
    assert mixed.output == ("n",)
    assert mixed.limit == 2  # the loader still stops each partition after 2 rows
    got = scan(NClaimer, OPTIONS).filter((col("n") > 37) & col("s").is_null()).head(2)
    assert got.collect()["n"].to_list() == [39, 43]


def test_claims_outside_the_offer_are_ignored() -> None:
    class Greedy(Recorder):
        def exact_filters(self, filters, options):  # type: ignore[no-untyped-def]
            return [Filter("s", "is_null")]  # never offered: must not waive anything

    got = scan(Greedy, OPTIONS).filter(col("n") < 3).collect()
    assert got["n"].to_list() == [0, 1, 2]


def test_no_projection_offers_all_columns() -> None:
    source = Recorder()
    scan(source, OPTIONS).collect()
    assert {c["index"] for c in source.calls} == set(range(6))
    assert all(c["columns"] is None and c["filters"] is None for c in source.calls)


def test_range_source_narrows_exactly() -> None:
    lf = scan(RangeSource, {"rows": "1000000", "partitions": "8", "batch_rows": "50000"})
    got = lf.filter((col("id") >= 999_990) & (col("id") != 999_995)).select("id").collect()
    assert got["id"].to_list() == [i for i in range(999_990, 1_000_000) if i != 999_995]
    # n < 3 on 1M rows: answered from three generated rows, not a million.
    assert lf.filter(col("id") < 3).select("label").collect()["label"].to_list() == [
        None,
        "row1",
        "row2",
    ]


def test_a_limit_stops_early() -> None:
    source = Staged()
    options = {"rows": "400", "partitions": "20", "batch": "5"}
    got = scan(source, options, prefetch=2).head(12).collect()
    assert got["n"].to_list() == list(range(12))
    # 20 rows a partition, 12 needed: partition 0 answers, 1 was prefetched, none more.
    assert set(source.started) <= {0, 1}, source.started


def test_a_satisfied_limit_hides_a_later_failure() -> None:
    options = {"rows": "400", "partitions": "20", "batch": "5", "fail": "9"}
    got = scan(Staged(), options, prefetch=2).head(5).collect()
    assert got.height == 5


def test_failure_surfaces_from_collect() -> None:
    options = {"rows": "100", "partitions": "5", "fail": "3"}
    with pytest.raises(PartitionFailed, match=r"Staged: partition 3 of 5 failed") as e:
        scan(Staged(), options).select("n").collect()
    assert isinstance(e.value.__cause__, ValueError)


def test_schema_lies_surface_from_collect() -> None:
    with pytest.raises(SchemaMismatch, match=r"partition 1: column 'n' is int32"):
        scan(Liar, {"partitions": "3"}).collect()
    # Liar ignores the projection and sends n anyway: a lie in a column the query does
    # not use is still caught, before it could reach a query that does.
    with pytest.raises(SchemaMismatch):
        scan(Liar, {"partitions": "3"}).select("s").collect()


def test_zero_rows_keep_the_schema() -> None:
    lf = scan(RangeSource, {"rows": "0"})
    assert lf.collect().schema == pl.Schema(
        {"id": pl.Int64, "half": pl.Float64, "label": pl.String}
    )
    empty = scan(Numbers, OPTIONS).filter(col("n") < 0).select("s", "n").collect()
    assert empty.height == 0
    assert empty.schema == pl.Schema({"s": pl.String, "n": pl.Int64})
    assert scan(Numbers, OPTIONS).head(0).collect().height == 0


def test_collect_twice_and_on_a_given_pool() -> None:
    lf = scan(Numbers, OPTIONS).filter(col("n") >= 100)
    with cf.ThreadPoolExecutor(2) as pool:
        on_pool = scan(Numbers, OPTIONS, executor=pool).filter(col("n") >= 100).collect()
    assert_frame_equal(lf.collect(), on_pool)
    assert_frame_equal(lf.collect(), numbers(ROWS).filter(col("n") >= 100))


def test_streaming_engine() -> None:
    lf = scan(Numbers, OPTIONS).filter(col("s") == "s1").select("n")
    expected = numbers(ROWS).filter(col("s") == "s1").select("n")
    assert_frame_equal(lf.collect(engine="streaming"), expected)


def test_explain_names_the_source() -> None:
    plan = scan(Recorder, OPTIONS).explain()
    assert "opendal_lab:Recorder" in plan
    assert "columns, filters, limit, predicate" in plan


def test_prefetch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="prefetch must be at least 1"):
        scan(Numbers, OPTIONS, prefetch=0)


class Closer(Numbers):
    """Partition 1 closes the scan's generator from its worker thread, as a garbage
    collection running in that thread would finalise an abandoned one."""

    def __init__(self) -> None:
        self.gen: Any = None
        self.ready = threading.Event()
        self.closed = threading.Event()

    def read_partition(self, spec, options):  # type: ignore[no-untyped-def]
        if spec["index"] == 1:
            self.ready.wait(5)
            self.gen.close()
            self.closed.set()
        yield from self.batches(spec, options)


def test_a_scan_finalised_in_a_worker_thread_does_not_hang() -> None:
    source = Closer()
    source.gen = _read(prepare(source, OPTIONS), None, 4, False, None, None, None)
    assert next(source.gen).height > 0  # partition 0; partition 1 runs meanwhile
    source.ready.set()
    assert source.closed.wait(5), "closing the scan from its own worker thread deadlocked"


def test_filters_reach_plan_partitions_that_takes_them(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    options = {"rows": "100", "partitions": "4", "log": str(log)}
    query = (col("n") >= 60) & (col("s") == "s1")
    got = scan(Pruning, options).filter(query).collect()
    assert_frame_equal(got, numbers(100).filter(query))
    records = read_log(log)
    assert [r["plan"] for r in records if "plan" in r] == [["n >= 60", "s == 's1'"]]
    assert sorted(r["read"] for r in records if "read" in r) == [2, 3]  # 0 and 1 never start
    log.unlink()
    assert scan(Pruning, options).select("n").collect().height == 100  # no predicate
    assert [r["plan"] for r in read_log(log) if "plan" in r] == [[]]
