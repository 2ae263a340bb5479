"""IcebergSource against PyIceberg's own reads, on fs, memory and S3 (moto) warehouses.

Each table is made here with PyIceberg (a SQL catalog on SQLite in tmp_path): three appends
and a delete, partitioned by day (identity on a date column). Every read through the source
is compared with ``table.scan(...).to_arrow()`` of the same snapshot, filter and projection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
import pytest

pytest.importorskip("pyiceberg")

from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.table import Table
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import (
    BooleanType,
    DateType,
    DoubleType,
    LongType,
    NestedField,
    StringType,
)

from opendal_lab.core.errors import ConfigInvalid, NotFound
from opendal_lab.datasource import Filter, load, scan
from opendal_lab.datasource.sources.iceberg import IcebergSource
from opendal_lab.datasource.sources.iceberg.fileio import PY_IO_IMPL, protocol_url
from tests.servers import MotoServer

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "name", StringType(), required=False),
    NestedField(3, "day", DateType(), required=False),
    NestedField(4, "amount", DoubleType(), required=False),
    NestedField(5, "flag", BooleanType(), required=False),
)
SPEC = PartitionSpec(PartitionField(3, 1000, IdentityTransform(), "day"))
ARROW = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("day", pa.date32()),
        ("amount", pa.float64()),
        ("flag", pa.bool_()),
    ]
)
DAYS = [date(2024, 1, d) for d in range(1, 7)]


def rows(start: int, count: int, days: Sequence[date]) -> pa.Table:
    ids = list(range(start, start + count))
    return pa.table(
        {
            "id": ids,
            "name": [None if i % 7 == 3 else f"n{i % 5}" for i in ids],
            "day": [days[i % len(days)] for i in ids],
            "amount": [float("nan") if i % 11 == 0 else i * 0.5 for i in ids],
            "flag": [i % 2 == 0 for i in ids],
        },
        schema=ARROW,
    )


@dataclass
class Lake:
    """A table made with PyIceberg, and the options that read it through the source."""

    table: Table
    options: dict[str, str]
    snapshots: list[int]  # oldest first: append, append, append, delete (its last snapshot)
    first_ms: int  # the first snapshot's commit time

    def expected(
        self,
        row_filter: str = "true",
        columns: tuple[str, ...] = ("*",),
        snapshot_id: int | None = None,
    ) -> pl.DataFrame:
        table = self.table.scan(
            row_filter=row_filter, selected_fields=columns, snapshot_id=snapshot_id
        )
        return pl.from_arrow(table.to_arrow())  # type: ignore[return-value]


def same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Equal as sets of rows (the order of files is PyIceberg's; compare sorted anyway)."""
    assert got.columns == want.columns
    assert got.schema == want.schema
    keys = got.columns
    assert got.sort(keys, nulls_last=True).equals(want.sort(keys, nulls_last=True))


def make_lake(catalog_uri: str, properties: dict[str, str], options: dict[str, str]) -> Lake:
    catalog = SqlCatalog("default", uri=catalog_uri, **properties)
    catalog.create_namespace("lab")
    catalog.create_table("lab.other", schema=SCHEMA)
    table = catalog.create_table("lab.events", schema=SCHEMA, partition_spec=SPEC)
    table.append(rows(0, 120, DAYS[:3]))
    first = table.current_snapshot()
    assert first is not None
    # The next commit must be a later millisecond, so as_of=<first's time> names the first.
    while int(time.time() * 1000) <= first.timestamp_ms:
        time.sleep(0.002)
    table.append(rows(120, 150, DAYS[2:]))
    table.append(rows(270, 30, DAYS))
    table.delete("id > 280 and day == '2024-01-02'")
    table = catalog.load_table("lab.events")
    snapshots = [s.snapshot_id for s in table.snapshots()]
    return Lake(
        table,
        {"catalog_uri": catalog_uri, "table": "lab.events", **options},
        snapshots,
        first.timestamp_ms,
    )


def fs_lake(tmp_path: Path) -> Lake:
    """Written by PyIceberg's own pyarrow FileIO to file://, read through opendal_lab's fs."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    uri = f"sqlite:///{tmp_path}/catalog.db"
    return make_lake(uri, {"warehouse": f"file://{warehouse}"}, {})


def memory_lake(tmp_path: Path) -> Lake:
    """Written and read through opendal_lab's memory store (this process only: threads)."""
    uri = f"sqlite:///{tmp_path}/catalog.db"
    warehouse = f"opendal+memory://iceberg-{uuid.uuid4().hex[:8]}/warehouse"
    return make_lake(uri, {"warehouse": warehouse, "py-io-impl": PY_IO_IMPL}, {})


def s3_lake(tmp_path: Path, moto: MotoServer, bucket: str) -> Lake:
    """Written by PyIceberg's pyarrow S3 FileIO to s3://, read through opendal_lab's s3."""
    uri = f"sqlite:///{tmp_path}/catalog.db"
    properties = {
        "warehouse": f"s3://{bucket}/warehouse",
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
    return make_lake(uri, properties, storage)


@pytest.fixture(params=["fs", "memory", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    if request.param == "fs":
        return fs_lake(tmp_path)
    if request.param == "memory":
        return memory_lake(tmp_path)
    moto: MotoServer = request.getfixturevalue("moto_server")
    return s3_lake(tmp_path, moto, request.getfixturevalue("s3_bucket"))


@pytest.fixture
def fs(tmp_path: Path) -> Lake:
    return fs_lake(tmp_path)


class Spy(IcebergSource):
    """Counts the partitions each plan holds and the filters it was given."""

    plans: ClassVar[list[tuple[int, list[Filter]]]] = []

    def plan_partitions(
        self, options: dict[str, str], *, filters: Sequence[Filter] | None = None
    ) -> list[dict[str, Any]]:
        specs = super().plan_partitions(options, filters=filters)
        type(self).plans.append((len(specs), list(filters or [])))
        return specs


@pytest.fixture
def spy() -> Iterator[type[Spy]]:
    Spy.plans = []
    yield Spy
    Spy.plans = []


# -- reads equal PyIceberg's -------------------------------------------------------------------
def test_load_equals_pyiceberg(lake: Lake) -> None:
    got = load(IcebergSource, lake.options)
    want = lake.expected()
    assert got.height == want.height > 0
    assert not got.filter((pl.col("id") > 280) & (pl.col("day") == DAYS[1])).height  # deleted
    same(got, want)


def test_filters_and_projection_equal_pyiceberg(lake: Lake) -> None:
    lf = scan(IcebergSource, lake.options)
    got = lf.filter((pl.col("day") >= DAYS[2]) & (pl.col("name") == "n1")).select("id", "amount")
    want = lake.expected("day > '2024-01-02' and name == 'n1'", columns=("id", "amount"))
    assert want.height > 0
    same(got.collect(), want)


def test_an_older_snapshot_by_id(lake: Lake) -> None:
    first, second = lake.snapshots[:2]
    for snapshot in (first, second):
        got = load(IcebergSource, {**lake.options, "snapshot_id": str(snapshot)})
        same(got, lake.expected(snapshot_id=snapshot))
    assert load(IcebergSource, {**lake.options, "snapshot_id": str(first)}).height == 120


def test_an_older_snapshot_by_timestamp(fs: Lake) -> None:
    first = fs.snapshots[0]
    want = fs.expected(snapshot_id=first)
    iso = datetime.fromtimestamp(fs.first_ms / 1000, timezone.utc).isoformat(
        timespec="milliseconds"
    )
    for as_of in (str(fs.first_ms), iso, iso.replace("+00:00", "Z")):
        same(load(IcebergSource, {**fs.options, "as_of": as_of}), want)
    # A time after the last commit is the current snapshot.
    same(load(IcebergSource, {**fs.options, "as_of": "2999-01-01T00:00:00"}), fs.expected())


def test_an_older_snapshot_lazily_with_a_filter(fs: Lake) -> None:
    second = fs.snapshots[1]
    lf = scan(IcebergSource, {**fs.options, "snapshot_id": str(second)})
    got = lf.filter(pl.col("id") < 130).select("id", "day").collect()
    same(got, fs.expected("id < 130", ("id", "day"), second))


def test_a_filter_prunes_partitions_at_planning(fs: Lake, spy: type[Spy]) -> None:
    everything = load(spy, fs.options)
    all_files = spy.plans[-1][0]
    got = scan(spy, fs.options).filter(pl.col("day") == DAYS[0]).collect()
    planned, filters = spy.plans[-1]
    assert filters == [Filter("day", "==", DAYS[0])]
    assert 0 < planned < all_files
    same(got, everything.filter(pl.col("day") == DAYS[0]))
    same(got, fs.expected("day == '2024-01-01'"))


def test_filters_pyiceberg_cannot_apply_exactly_stay_with_the_loader(fs: Lake) -> None:
    source = IcebergSource()
    filters = [
        Filter("id", ">", 10),
        Filter("name", "in", ("n1", "n2")),
        Filter("flag", "==", True),
        Filter("day", "<=", DAYS[3]),
        Filter("amount", ">", 3.0),  # NaN orders above numbers in Polars, not in pyarrow
        Filter("amount", "is_not_null"),
        Filter("id", ">", 1.5),  # a float against a long column would be rounded
    ]
    source.infer_schema(fs.options)
    claimed = source.exact_filters(filters, fs.options)
    assert claimed == [filters[0], filters[1], filters[2], filters[3], filters[5]]
    # NaN amounts are kept where Polars keeps them: the float filter is the loader's.
    got = scan(IcebergSource, fs.options).filter(pl.col("amount") > 3.0).collect()
    full = load(IcebergSource, fs.options)
    assert got.height == full.filter(pl.col("amount") > 3.0).height
    assert got["amount"].is_nan().sum() > 0


def add_position_deletes(table: Table, positions: list[int]) -> tuple[Table, str]:
    """Delete rows of the biggest data file by position, in a delete file of their own.

    PyIceberg writes no delete files (its deletes rewrite the data files), so the file is
    made here and added in a fast append: PyIceberg's planner sorts entries by their
    content, so it pairs the delete file with the data file as a reader of any writer's
    delete manifests would.
    """
    import io

    import pyarrow.parquet as pq
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

    task = max(table.scan().plan_files(), key=lambda t: t.file.record_count)
    assert task.file.record_count > max(positions)
    target = task.file.file_path
    buf = io.BytesIO()
    pq.write_table(
        pa.table({"file_path": [target] * len(positions), "pos": pa.array(positions, pa.int64())}),
        buf,
    )
    location = f"{table.location()}/data/deletes-{uuid.uuid4().hex[:8]}.parquet"
    with table.io.new_output(location).create() as out:
        out.write(buf.getvalue())
    delete_file = DataFile.from_args(
        _table_format_version=2,
        content=DataFileContent.POSITION_DELETES,
        file_path=location,
        file_format=FileFormat.PARQUET,
        partition=task.file.partition,
        record_count=len(positions),
        file_size_in_bytes=len(buf.getvalue()),
        spec_id=task.file.spec_id,
    )
    with table.transaction() as tx, tx.update_snapshot().fast_append() as append:
        append.append_data_file(delete_file)
    return table.refresh(), target


def test_position_delete_files_apply(lake: Lake, spy: type[Spy]) -> None:
    before = lake.expected()
    lake.table, target = add_position_deletes(lake.table, [0, 2, 5])
    want = lake.expected()
    assert want.height == before.height - 3
    got = load(spy, lake.options)
    same(got, want)
    source = IcebergSource()
    source.infer_schema(lake.options)
    deletes = {s["file"]: s["deletes"] for s in source.plan_partitions(lake.options)}
    assert deletes[target] == 1
    # A position delete file is paired with every data file of its partition (Iceberg's
    # rule; its file_path column picks the rows), as PyIceberg's own plan says.
    assert deletes == {
        t.file.file_path: len(t.delete_files) for t in lake.table.scan().plan_files()
    }
    # A filter with deletes: PyIceberg applies it after the positions are dropped.
    lf = scan(IcebergSource, lake.options).filter(pl.col("id") % 3 != 1)
    same(
        lf.filter(pl.col("name").is_not_null()).collect(),
        want.filter((pl.col("id") % 3 != 1) & pl.col("name").is_not_null()),
    )


def test_limit_and_count(lake: Lake) -> None:
    assert scan(IcebergSource, lake.options).head(7).collect().height == 7
    assert scan(IcebergSource, lake.options).select(pl.len()).collect().item() == (
        lake.expected().height
    )


def test_the_declared_schema(fs: Lake) -> None:
    schema = IcebergSource().infer_schema(fs.options)
    assert schema == ARROW


def test_a_table_with_no_snapshot_is_empty(fs: Lake) -> None:
    got = load(IcebergSource, {**fs.options, "table": "lab.other"})
    assert got.height == 0
    assert got.schema == pl.Schema(ARROW)


def test_specs_are_json_and_name_the_task(fs: Lake) -> None:
    import json

    source = IcebergSource()
    source.infer_schema(fs.options)
    specs = source.plan_partitions(fs.options)
    assert json.loads(json.dumps(specs)) == specs
    files = {t.file.file_path for t in fs.table.scan().plan_files()}
    assert {s["file"] for s in specs} == files
    assert all(s["snapshot"] == fs.snapshots[-1] for s in specs)
    assert sum(s["records"] for s in specs) >= fs.expected().height


def test_a_fresh_worker_reads_the_planned_snapshot(fs: Lake) -> None:
    """A worker with none of the caller's state opens the spec's metadata file, not the
    catalog: a commit made after planning does not change what it reads."""
    from opendal_lab.datasource.sources.iceberg import source as module

    caller = IcebergSource()
    caller.infer_schema(fs.options)
    specs = caller.plan_partitions(fs.options)
    want = fs.expected()
    fs.table.append(rows(1000, 40, DAYS))  # a new snapshot, after the plan
    module._TABLES.clear()
    worker = IcebergSource()
    frames = [pl.concat(list(worker.read_partition(s, fs.options))) for s in specs]
    same(pl.concat(frames), want)
    assert load(IcebergSource, fs.options).height == want.height + 40


def test_a_process_pool_reads_an_fs_warehouse(fs: Lake) -> None:
    """Workers in other processes open the metadata file and plan there (no shared state)."""
    import concurrent.futures as cf
    import multiprocessing

    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        same(load(IcebergSource, fs.options, executor=pool), fs.expected())
        lf = scan(IcebergSource, fs.options, executor=pool).filter(pl.col("day") != DAYS[1])
        same(lf.collect(), fs.expected().filter(pl.col("day") != DAYS[1]))


def test_a_memory_warehouse_on_a_process_pool_is_refused(tmp_path: Path) -> None:
    import concurrent.futures as cf

    lake = memory_lake(tmp_path)
    assert IcebergSource().storage(lake.options) is not None
    with cf.ProcessPoolExecutor(1) as pool, pytest.raises(ConfigInvalid, match="this process only"):
        load(IcebergSource, lake.options, executor=pool)


# -- errors -------------------------------------------------------------------------------------
def test_a_missing_table_lists_the_namespace(fs: Lake) -> None:
    with pytest.raises(NotFound, match=r"no table 'lab.nope'.*lab\.events, lab\.other") as err:
        load(IcebergSource, {**fs.options, "table": "lab.nope"})
    assert "catalog 'default'" in str(err.value)
    with pytest.raises(NotFound, match=r"namespace 'zz' does not exist \(namespaces: lab\)"):
        load(IcebergSource, {**fs.options, "table": "zz.events"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"catalog_uri": None}, "option 'catalog_uri' is required"),
        ({"table": None}, "option 'table' must be 'namespace.table'"),
        ({"table": "events"}, "option 'table' must be 'namespace.table'"),
        ({"tabel": "lab.events"}, "unknown option 'tabel' \\(did you mean 'table'\\?\\)"),
        ({"snapshot_id": "12"}, "has no snapshot 12 \\(its latest: "),
        ({"snapshot_id": "x"}, "option 'snapshot_id' must be an integer"),
        ({"as_of": "2000-01-01"}, "option 'as_of' 2000-01-01T00:00:00.000\\+00:00 is before any"),
        ({"as_of": "yesterday"}, "option 'as_of' must be an ISO timestamp"),
        ({"as_of": "0", "snapshot_id": "1"}, "both pick a snapshot"),
        ({"io": "hdfs"}, "option 'io' must be opendal or pyiceberg"),
    ],
)
def test_bad_options(fs: Lake, change: dict[str, str | None], message: str) -> None:
    options = {k: v for k, v in {**fs.options, **change}.items() if v is not None}
    with pytest.raises(ConfigInvalid, match=f"IcebergSource: .*{message}"):
        load(IcebergSource, options)


def test_a_missing_catalog_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.db"
    with pytest.raises(ConfigInvalid, match=r"the SQLite catalog .*nope\.db' does not exist"):
        load(IcebergSource, {"catalog_uri": f"sqlite:///{path}", "table": "lab.events"})
    assert not path.exists()


def test_credentials_stay_out_of_specs_and_errors(tmp_path: Path, request: Any) -> None:
    moto: MotoServer = request.getfixturevalue("moto_server")
    lake = s3_lake(tmp_path, moto, request.getfixturevalue("s3_bucket"))
    source = IcebergSource()
    source.infer_schema(lake.options)
    assert moto.secret_access_key not in repr(source.plan_partitions(lake.options))
    bad = {**lake.options, "table": "lab.nope"}
    with pytest.raises(NotFound) as err:
        load(IcebergSource, bad)
    assert moto.secret_access_key not in str(err.value)


def test_catalog_properties_pass_through_and_names_ignore_case(fs: Lake) -> None:
    uri = fs.options["catalog_uri"]
    options = {"Catalog.Type": "sql", "catalog.uri": uri, "TABLE": "lab.events"}
    same(load(IcebergSource, options), fs.expected())
    same(load(IcebergSource, {"CATALOG_URI": uri, "Table": "lab.events"}), fs.expected())
    # The SQL catalog keys its rows by catalog name: another name holds nothing.
    named = {"catalog_uri": uri, "table": "lab.events", "catalog_name": "lab"}
    with pytest.raises(NotFound, match=r"catalog 'lab' .*namespace 'lab' does not exist"):
        load(IcebergSource, named)
    with pytest.raises(ConfigInvalid, match=r"options 'catalog_uri' and 'catalog\.uri' differ"):
        load(IcebergSource, {**fs.options, "catalog.uri": "sqlite:////elsewhere.db"})


def test_pyiceberg_s3_properties_reach_the_operator(tmp_path: Path, request: Any) -> None:
    """A REST catalog hands out s3.* properties: they configure opendal_lab's s3 too."""
    moto: MotoServer = request.getfixturevalue("moto_server")
    lake = s3_lake(tmp_path, moto, request.getfixturevalue("s3_bucket"))
    options = {k: v for k, v in lake.options.items() if not k.startswith("storage.")}
    options |= {
        "catalog.s3.endpoint": moto.endpoint,
        "catalog.s3.region": moto.region,
        "catalog.s3.access-key-id": moto.access_key_id,
        "catalog.s3.secret-access-key": moto.secret_access_key,
    }
    same(load(IcebergSource, options), lake.expected())


def test_files_are_read_through_opendal_lab(lake: Lake) -> None:
    from opendal_lab.datasource.sources.iceberg import OpendalFileIO
    from opendal_lab.datasource.sources.iceberg import source as module

    source = IcebergSource()
    source.infer_schema(lake.options)
    spec = source.plan_partitions(lake.options)[0]
    key = module._cache_key(spec["metadata"], module.parse_options(lake.options))
    io = module._TABLES[key].table.io
    assert isinstance(io, OpendalFileIO)
    fs, path = io.resolve(spec["file"])
    assert type(fs).__module__.startswith("opendal_lab.fsspec")
    assert fs.info(path)["size"] == spec["bytes"]


def test_io_pyiceberg_reads_the_same(fs: Lake) -> None:
    from pyiceberg.io.pyarrow import PyArrowFileIO

    from opendal_lab.datasource.sources.iceberg import source as module

    options = {**fs.options, "io": "pyiceberg"}
    same(load(IcebergSource, options), fs.expected())
    assert IcebergSource().storage(options) is None  # not ours to say
    config = module.parse_options(options)
    tables = [e.table for k, e in module._TABLES.items() if k[2] == config.properties]
    assert tables
    assert all(isinstance(t.io, PyArrowFileIO) for t in tables)


def test_the_package_exports_it_without_importing_pyiceberg() -> None:
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys\n"
        "import opendal_lab.datasource as ds\n"
        "before = 'pyiceberg' in sys.modules\n"
        "from opendal_lab.datasource.sources.iceberg import IcebergSource\n"
        "print(json.dumps([before, ds.IcebergSource is IcebergSource,\n"
        "                  'IcebergSource' in ds.__all__]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, True, False]


# -- locations ----------------------------------------------------------------------------------
def test_locations_map_to_opendal_protocols() -> None:
    assert protocol_url("file:///data/wh/x.parquet") == "opendal+fs:///data/wh/x.parquet"
    assert protocol_url("/data/wh/x.parquet") == "opendal+fs:///data/wh/x.parquet"
    assert protocol_url("file:/data/wh/x.parquet") == "opendal+fs:///data/wh/x.parquet"
    assert protocol_url("s3://b/wh/x.parquet") == "opendal+s3://b/wh/x.parquet"
    assert protocol_url("s3a://b/wh/x.parquet") == "opendal+s3://b/wh/x.parquet"
    assert protocol_url("opendal+memory://lab/x") == "opendal+memory://lab/x"
    with pytest.raises(ConfigInvalid, match="no opendal_lab service reads gopher://"):
        protocol_url("gopher://host/x")
    with pytest.raises(ConfigInvalid, match="neither a URL nor an absolute path"):
        protocol_url("relative/x")


# -- by name on Sail ----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_by_name_on_sail(spark: Any, fs: Lake) -> None:
    from opendal_lab.datasource.spark import spark_data_source

    spark.dataSource.register(spark_data_source(IcebergSource, name="lab_iceberg"))
    df = spark.read.format("lab_iceberg").options(**fs.options).load()
    got = pl.from_arrow(df.toArrow())
    assert isinstance(got, pl.DataFrame)
    same(got, fs.expected())
    filtered = pl.from_arrow(df.filter("day = DATE'2024-01-01' AND id > 50").toArrow())
    assert isinstance(filtered, pl.DataFrame)
    same(filtered, fs.expected().filter((pl.col("day") == DAYS[0]) & (pl.col("id") > 50)))
