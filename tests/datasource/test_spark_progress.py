"""``spark_progress``: a bar of the partitions Spark or Sail reads, reported by the adapter.

Sail sends a Spark Connect client no progress (the module docstring of
``engines.spark_progress`` says what was tried), so the reader reports each planned query
and each partition read to a shared location that the bar lists. The Sail tests read real
sources through a Sail server started here; the others drive the reporter directly.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import FileSource, load
from opendal_lab.datasource.engines.spark_progress import (
    PROGRESS_OPTION,
    ProgressReporter,
    SparkProgress,
    split_progress,
)
from opendal_lab.datasource.loader.prepare import prepare
from opendal_lab.datasource.spark import spark_data_source, spark_progress
from tests.datasource.sources import Numbers, Pruning, Staged, numbers
from tests.datasource.test_spark import to_polars

pytest.importorskip("tqdm")

# PySpark 4.2 warns that it does not fully support pandas 3; the adapter does not use pandas.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


# -- the reporter and the bar, without Spark ------------------------------------------------


def test_reports_move_the_counts_and_the_bar(tmp_path: Path) -> None:
    state = SparkProgress(f"fs://{tmp_path}", progress=True, desc="t")
    reporter = pickle.loads(pickle.dumps(ProgressReporter(f"fs://{tmp_path}")))  # as a worker
    first = reporter.planned(3)
    state.poll()
    assert (state.total, state.done) == (3, 0)
    assert state.bar is not None
    assert (state.bar.total, state.bar.n) == (3, 0)
    reporter.finished(first, 0)
    reporter.finished(first, 2)
    reporter.finished(first, 2)  # a task Spark ran again counts once
    second = reporter.planned(2)  # a second query in the same block adds its partitions
    reporter.finished(second, 1)
    state.poll()
    assert (state.total, state.done) == (5, 3)
    assert (state.bar.total, state.bar.n) == (5, 3)
    state.close()


def test_progress_false_counts_without_a_bar_and_none_waits_for_enough_partitions(
    tmp_path: Path,
) -> None:
    for progress in (False, None):  # None: a few partitions, nobody watching -> no bar
        root = tmp_path / str(progress)
        state = SparkProgress(f"fs://{root}", progress=progress, desc="t")
        reporter = ProgressReporter(f"fs://{root}")
        reporter.finished(reporter.planned(2), 0)
        state.poll()
        assert (state.total, state.done, state.bar) == (2, 1, None)


def test_the_option_is_taken_out_before_the_source_sees_it(tmp_path: Path) -> None:
    options, reporter = split_progress({"Progress_URI": f"fs://{tmp_path}", "rows": "5"})
    assert options == {"rows": "5"}
    assert reporter is not None
    assert reporter.uri == f"fs://{tmp_path}"
    assert split_progress({"rows": "5"}) == ({"rows": "5"}, None)


def test_a_location_other_processes_cannot_see_is_refused(tmp_path: Path) -> None:
    # memory:// is one store per process (not `shared`): Spark's workers would report into
    # their own stores and the bar would never move.
    with pytest.raises(ConfigInvalid, match=r"progress_uri='memory://p'.*not shared.*fs://"):
        split_progress({PROGRESS_OPTION: "memory://p"})
    with pytest.raises(ConfigInvalid, match=r"not shared"), spark_progress("memory://p"):
        pass
    with pytest.raises(ConfigInvalid, match=r"progress_uri='nowhere' is not a usable"):
        split_progress({PROGRESS_OPTION: "nowhere"})
    with pytest.raises(ValueError, match="interval must be > 0"), spark_progress(interval=0):
        pass


def test_the_run_cleans_up_below_the_location_given(tmp_path: Path) -> None:
    with spark_progress(f"fs://{tmp_path}", progress=False) as progress:
        reporter = ProgressReporter(progress.uri)
        reporter.finished(reporter.planned(1), 0)
        assert progress.uri.startswith(f"fs://{tmp_path}/")  # a directory of its own
    assert (progress.total, progress.done) == (1, 1)  # the last look, at the block's end
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    with spark_progress(progress=False) as temporary:
        directory = Path(temporary.uri.removeprefix("fs://"))
        assert directory.is_dir()
    assert not directory.exists()


# -- on Sail ---------------------------------------------------------------------------------


def test_a_sail_read_reports_every_partition(spark: Any) -> None:
    spark.dataSource.register(spark_data_source(Numbers, name="lab_progress_numbers"))
    with spark_progress(progress=True, desc="sail") as progress:
        df = spark.read.format("lab_progress_numbers").options(
            rows="120", partitions="6", **progress.options
        )
        got = to_polars(df.load())
    assert got.sort("n").rows() == numbers(120).rows()
    assert (progress.total, progress.done) == (6, 6)
    assert progress.bar is not None
    assert (progress.bar.total, progress.bar.n) == (6, 6)


def test_two_queries_in_one_block_add_up(spark: Any) -> None:
    spark.dataSource.register(spark_data_source(Numbers, name="lab_progress_twice"))
    with spark_progress(progress=False) as progress:
        df = spark.read.format("lab_progress_twice").options(partitions="3", **progress.options)
        assert df.load().count() == 100
        assert df.load().filter("n < 10").count() == 10  # Spark filters; all 3 are read
    assert (progress.total, progress.done) == (6, 6)


def test_pushed_filters_shrink_the_total(spark: Any) -> None:
    # Pruning plans only the partitions a pushed `n` filter can match: 1 of 4 here.
    spark.dataSource.register(spark_data_source(Pruning, name="lab_progress_pruning"))
    with spark_progress(progress=False) as progress:
        df = spark.read.format("lab_progress_pruning").options(partitions="4", **progress.options)
        assert df.load().filter("n >= 90").count() == 10
    assert (progress.total, progress.done) == (1, 1)


def test_a_file_source_read_reports_its_files(spark: Any, tmp_path: Path) -> None:
    for i in range(3):
        pl.DataFrame({"n": range(i * 10, i * 10 + 10)}).write_parquet(tmp_path / f"{i}.parquet")
    options = {"uri": f"fs://{tmp_path}", "path": "*.parquet"}
    spark.dataSource.register(spark_data_source(FileSource, name="lab_progress_files"))
    with spark_progress(progress=False) as progress:
        df = spark.read.format("lab_progress_files").options(**options, **progress.options)
        got = to_polars(df.load())  # FileSource never sees progress_uri (it refuses unknowns)
    assert got.sort("n").rows() == load(FileSource, options).sort("n").rows()
    planned = len(prepare(FileSource, options).partitions([]))  # small files share one
    assert (progress.total, progress.done) == (planned, planned)


def test_a_failed_partition_is_not_counted(spark: Any) -> None:
    spark.dataSource.register(spark_data_source(Staged, name="lab_progress_failing"))
    with spark_progress(progress=True) as progress:
        df = spark.read.format("lab_progress_failing").options(
            partitions="4", fail="2", **progress.options
        )
        with pytest.raises(Exception, match="disk on fire under partition 2"):
            df.load().collect()
    assert progress.total == 4
    assert progress.done < 4  # partition 2 never finished; others may have, or been stopped
    assert progress.bar is not None
    assert progress.bar.n == progress.done


def test_a_read_given_a_per_process_location_fails_with_the_reason(spark: Any) -> None:
    spark.dataSource.register(spark_data_source(Numbers, name="lab_progress_memory"))
    df = spark.read.format("lab_progress_memory").option(PROGRESS_OPTION, "memory://p").load()
    with pytest.raises(Exception, match="not shared"):
        df.collect()
