"""IcebergSource writes on Sail: ``df.write.format(name).mode(...).save()`` through the adapter,
the table read back equal with PyIceberg, and nothing committed or left after a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

pytest.importorskip("pysail")
pytest.importorskip("pyiceberg")

from opendal_lab.datasource import load
from opendal_lab.datasource.sources.iceberg import IcebergSource
from opendal_lab.datasource.spark import spark_data_source
from tests.datasource.iceberg_writers import BreakingIceberg
from tests.datasource.test_iceberg import same
from tests.datasource.test_iceberg_write import fs_target

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def events(spark: Any, start: int, count: int, partitions: int = 4) -> Any:
    """Rows of the test table's schema: six days, a name missing now and then."""
    return spark.range(start, start + count, numPartitions=partitions).selectExpr(
        "id",
        "CASE WHEN id % 7 = 3 THEN NULL ELSE concat('n', CAST(id % 5 AS STRING)) END AS name",
        "date_add(DATE'2024-01-01', CAST(id % 6 AS INT)) AS day",
        "CAST(id AS DOUBLE) * 0.5 AS amount",
        "id % 2 = 0 AS flag",
    )


def expected(start: int, count: int) -> pl.DataFrame:
    from datetime import date, timedelta

    ids = list(range(start, start + count))
    return pl.DataFrame(
        {
            "id": pl.Series(ids, dtype=pl.Int64),
            "name": [None if i % 7 == 3 else f"n{i % 5}" for i in ids],
            "day": [date(2024, 1, 1) + timedelta(days=i % 6) for i in ids],
            "amount": [i * 0.5 for i in ids],
            "flag": [i % 2 == 0 for i in ids],
        }
    )


def test_append_and_overwrite_from_sail(spark: Any, tmp_path: Path) -> None:
    target = fs_target(tmp_path)
    spark.dataSource.register(spark_data_source(IcebergSource, name="lab_iceberg_w"))
    writer = events(spark, 0, 600).write.format("lab_iceberg_w").options(**target.options)
    writer.mode("append").save()
    same(target.scan(), expected(0, 600))
    events(spark, 600, 60, 2).write.format("lab_iceberg_w").options(**target.options).mode(
        "append"
    ).save()
    first, second = target.snapshot_ids()
    same(target.scan(), expected(0, 660))
    same(target.scan(first), expected(0, 600))
    same(load(IcebergSource, target.options), target.scan())

    events(spark, 1000, 12, 2).write.format("lab_iceberg_w").options(**target.options).mode(
        "overwrite"
    ).save()
    same(target.scan(), expected(1000, 12))
    assert target.snapshot_ids()[:2] == [first, second]


def test_a_partition_failing_mid_write_on_sail_commits_nothing(spark: Any, tmp_path: Path) -> None:
    target = fs_target(tmp_path)
    spark.dataSource.register(spark_data_source(IcebergSource, name="lab_iceberg_ok"))
    events(spark, 0, 100).write.format("lab_iceberg_ok").options(**target.options).mode(
        "append"
    ).save()
    before, files = target.snapshot_ids(), target.files()

    spark.dataSource.register(spark_data_source(BreakingIceberg, name="lab_iceberg_breaking"))
    broken = events(spark, 100, 400).write.format("lab_iceberg_breaking").options(**target.options)
    with pytest.raises(Exception, match="broken on purpose after writing"):
        broken.option("fail_at", "350").mode("overwrite").save()
    assert target.snapshot_ids() == before
    same(target.scan(), expected(0, 100))
    # Sail gives abort no messages: the files are found by the write id and deleted.
    assert target.files() == files
