"""FileSource's writer through ``save``: read back equal, staged then committed, on memory, fs
and s3, on threads and on a Dask process cluster."""

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
from opendal_lab.datasource import FileSource, PartitionFailed, load, save
from opendal_lab.datasource.sources.files.write import STAGING
from tests.datasource.files_data import Store, frame, make_store, mem_store, store
from tests.datasource.writers import BreakingFiles
from tests.reliability.faults import WriterFaultLayer, _FaultAccess

__all__ = ["mem_store", "store"]  # fixtures, imported for use here

col = pl.col


def files(store: Store, under: str = "/") -> list[str]:
    """Every file under ``under``, hidden staging files included."""
    return sorted(e.path for e in store.op.list(under, recursive=True) if e.is_file)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_round_trip(store: Store, fmt: str) -> None:
    df = frame(250)
    if fmt != "parquet":  # text carries no types: the dates come back as strings
        df = df.with_columns(col("d").cast(pl.String))
    options = {**store.options, "path": "out/", "format": fmt}
    messages = save(FileSource, df, options, partitions=3)
    assert [sum(rows for *_, rows in m.files) for m in messages] == [84, 84, 82]
    written = files(store)
    assert len(written) == 3, written
    assert all(p.startswith("out/part-0000") and p.endswith(f".{fmt}") for p in written)
    got = load(FileSource, options)
    assert_frame_equal(got.select(df.columns), df)  # partition order is file order
    # The staging directory is gone too, not only its files.
    assert not [e.path for e in store.op.list("/", recursive=True) if STAGING in e.path]


def test_a_lazy_frame_and_an_arrow_table_are_saved_too(mem_store: Store) -> None:
    options = {**mem_store.options, "path": "lazy/"}
    save(FileSource, frame(50).lazy().filter(col("n") < 20), options)
    save(FileSource, frame(5, offset=20).to_arrow(), options)
    assert_frame_equal(load(FileSource, options).sort("n"), frame(25))


def test_partition_by_writes_hive_directories(store: Store) -> None:
    df = frame(120).with_columns(
        year=pl.Series([2023 + n % 2 for n in range(120)], dtype=pl.Int64),
        city=pl.Series([[None, "Den Haag", "a/b=c%"][n % 3] for n in range(120)]),
    )
    options = {**store.options, "path": "lake", "partition_by": "year,city"}
    save(FileSource, df, options, partitions=2)
    written = files(store)
    assert "lake/year=2023/city=__HIVE_DEFAULT_PARTITION__/" in {
        p.rsplit("/", 1)[0] + "/" for p in written
    }
    assert any("city=a%2Fb%3Dc%25/" in p for p in written)
    # Rows are grouped by directory before they are split: one file per directory.
    assert len(written) == 2 * 3
    got = load(FileSource, options)
    assert got.columns == [*[c for c in df.columns if c not in ("year", "city")], "year", "city"]
    key = ["n"]
    assert_frame_equal(got.select(df.columns).sort(key), df.sort(key))


def test_modes(mem_store: Store) -> None:
    options = {**mem_store.options, "path": "out/"}
    save(FileSource, frame(10), options)
    save(FileSource, frame(5, offset=10), options, mode="append")  # next to the first
    assert load(FileSource, options).height == 15
    with pytest.raises(AlreadyExists, match="mode=error refuses"):
        save(FileSource, frame(5), options, mode="error")
    save(FileSource, frame(5), options, mode="ignore")  # data present: nothing written
    assert load(FileSource, options).height == 15
    save(FileSource, frame(3), options, mode="overwrite")
    assert_frame_equal(load(FileSource, options), frame(3))
    assert len(files(mem_store)) == 1
    save(FileSource, frame(4), {**options, "path": "new/"}, mode="error")  # nothing there
    save(FileSource, frame(4), {**options, "path": "new2/"}, mode="ignore")
    assert load(FileSource, {**options, "path": "new2/"}).height == 4
    with pytest.raises(ConfigInvalid, match="a directory, not a glob"):
        save(FileSource, frame(3), {**options, "path": "out/*.parquet"})
    with pytest.raises(ConfigInvalid, match="partition_by names 'nope'"):
        save(FileSource, frame(3), {**options, "partition_by": "nope"})
    assert files(mem_store) == sorted(
        [*files(mem_store, "out/"), *files(mem_store, "new/"), *files(mem_store, "new2/")]
    )


def test_write_id_names_the_files(mem_store: Store) -> None:
    options = {**mem_store.options, "path": "t/", "write_id": "w1"}
    save(FileSource, pa.table({"x": [1, 2, 3]}), options, partitions=2)
    assert files(mem_store) == ["t/part-00000-w1.parquet", "t/part-00001-w1.parquet"]


class _FailSecond(_FaultAccess):
    layer: FailSecond

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        if self.layer.written >= 1:
            return super().writer(path, opts)
        self.layer.written += 1
        return self.inner.writer(path, opts)


class FailSecond(WriterFaultLayer):
    """Lets the first file through, breaks the writes of every other one."""

    access_class = _FailSecond
    written = 0


def test_a_failed_storage_write_leaves_nothing(mem_store: Store) -> None:
    save(FileSource, frame(7), {**mem_store.options, "path": "out/"})
    before = {p: mem_store.op.read(p) for p in files(mem_store)}
    op = mem_store.op.layer(FailSecond(after=10))
    with pytest.raises(PartitionFailed, match=r"writing partition \d of 3 \(\d+ rows\) failed"):
        save(FileSource(operator=op, path="out/"), frame(300), partitions=3)
    # The partition that wrote its file staged it only; abort removed it.
    assert {p: mem_store.op.read(p) for p in files(mem_store)} == before


def test_a_partition_failing_mid_write_leaves_nothing(store: Store) -> None:
    options = {**store.options, "path": "out/", "partition_by": "b"}
    save(FileSource, frame(30), options)
    before = {p: store.op.read(p) for p in files(store)}
    with pytest.raises(PartitionFailed, match=r"BreakingFiles: writing partition .* broken on"):
        save(
            BreakingFiles, frame(400), {**options, "fail_at": "250"}, partitions=4, mode="overwrite"
        )
    assert {p: store.op.read(p) for p in files(store)} == before
    got = load(FileSource, {**options, "hive_schema": "b:bool"})
    assert_frame_equal(got.select(frame(1).columns).sort("n"), frame(30))


@pytest.mark.parametrize("name", ["fs", "s3"])
def test_write_on_dask_processes(
    name: str, dask_process_client: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(name, tmp_path, request)
    df = frame(200).with_columns(day=col("d").dt.day() % 3)
    options = {**store.options, "path": "dask/", "partition_by": "day"}
    executor = dask_process_client.get_executor()
    save(FileSource, df, options, executor=executor, partitions=4)
    assert len(files(store)) == 3  # one per day: rows grouped by directory
    got = load(FileSource, {**options, "hive_schema": "day:int8"}, executor=executor)
    assert_frame_equal(got.select(df.columns).sort("n"), df.sort("n"))
    assert got.schema["day"] == pl.Int8
    assert df.schema["day"] == pl.Int8
    assert got.schema["d"] == pl.Date

    # A partition failing on a worker: nothing of the write is left, old files untouched.
    before = {p: store.op.read(p) for p in files(store)}
    with pytest.raises(PartitionFailed, match="broken on purpose"):
        save(
            BreakingFiles,
            frame(400),
            {**store.options, "path": "dask/", "fail_at": "10"},
            executor=executor,
            partitions=4,
            mode="overwrite",
        )
    assert {p: store.op.read(p) for p in files(store)} == before
