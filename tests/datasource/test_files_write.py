"""FileSource writes: write_partition and write, read back equal, on memory, fs and s3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.access import Writer
from opendal_lab.core.errors import AlreadyExists, ConfigInvalid
from opendal_lab.core.options import WriteOptions
from opendal_lab.datasource import PartitionFailed, load
from opendal_lab.datasource.sources.files import FileSource
from tests.datasource.files_data import Store, frame, make_store, mem_store, store
from tests.reliability.faults import WriterFaultLayer, _FaultAccess

__all__ = ["mem_store", "store"]  # fixtures, imported for use here

col = pl.col


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_round_trip(store: Store, fmt: str) -> None:
    df = frame(250)
    if fmt != "parquet":  # text carries no types: the dates come back as strings
        df = df.with_columns(col("d").cast(pl.String))
    options = {**store.options, "path": "out/", "format": fmt}
    paths = FileSource().write(df, options, partitions=3)
    assert len(paths) == 3
    assert all(p.startswith("out/part-0000") and p.endswith(f".{fmt}") for p in paths)
    got = load(FileSource, options)
    assert_frame_equal(got.select(df.columns), df)


def test_partition_by_writes_hive_directories(store: Store) -> None:
    df = frame(120).with_columns(
        year=pl.Series([2023 + n % 2 for n in range(120)], dtype=pl.Int64),
        city=pl.Series([[None, "Den Haag", "a/b=c%"][n % 3] for n in range(120)]),
    )
    options = {**store.options, "path": "lake"}
    paths = FileSource().write(df, options, partition_by=["year", "city"], partitions=2)
    assert "lake/year=2023/city=__HIVE_DEFAULT_PARTITION__/" in {
        p.rsplit("/", 1)[0] + "/" for p in paths
    }
    assert any("city=a%2Fb%3Dc%25/" in p for p in paths)
    assert len(paths) == 2 * 2 * 3
    got = load(FileSource, options)
    assert got.columns == [*[c for c in df.columns if c not in ("year", "city")], "year", "city"]
    key = ["n"]
    assert_frame_equal(got.select(df.columns).sort(key), df.sort(key))


def test_write_partition_alone(mem_store: Store) -> None:
    source = FileSource(operator=mem_store.op, path="t/")
    table = pa.table({"x": [1, 2, 3]})
    [path] = source.write_partition(table, {"write_id": "w1"}, 7)
    assert path == "t/part-00007-w1.parquet"
    assert_frame_equal(load(source), pl.DataFrame({"x": [1, 2, 3]}))


def test_modes(mem_store: Store) -> None:
    options = {**mem_store.options, "path": "out/"}
    source = FileSource()
    source.write(frame(10), options)
    source.write(frame(5, offset=10), options)  # append: next to the first
    assert load(FileSource, options).height == 15
    with pytest.raises(AlreadyExists, match="mode=error refuses"):
        source.write(frame(5), {**options, "mode": "error"})
    source.write(frame(3), {**options, "mode": "overwrite"})
    assert_frame_equal(load(FileSource, options), frame(3))
    with pytest.raises(ConfigInvalid, match="a directory, not a glob"):
        source.write(frame(3), {**options, "path": "out/*.parquet"})
    with pytest.raises(ConfigInvalid, match="partition_by names 'nope'"):
        source.write(frame(3), options, partition_by=["nope"])


class _FailSecond(_FaultAccess):
    def writer(self, path: str, opts: WriteOptions) -> Writer:
        if "part-00001" in path:
            return super().writer(path, opts)
        return self.inner.writer(path, opts)


class FailSecond(WriterFaultLayer):
    """Breaks the writes of partition 1 only."""

    access_class = _FailSecond


def test_a_failed_partition_removes_the_others(mem_store: Store) -> None:
    op = mem_store.op.layer(FailSecond(after=10))
    source = FileSource(operator=op, path="out/")
    with pytest.raises(PartitionFailed, match=r"writing partition 1 of 3 \(\d+ rows\) failed"):
        source.write(frame(300), partitions=3)
    assert [e.path for e in mem_store.op.list("/", recursive=True) if e.is_file] == []


@pytest.mark.parametrize("name", ["fs", "s3"])
def test_write_on_dask_processes(
    name: str, dask_process_client: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(name, tmp_path, request)
    df = frame(200).with_columns(day=col("d").dt.day() % 3)
    options = {**store.options, "path": "dask/"}
    executor = dask_process_client.get_executor()
    paths = FileSource().write(df, options, partition_by=["day"], executor=executor, partitions=4)
    assert len(paths) == 12
    got = load(FileSource, {**options, "hive_schema": "day:int8"}, executor=executor)
    assert_frame_equal(got.select(df.columns).sort("n"), df.sort("n"))
    assert got.schema["day"] == pl.Int8
    assert df.schema["day"] == pl.Int8
    assert got.schema["d"] == pl.Date
