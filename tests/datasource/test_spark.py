"""The same sources on Sail (a Spark Connect server started here, no JVM) through the adapter."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from opendal_lab.datasource import FileSource, RangeSource, SqlSource, load
from opendal_lab.datasource.spark import spark_data_source

pytest.importorskip("pysail")
pytest.importorskip("pyspark.sql.datasource")

# PySpark 4.2 warns that it does not fully support pandas 3; the adapter does not use pandas.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    import pyspark
    from pysail.spark import SparkConnectServer
    from pyspark.sql import SparkSession

    # Under pytest-xdist ``__main__`` has no spec, so pyspark's Connect dependency check
    # thinks it runs doctests and imports its test helpers, which exit when they find no
    # Spark installation. A Spark Connect client needs none: point them at the package.
    os.environ.setdefault("SPARK_HOME", os.path.dirname(pyspark.__file__))

    server = SparkConnectServer(ip="127.0.0.1", port=0)
    server.start(background=True)
    _, port = server.listening_address
    session = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").getOrCreate()
    try:
        yield session
    finally:
        session.stop()
        server.stop()


def to_polars(df: Any) -> pl.DataFrame:
    return pl.from_arrow(df.toArrow())  # type: ignore[return-value]


def test_range_source_on_sail(spark: Any) -> None:
    spark.dataSource.register(spark_data_source(RangeSource, name="lab_range"))
    df = spark.read.format("lab_range").option("rows", "1000").option("partitions", "4").load()
    got = to_polars(df).sort("id")
    expected = load(RangeSource, {"rows": "1000", "partitions": "4"}).sort("id")
    assert got.columns == expected.columns
    assert got["id"].to_list() == expected["id"].to_list()
    assert df.filter("id >= 990").count() == 10  # Spark evaluates the filter itself


def test_file_source_on_sail(spark: Any, tmp_path: Path) -> None:
    frame = pl.DataFrame({"n": range(300), "s": [f"v{i % 7}" for i in range(300)]})
    for year in (2023, 2024):
        part = tmp_path / f"year={year}"
        part.mkdir()
        frame.with_columns(pl.col("n") + year).write_parquet(part / "p.parquet")
    options = {"uri": f"fs://{tmp_path}", "path": "**/*.parquet"}
    spark.dataSource.register(spark_data_source(FileSource, name="lab_files"))
    df = spark.read.format("lab_files").options(**options).load()
    got = to_polars(df).sort("year", "n")
    expected = load(FileSource, options).sort("year", "n")
    assert got.columns == ["n", "s", "year"]
    assert got.rows() == expected.rows()
    assert df.filter("year = 2024").count() == 300


def test_sql_source_keeps_nulls_on_sail(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, s TEXT)")
    rows = [(i, None if i % 10 == 0 else i % 97, f"r{i}") for i in range(2000)]
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    conn.commit()
    conn.close()
    options = {"uri": f"sqlite://{path}", "table": "t", "partition_column": "k"}
    options["num_partitions"] = "4"
    spark.dataSource.register(spark_data_source(SqlSource, name="lab_sql"))
    df = spark.read.format("lab_sql").options(**options).load()
    assert df.count() == 2000
    assert df.filter("k IS NULL").count() == 200  # the NULL partition is kept


def test_by_module_and_class_options(spark: Any) -> None:
    spark.dataSource.register(spark_data_source(None, name="lab_python"))
    df = (
        spark.read.format("lab_python")
        .option("python_module", "opendal_lab.datasource.range")
        .option("python_class", "RangeSource")
        .option("rows", "50")
        .load()
    )
    assert sorted(r["id"] for r in df.collect()) == list(range(50))


def test_a_failing_partition_fails_the_query(spark: Any, tmp_path: Path) -> None:
    pl.DataFrame({"n": [1]}).write_parquet(tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"not parquet at all")
    spark.dataSource.register(spark_data_source(FileSource, name="lab_broken"))
    df = spark.read.format("lab_broken").options(uri=f"fs://{tmp_path}", path="*.parquet")
    with pytest.raises(Exception, match=r"b\.parquet"):
        df.load().collect()
