"""SqlSource on SQLite: partitions, NULLs, queries, pushdown into SQL, types, errors.

Every test reads one database built in ``tmp_path`` (10,000 rows; ``k``, the partition
column, NULL on every 13th) and compares with Polars' own answer on the same data.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime
import importlib.util
import pickle
import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import Filter, PartitionFailed, load, scan
from opendal_lab.datasource.sources.sql import DRIVERS, Dialect, SqlError, SqlSource
from opendal_lab.datasource.sources.sql.dialects import PostgresDialect
from opendal_lab.datasource.sources.sql.query import Params, edges, filter_sql

pytest.importorskip("adbc_driver_sqlite")

col = pl.col
ROWS = 10_000
WORDS = ["apple", "Banana", "cherry", "édith", "O'Brien", "zeta", "Zulu", "a", "b"]


def expected_frame() -> pl.DataFrame:
    start = datetime.date(2020, 1, 1)
    return pl.DataFrame(
        {
            "id": list(range(ROWS)),
            "k": [None if i % 13 == 0 else (i * 7919) % 5000 - 1000 for i in range(ROWS)],
            "x": [None if i % 11 == 0 else i / 7 for i in range(ROWS)],
            "s": [None if i % 5 == 0 else WORDS[i % len(WORDS)] for i in range(ROWS)],
            "d": [start + datetime.timedelta(days=i % 1500) for i in range(ROWS)],
            "cat": [i % 4 for i in range(ROWS)],
        },
        schema={
            "id": pl.Int64,
            "k": pl.Int64,
            "x": pl.Float64,
            "s": pl.String,
            "d": pl.Date,
            "cat": pl.Int64,
        },
    )


EXPECTED = expected_frame()
CATS = pl.DataFrame({"code": [0, 1, 2], "label": ["zero", "one", "two"]})


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sql") / "shop.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, x REAL, s TEXT, d DATE, cat INT)"
    )
    rows = [
        (r["id"], r["k"], r["x"], r["s"], r["d"].isoformat(), r["cat"])
        for r in EXPECTED.iter_rows(named=True)
    ]
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.execute("CREATE TABLE cats (code INTEGER, label TEXT)")
    conn.executemany("INSERT INTO cats VALUES (?, ?)", CATS.rows())
    # Text only after 2,000 NULLs: ADBC's default batches would type the column int64.
    conn.execute("CREATE TABLE late (n INTEGER, s TEXT)")
    conn.executemany(
        "INSERT INTO late VALUES (?, ?)", [(i, None if i < 2000 else f"v{i}") for i in range(3000)]
    )
    conn.commit()
    conn.close()
    return path


def opts(db: Path, **more: str) -> dict[str, str]:
    base = {"uri": f"sqlite://{db}", "table": "t", "partition_column": "k", "num_partitions": "4"}
    return {**base, **more}


class Recording(SqlSource):
    """Records every statement it runs (thread pools only: the lock stays in this process)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, list[Any]]] = []
        self._lock = threading.Lock()
        super().__init__(on_query=self._record)

    def _record(self, sql: str, params: list[Any]) -> None:
        with self._lock:
            self.statements.append((sql, params))

    def reads(self) -> list[tuple[str, list[Any]]]:
        return [(s, p) for s, p in self.statements if s.startswith('SELECT "')]


# -- partitions and NULLs -----------------------------------------------------------
def test_load_on_a_thread_pool(db: Path) -> None:
    with cf.ThreadPoolExecutor(4) as pool:
        got = load(SqlSource, opts(db), executor=pool)
    assert_frame_equal(got.sort("id"), EXPECTED)


def test_partitions_are_ranges_then_nulls(db: Path) -> None:
    source = SqlSource()
    source.infer_schema(opts(db))
    specs = source.plan_partitions(opts(db))
    low, high = EXPECTED["k"].min(), EXPECTED["k"].max()
    assert specs[0] == {"partition": 0, "lower": None, "upper": specs[1]["lower"]}
    assert specs[3]["upper"] is None
    assert specs[-1] == {"partition": 4, "is_null": True}
    assert low < specs[1]["lower"] < specs[2]["lower"] < specs[3]["lower"] < high
    assert all(isinstance(v, int) for s in specs[:4] for v in s.values() if v is not None)


def test_null_rows_are_kept(db: Path) -> None:
    got = load(SqlSource, opts(db))
    with sqlite3.connect(db) as conn:
        (total,) = conn.execute("SELECT COUNT(*) FROM t").fetchone()
        (nulls,) = conn.execute("SELECT COUNT(*) FROM t WHERE k IS NULL").fetchone()
    assert got.height == total == ROWS
    assert got["k"].null_count() == nulls == EXPECTED["k"].null_count() > 0


def test_bounds_set_the_stride_not_a_filter(db: Path) -> None:
    # Bounds inside the data: the open-ended first and last ranges take the rest.
    options = opts(db, lower_bound="0", upper_bound="100", num_partitions="5")
    source = SqlSource()
    source.infer_schema(options)
    specs = source.plan_partitions(options)
    assert [s.get("lower") for s in specs] == [None, 20, 40, 60, 80, None]
    assert specs[-1] == {"partition": 5, "is_null": True}  # planned without asking
    assert_frame_equal(load(SqlSource, options).sort("id"), EXPECTED)


def test_float_column_and_tiny_ranges(db: Path) -> None:
    got = load(SqlSource, opts(db, partition_column="x", num_partitions="7"))
    assert_frame_equal(got.sort("id"), EXPECTED)
    assert edges(0, 2, 8, integral=True) == [1, 2]  # 3 values: 3 ranges, not 8
    assert edges(5, 5, 4, integral=True) == []
    assert edges(0.0, 1.0, 4, integral=False) == [0.25, 0.5, 0.75]


def test_without_partition_column_one_partition(db: Path) -> None:
    options = {"uri": str(db), "table": "t"}  # a plain path is SQLite
    assert SqlSource().plan_partitions(options) == [{"partition": 0}]
    assert_frame_equal(load(SqlSource, options), EXPECTED)


def test_awkward_paths(tmp_path: Path) -> None:
    path = tmp_path / "my data?#%.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
    assert load(SqlSource, {"uri": str(path), "table": "t"}).height == 10
    assert load(SqlSource, {"uri": f"sqlite://{quote(str(path))}", "table": "t"}).height == 10


def test_by_name_as_spark_and_sail_name_it(db: Path) -> None:
    named = {
        **opts(db),
        "python_module": "opendal_lab.datasource.sources.sql",
        "python_class": "SqlSource",
    }
    assert_frame_equal(load(None, named).sort("id"), EXPECTED)


# -- any query -----------------------------------------------------------------------
def test_a_join(db: Path) -> None:
    query = "SELECT t.id, t.k, t.s, c.label FROM t JOIN cats AS c ON c.code = t.cat WHERE t.x > 100"
    options = {"uri": f"sqlite://{db}", "query": query, "partition_column": "k"}
    got = load(SqlSource, {**options, "num_partitions": "3"}).sort("id")
    expected = (
        EXPECTED.filter(col("x") > 100)
        .join(CATS, left_on="cat", right_on="code")
        .select("id", "k", "s", "label")
        .sort("id")
    )
    assert_frame_equal(got, expected)


def test_an_aggregate(db: Path) -> None:
    query = "SELECT cat, COUNT(*) AS n, SUM(k) AS total, AVG(x) AS mean FROM t GROUP BY cat;"
    options = {"uri": f"sqlite://{db}", "query": query, "partition_column": "cat"}
    got = load(SqlSource, {**options, "num_partitions": "2"}).sort("cat")
    expected = (
        EXPECTED.group_by("cat")
        .agg(pl.len().cast(pl.Int64).alias("n"), col("k").sum().alias("total"), col("x").mean())
        .rename({"x": "mean"})
        .sort("cat")
    )
    assert_frame_equal(got, expected, check_exact=False)


# -- pushdown ------------------------------------------------------------------------
PREDICATES: list[pl.Expr | None] = [
    None,
    col("k") > 1234,
    (col("k") >= -10) & (col("k") < 50) & col("s").is_not_null(),
    col("s").is_in(["apple", "O'Brien", "édith"]),
    col("s") < "b",  # bytewise: "Banana" and "Zulu" sort before "a"
    col("x").is_null() | (col("cat") == 2),
    col("d") > datetime.date(2022, 6, 1),  # temporal: left to the loader
    col("k").is_between(-500, 500) & (col("x") * 2 > 30),
    col("k").is_null(),
    col("x") >= 1e9,
]


@pytest.mark.parametrize("predicate", PREDICATES, ids=lambda p: str(p)[:40])
def test_scan_answers_equal_polars_own(db: Path, predicate: pl.Expr | None) -> None:
    lf = scan(SqlSource, opts(db))
    full = EXPECTED.lazy()
    for select in (None, ["s", "id"], ["d"]):
        for head in (None, 7):
            got, expected = lf, full
            if predicate is not None:
                got, expected = got.filter(predicate), expected.filter(predicate)
            if select is not None:
                got, expected = got.select(select), expected.select(select)
            if head is None:  # partition order is not row order: compare sorted
                key = select or ["id"]
                assert_frame_equal(got.collect().sort(key), expected.collect().sort(key))
            else:  # any `head` rows of the answer will do
                rows, answer = got.head(head).collect(), expected.collect()
                assert rows.height == min(head, answer.height)
                assert rows.join(answer, on=rows.columns, how="anti", nulls_equal=True).is_empty()


def test_the_sql_it_runs(db: Path) -> None:
    source = Recording()
    predicate = (col("k") > 100) & (col("s") == "O'Brien") & (col("d") > datetime.date(2021, 1, 1))
    got = scan(source, opts(db)).filter(predicate).select("id", "s").collect()
    expected = EXPECTED.filter(predicate).select("id", "s")
    assert_frame_equal(got.sort("id"), expected.sort("id"))
    reads = source.reads()
    assert len(reads) == 5
    for sql, params in reads:
        assert sql.startswith('SELECT "id", "k", "s", "d" FROM t AS src WHERE ')
        assert '"k" > ?' in sql
        assert '"s" COLLATE BINARY = ?' in sql
        assert '"d"' not in sql.partition("WHERE")[2]  # dates: the loader's job
        assert "O'Brien" not in sql
        assert "O'Brien" in params
    null_sql = next(sql for sql, _ in reads if "IS NULL" in sql)
    assert '"k" IS NULL AND' in null_sql


def test_limit_and_projection_reach_the_sql(db: Path) -> None:
    source = Recording()
    got = scan(source, opts(db)).select("x").head(3).collect()
    assert got.height == 3
    assert got.columns == ["x"]
    # Partitions run concurrently: find the first partition's read (open lower end).
    first = [(sql, p) for sql, p in source.reads() if '"k" >=' not in sql and "NULL" not in sql]
    assert len(first) == 1, source.reads()
    sql, params = first[0]
    assert sql == 'SELECT "x" FROM t AS src WHERE "k" < ? LIMIT ?'
    assert params[-1] == 3


def test_count_reads_one_column(db: Path) -> None:
    source = Recording()
    assert scan(source, opts(db)).select(pl.len()).collect().item() == ROWS
    assert all(sql.startswith('SELECT "id" FROM') for sql, _ in source.reads())


def test_exact_filters(db: Path) -> None:
    options = opts(db, custom_schema="cat int32")
    source = SqlSource()
    source.infer_schema(options)
    offered = [
        Filter("k", ">", 3),
        Filter("x", "<=", 2.5),
        Filter("s", "in", ("a", "b")),
        Filter("s", "is_null"),
        Filter("d", ">", datetime.date(2021, 1, 1)),  # temporal in SQLite: no
        Filter("x", "<", float("nan")),  # NaN: no
        Filter("s", "==", 3),  # a number against text: no
        Filter("cat", "==", 1),  # custom_schema: the caller's type, not the database's
        Filter("cat", "is_not_null"),
    ]
    claimed = source.exact_filters(offered, options)
    assert claimed == [offered[i] for i in (0, 1, 2, 3, 8)]


def test_postgres_sql_text() -> None:
    dialect = PostgresDialect()
    params = Params(dialect)
    texts = [
        filter_sql(Filter("n", ">=", 3), dialect, params),
        filter_sql(Filter("s", "in", ("a", "b")), dialect, params),
    ]
    assert texts == ['"n" >= $1', '"s" COLLATE "C" IN ($2, $3)']
    assert params.values == [3, "a", "b"]
    assert (
        dialect.target("postgresql://db.internal:5432/shop", "app", "p@ss/word")
        == "postgresql://app:p%40ss%2Fword@db.internal:5432/shop"
    )


# -- types ---------------------------------------------------------------------------
def test_schema_follows_declared_types(db: Path) -> None:
    schema = SqlSource().infer_schema(opts(db))
    assert [str(t) for t in schema.types] == [
        "int64",
        "int64",
        "double",
        "string",
        "date32[day]",
        "int64",
    ]


def test_text_after_many_nulls(db: Path) -> None:
    got = load(
        SqlSource, {"uri": str(db), "table": "late", "partition_column": "n", "num_partitions": "2"}
    )
    assert got.schema["s"] == pl.String
    assert got["s"].null_count() == 2000
    assert got.height == 3000


def test_undeclared_columns_and_custom_schema(db: Path) -> None:
    query = "SELECT id, k * 2 AS k2, NULL AS nada, s || '!' AS loud FROM t"
    options = {"uri": str(db), "query": query}
    schema = SqlSource().infer_schema(options)
    assert [str(t) for t in schema.types] == ["int64", "int64", "null", "string"]
    custom = {**options, "custom_schema": "nada float64, loud string"}
    got = load(SqlSource, custom)
    assert got.schema["nada"] == pl.Float64
    assert got["nada"].null_count() == ROWS


def test_fetch_size_makes_batches(db: Path) -> None:
    options = opts(db, fetch_size="1000")
    source = SqlSource()
    source.infer_schema(options)
    batches = list(source.read_partition({"partition": 0}, options))
    assert len(batches) > 5
    assert sum(b.num_rows for b in batches) == ROWS


def test_a_source_pickles_with_its_schema(db: Path) -> None:
    source = SqlSource()
    source.infer_schema(opts(db))
    clone = pickle.loads(pickle.dumps(source))
    assert clone._shapes == source._shapes


# -- errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"query": "SELECT 1"}, "exactly one of the options 'table'.*both were given"),
        ({"table": ""}, "exactly one of the options 'table'.*neither was given"),
        ({"uri": "mysql://h/db"}, r"no ADBC driver known for mysql:// URIs.*postgresql, sqlite"),
        ({"uri": ""}, "option 'uri' is required"),
        ({"partition_column": "nope"}, "partition column 'nope' is not a column of the result"),
        ({"partition_column": "s"}, "partition column 's' is string, not numeric"),
        ({"partition_column": "d"}, "partition column 'd' is date32.*not numeric"),
        ({"num_partitions": "zero"}, "'num_partitions' must be an integer"),
        ({"num_partitions": "0"}, "'num_partitions' must be at least 1"),
        ({"lower_bound": "1"}, "both 'lower_bound' and 'upper_bound'"),
        (
            {"partitionColumn": "k"},
            r"unknown option 'partitioncolumn' \(did you mean 'partition_column'",
        ),
        ({"table": "t; DROP TABLE t"}, "'table' must be a table name"),
        ({"custom_schema": "k int99"}, "'custom_schema': 'k int99' is not"),
        ({"custom_schema": "zz int64"}, "'custom_schema' names 'zz', not in the result"),
        ({"user": "me"}, "SQLite has no users"),
    ],
)
def test_bad_options(db: Path, change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message):
        load(SqlSource, opts(db, **change))


def test_options_need_each_other(db: Path) -> None:
    with pytest.raises(ConfigInvalid, match="'partition_column' needs 'num_partitions'"):
        load(SqlSource, {"uri": str(db), "table": "t", "partition_column": "k"})
    with pytest.raises(ConfigInvalid, match="need 'partition_column'"):
        load(SqlSource, {"uri": str(db), "table": "t", "num_partitions": "3"})
    with pytest.raises(ConfigInvalid, match="is above 'upper_bound'"):
        load(SqlSource, opts(db, lower_bound="9", upper_bound="1"))


def test_missing_database_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(
        SqlError, match=r"connecting to .* failed: FileNotFoundError: no SQLite database at "
    ):
        load(SqlSource, {"uri": f"sqlite://{missing}", "table": "t"})
    assert not missing.exists()  # read-only: never created


def test_missing_driver_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    class Fake(Dialect):
        name, module, package = "fakedb", "no_such_adbc_driver", "adbc-driver-fakedb"

    monkeypatch.setitem(DRIVERS, "fakedb", Fake())
    with pytest.raises(ImportError, match="pip install adbc-driver-fakedb"):
        load(SqlSource, {"uri": "fakedb://h/db", "table": "t"})
    if importlib.util.find_spec("adbc_driver_postgresql") is None:
        with pytest.raises(ImportError, match="pip install adbc-driver-postgresql"):
            load(SqlSource, {"uri": "postgresql://h/db", "table": "t"})


def test_query_error_names_the_partition(db: Path) -> None:
    # abs() of the smallest integer overflows: only rows with k >= 3000 meet it.
    # (custom_schema types `boom`, so no sample of it is read while the schema is inferred.)
    query = (
        "SELECT id, k, CASE WHEN k >= 3000 THEN abs(-9223372036854775807 - 1) ELSE 0 END AS boom "
        "FROM t"
    )
    options = {
        "uri": str(db),
        "query": query,
        "partition_column": "k",
        "num_partitions": "4",
        "custom_schema": "boom int64",
    }
    with pytest.raises(PartitionFailed, match=r"SqlSource: partition 3 of 5 failed") as e:
        load(SqlSource, options)
    cause = e.value.__cause__
    assert isinstance(cause, SqlError)
    assert cause.partition == 3
    assert "partition 3 (2750 <= k)" in str(cause)
    assert "integer overflow" in str(cause)
    assert "SQL: SELECT" in str(cause)


def test_a_value_that_does_not_fit_its_type(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n INTEGER, v INTEGER)")
        conn.executemany(
            "INSERT INTO t VALUES (?, ?)", [(i, i if i != 70 else "seventy") for i in range(100)]
        )
    options = {"uri": str(path), "table": "t", "partition_column": "n", "num_partitions": "2"}
    with pytest.raises(PartitionFailed, match="partition 1 of 2") as e:
        load(SqlSource, options)
    assert "column 'v' holds string values" in str(e.value.__cause__)


def test_secrets_stay_out_of_specs_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    class Leaky(PostgresDialect):
        module = "json"  # any importable module: connect is replaced

        def connect(self, target: str) -> Any:
            raise RuntimeError(f"could not connect to {target}")

    monkeypatch.setitem(DRIVERS, "leaky", Leaky())
    options = {"uri": "leaky://app@db/shop", "password": "hunter2-secret", "table": "t"}
    with pytest.raises(SqlError) as e:
        SqlSource().infer_schema(options)
    assert "hunter2-secret" not in str(e.value)
    assert "***" in str(e.value)
    assert e.value.__cause__ is None  # the driver's text held it
    inline = {"uri": "leaky://app:s3cr3t-in-uri@db/shop", "table": "t"}
    with pytest.raises(SqlError) as e:
        SqlSource().infer_schema(inline)
    assert "s3cr3t-in-uri" not in str(e.value)


# -- Dask ----------------------------------------------------------------------------
def test_on_a_dask_process_cluster(db: Path, dask_process_client: Any) -> None:
    executor = dask_process_client.get_executor()
    assert_frame_equal(load(SqlSource, opts(db), executor=executor).sort("id"), EXPECTED)
    predicate = (col("k") < 0) & col("s").is_in(["zeta", "Zulu"])
    got = scan(SqlSource, opts(db), executor=executor).filter(predicate).select("id", "s")
    expected = EXPECTED.filter(predicate).select("id", "s")
    assert_frame_equal(got.collect().sort("id"), expected.sort("id"))
