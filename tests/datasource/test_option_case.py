"""Option names are case-insensitive on every path, as Spark's (``datasource.options``)."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import FileSource, SqlSource, load, scan
from opendal_lab.datasource.api import Options
from tests.datasource.sources import Numbers, numbers

MIXED = {"Rows": "150", "PARTITIONS": "5", "batch": "11"}


def test_options_look_up_any_case_and_keep_names_lower_cased() -> None:
    options = Options({"apiKey": "k", "Path": "a"})
    assert options["APIKEY"] == options.get("apikey") == "k"
    assert "path" in options
    assert "PATH" in options
    assert list(options) == ["apikey", "path"]  # what PySpark's options yield
    assert dict(options) == {"apikey": "k", "path": "a"}
    options["PATH"] = "b"
    assert options == {"apikey": "k", "path": "b"}
    assert type(options.copy()) is Options
    assert type(options | {"X": "1"}) is Options
    assert (options | {"X": "1"})["x"] == "1"
    copy = pickle.loads(pickle.dumps(options))  # as it travels to a process or a worker
    assert type(copy) is Options
    assert copy["Path"] == "b"


def test_two_names_differing_only_by_case_are_refused_naming_both() -> None:
    with pytest.raises(ConfigInvalid, match="'rows' and 'Rows' differ only by case"):
        load(Numbers, {"rows": "10", "Rows": "20"})


def test_a_source_reading_lower_case_names_gets_mixed_case_options() -> None:
    expected = numbers(150)
    assert_frame_equal(load(Numbers, MIXED), expected)
    assert_frame_equal(scan(Numbers, MIXED).collect(), expected)


def test_file_source_takes_its_options_in_any_case(tmp_path: Path) -> None:
    frame = pl.DataFrame({"n": range(50)})
    frame.write_parquet(tmp_path / "a.parquet")
    got = load(FileSource, {"URI": f"fs://{tmp_path}", "Path": "*.parquet", "FORMAT": "Parquet"})
    assert_frame_equal(got, frame)
    # Constructor defaults and a load's options meet under the same (lower-cased) names.
    source = FileSource(URI=f"fs://{tmp_path}", PATH="missing/*.parquet")
    assert_frame_equal(load(source, {"path": "*.parquet"}), frame)


def test_sql_source_takes_its_options_in_any_case(tmp_path: Path) -> None:
    pytest.importorskip("adbc_driver_sqlite")
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (k integer)")
        conn.executemany("insert into t values (?)", [(i,) for i in range(20)])
    got = load(
        SqlSource,
        {"URI": f"sqlite://{db}", "Table": "t", "Partition_Column": "k", "NUM_partitions": "3"},
    )
    assert sorted(got["k"].to_list()) == list(range(20))


class _ReadsMixedCase(Numbers):
    """Looks its option up in another case inside read_partition, as a Spark user may."""

    def read_partition(self, partition: dict[str, Any], options: dict[str, str]) -> Any:
        assert options["ROWS"] == options["rows"]
        return super().read_partition(partition, options)


def test_read_partition_sees_case_insensitive_options_on_threads() -> None:
    frame = load(_ReadsMixedCase(), {"Rows": "10", "partitions": "2"})
    assert frame.height == 10
