"""FileSource's schema_mode=union: files with added and widened columns read as one table.

The expectations come from Arrow and Polars themselves: the schema is what
``pa.unify_schemas(..., promote_options="permissive")`` makes of the files' footers, the
rows what ``pl.concat(..., how="diagonal_relaxed")`` (or ``pl.read_parquet(...,
missing_columns="insert")``) makes of the files.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import PartitionFailed, load, scan
from opendal_lab.datasource.sources.files import FileFormatError, FileSource
from tests.datasource.files_data import Store, make_store

OLD = pa.table(
    {
        "n": pa.array([1, 2, 3], pa.int32()),  # int32 -> int64
        "x": pa.array([10, 20, None], pa.int64()),  # int -> float
        "z": pa.array([None, None, None], pa.null()),  # null -> string
        "s": pa.array(["a", None, "c"], pa.string()),
    }
)
NEW = pa.table(
    {
        "n": pa.array([4, 5], pa.int64()),
        "s": pa.array(["d", "e"], pa.string()),
        "x": pa.array([0.5, None], pa.float64()),
        "z": pa.array(["p", None], pa.string()),
        "added": pa.array([7, -1], pa.int64()),  # not in the old file
    }
)


def _parquet(table: pa.Table, row_group_size: int = 2) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=row_group_size)
    return buf.getvalue()


@pytest.fixture(params=["memory", "fs"])
def evolving(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    store = make_store(request.param, tmp_path, request)
    store.put("t/part-0.parquet", _parquet(OLD))
    store.put("t/part-1.parquet", _parquet(NEW))
    return store


def _expected() -> pl.DataFrame:
    frames = [pl.read_parquet(io.BytesIO(_parquet(t))) for t in (OLD, NEW)]
    return pl.concat(frames, how="diagonal_relaxed")


def _union(store: Store, **extra: str) -> dict[str, str]:
    return {**store.options, "path": "t/", "schema_mode": "union", **extra}


@pytest.mark.parametrize(
    ("partitioning", "ranged"),
    [("auto", "never"), ("auto", "always"), ("file", "auto"), ("row_group", "auto")],
)
def test_union_equals_arrow_and_polars(evolving: Store, partitioning: str, ranged: str) -> None:
    options = _union(evolving, partitioning=partitioning, ranged=ranged)
    footers = [pq.read_schema(io.BytesIO(_parquet(t))) for t in (OLD, NEW)]
    unified = pa.unify_schemas(footers, promote_options="permissive")
    assert FileSource().infer_schema(options) == unified
    got = load(FileSource, options)
    assert_frame_equal(got, _expected())  # schema included: Int64, Float64, String, ...
    assert got.schema == {
        "n": pl.Int64,
        "x": pl.Float64,
        "z": pl.String,
        "s": pl.String,
        "added": pl.Int64,
    }


def test_added_column_equals_read_parquet_missing_columns_insert(tmp_path: Path) -> None:
    store = make_store("fs", tmp_path, None)  # type: ignore[arg-type]
    first = pa.table({"n": [1, 2], "s": ["a", "b"]})
    second = pa.table({"n": [3], "s": ["c"], "added": [9.5]})
    paths = []
    for i, table in enumerate((second, first)):  # the wider file first, as Polars wants it
        store.put(f"t/f{i}.parquet", _parquet(table))
        paths.append(tmp_path / "root" / "t" / f"f{i}.parquet")
    expected = pl.read_parquet(paths, missing_columns="insert")
    assert_frame_equal(load(FileSource, _union(store, partitioning="file")), expected)
    assert_frame_equal(load(FileSource, _union(store)), expected)


def test_scan_projects_and_filters_an_added_column(evolving: Store) -> None:
    lf = scan(FileSource, _union(evolving))
    expected = _expected()
    assert_frame_equal(lf.select("added").collect(), expected.select("added"))
    assert_frame_equal(
        lf.filter(pl.col("added") > 0).select("n", "added").collect(),
        expected.filter(pl.col("added") > 0).select("n", "added"),
    )
    assert_frame_equal(
        lf.filter(pl.col("added").is_null()).select("n").collect(),
        expected.filter(pl.col("added").is_null()).select("n"),
    )


def test_strict_mode_still_names_the_file(evolving: Store) -> None:
    with pytest.raises(PartitionFailed, match=r"t/part-1\.parquet"):
        load(FileSource, {**evolving.options, "path": "t/", "partitioning": "file"})


def test_no_widening_names_file_column_and_both_types(evolving: Store) -> None:
    evolving.put("t/part-2.parquet", _parquet(pa.table({"n": ["seven"]})))
    # part-1 widened n to int64: the message names the file that type came from.
    pattern = r"t/part-2\.parquet: column 'n' is string, but t/part-1\.parquet has it as int64"
    with pytest.raises(FileFormatError, match=pattern):
        FileSource().infer_schema(_union(evolving))
    with pytest.raises((FileFormatError, PartitionFailed), match=pattern):
        load(FileSource, _union(evolving))


def test_unknown_schema_mode_and_text_formats_are_refused(evolving: Store) -> None:
    with pytest.raises(ConfigInvalid, match=r"'schema_mode' must be one of strict, union"):
        load(FileSource, {**evolving.options, "path": "t/", "schema_mode": "merge"})
    evolving.put("c/a.csv", b"x\n1\n")
    with pytest.raises(ConfigInvalid, match="schema_mode 'union' needs parquet"):
        load(FileSource, {**evolving.options, "path": "c/", "schema_mode": "union"})


def test_hive_column_alone_counts_the_rows_of_a_file_missing_a_column(evolving: Store) -> None:
    # A hive-only query reads the first file column for the row count; part-1 lacks it.
    evolving.put("h/k=1/part-0.parquet", _parquet(pa.table({"a": [1, 2], "b": [3, 4]})))
    evolving.put("h/k=2/part-1.parquet", _parquet(pa.table({"b": [5, 6, 7]})))
    options = {**evolving.options, "path": "h/", "schema_mode": "union"}
    for partitioning in ("auto", "file"):
        lf = scan(FileSource, {**options, "partitioning": partitioning})
        assert lf.select("k").collect()["k"].to_list() == [1, 1, 2, 2, 2]
        assert lf.select("a", "k").collect().rows() == [
            (1, 1),
            (2, 1),
            (None, 2),
            (None, 2),
            (None, 2),
        ]
