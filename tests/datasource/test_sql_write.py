"""SqlSource's writer on SQLite: read back equal, all or nothing, on threads, on a Dask process
cluster and on Sail.

Every check reads the table back twice, through ``load(SqlSource)`` and through ``sqlite3``,
and looks for staging tables left in the catalog.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime
import decimal
import pickle
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import AlreadyExists, ConfigInvalid
from opendal_lab.datasource import PartitionFailed, SqlSource, load, save
from opendal_lab.datasource.sources.sql import SqlError
from opendal_lab.datasource.sources.sql.write import STAGING_PREFIX, Staged
from tests.datasource.sql_writers import BreakingSql

pytest.importorskip("adbc_driver_sqlite")

col = pl.col


def frame(rows: int, offset: int = 0) -> pl.DataFrame:
    """``n`` (unique), a float and a string with nulls, a date and a timestamp."""
    ns = range(offset, offset + rows)
    return pl.DataFrame(
        {
            "n": list(ns),
            "x": [None if i % 7 == 0 else i / 4 for i in ns],
            "s": [None if i % 5 == 0 else f"row {i} ünï'\"" for i in ns],
            "d": [datetime.date(2021, 1, 1) + datetime.timedelta(days=i) for i in ns],
            "t": [datetime.datetime(2021, 1, 1, 12) + datetime.timedelta(seconds=i) for i in ns],
        },
        schema={
            "n": pl.Int64,
            "x": pl.Float64,
            "s": pl.String,
            "d": pl.Date,
            "t": pl.Datetime("us"),
        },
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "w.db"


def opts(db: Path, table: str = "t") -> dict[str, str]:
    return {"uri": f"sqlite://{db}", "table": table}


def sqlite_rows(db: Path, table: str = "t", order: str = "n") -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def as_sqlite(df: pl.DataFrame) -> list[tuple[Any, ...]]:
    """``df``'s rows as sqlite3 returns them: dates and timestamps as the ISO text stored."""
    rows = []
    for n, x, s, d, t in df.sort("n").iter_rows():
        rows.append((n, x, s, d.isoformat(), t.isoformat(timespec="microseconds")))
    return rows


def staging_tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return [n for (n,) in names if n.startswith(STAGING_PREFIX)]


def read(db: Path, table: str = "t") -> pl.DataFrame:
    return load(SqlSource, opts(db, table)).sort("n")


# -- modes ---------------------------------------------------------------------------------
def test_append_creates_the_table_and_reads_back_equal(db: Path) -> None:
    df = frame(300)
    messages = save(SqlSource, df, opts(db), partitions=3)
    assert [m.rows for m in messages] == [100, 100, 100]
    assert all(m.table.startswith(STAGING_PREFIX) for m in messages)
    assert_frame_equal(read(db), df)
    assert sqlite_rows(db) == as_sqlite(df)
    with sqlite3.connect(db) as conn:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()
    assert sql == 'CREATE TABLE t ("n" INTEGER, "x" REAL, "s" TEXT, "d" DATE, "t" TIMESTAMP)'
    save(SqlSource, frame(50, offset=300), opts(db), mode="append", partitions=2)
    assert_frame_equal(read(db), frame(350))
    assert staging_tables(db) == []


def test_overwrite_replaces_the_rows_and_keeps_the_table(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TABLE t (n INTEGER PRIMARY KEY, x REAL, s TEXT, d DATE, t TIMESTAMP, '
                     "extra TEXT DEFAULT 'dflt')")  # fmt: skip
    save(SqlSource, frame(40), opts(db), mode="append")
    save(SqlSource, frame(25, offset=1000), opts(db), mode="overwrite", partitions=4)
    got = read(db)
    assert_frame_equal(got.drop("extra"), frame(25, offset=1000))
    assert got["extra"].to_list() == ["dflt"] * 25  # columns by name; the rest take defaults
    with sqlite3.connect(db) as conn:  # the table itself was kept, with its key
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()
    assert "PRIMARY KEY" in sql
    assert staging_tables(db) == []


def test_error_refuses_an_existing_table_before_writing(db: Path) -> None:
    save(SqlSource, frame(10), opts(db), mode="error")  # missing: created
    assert_frame_equal(read(db), frame(10))
    with pytest.raises(AlreadyExists, match=r"table t already exists .* mode=error refuses"):
        save(SqlSource, frame(5, offset=10), opts(db), mode="errorifexists")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE empty (n INTEGER)")
    with pytest.raises(AlreadyExists):  # exists, rows or not: as Spark's JDBC writer
        save(SqlSource, frame(5), opts(db, "empty"), mode="error")
    assert_frame_equal(read(db), frame(10))
    assert staging_tables(db) == []


def test_ignore_writes_only_a_missing_table(db: Path) -> None:
    messages = save(SqlSource, frame(10), opts(db), mode="ignore", partitions=2)
    assert [m.rows for m in messages] == [5, 5]
    messages = save(SqlSource, frame(20, offset=10), opts(db), mode="ignore", partitions=2)
    assert messages == [Staged(None, 0), Staged(None, 0)]  # nothing staged
    assert_frame_equal(read(db), frame(10))
    assert staging_tables(db) == []


def test_no_rows_still_creates_the_table(db: Path) -> None:
    save(SqlSource, frame(0), opts(db))
    assert read(db).height == 0
    assert read(db).schema == frame(0).schema
    assert staging_tables(db) == []


def test_a_quoted_schema_qualified_table_name(db: Path) -> None:
    table = 'main."Order Lines ""2024"""'
    save(SqlSource, frame(12), opts(db, table), partitions=3)
    assert_frame_equal(read(db, table), frame(12))
    assert sqlite_rows(db, '"Order Lines ""2024"""') == as_sqlite(frame(12))


# -- types ---------------------------------------------------------------------------------
def test_types_round_trip_with_the_documented_losses(db: Path) -> None:
    ts = datetime.datetime(2024, 2, 29, 23, 59, 58, 123456)
    cet = ts.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    data = pa.table(
        {
            "n": pa.array([1, 2, None], pa.int64()),
            "i32": pa.array([-5, None, 2**31 - 1], pa.int32()),
            "u8": pa.array([0, 255, None], pa.uint8()),
            "f32": pa.array([0.5, None, -2.25], pa.float32()),
            "f64": pa.array([1e300, float("nan"), None]),
            "s": pa.array(["a", None, ""], pa.large_string()),
            "cat": pa.array(["x", "y", None]).dictionary_encode(),
            "bin": pa.array([b"\x00\xff", None, b""]),
            "b": pa.array([True, False, None]),
            "d": pa.array([datetime.date(1900, 1, 1), None, datetime.date(9999, 12, 31)]),
            "ts": pa.array([ts, None, datetime.datetime(1970, 1, 1)], pa.timestamp("us")),
            "ns": pa.array([1_000_000_123, None, 0], pa.timestamp("ns")),
            "utc": pa.array([cet, None, cet], pa.timestamp("us", tz="Europe/Amsterdam")),
            "dec": pa.array([decimal.Decimal("1.25"), None, -3], pa.decimal128(9, 2)),
            "tm": pa.array([datetime.time(1, 2, 3), None, datetime.time(23, 59, 59, 5)]),
            "nothing": pa.nulls(3),
        }
    )  # fmt: skip
    save(SqlSource, data, opts(db), partitions=3)
    got = load(SqlSource, opts(db))
    expected = pl.DataFrame(
        {
            "n": [1, 2, None],
            "i32": [-5, None, 2**31 - 1],  # every integer is INTEGER: int64
            "u8": [0, 255, None],
            "f32": [0.5, None, -2.25],  # every float is REAL: float64
            "f64": [1e300, None, None],  # SQLite stores NaN as NULL
            "s": ["a", None, ""],
            "cat": ["x", "y", None],
            "bin": [b"\x00\xff", None, b""],
            "b": [True, False, None],
            "d": [datetime.date(1900, 1, 1), None, datetime.date(9999, 12, 31)],
            "ts": [ts, None, datetime.datetime(1970, 1, 1)],
            "ns": [datetime.datetime(1970, 1, 1, 0, 0, 1), None, datetime.datetime(1970, 1, 1)],
            "utc": [ts - datetime.timedelta(hours=1), None, ts - datetime.timedelta(hours=1)],
            "dec": [1.25, None, -3.0],  # SQLite has no decimal: REAL
            "tm": ["01:02:03", None, "23:59:59.000005"],  # text
            "nothing": pl.Series([None, None, None], dtype=pl.String),  # TEXT
        },
        schema_overrides={
            "n": pl.Int64, "i32": pl.Int64, "u8": pl.Int64, "f32": pl.Float64,
            "bin": pl.Binary, "d": pl.Date, "ts": pl.Datetime("us"), "ns": pl.Datetime("us"),
            "utc": pl.Datetime("us"),
        },
    )  # fmt: skip
    assert_frame_equal(got.sort("n", nulls_last=True), expected.sort("n", nulls_last=True))
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT ts, ns, utc, typeof(b), typeof(dec) FROM t WHERE n = 1")
        assert stored.fetchone() == (
            "2024-02-29T23:59:58.123456",
            "1970-01-01T00:00:01.000000",  # nanoseconds cut
            "2024-02-29T22:59:58.123456",  # UTC, without the zone
            "integer",
            "real",
        )


# -- all or nothing ------------------------------------------------------------------------
def test_a_partition_failing_after_staging_leaves_nothing(db: Path) -> None:
    save(SqlSource, frame(30), opts(db))
    before = sqlite_rows(db)
    pool = cf.ThreadPoolExecutor(4)
    broken = r"BreakingSql: writing partition 2 of 4 .* broken on purpose after staging _opendal"
    with pool, pytest.raises(PartitionFailed, match=broken):
        save(
            BreakingSql,
            frame(400, offset=100),
            {**opts(db), "fail_at": "350"},
            partitions=4,
            mode="overwrite",
            executor=pool,
        )
    assert sqlite_rows(db) == before
    assert staging_tables(db) == []


def test_partitions_on_threads_wait_for_the_lock(db: Path) -> None:
    # Eight partitions stage at once; SQLite takes one writer at a time, the others wait.
    df = frame(4000)
    with cf.ThreadPoolExecutor(8) as pool:
        save(SqlSource, df, opts(db), partitions=8, executor=pool)
        save(SqlSource, frame(800, offset=4000), opts(db), partitions=8, executor=pool)
    assert_frame_equal(read(db), frame(4800))
    assert staging_tables(db) == []


_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")  # as a commit's last moment: readers locked out
conn.execute("DELETE FROM t WHERE n >= 5")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


def test_a_read_waits_for_a_commit_holding_the_lock(db: Path) -> None:
    save(SqlSource, frame(10), opts(db))
    # Another process: POSIX locks do not separate threads, nor this process's two SQLites.
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        with cf.ThreadPoolExecutor(1) as pool:
            reading = pool.submit(read, db)
            time.sleep(0.2)  # likely reaching the lock first; the answer is the same either way
            holder.stdin.write("\n")
            holder.stdin.flush()
            got = reading.result()
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
    assert_frame_equal(got, frame(5))  # waited, then saw the whole commit


def test_a_commit_failing_midway_rolls_back_entirely(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, x REAL, s TEXT, d DATE, t TIMESTAMP)")
    save(SqlSource, frame(10), opts(db))
    before = sqlite_rows(db)
    # Partition 0 (n 100..) inserts; partition 1 holds n = 5, already in the table.
    clash = pl.concat([frame(20, offset=100), frame(20, offset=-10)])
    with pytest.raises(SqlError, match="UNIQUE constraint failed") as info:
        save(SqlSource, clash, opts(db), partitions=2)
    assert "commit() failed, so abort() ran" in "\n".join(getattr(info.value, "__notes__", []))
    assert sqlite_rows(db) == before
    assert staging_tables(db) == []
    # Overwrite: the DELETE ran before the failing INSERT, and is rolled back with it.
    twice = pl.concat([frame(20, offset=200), frame(20, offset=210)])
    with pytest.raises(SqlError, match="UNIQUE constraint failed"):
        save(SqlSource, twice, opts(db), partitions=2, mode="overwrite")
    assert sqlite_rows(db) == before
    assert staging_tables(db) == []


def test_on_a_dask_process_cluster(dask_process_client: Any, db: Path) -> None:
    executor = dask_process_client.get_executor()
    save(SqlSource, frame(500), opts(db), executor=executor, partitions=4)
    assert_frame_equal(read(db), frame(500))
    before = sqlite_rows(db)
    with pytest.raises(PartitionFailed, match="broken on purpose"):
        save(
            BreakingSql,
            frame(400, offset=1000),
            {**opts(db), "fail_at": "1010"},
            executor=executor,
            partitions=4,
            mode="overwrite",
        )
    assert sqlite_rows(db) == before
    assert staging_tables(db) == []


def test_abort_finds_staging_tables_without_messages(db: Path) -> None:
    writer = SqlSource().writer(pa.schema([("n", pa.int64())]), opts(db), "append")
    staged = [writer.write(iter([pa.record_batch({"n": [i]})])) for i in range(3)]
    assert sorted(staging_tables(db)) == sorted(str(m.table) for m in staged)
    other = SqlSource().writer(pa.schema([("n", pa.int64())]), opts(db), "append")
    theirs = other.write(iter([pa.record_batch({"n": [9]})]))
    writer.abort([None, None, None])  # as Sail calls it
    assert staging_tables(db) == [theirs.table]  # another job's staging is not ours to drop
    other.commit([theirs])
    assert sqlite_rows(db) == [(9,)]
    assert staging_tables(db) == []


def test_commit_takes_the_named_attempts_and_drops_the_others(db: Path) -> None:
    writer = SqlSource().writer(pa.schema([("n", pa.int64())]), opts(db), "append")
    writer.write(iter([pa.record_batch({"n": [1]})]))  # an attempt whose task was run again
    again = writer.write(iter([pa.record_batch({"n": [2]})]))
    assert len(staging_tables(db)) == 2
    writer.commit([again])
    assert sqlite_rows(db) == [(2,)]
    assert staging_tables(db) == []


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"query": "SELECT 1"}, r"option 'query' is for reads \(a SELECT cannot be written to\)"),
        ({"partition_column": "n"}, "option 'partition_column' is for reads"),
        ({"dbtable": "t"}, r"unknown option 'dbtable' for a write \(did you mean 'table'\?\)"),
        ({"table": ""}, "option 'table' is required"),
        ({"table": "t; DROP TABLE x"}, r"must name a table to write.*'t; DROP TABLE x'"),
        ({"table": "a b"}, "must name a table to write"),
        ({"table": "a.b.c"}, "as name or schema.name"),
        ({"table": '"unterminated'}, "must name a table to write"),
        ({"table": "temp.t"}, "a temp table lives on one connection"),
        ({"uri": ":memory:"}, "in-memory SQLite database"),
        ({"password": "s3cr3t-pw"}, "SQLite has no users"),
    ],
)
def test_bad_options_are_refused_by_name(db: Path, options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message) as info:
        save(SqlSource, frame(3), {**opts(db), **options})
    assert "s3cr3t-pw" not in str(info.value)
    assert not db.exists() or staging_tables(db) == []


def test_bad_modes_and_data_are_refused(db: Path) -> None:
    with pytest.raises(ConfigInvalid, match="unknown write mode 'upsert'"):
        save(SqlSource, frame(3), opts(db), mode="upsert")
    with pytest.raises(
        ConfigInvalid, match=r"'l' is large_list<item: int64>, which SqlSource cannot"
    ):
        save(SqlSource, pl.DataFrame({"l": [[1, 2]]}), opts(db))
    with pytest.raises(ConfigInvalid, match="the data has columns 'a' and 'A'"):
        save(SqlSource, pa.table({"a": [1], "A": [2]}), opts(db))
    save(SqlSource, frame(3), opts(db))
    with pytest.raises(ConfigInvalid, match=r"table t has no column 'extra' \(its columns: n, x"):
        save(SqlSource, frame(3).with_columns(extra=pl.lit(1)), opts(db))
    with pytest.raises(SqlError, match="no SQLite database at"):
        save(
            SqlSource, frame(3), {**opts(db), "uri": f"sqlite://{db.with_name('none.db')}?mode=rw"}
        )


def test_the_writer_pickles_without_showing_the_password(db: Path) -> None:
    writer = SqlSource().writer(frame(0).to_arrow().schema, opts(db), "append")
    again = pickle.loads(pickle.dumps(writer))
    assert again.job == writer.job
    assert again.write(iter(frame(4).to_arrow().to_batches())).rows == 4
    from opendal_lab.datasource.sources.sql.write import parse_write_options

    config = parse_write_options({"uri": "postgresql://app:pa55-w0rd@db/shop", "table": "t"}, None)
    assert "pa55-w0rd" not in repr(config)
    assert "pa55-w0rd" not in repr(pickle.loads(pickle.dumps(config)))


# -- on Sail -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_df_write_on_sail(spark: Any, db: Path) -> None:
    from opendal_lab.datasource.spark import spark_data_source

    spark.dataSource.register(spark_data_source(SqlSource, name="lab_sql_write"))
    spark.dataSource.register(spark_data_source(BreakingSql, name="lab_sql_breaking"))
    df = frame(200)
    sdf = spark.createDataFrame(df.to_arrow()).repartition(4)
    sdf.write.format("lab_sql_write").mode("append").options(**opts(db)).save()
    assert_frame_equal(read(db), df, check_dtypes=False)
    assert sqlite_rows(db) == as_sqlite(df)

    more = spark.createDataFrame(frame(50, offset=200).to_arrow())
    more.write.format("lab_sql_write").mode("append").options(**opts(db)).save()
    assert sqlite_rows(db) == as_sqlite(frame(250))

    newer = spark.createDataFrame(frame(30, offset=900).to_arrow()).repartition(3)
    newer.write.format("lab_sql_write").mode("overwrite").options(**opts(db)).save()
    assert sqlite_rows(db) == as_sqlite(frame(30, offset=900))
    assert staging_tables(db) == []

    # A partition failing on Sail, after staging: the table as it was, nothing staged left.
    broken = spark.createDataFrame(frame(100).to_arrow()).repartition(4)
    with pytest.raises(Exception, match="broken on purpose"):
        (
            broken.write.format("lab_sql_breaking")
            .mode("overwrite")
            .options(**opts(db), fail_at="42")
            .save()
        )
    assert sqlite_rows(db) == as_sqlite(frame(30, offset=900))
    assert staging_tables(db) == []
