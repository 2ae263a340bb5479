"""FileSource's partitions: small files packed, row groups read without their footer again.

Whatever the partitioning, a load or a scan equals Polars reading the same files itself
(``pl.read_parquet`` / ``pl.scan_parquet`` on the paths); these tests also pin down what
each partitioning plans and reads.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import Filter, PartitionFailed, load, scan
from opendal_lab.datasource.sources.files import FileFormatError, FileSource
from opendal_lab.datasource.sources.files import parquet as files_parquet
from opendal_lab.datasource.sources.files import partitions as files_partitions
from opendal_lab.datasource.sources.files import sparse as files_sparse
from opendal_lab.datasource.sources.files.listing import FileEntry
from opendal_lab.datasource.sources.files.partitions import pack_files, spec_files
from tests.datasource.files_data import CountReads, Store, frame, fs_store, mem_store, parquet

__all__ = ["fs_store", "mem_store"]  # fixtures, used by name

col = pl.col
QUERIES: list[Any] = [
    lambda lf: lf,
    lambda lf: lf.select("s", "n"),
    lambda lf: lf.filter(col("n") > 1_234).select("n", "f"),
    lambda lf: lf.filter(col("s").is_in(["s1", "s2"]) & (col("n") % 7 == 0)),
    lambda lf: lf.filter(col("b")).head(33),
    lambda lf: lf.select(pl.len()),
]


def small_files(store: Store, count: int = 24, rows: int = 50) -> pl.DataFrame:
    """``count`` files of ``rows`` rows under data/, row groups of 16; their frame."""
    parts = [frame(rows, offset=rows * i) for i in range(count)]
    for i, part in enumerate(parts):
        store.put(f"data/part-{i:03d}.parquet", parquet(part))
    return pl.concat(parts)


def fs_root(store: Store) -> str:
    return store.options["uri"].removeprefix("fs://")


# -- packing ------------------------------------------------------------------------------


def test_small_files_are_packed_and_read_as_polars_reads_them(fs_store: Store) -> None:
    small_files(fs_store)
    options = {**fs_store.options, "path": "data/*.parquet"}
    specs = FileSource().plan_partitions(options)
    # Each file of ~5 kB costs its size plus FILE_COST (1 MiB); 24 of them spread over the
    # pool make less than MIN_TARGET (4 MiB) a partition, so 3 files fill one.
    assert len(specs) == 8
    assert [p for s in specs for p, _ in spec_files(s)] == [
        f"data/part-{i:03d}.parquet" for i in range(24)
    ]
    polars = pl.scan_parquet(f"{fs_root(fs_store)}/data/*.parquet")
    assert_frame_equal(load(FileSource, options), polars.collect())
    for partition_bytes in ("auto", "1", "20000"):
        ours = scan(FileSource, {**options, "partition_bytes": partition_bytes})
        for q in QUERIES:
            assert_frame_equal(q(ours).collect(), q(polars).collect())


def test_packing_keeps_order_hive_directories_and_the_target() -> None:
    def entry(path: str, size: int | None, year: str = "2024") -> FileEntry:
        return FileEntry(path, size, (("year", year),))

    mib = 1 << 20
    files = [
        entry("a", mib),
        entry("b", mib),
        entry("c", 5 * mib),  # too big to join: alone
        entry("d", mib),
        entry("e", None),  # size unknown: alone
        entry("f", mib),
        entry("g", mib, year="2025"),  # another directory: a new partition
    ]
    specs = pack_files(files, target=4 * mib)  # each file also costs FILE_COST (1 MiB)
    assert [[p for p, _ in spec_files(s)] for s in specs] == [
        ["a", "b"],
        ["c"],
        ["d"],
        ["e"],
        ["f"],
        ["g"],
    ]
    assert specs[0] == {"paths": ["a", "b"], "sizes": [mib, mib], "hive": {"year": "2024"}}
    assert specs[1] == {"path": "c", "size": 5 * mib, "hive": {"year": "2024"}}
    assert specs[-1]["hive"] == {"year": "2025"}


def test_auto_target_spreads_the_data_over_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_partitions, "default_workers", lambda n: 4)
    mib = 1 << 20
    many = [FileEntry(f"p{i}", 15 * mib, ()) for i in range(16)]  # 16 x (15 + 1) MiB over 8
    assert files_partitions.auto_target(many) == 32 * mib
    assert files_partitions.auto_target(many[:1]) == files_partitions.MIN_TARGET
    huge = [FileEntry(f"p{i}", 1 << 30, ()) for i in range(16)]
    assert files_partitions.auto_target(huge) == files_partitions.MAX_TARGET


def test_a_packed_partition_reads_each_file_once_and_no_footer(mem_store: Store) -> None:
    expected = small_files(mem_store, count=6)
    counter = CountReads()
    source = FileSource(operator=mem_store.op.layer(counter), path="data/")
    assert_frame_equal(load(source), expected)
    schema_read, *reads = counter.calls
    assert schema_read[:2] == ("data/part-000.parquet", 0)  # the first file's tail
    assert schema_read[2] is not None
    assert reads == [(f"data/part-{i:03d}.parquet", 0, None) for i in range(6)]


def test_packed_files_with_other_schemas_are_named(mem_store: Store) -> None:
    small_files(mem_store, count=5)
    mem_store.put("data/part-003.parquet", parquet(frame(10).with_columns(col("n").cast(pl.Int32))))
    with pytest.raises(PartitionFailed, match=r"part-003.parquet: has column 'n' as Int32"):
        load(FileSource, {**mem_store.options, "path": "data/"})
    mem_store.put("data/part-003.parquet", parquet(frame(10).with_columns(z=pl.lit(1))))
    with pytest.raises(PartitionFailed, match=r"part-003.parquet: has column\(s\) 'z'"):
        load(FileSource, {**mem_store.options, "path": "data/"})
    mem_store.put("data/part-003.parquet", b"PAR1 but not parquet PAR1")
    with pytest.raises(PartitionFailed, match=r"part-003.parquet: not a parquet file") as e:
        load(FileSource, {**mem_store.options, "path": "data/"})
    assert isinstance(e.value.__cause__, FileFormatError)
    assert e.value.__cause__.path == "data/part-003.parquet"


@pytest.mark.parametrize("value", ["0", "-5", "big"])
def test_partition_bytes_must_be_a_positive_integer(mem_store: Store, value: str) -> None:
    small_files(mem_store, count=2)
    with pytest.raises(ConfigInvalid, match="partition_bytes"):
        load(FileSource, {**mem_store.options, "path": "data/", "partition_bytes": value})


# -- row groups ---------------------------------------------------------------------------


def test_row_groups_read_as_polars_reads_them(fs_store: Store) -> None:
    small_files(fs_store, count=3, rows=100)  # 7 row groups a file: 16 rows each, then 4
    options = {**fs_store.options, "path": "data/*.parquet", "partitioning": "row_group"}
    specs = FileSource().plan_partitions(options)
    assert len(specs) == 3 * 7
    polars = pl.scan_parquet(f"{fs_root(fs_store)}/data/*.parquet")
    ours = scan(FileSource, options)
    for q in QUERIES:
        assert_frame_equal(q(ours).collect(), q(polars).collect())
    assert_frame_equal(load(FileSource, options), polars.collect())


def test_a_row_group_partition_fetches_its_ranges_not_the_footer_guess(mem_store: Store) -> None:
    big = frame(2_000)
    data = parquet(big, row_group_size=500)
    mem_store.put("big.parquet", data)
    meta = pq.read_metadata(pa.BufferReader(data))
    footer_start = len(data) - meta.serialized_size - 8
    counter = CountReads()
    source = FileSource(operator=mem_store.op.layer(counter), path="big.parquet")
    options = {"partitioning": "row_group"}
    specs = source.plan_partitions(options)
    source.infer_schema(options)
    assert [(s["first_row"], s["rows"]) for s in specs] == [(i * 500, 500) for i in range(4)]
    assert specs[1]["footer"] == [footer_start, len(data)]
    counter.calls.clear()
    got = list(source.read_partition(specs[2], options, columns=["n"]))
    assert_frame_equal(got[0], big.slice(1000, 500).select("n"))
    n_chunk = meta.row_group(2).column(0)
    start = n_chunk.dictionary_page_offset or n_chunk.data_page_offset
    # The footer's exact bytes (known from planning) and column n of this group: no
    # suffix read of a guessed size, no other column.
    assert sorted(counter.calls) == [
        ("big.parquet", start, n_chunk.total_compressed_size),
        ("big.parquet", footer_start, meta.serialized_size + 8),
    ]


def test_row_groups_the_filters_rule_out_are_not_planned(mem_store: Store) -> None:
    mem_store.put("big.parquet", parquet(frame(2_000), row_group_size=500))
    source = FileSource(operator=mem_store.op, path="big.parquet", partitioning="row_group")
    specs = source.plan_partitions({}, filters=[Filter("n", ">=", 1_200)])
    assert [s["row_group"] for s in specs] == [2, 3]
    got = scan(source).filter(col("n") >= 1_200).select("n").collect()
    assert_frame_equal(got, frame(2_000).filter(col("n") >= 1_200).select("n"))


def test_a_row_group_spec_without_ranges_still_reads(mem_store: Store) -> None:
    big = frame(2_000)
    mem_store.put("big.parquet", parquet(big, row_group_size=500))
    source = FileSource(operator=mem_store.op, path="big.parquet")
    source.infer_schema({})
    pieces = list(source.read_partition({"path": "big.parquet", "row_group": 1}, {}))
    assert_frame_equal(pieces[0], big.slice(500, 500))
    with pytest.raises(FileFormatError, match="has no row group 9"):
        list(source.read_partition({"path": "big.parquet", "row_group": 9}, {}))


# -- projected reads of big local files ----------------------------------------------------


def test_a_projected_read_of_a_big_local_file_fetches_only_its_columns(
    fs_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_parquet, "COLUMNS_MIN", 0)  # every file counts as big
    small_files(fs_store, count=3, rows=100)
    counter = CountReads()
    source = FileSource(operator=fs_store.op.layer(counter), path="data/", partitioning="file")
    polars = pl.scan_parquet(f"{fs_root(fs_store)}/data/*.parquet")
    for q in QUERIES:
        assert_frame_equal(q(scan(source)).collect(), q(polars).collect())
    counter.calls.clear()
    scan(source).select("n").collect()
    # Ranged reads only (each file's tail with its footer, and column n where it lies
    # before the tail): the columns path, not a whole read.
    assert {p for p, _, _ in counter.calls} == {f"data/part-{i:03d}.parquet" for i in range(3)}
    assert all(size is not None for _, _, size in counter.calls)


def test_without_memfd_the_sparse_file_is_a_temporary_file(
    mem_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: Any) -> int:
        raise PermissionError("memfd_create: not here")

    monkeypatch.setattr(files_sparse.os, "memfd_create", refused, raising=False)
    big = frame(2_000)
    mem_store.put("big.parquet", parquet(big, row_group_size=500))
    source = FileSource(operator=mem_store.op, path="big.parquet", partitioning="row_group")
    assert_frame_equal(load(source), big)
