"""Writes on Sail through the adapter: ``df.write.format(name).mode(...).save()``, the same
writer classes ``save`` runs, read back equal, and nothing visible after a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.datasource import FileSource, load
from opendal_lab.datasource.spark import spark_data_source
from tests.datasource.files_data import Store, make_store
from tests.datasource.test_spark import to_polars
from tests.datasource.writers import BreakingFiles, Ledger, ledger

pytest.importorskip("pysail")
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def rows(spark: Any, count: int, partitions: int = 4) -> Any:
    return spark.range(0, count, numPartitions=partitions).selectExpr(
        "id AS n", "concat('s', CAST(id % 5 AS STRING)) AS s", "CAST(id % 3 AS INT) AS k"
    )


def expected(count: int, offset: int = 0) -> pl.DataFrame:
    ns = range(offset, offset + count)
    return pl.DataFrame(
        {
            "n": pl.Series(ns, dtype=pl.Int64),
            "s": [f"s{n % 5}" for n in ns],
            "k": pl.Series([n % 3 for n in ns], dtype=pl.Int32),
        }
    )


def files(store: Store) -> dict[str, bytes]:
    """Every file under the store's root, hidden staging files included, with its bytes."""
    return {e.path: store.op.read(e.path) for e in store.op.list("/", recursive=True) if e.is_file}


@pytest.mark.parametrize("store_name", ["fs", "s3"])
def test_file_source_writes_and_overwrites(
    spark: Any, store_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(store_name, tmp_path, request)
    options = {**store.options, "path": "out/"}
    spark.dataSource.register(spark_data_source(FileSource, name="lab_files_w"))
    rows(spark, 1000).write.format("lab_files_w").options(**options).mode("append").save()
    assert len(files(store)) == 4  # one file per Spark partition, nothing left staged
    assert_frame_equal(load(FileSource, options).sort("n"), expected(1000))

    more = rows(spark, 1000).filter("n >= 900")
    more.write.format("lab_files_w").options(**options).mode("append").save()
    assert load(FileSource, options).height == 1100

    rows(spark, 10, 2).write.format("lab_files_w").options(**options).mode("overwrite").save()
    assert_frame_equal(load(FileSource, options).sort("n"), expected(10))
    # Read back on Sail too: the same class reads what it wrote.
    back = spark.read.format("lab_files_w").options(**options).load()
    assert to_polars(back).sort("n").rows() == expected(10).rows()


def test_hive_directories_from_sail(spark: Any, tmp_path: Path) -> None:
    options = {"uri": f"fs://{tmp_path}", "path": "lake/", "partition_by": "k"}
    spark.dataSource.register(spark_data_source(FileSource, name="lab_files_hive"))
    rows(spark, 300).write.format("lab_files_hive").options(**options).mode("append").save()
    assert sorted(p.name for p in (tmp_path / "lake").iterdir()) == ["k=0", "k=1", "k=2"]
    got = load(FileSource, {**options, "hive_schema": "k:int32"})
    assert_frame_equal(got.select("n", "s", "k").sort("n"), expected(300))


@pytest.mark.parametrize("store_name", ["fs", "s3"])
def test_a_partition_failing_mid_write_leaves_nothing(
    spark: Any, store_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(store_name, tmp_path, request)
    options = {**store.options, "path": "out/"}
    spark.dataSource.register(spark_data_source(FileSource, name="lab_files_ok"))
    rows(spark, 100).write.format("lab_files_ok").options(**options).mode("append").save()
    before = files(store)

    spark.dataSource.register(spark_data_source(BreakingFiles, name="lab_files_breaking"))
    broken = rows(spark, 1000).write.format("lab_files_breaking").options(**options)
    with pytest.raises(Exception, match="broken on purpose after staging 1 file"):
        broken.option("fail_at", "600").mode("overwrite").save()
    visible = {p: b for p, b in files(store).items() if "/_temporary/" not in p}
    assert visible == before  # the old files untouched, none of the new ones published
    assert_frame_equal(load(FileSource, options).sort("n"), expected(100))


def test_commit_gets_every_message_and_abort_runs_on_failure(spark: Any, tmp_path: Path) -> None:
    log = tmp_path / "ledger.jsonl"
    spark.dataSource.register(spark_data_source(Ledger, name="lab_ledger"))
    rows(spark, 1000).write.format("lab_ledger").option("log", str(log)).mode("overwrite").save()
    commit = ledger(log)[-1]
    assert commit["call"] == "commit"
    assert commit["mode"] == "overwrite"
    assert sorted(m["rows"] for m in commit["messages"]) == [250] * 4

    none = rows(spark, 100).write.format("lab_ledger").options(log=str(log), message="none")
    with pytest.raises(
        Exception, match=r"Ledger's writer: write\(\) for a partition returned None"
    ):
        none.mode("append").save()
    assert ledger(log)[-1]["call"] == "abort"


def test_a_mode_the_source_lacks_and_a_source_that_cannot_write(spark: Any, tmp_path: Path) -> None:
    from tests.datasource.sources import Numbers

    class AppendOnly(Ledger):
        write_modes = ("append",)

    spark.dataSource.register(spark_data_source(AppendOnly, name="lab_append_only"))
    writer = rows(spark, 10).write.format("lab_append_only").option("log", str(tmp_path / "l"))
    with pytest.raises(Exception, match="AppendOnly does not support mode 'overwrite'"):
        writer.mode("overwrite").save()
    spark.dataSource.register(spark_data_source(Numbers, name="lab_read_only"))
    with pytest.raises(Exception, match="Numbers is not a writable data source"):
        rows(spark, 10).write.format("lab_read_only").mode("append").save()
