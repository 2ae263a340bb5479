"""IcebergSource writes (``save`` and Sail), checked against PyIceberg's own reads of the table.

Each table is created empty with PyIceberg (a SQL catalog on SQLite in tmp_path), written
through the source, then read back both through the source and with
``table.scan().to_arrow()``: the two must agree, snapshot by snapshot.
"""

from __future__ import annotations

import importlib.util
import pickle
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

pytest.importorskip("pyiceberg")

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.transforms import DayTransform
from pyiceberg.types import LongType, NestedField, StringType, TimestampType

from opendal_lab.core.errors import AlreadyExists, ConfigInvalid, NotFound
from opendal_lab.datasource import load, save
from opendal_lab.datasource.errors import PartitionFailed
from opendal_lab.datasource.sources.iceberg import IcebergSource
from opendal_lab.datasource.sources.iceberg.catalog import parse_options
from opendal_lab.datasource.sources.iceberg.fileio import PY_IO_IMPL, OpendalFileIO
from opendal_lab.datasource.sources.iceberg.write import WRITE_ID, Written
from tests.datasource.iceberg_writers import BreakingIceberg
from tests.datasource.test_iceberg import ARROW, DAYS, SCHEMA, SPEC, rows, same
from tests.servers import MotoServer


@dataclass
class Target:
    """An empty table made with PyIceberg, and the options that write it through the source."""

    catalog: SqlCatalog
    name: str
    options: dict[str, str]
    data: Path | None  # the data directory on fs warehouses, to list the files

    def table(self) -> Table:
        return self.catalog.load_table(self.name)

    def scan(self, snapshot_id: int | None = None) -> pl.DataFrame:
        return pl.from_arrow(self.table().scan(snapshot_id=snapshot_id).to_arrow())  # type: ignore[return-value]

    def snapshot_ids(self) -> list[int]:
        return [s.snapshot_id for s in self.table().snapshots()]

    def files(self) -> set[str]:
        assert self.data is not None
        return {str(p) for p in self.data.rglob("*.parquet")}


def make_target(
    tmp_path: Path,
    warehouse: str,
    properties: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    *,
    partitioned: bool = True,
) -> Target:
    uri = f"sqlite:///{tmp_path}/catalog.db"
    catalog = SqlCatalog("default", uri=uri, warehouse=warehouse, **(properties or {}))
    catalog.create_namespace("lab")
    spec = SPEC if partitioned else PartitionSpec()
    catalog.create_table("lab.events", schema=SCHEMA, partition_spec=spec)
    data = None
    if warehouse.startswith("file://"):
        data = Path(warehouse[len("file://") :]) / "lab" / "events" / "data"
    return Target(
        catalog, "lab.events", {"catalog_uri": uri, "table": "lab.events", **(options or {})}, data
    )


def fs_target(tmp_path: Path, *, partitioned: bool = True) -> Target:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    return make_target(tmp_path, f"file://{warehouse}", partitioned=partitioned)


def memory_target(tmp_path: Path) -> Target:
    warehouse = f"opendal+memory://iceberg-w-{uuid.uuid4().hex[:8]}/warehouse"
    return make_target(tmp_path, warehouse, {"py-io-impl": PY_IO_IMPL})


def s3_target(tmp_path: Path, moto: MotoServer, bucket: str) -> Target:
    properties = {
        "s3.endpoint": moto.endpoint,
        "s3.region": moto.region,
        "s3.access-key-id": moto.access_key_id,
        "s3.secret-access-key": moto.secret_access_key,
    }
    storage = {
        "storage.endpoint": moto.endpoint,
        "storage.region": moto.region,
        "storage.access_key_id": moto.access_key_id,
        "storage.secret_access_key": moto.secret_access_key,
    }
    return make_target(tmp_path, f"s3://{bucket}/warehouse", properties, storage)


@pytest.fixture(params=["fs", "memory", "s3"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if request.param == "fs":
        return fs_target(tmp_path)
    if request.param == "memory":
        return memory_target(tmp_path)
    moto: MotoServer = request.getfixturevalue("moto_server")
    return s3_target(tmp_path, moto, request.getfixturevalue("s3_bucket"))


@pytest.fixture
def fs(tmp_path: Path) -> Target:
    return fs_target(tmp_path)


def frame(start: int, count: int, days: list[date] = DAYS) -> pl.DataFrame:
    return pl.from_arrow(rows(start, count, days))  # type: ignore[return-value]


# -- writes, read back --------------------------------------------------------------------


def test_save_then_load_equals_pyiceberg_scan(target: Target) -> None:
    messages = save(IcebergSource, frame(0, 300), target.options)
    # Grouped by the identity-partition column: a day a partition, one file each.
    assert sorted(m.rows for m in messages) == [50] * 6
    assert all(len(m.files) == 1 for m in messages)
    # At most four partitions: still one file per day, two days in some partitions.
    few = save(IcebergSource, frame(300, 300), target.options, mode="overwrite", partitions=4)
    assert sorted(m.rows for m in few) == [50, 50, 100, 100]
    assert sorted(len(m.files) for m in few) == [1, 1, 2, 2]
    save(IcebergSource, frame(0, 300), target.options, mode="overwrite")
    want = target.scan()
    assert want.height == 300
    same(load(IcebergSource, target.options), want)
    same(want, frame(0, 300))
    table = target.table()
    snapshot = table.current_snapshot()
    assert snapshot is not None
    assert snapshot.summary is not None
    assert snapshot.summary["added-data-files"] == "6"
    assert snapshot.summary[WRITE_ID]
    # Partition values per file, as PyIceberg's own append gives them.
    partitions = sorted(t.file.partition[0] for t in table.scan().plan_files())
    assert partitions == sorted((d - date(1970, 1, 1)).days for d in DAYS)


def test_an_unpartitioned_table_from_an_arrow_table(tmp_path: Path) -> None:
    target = fs_target(tmp_path, partitioned=False)
    messages = save(IcebergSource, rows(0, 1000, DAYS), target.options, partitions=3)
    assert [m.rows for m in messages] == [334, 334, 332]
    assert len(target.files()) == 3
    same(target.scan(), frame(0, 1000))
    same(load(IcebergSource, target.options), target.scan())


def test_the_files_carry_field_ids_and_stats(fs: Target) -> None:
    import pyarrow.parquet as pq

    save(IcebergSource, frame(0, 60), fs.options)
    path = next(iter(fs.files()))
    ids = [f.metadata[b"PARQUET:field_id"] for f in pq.read_schema(path)]
    assert ids == [b"1", b"2", b"3", b"4", b"5"]
    task = next(iter(fs.table().scan().plan_files()))
    assert task.file.record_count == 10
    assert task.file.lower_bounds
    assert task.file.value_counts
    # The statistics prune: a filter on id plans only the files that can hold it.
    assert len(list(fs.table().scan(row_filter="id == 0").plan_files())) == 1


def test_append_twice_makes_two_snapshots_and_the_first_still_reads(target: Target) -> None:
    save(IcebergSource, frame(0, 120), target.options)
    first = target.snapshot_ids()
    save(IcebergSource, frame(120, 80, DAYS[:2]), target.options, partitions=2)
    both = target.snapshot_ids()
    assert len(first) == 1
    assert len(both) == 2
    assert both[0] == first[0]
    assert target.scan().height == 200
    same(load(IcebergSource, target.options), target.scan())
    old = load(IcebergSource, {**target.options, "snapshot_id": str(first[0])})
    same(old, frame(0, 120))
    same(old, target.scan(first[0]))


def test_overwrite_replaces_every_row_in_one_commit(target: Target) -> None:
    save(IcebergSource, frame(0, 120), target.options)
    before = target.snapshot_ids()
    versions = len(target.table().metadata.metadata_log)
    save(IcebergSource, frame(500, 30, DAYS[4:]), target.options, mode="overwrite")
    same(target.scan(), frame(500, 30, DAYS[4:]))
    same(load(IcebergSource, target.options), target.scan())
    table = target.table()
    added = [s for s in table.snapshots() if s.snapshot_id not in before]
    # A delete then an append, both from this write (one transaction, one metadata swap).
    assert [s.summary.operation.value for s in added if s.summary] == ["delete", "append"]
    assert len({s.summary[WRITE_ID] for s in added if s.summary}) == 1
    assert len(table.metadata.metadata_log) == versions + 1  # one new metadata file
    same(load(IcebergSource, {**target.options, "snapshot_id": str(before[0])}), frame(0, 120))


def test_overwrite_with_no_rows_empties_the_table_and_append_of_none_adds_nothing(
    fs: Target,
) -> None:
    save(IcebergSource, frame(0, 50), fs.options)
    save(IcebergSource, frame(0, 0), fs.options, mode="append")
    assert len(fs.snapshot_ids()) == 1  # nothing appended, no snapshot
    save(IcebergSource, frame(0, 0), fs.options, mode="overwrite")
    assert fs.scan().height == 0
    assert load(IcebergSource, fs.options).height == 0


def test_a_missing_optional_column_is_written_as_nulls(fs: Target) -> None:
    save(IcebergSource, frame(0, 20).select("id", "day", "flag"), fs.options)
    got = load(IcebergSource, fs.options).sort("id")
    assert got.columns == ["id", "name", "day", "amount", "flag"]
    assert got["name"].null_count() == 20
    assert got["amount"].null_count() == 20
    assert got["id"].to_list() == list(range(20))


def test_int32_promotes_into_a_long_column(fs: Target) -> None:
    save(IcebergSource, frame(0, 20).with_columns(pl.col("id").cast(pl.Int32)), fs.options)
    assert load(IcebergSource, fs.options).sort("id")["id"].to_list() == list(range(20))


def test_a_day_transform_splits_rows_by_day_or_is_refused_before_writing(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/catalog.db"
    catalog = SqlCatalog("default", uri=uri, warehouse=f"file://{tmp_path}")
    catalog.create_namespace("lab")
    schema = Schema(
        NestedField(1, "n", LongType(), required=False),
        NestedField(2, "at", TimestampType(), required=False),
        NestedField(3, "s", StringType(), required=False),
    )
    spec = PartitionSpec(PartitionField(2, 1000, DayTransform(), "at_day"))
    catalog.create_table("lab.ticks", schema=schema, partition_spec=spec)
    ticks = pl.DataFrame({"n": range(48), "s": [f"s{i}" for i in range(48)]}).with_columns(
        at=pl.datetime(2024, 1, 1) + pl.duration(hours=pl.col("n"))
    )
    options = {"catalog_uri": uri, "table": "lab.ticks"}
    if importlib.util.find_spec("pyiceberg_core") is None:
        with pytest.raises(ConfigInvalid, match=r"partition field 'at_day' \(day\(at\)\) .* "
                           "pyiceberg-core, which is not installed"):  # fmt: skip
            save(IcebergSource, ticks.select("n", "at", "s"), options, partitions=2)
        assert catalog.load_table("lab.ticks").current_snapshot() is None
        assert not list(tmp_path.rglob("*.parquet"))
        return
    save(IcebergSource, ticks.select("n", "at", "s"), options, partitions=2)
    table = catalog.load_table("lab.ticks")
    assert len(list(table.scan().plan_files())) == 4  # two partitions x two days
    assert len(list(table.scan(row_filter="at < '2024-01-02T00:00:00'").plan_files())) == 2
    same(load(IcebergSource, options), pl.from_arrow(table.scan().to_arrow()))  # type: ignore[arg-type]


# -- modes ---------------------------------------------------------------------------------


def test_error_and_ignore_modes_look_at_the_rows(fs: Target) -> None:
    save(IcebergSource, frame(0, 10), fs.options, mode="error")  # empty table: written
    assert fs.scan().height == 10
    with pytest.raises(AlreadyExists, match=r"table 'lab\.events' already has 10 rows; mode=error"):
        save(IcebergSource, frame(10, 10), fs.options, mode="error")
    save(IcebergSource, frame(10, 10), fs.options, mode="ignore")
    assert fs.scan().height == 10
    assert len(fs.snapshot_ids()) == 1
    assert len(fs.files()) == 6  # nothing written by the refused and ignored writes


# -- failures ------------------------------------------------------------------------------


def test_a_partition_failing_mid_write_leaves_the_table_and_no_files(target: Target) -> None:
    save(IcebergSource, frame(0, 100), target.options)
    before = target.snapshot_ids()
    rows_before = target.scan()
    files_before = _data_files(target)
    options = {**target.options, "fail_at": "250"}
    with pytest.raises(PartitionFailed, match=r"broken on purpose after writing \d file"):
        save(BreakingIceberg, frame(200, 120), options, mode="overwrite", partitions=3)
    assert target.snapshot_ids() == before
    same(target.scan(), rows_before)
    same(load(IcebergSource, target.options), rows_before)
    assert _data_files(target) == files_before  # the failed partition's file too is gone


def test_with_pyiceberg_io_too(fs: Target) -> None:
    """``io=pyiceberg``: PyIceberg's own FileIO writes the files; abort still finds them."""
    options = {**fs.options, "io": "pyiceberg"}
    save(IcebergSource, frame(0, 60), options)
    same(fs.scan(), frame(0, 60))
    files = fs.files()
    with pytest.raises(PartitionFailed, match="broken on purpose"):
        save(BreakingIceberg, frame(60, 60), {**options, "fail_at": "70"})
    assert fs.files() == files
    same(fs.scan(), frame(0, 60))


def test_abort_with_no_messages_finds_the_files_by_the_write_id(fs: Target) -> None:
    source = IcebergSource()
    writer = source.writer(ARROW, fs.options, "append")
    written = [writer.write(iter(rows(0, 60, DAYS).to_batches())) for _ in range(2)]
    assert len(fs.files()) == 12  # two attempts of the same rows never share a name
    assert all(str(writer.job) in p for m in written for p in m.paths)
    writer.abort([None, None])  # what Sail gives
    assert fs.files() == set()
    assert fs.table().current_snapshot() is None


def test_abort_after_a_commit_that_landed_keeps_the_files(fs: Target) -> None:
    writer = IcebergSource().writer(ARROW, fs.options, "append")
    message = writer.write(iter(rows(0, 60, DAYS).to_batches()))
    writer.commit([message])
    writer.abort([message])  # as after a commit whose answer was lost
    assert fs.files() == {p[len("file://") :] for p in message.paths}
    assert fs.scan().height == 60


def test_a_commit_after_the_partition_spec_changed_is_refused(fs: Target) -> None:
    writer = IcebergSource().writer(ARROW, fs.options, "append")
    message = writer.write(iter(rows(0, 60, DAYS).to_batches()))
    with fs.table().update_spec() as update:
        update.remove_field("day")
    with pytest.raises(ConfigInvalid, match=r"partition spec of table 'lab\.events' changed"):
        writer.commit([message])
    writer.abort([message])
    assert fs.files() == set()


# -- bad input -----------------------------------------------------------------------------


def test_an_incompatible_schema_names_the_column_and_both_types(fs: Target) -> None:
    wrong = frame(0, 5).with_columns(pl.col("id").cast(pl.String))
    with pytest.raises(ConfigInvalid, match=r"column 'id' is string .* the table's is long"):
        save(IcebergSource, wrong, fs.options)
    extra = frame(0, 5).with_columns(pl.lit(1).alias("bonus"))
    with pytest.raises(ConfigInvalid, match=r"column 'bonus' \(int32\) is not in the table"):
        save(IcebergSource, extra, fs.options)
    narrower = frame(0, 5).with_columns(pl.col("amount").fill_nan(0).cast(pl.Int64))
    with pytest.raises(ConfigInvalid, match=r"column 'amount' is long .* the table's is double"):
        save(IcebergSource, narrower, fs.options)
    assert fs.table().current_snapshot() is None
    assert fs.files() == set()


def test_a_required_column_missing_or_null_is_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path}/catalog.db"
    catalog = SqlCatalog("default", uri=uri, warehouse=f"file://{tmp_path}")
    catalog.create_namespace("lab")
    schema = Schema(
        NestedField(1, "n", LongType(), required=True),
        NestedField(2, "s", StringType(), required=False),
    )
    catalog.create_table("lab.strict", schema=schema)
    options = {"catalog_uri": uri, "table": "lab.strict"}
    with pytest.raises(ConfigInvalid, match=r"required column\(s\) 'n' missing from the rows"):
        save(IcebergSource, pl.DataFrame({"s": ["a"]}), options)
    # Polars declares every column nullable: taken when it holds no null.
    save(IcebergSource, pl.DataFrame({"n": [1, 2], "s": ["a", None]}), options)
    assert load(IcebergSource, options).sort("n")["n"].to_list() == [1, 2]
    with pytest.raises(PartitionFailed, match=r"column 'n' is required .* 1 of this partition"):
        save(IcebergSource, pl.DataFrame({"n": [3, None], "s": ["b", "c"]}), options)
    assert len(catalog.load_table("lab.strict").snapshots()) == 1
    assert len(list(tmp_path.rglob("*.parquet"))) == 1


def test_a_missing_table_an_unknown_mode_and_time_travel_are_refused(fs: Target) -> None:
    with pytest.raises(NotFound, match=r"has no table 'lab.nope' \(tables in 'lab': lab.events\)"):
        save(IcebergSource, frame(0, 5), {**fs.options, "table": "lab.nope"})
    with pytest.raises(ConfigInvalid, match="unknown write mode 'merge'"):
        save(IcebergSource, frame(0, 5), fs.options, mode="merge")
    with pytest.raises(ConfigInvalid, match="'snapshot_id' / 'as_of' pick a snapshot to read"):
        save(IcebergSource, frame(0, 5), {**fs.options, "as_of": "2024-01-01T00:00:00Z"})
    assert fs.table().current_snapshot() is None


def test_the_writer_and_its_messages_pickle(fs: Target) -> None:
    writer = IcebergSource().writer(ARROW, fs.options, "append")
    again = pickle.loads(pickle.dumps(writer))
    message = pickle.loads(pickle.dumps(again.write(iter(rows(0, 30, DAYS).to_batches()))))
    assert isinstance(message, Written)
    assert message.rows == 30
    writer.commit([message])
    same(fs.scan(), frame(0, 30))


# -- other processes -----------------------------------------------------------------------


def test_on_dask_processes(tmp_path: Path, dask_process_client: Any) -> None:
    target = fs_target(tmp_path)
    executor = dask_process_client.get_executor()
    messages = save(IcebergSource, frame(0, 300), target.options, executor=executor)
    assert sum(m.rows for m in messages) == 300
    same(target.scan(), frame(0, 300))
    same(load(IcebergSource, target.options, executor=executor), target.scan())

    before = target.snapshot_ids()
    files = target.files()
    options = {**target.options, "fail_at": "350"}
    with pytest.raises(PartitionFailed, match="broken on purpose"):
        save(BreakingIceberg, frame(300, 100), options, executor=executor)
    assert target.snapshot_ids() == before
    assert target.files() == files


def test_a_memory_warehouse_is_refused_on_other_processes(
    tmp_path: Path, dask_process_client: Any
) -> None:
    target = memory_target(tmp_path)
    with pytest.raises(ConfigInvalid, match="memory"):
        save(
            IcebergSource, frame(0, 10), target.options, executor=dask_process_client.get_executor()
        )


def _data_files(target: Target) -> set[str]:
    """Every parquet file under the table's data location, listed through OpendalFileIO."""
    properties = parse_options(target.options).catalog_properties()
    fs, path = OpendalFileIO(properties).resolve(f"{target.table().metadata.location}/data")
    return {p for p in fs.find(path) if p.endswith(".parquet")}
