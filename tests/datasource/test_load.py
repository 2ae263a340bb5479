"""load(): the rows, in order, with the declared schema; failures, lies, progress."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.datasource import (
    PartitionFailed,
    RangeSource,
    SchemaMismatch,
    load,
    scan,
)
from opendal_lab.datasource.engines.executors import default_workers
from opendal_lab.datasource.loader import run as progress_mod
from tests.datasource.sources import Gappy, Kept, Liar, Numbers, PolarsFrames, Staged, numbers


def test_default_executor() -> None:
    assert_frame_equal(load(Numbers, {"rows": "103", "partitions": "9"}), numbers(103))


def test_thread_pool_executor() -> None:
    with cf.ThreadPoolExecutor(3) as pool:
        df = load(Numbers, {"rows": "250", "partitions": "20", "batch": "4"}, executor=pool)
    assert_frame_equal(df, numbers(250))


def test_partition_order_survives_out_of_order_completion() -> None:
    class Reversed(Numbers):
        def read_partition(self, spec, options):  # type: ignore[no-untyped-def]
            time.sleep(0.01 * (5 - spec["index"]))  # the last partition finishes first
            yield from self.batches(spec, options)

    assert_frame_equal(load(Reversed, {"rows": "50", "partitions": "5"}), numbers(50))


def test_polars_frames_from_the_source() -> None:
    assert_frame_equal(load(PolarsFrames, {"rows": "40", "partitions": "3"}), numbers(40))


def test_zero_row_partitions_and_batches() -> None:
    expected = numbers(80).filter((pl.col("n") < 20) | ((pl.col("n") >= 40) & (pl.col("n") < 60)))
    assert_frame_equal(load(Gappy, {"rows": "80", "partitions": "4"}), expected)


def test_no_rows_at_all_keeps_the_schema() -> None:
    df = load(RangeSource, {"rows": "0", "partitions": "3"})
    assert df.height == 0
    assert df.schema == pl.Schema({"id": pl.Int64, "half": pl.Float64, "label": pl.String})


def test_arrow_numbers_reach_polars_without_a_copy() -> None:
    source = Kept()
    df = load(source, {"rows": "50", "partitions": "1", "batch": "50"})
    (batch,) = source.yielded
    arrow_data = batch.column(0).buffers()[1].address
    polars_data = df["n"].to_numpy(allow_copy=False).__array_interface__["data"][0]
    assert polars_data == arrow_data


def test_default_pool_size() -> None:
    assert default_workers(1) == 1
    assert 1 < default_workers(1000) <= 32


# -- failures ---------------------------------------------------------------------------


def test_failing_partition_is_named_and_stops_the_rest() -> None:
    source = Staged()
    options = {"rows": "240", "partitions": "12", "batch": "2", "fail": "1", "delay": "0.02"}
    with (
        cf.ThreadPoolExecutor(2) as pool,
        pytest.raises(PartitionFailed, match=r"Staged: partition 1 of 12 failed") as e,
    ):
        load(source, options, executor=pool)
    err = e.value
    assert err.partition == 1
    assert err.source == "Staged"
    assert err.spec == {"index": 1, "start": 20, "stop": 40}
    assert "'start': 20" in str(err)
    assert isinstance(err.__cause__, ValueError)
    assert "disk on fire under partition 1" in str(err)
    # Two threads: 0 and 1 start; at most one more slips in before the cancel lands.
    assert set(source.started) <= {0, 1, 2}, source.started
    assert not set(source.started) & set(range(3, 12))
    # Partition 0 was running: it stopped at a batch boundary (10 batches of 2 rows), and
    # load waited for it -- its generator was closed before the error came out.
    assert 0 < source.batches_out.get(0, 0) < 10
    assert set(source.started) <= source.closed


def test_failure_is_fast_even_when_an_earlier_partition_is_slow() -> None:
    source = Staged()
    # Partition 0 sleeps 10 ms before each of its 1,000 batches: at least 10 s in all.
    options = {"rows": "4000", "partitions": "4", "batch": "1", "fail": "3", "delay": "0.01"}
    start = time.monotonic()
    with pytest.raises(PartitionFailed, match="partition 3 of 4"):
        load(source, options)
    # Partition 0 was stopped part way, not waited for: the error came well within the
    # 10 s partition 0 alone needs (half of it, however busy the machine).
    assert source.batches_out.get(0, 0) < 1000
    assert set(source.started) <= source.closed  # and every partition that started, closed
    assert time.monotonic() - start < 5


def test_lowest_failed_partition_is_reported_when_all_fail() -> None:
    class AllFail(Numbers):
        def read_partition(self, spec, options):  # type: ignore[no-untyped-def]
            raise KeyError(spec["index"])

    with pytest.raises(PartitionFailed, match=r"AllFail: partition 0 of 3"):
        load(AllFail, {"partitions": "3"}, executor=cf.ThreadPoolExecutor(1))


def test_no_threads_are_left_behind() -> None:
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(PartitionFailed):
        load(Staged(), {"partitions": "6", "fail": "2", "delay": "0.01"})
    load(Numbers)

    def leftover() -> set[str]:
        names = {t.name for t in threading.enumerate()} - before
        return {n for n in names if n.startswith("opendal_lab-datasource")}

    # Pool threads end right after shutdown; give a busy machine time, fail if they linger.
    deadline = time.monotonic() + 10
    while leftover() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not leftover()


@pytest.mark.parametrize(
    ("lie", "column", "expected", "actual"),
    [
        ("type", "n", "int64", "int32"),
        ("missing", "f", "double", "<missing>"),
        ("extra", "bonus", "<not declared>", "int8"),
        ("polars", "n", "Int64", "Int32"),
    ],
)
def test_a_source_that_lies_about_its_schema(
    lie: str, column: str, expected: str, actual: str
) -> None:
    with pytest.raises(SchemaMismatch) as e:
        load(Liar, {"lie": lie, "partitions": "3"})
    err = e.value
    assert (err.partition, err.column, err.expected, err.actual) == (1, column, expected, actual)
    assert str(err).startswith(f"Liar.read_partition, partition 1: column {column!r}")
    assert err.source == "Liar"


def test_large_string_is_not_string() -> None:
    class Large(Numbers):
        def read_partition(self, spec, options):  # type: ignore[no-untyped-def]
            for batch in self.batches(spec, options):
                yield batch.set_column(1, "s", batch.column(1).cast(pa.large_string()))

    with pytest.raises(SchemaMismatch, match=r"column 's' is large_string, but the declared"):
        load(Large)


# -- progress ---------------------------------------------------------------------------


def test_progress_forced_on(capsys: pytest.CaptureFixture[str]) -> None:
    load(Numbers, {"partitions": "5"}, progress=True)
    err = capsys.readouterr().err
    assert "load Numbers" in err
    assert "5/5" in err


def test_progress_of_a_scan(capsys: pytest.CaptureFixture[str]) -> None:
    frame = scan(Numbers, {"partitions": "4"}, progress=True).collect()
    assert frame.height == 100
    err = capsys.readouterr().err
    assert "scan Numbers" in err
    assert "4/4" in err


def test_progress_forced_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_mod, "interactive", lambda: True)
    load(Numbers, {"partitions": "20"}, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_auto_is_off_when_nobody_watches(capsys: pytest.CaptureFixture[str]) -> None:
    assert not progress_mod.interactive()  # pytest captures stderr: not a terminal
    load(Numbers, {"partitions": "20"})
    assert capsys.readouterr().err == ""


def test_progress_auto_needs_enough_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_mod, "interactive", lambda: True)
    few = progress_mod.MIN_PARTITIONS - 1
    assert progress_mod.progress_bar(None, few, "x") is None
    bar = progress_mod.progress_bar(None, progress_mod.MIN_PARTITIONS, "x")
    try:
        assert bar is not None
        assert bar.delay == progress_mod.AUTO_DELAY  # quick loads never draw it
    finally:
        bar.close()
    monkeypatch.setattr(progress_mod, "interactive", lambda: False)
    assert progress_mod.progress_bar(None, 100, "x") is None
    forced = progress_mod.progress_bar(True, 1, "x")
    assert forced is not None
    assert forced.delay == 0
    forced.close()
