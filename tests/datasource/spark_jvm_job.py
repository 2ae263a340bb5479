"""Every JVM Spark case of test_spark_jvm.py, in one Spark session: run in the Spark virtualenv.

``python spark_jvm_job.py <config.json> <result.json>``: the config names the files the test
wrote (``hive``, ``broken``, ``sqlite``), a ``logs`` directory and an ``out`` one to write
into; the result is one JSON
document, ``{case: {...}}``, where a case that raised holds ``{"error": "<type>: <message>"}``
instead of its values. Dates are written as ISO strings, and ``types`` says which Python
types Spark's rows held.

It runs in its own virtualenv (``pyspark``, the full package with Spark's jars, conflicts
with the project's ``pyspark-client``), with the repository root on ``PYTHONPATH`` so that
both this driver and Spark's Python workers import ``tests.datasource.sources``.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from opendal_lab.datasource import FileSource, RangeSource, SqlSource
from opendal_lab.datasource.spark import spark_data_source
from tests.datasource.sources import Liar, Pruning, read_log
from tests.datasource.writers import BreakingFiles, Ledger, ledger

# The filtered queries; test_spark_jvm.py computes their answers with Polars.
FILES_QUERY = "year = 2024 AND n > 1110 AND country IN ('NL')"
FILES_DATE_QUERY = "year = 2023 AND d >= DATE'2024-01-20' AND b"
SQL_QUERY = "k >= 50 AND k IN (50, 60, 70) AND s LIKE 'r1%'"
PRUNING_QUERY = "n >= 60 AND s = 's1' AND s LIKE 's%' AND n % 2 = 0 AND d > DATE'2024-01-05'"
PUSHDOWN_CONF = "spark.sql.python.filterPushdown.enabled"


def plain(value: Any) -> Any:
    """JSON for a row value: dates and timestamps as ISO strings."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def rows(df: Any, *order: str) -> list[list[Any]]:
    """Collected, then sorted here: Spark's ``orderBy`` would read the source twice (once to
    sample the range boundaries), which the read counts of the pushdown case would see."""
    collected = sorted(df.collect(), key=lambda row: tuple(row[c] for c in order))
    return [[plain(v) for v in row] for row in collected]


def types(df: Any) -> dict[str, str]:
    """Python type of each column's first non-null value, as Spark's rows give it."""
    found: dict[str, str] = {}
    for row in df.collect():
        for name, value in row.asDict().items():
            if value is not None and name not in found:
                found[name] = type(value).__name__
    return found


def error_of(action: Callable[[], Any]) -> str | None:
    """The error ``action`` raised (type and message), or None when it did not raise."""
    try:
        action()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def case_range(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(RangeSource, name="lab_range"))
    df = spark.read.format("lab_range").options(rows="1000", partitions="4").load()
    return {
        "columns": df.columns,
        "rows": rows(df, "id"),
        "filtered_count": df.filter("id >= 990").count(),
        "types": types(df.limit(20)),
    }


def case_files(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(FileSource, name="lab_files"))
    options = {"uri": f"fs://{config['hive']}", "path": "data/"}
    df = spark.read.format("lab_files").options(**options).load()
    return {
        "columns": df.columns,
        "schema": df.schema.simpleString(),
        "rows": rows(df, "year", "country", "n"),
        "filtered": rows(df.filter(FILES_QUERY).select("n", "country"), "n"),
        "date_filtered": rows(df.filter(FILES_DATE_QUERY).select("n", "d"), "n"),
        "types": types(df.limit(20)),
    }


def case_sql(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(SqlSource, name="lab_sql"))
    options = {
        "uri": f"sqlite://{config['sqlite']}",
        "table": "t",
        "partition_column": "k",
        "num_partitions": "4",
    }
    df = spark.read.format("lab_sql").options(**options).load()
    return {
        "count": df.count(),
        "null_count": df.filter("k IS NULL").count(),
        "filtered": rows(df.filter(SQL_QUERY), "id"),
    }


def case_pruning(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    log = Path(config["logs"]) / "pruning.jsonl"
    spark.dataSource.register(spark_data_source(Pruning, name="lab_pruning"))
    df = spark.read.format("lab_pruning").options(rows="100", partitions="4", log=str(log)).load()
    got = rows(df.filter(PRUNING_QUERY), "n")
    return {"rows": got, "log": read_log(log), "types": types(df.limit(5))}


def case_conf_off(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    """Pushdown switched off: a pushing reader is refused, a non-pushing one reads."""
    log = Path(config["logs"]) / "not_pushing.jsonl"
    spark.dataSource.register(spark_data_source(Pruning, name="lab_pushing_conf_off"))
    spark.dataSource.register(
        spark_data_source(Pruning, name="lab_not_pushing", push_filters=False)
    )
    spark.conf.set(PUSHDOWN_CONF, "false")
    try:
        refused = error_of(
            lambda: (
                spark.read.format("lab_pushing_conf_off")
                .options(rows="100")
                .load()
                .filter("n >= 60")
                .count()
            )
        )
        df = spark.read.format("lab_not_pushing").options(rows="100", log=str(log)).load()
        count = df.filter("n >= 60").count()
    finally:
        spark.conf.set(PUSHDOWN_CONF, "true")
    return {"refused": refused, "not_pushing_count": count, "not_pushing_log": read_log(log)}


def case_broken(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(FileSource, name="lab_broken"))
    # One partition a file (small files would be packed into one): the broken one is the 2nd.
    df = spark.read.format("lab_broken").options(
        uri=f"fs://{config['broken']}", path="*.parquet", partitioning="file"
    )
    return {"raised": error_of(lambda: df.load().collect())}


def case_liar(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(Liar, name="lab_liar"))
    df = spark.read.format("lab_liar").options(rows="100", lie="type").load()
    return {"raised": error_of(df.collect)}


def case_python_options(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(None, name="lab_python"))
    df = (
        spark.read.format("lab_python")
        .option("python_module", "opendal_lab.datasource.range")
        .option("python_class", "RangeSource")
        .option("rows", "50")
        .load()
    )
    return {"ids": sorted(r["id"] for r in df.collect())}


def written(root: str) -> list[str]:
    """Every file under ``root`` (staging included), relative, sorted."""
    base = Path(root)
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def to_write(spark: Any, count: int, partitions: int) -> Any:
    return spark.range(0, count, numPartitions=partitions).selectExpr(
        "id AS n", "concat('s', CAST(id % 5 AS STRING)) AS s", "CAST(id % 3 AS INT) AS k"
    )


def case_write(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(FileSource, name="lab_files_w"))
    options = {"uri": f"fs://{config['out']}", "path": "out/"}
    to_write(spark, 1000, 4).write.format("lab_files_w").options(**options).mode("append").save()
    appended = written(config["out"])
    to_write(spark, 10, 2).write.format("lab_files_w").options(**options).mode("overwrite").save()
    overwritten = written(config["out"])
    back = rows(spark.read.format("lab_files_w").options(**options).load(), "n")
    hive = {**options, "path": "hive/", "partition_by": "k"}
    to_write(spark, 300, 2).write.format("lab_files_w").options(**hive).mode("append").save()
    return {"appended": appended, "overwritten": overwritten, "read_back": back}


def case_write_broken(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(BreakingFiles, name="lab_files_breaking"))
    options = {"uri": f"fs://{config['out']}", "path": "out/", "fail_at": "600"}
    before = written(config["out"])
    writer = to_write(spark, 1000, 4).write.format("lab_files_breaking").options(**options)
    raised = error_of(lambda: writer.mode("overwrite").save())
    return {"before": before, "after": written(config["out"]), "raised": raised}


def case_ledger(spark: Any, config: dict[str, str]) -> dict[str, Any]:
    spark.dataSource.register(spark_data_source(Ledger, name="lab_ledger"))
    log = os.path.join(config["logs"], "ledger.jsonl")
    to_write(spark, 1000, 4).write.format("lab_ledger").option("log", log).mode("append").save()
    none = to_write(spark, 100, 2).write.format("lab_ledger").options(log=log, message="none")
    raised = error_of(lambda: none.mode("overwrite").save())
    return {"ledger": ledger(log), "raised": raised}


CASES: dict[str, Callable[[Any, dict[str, str]], dict[str, Any]]] = {
    "range": case_range,
    "files": case_files,
    "sql": case_sql,
    "pruning": case_pruning,
    "conf_off": case_conf_off,
    "broken": case_broken,
    "liar": case_liar,
    "python_options": case_python_options,
    "write": case_write,
    "write_broken": case_write_broken,
    "ledger": case_ledger,
}


def installed() -> dict[str, str | None]:
    """Versions of what this virtualenv must (and must not: pyspark-client) hold."""
    versions: dict[str, str | None] = {}
    for name in ("pyspark", "pyspark-client", "pyarrow", "pandas", "polars"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def main(config_path: str, result_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    # Spark's Python workers run this interpreter (this virtualenv), not the JVM's guess.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    started = time.monotonic()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("opendal_lab-jvm-test")
        .config(PUSHDOWN_CONF, "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "512m")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    result: dict[str, Any] = {"spark_version": spark.version, "packages": installed()}
    result["startup_seconds"] = round(time.monotonic() - started, 1)
    try:
        for name, case in CASES.items():
            begun = time.monotonic()
            try:
                result[name] = case(spark, config)
            except Exception as exc:
                trace = traceback.format_exc(limit=4)
                result[name] = {"error": f"{type(exc).__name__}: {exc}", "trace": trace}
            result[name]["seconds"] = round(time.monotonic() - begun, 1)
    finally:
        spark.stop()
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
