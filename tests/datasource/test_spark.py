"""The same sources on Sail (a Spark Connect server started here, no JVM) through the adapter."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from opendal_lab.datasource import FileSource, RangeSource, SqlSource, load
from opendal_lab.datasource.spark import spark_data_source
from tests.datasource.files_data import hive_files, make_store
from tests.datasource.sources import Liar, Numbers, Pruning, numbers, read_log

pytest.importorskip("pysail")
pytest.importorskip("pyspark.sql.datasource")

# PySpark 4.2 warns that it does not fully support pandas 3; the adapter does not use pandas.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


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


@pytest.mark.parametrize("store_name", ["memory", "fs", "s3"])
def test_file_source_on_every_service(
    spark: Any, store_name: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Sail runs Python data sources in its own process, so even a memory store is seen.
    store = make_store(store_name, tmp_path, request)
    expected = hive_files(store)
    options = {**store.options, "path": "data/"}
    spark.dataSource.register(spark_data_source(FileSource, name="lab_files_any"))
    df = spark.read.format("lab_files_any").options(**options).load()
    assert (
        to_polars(df).sort("year", "country", "n").rows()
        == expected.sort("year", "country", "n").rows()
    )
    query = "year = 2024 AND n > 1110 AND country IN ('NL')"
    got = to_polars(df.filter(query).select("n", "country")).sort("n")
    assert (
        got.rows()
        == expected.filter(
            (pl.col("year") == 2024) & (pl.col("n") > 1110) & (pl.col("country") == "NL")
        )
        .select("n", "country")
        .sort("n")
        .rows()
    )
    assert got.height > 0


def test_pushed_filters_reach_plan_and_read(spark: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    options = {"rows": "100", "partitions": "4", "log": str(log)}
    spark.dataSource.register(spark_data_source(Pruning, name="lab_pruning"))
    df = spark.read.format("lab_pruning").options(**options).load()
    query = "n >= 60 AND s = 's1' AND s LIKE 's%' AND n % 2 = 0 AND d > DATE'2024-01-05'"
    got = to_polars(df.filter(query)).sort("n")
    frame = numbers(100)
    want = frame.filter((pl.col("n") >= 60) & (pl.col("s") == "s1") & (pl.col("n") % 2 == 0)).sort(
        "n"
    )
    assert got.rows() == want.rows()
    records = read_log(log)
    # Sail gives the date literal as a day number, which is not pushed (spark_filters).
    pushed = {"n >= 60", "s == 's1'"}
    plans = [set(r["plan"]) for r in records if "plan" in r]
    reads = [r for r in records if "read" in r]
    assert plans
    assert all(p == pushed for p in plans)  # LIKE and n % 2 stay with Spark
    assert sorted(r["read"] for r in reads) == [2, 3]  # partitions 0 and 1 planned away
    assert all(set(r["filters"]) == pushed for r in reads)


def test_push_filters_off_leaves_them_to_spark(spark: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    name = "lab_not_pushing"
    spark.dataSource.register(spark_data_source(Pruning, name=name, push_filters=False))
    df = spark.read.format(name).options(rows="100", log=str(log)).load()
    assert df.filter("n >= 60").count() == 40
    records = read_log(log)
    assert all(r.get("plan", []) == [] and r.get("filters", []) == [] for r in records)
    assert len([r for r in records if "read" in r]) == 4


def test_a_source_lying_about_its_schema_fails_the_query(spark: Any) -> None:
    spark.dataSource.register(spark_data_source(Liar, name="lab_liar"))
    df = spark.read.format("lab_liar").options(rows="100", lie="type").load()
    with pytest.raises(Exception, match=r"partition 1.*column 'n' is int32.*says int64"):
        df.collect()


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
    # Pushed into the SQL (SqlSource claims them exact); LIKE stays with Sail.
    query = "k >= 50 AND k IN (50, 60, 70) AND s LIKE 'r1%'"
    want = [r for r in rows if r[1] in (50, 60, 70) and r[2].startswith("r1")]
    got = sorted(tuple(r) for r in df.filter(query).collect())
    assert got == sorted(want)
    assert got


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


def test_mixed_case_options_read_the_same_on_sail_and_in_load(spark: Any, tmp_path: Path) -> None:
    # PySpark lower-cases option names; load() hands them case-insensitively: same rows.
    pl.DataFrame({"n": range(40)}).write_parquet(tmp_path / "a.parquet")
    cases: list[tuple[Any, dict[str, str]]] = [
        (Numbers, {"Rows": "60", "PARTITIONS": "3"}),
        (FileSource, {"URI": f"fs://{tmp_path}", "Path": "*.parquet"}),
    ]
    for index, (source, options) in enumerate(cases):
        name = f"lab_case_{index}"
        spark.dataSource.register(spark_data_source(source, name=name))
        got = to_polars(spark.read.format(name).options(**options).load())
        assert got.sort(got.columns).rows() == load(source, options).sort(got.columns).rows()
    assert to_polars(spark.read.format("lab_case_0").options(Rows="60").load()).height == 60


def test_a_failing_partition_fails_the_query(spark: Any, tmp_path: Path) -> None:
    pl.DataFrame({"n": [1]}).write_parquet(tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"not parquet at all")
    spark.dataSource.register(spark_data_source(FileSource, name="lab_broken"))
    df = spark.read.format("lab_broken").options(uri=f"fs://{tmp_path}", path="*.parquet")
    with pytest.raises(Exception, match=r"b\.parquet"):
        df.load().collect()


def test_a_partition_failing_twice_with_a_temporary_error_is_retried(
    spark: Any, tmp_path: Path
) -> None:
    from tests.datasource.test_retries import Flaky, attempts, flaky

    spark.dataSource.register(spark_data_source(Flaky, name="lab_flaky"))
    df = spark.read.format("lab_flaky").options(**flaky(tmp_path, "temporary", 2)).load()
    assert to_polars(df).sort("n").rows() == numbers(60).rows()
    assert attempts(tmp_path) == 3  # Spark's worker ran the same retries as load


def test_register_makes_python_and_named_formats_in_one_call(spark: Any, tmp_path: Path) -> None:
    from opendal_lab.datasource.spark import register

    assert register(spark, lab_reg_numbers=Numbers, lab_reg_files=FileSource) == [
        "python",
        "lab_reg_numbers",
        "lab_reg_files",
    ]
    by_name = (
        spark.read.format("python")
        .option("python_module", "opendal_lab.datasource.range")
        .option("python_class", "RangeSource")
        .option("rows", "40")
        .load()
    )
    assert sorted(r["id"] for r in by_name.collect()) == list(range(40))
    named = spark.read.format("lab_reg_numbers").option("rows", "25").load()
    assert to_polars(named).sort("n").rows() == numbers(25).rows()
    pl.DataFrame({"n": [1, 2]}).write_parquet(tmp_path / "a.parquet")
    files = spark.read.format("lab_reg_files").options(uri=f"fs://{tmp_path}", path="*.parquet")
    assert to_polars(files.load())["n"].to_list() == [1, 2]


def test_register_refuses_bad_input_before_registering(spark: Any) -> None:
    from opendal_lab.core.errors import ConfigInvalid
    from opendal_lab.datasource import SourceInvalid
    from opendal_lab.datasource.spark import register

    with pytest.raises(TypeError, match="needs a SparkSession"):
        register(object())
    with pytest.raises(ConfigInvalid, match="format name 'python'"):
        register(spark, python=Numbers)
    with pytest.raises(ConfigInvalid, match="format name 'my-source'"):
        register(spark, **{"my-source": Numbers})  # type: ignore[arg-type]
    with pytest.raises(ConfigInvalid, match=r"'lab_twice' given twice"):
        register(spark, lab_twice=Numbers, LAB_TWICE=Numbers)
    with pytest.raises(SourceInvalid, match="str is not a data source"):
        register(spark, lab_nothing="not a source")
    with pytest.raises(Exception, match="lab_never"):
        spark.read.format("lab_never").load().collect()  # nothing was registered
