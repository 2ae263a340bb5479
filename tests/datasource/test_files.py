"""FileSource: files on memory, fs and s3 read into Polars, equal to Polars' own reading.

Each test writes its files through an operator (``store``: a memory store, a temporary
directory, a moto bucket), reads them with ``load`` / ``scan`` and compares with the frames
it wrote, or with ``pl.scan_parquet`` on the same files.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import pickle
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from opendal_lab import Operator
from opendal_lab.core.errors import ConfigInvalid, NotFound
from opendal_lab.core.layers.simulate import SimulateLayer
from opendal_lab.datasource import Filter, PartitionFailed, load, scan
from opendal_lab.datasource.loader.prepare import prepare
from opendal_lab.datasource.loader.pushdown import plan_pushdown
from opendal_lab.datasource.sources.files import FileFormatError, FileSource
from opendal_lab.datasource.sources.files import parquet as files_parquet
from opendal_lab.datasource.sources.files import source as files
from opendal_lab.datasource.sources.files.listing import glob_regex
from opendal_lab.datasource.sources.files.options import FileOptions
from tests.datasource.files_data import (
    CountReads,
    Store,
    frame,
    fs_store,
    hive_files,
    make_store,
    mem_store,
    parquet,
    store,
    three_files,
)
from tests.servers import MotoServer

__all__ = ["fs_store", "mem_store", "store"]  # fixtures, used by name

col = pl.col


# -- reading what was written ---------------------------------------------------------------


@pytest.mark.parametrize("partitioning", ["file", "row_group"])
def test_parquet_loads_as_written(store: Store, partitioning: str) -> None:
    expected = three_files(store)
    options = {**store.options, "path": "data/*.parquet", "partitioning": partitioning}
    assert_frame_equal(load(FileSource, options), expected)
    specs = FileSource().plan_partitions(options)
    assert len(specs) == (3 if partitioning == "file" else 3 + 3 + 4)  # 16 rows a group
    assert specs[0]["path"] == "data/part-0.parquet"


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_text_formats_load_as_written(store: Store, fmt: str) -> None:
    expected = three_files(store, fmt).with_columns(col("d").cast(pl.String))
    got = load(FileSource, {**store.options, "path": "data/"})  # the format from the names
    if fmt == "ndjson":
        got = got.select(expected.columns)
    assert_frame_equal(got, expected)
    assert_frame_equal(
        scan(FileSource, {**store.options, "path": f"data/*.{fmt}"})
        .filter(col("n") > 120)
        .select("s", "n")
        .collect(),
        expected.filter(col("n") > 120).select("s", "n"),
    )


def test_hive_directories_become_columns(store: Store) -> None:
    expected = hive_files(store)
    options = {**store.options, "path": "data/**/*.parquet"}
    got = load(FileSource, options)
    assert_frame_equal(got, expected)
    assert FileSource().infer_schema(options).names[-2:] == ["year", "country"]
    no_hive = load(FileSource, {**options, "hive": "false"})
    assert no_hive.columns == ["n", "s", "f", "d", "b"]
    typed = load(FileSource, {**options, "hive_schema": "year:string"})
    assert typed.schema["year"] == pl.String


def test_scan_equals_polars_own_scan(fs_store: Store, tmp_path: Path) -> None:
    hive_files(fs_store)
    root = tmp_path / "root" / "data"
    polars = pl.scan_parquet(f"{root}/**/*.parquet", hive_partitioning=True)
    queries: list[Any] = [
        lambda lf: lf,
        lambda lf: lf.select("s", "year"),
        lambda lf: lf.filter(col("n") > 1110).select("n", "country"),
        lambda lf: lf.filter((col("year") == 2024) & col("s").is_in(["s1", "s2"])),
        lambda lf: lf.filter(col("f").is_null() | (col("country") == "DE")).select("f"),
        lambda lf: lf.filter(col("d") >= datetime.date(2026, 9, 1)).head(7),
        lambda lf: lf.select("country").head(3),
        lambda lf: lf.filter(col("year") > 3000),
        lambda lf: lf.select(pl.len()),
    ]
    for ranged in ("never", "always"):
        for partitioning in ("file", "row_group"):
            options = {
                **fs_store.options,
                "path": "data/**/*.parquet",
                "ranged": ranged,
                "partitioning": partitioning,
            }
            ours = scan(FileSource, options)
            for i, q in enumerate(queries):
                try:
                    assert_frame_equal(q(ours).collect(), q(polars).collect())
                except AssertionError as exc:
                    raise AssertionError(f"query {i}, {ranged}, {partitioning}") from exc


def test_single_file_and_directory_paths(mem_store: Store) -> None:
    expected = three_files(mem_store)
    mem_store.put("data/_SUCCESS", b"")
    mem_store.put("data/.part-0.parquet.crc", b"junk")
    one = load(FileSource, {**mem_store.options, "path": "data/part-1.parquet"})
    assert_frame_equal(one, expected.slice(40, 45))
    assert_frame_equal(load(FileSource, {**mem_store.options, "path": "data"}), expected)
    assert_frame_equal(load(FileSource, {**mem_store.options, "path": "**/*.parquet"}), expected)


def test_prebuilt_operator_and_defaults(mem_store: Store) -> None:
    expected = three_files(mem_store)
    source = FileSource(operator=mem_store.op, path="data/", partitioning="row_group")
    assert_frame_equal(load(source), expected)
    assert_frame_equal(load(source, {"partitioning": "file"}), expected)


def test_by_name(mem_store: Store) -> None:
    expected = three_files(mem_store)
    options = {
        "python_module": "opendal_lab.datasource.sources.files",
        "python_class": "FileSource",
        **mem_store.options,
        "path": "data/*.parquet",
    }
    assert_frame_equal(load(None, options), expected)


# -- pushdown -------------------------------------------------------------------------------


def test_hive_filters_prune_whole_partitions(mem_store: Store) -> None:
    expected = hive_files(mem_store)
    counter = CountReads()
    source = FileSource(operator=mem_store.op.layer(counter), path="data/")
    got = scan(source).filter((col("year") == 2024) & (col("n") % 3 == 0)).select("n").collect()
    assert_frame_equal(got, expected.filter((col("year") == 2024) & (col("n") % 3 == 0))[["n"]])
    # The 2023 files were never read (the schema's footer read is of the first file).
    read = {p for p in counter.reads if "year=2023" in p}
    assert read <= {"data/year=2023/country=DE/part.parquet"}
    assert counter.reads["data/year=2023/country=NL/part.parquet"] == 0
    # plan_partitions drops them when given the filters (for when the protocol offers them).
    specs = source.plan_partitions({}, filters=[Filter("year", "==", 2024)])
    assert [s["hive"] for s in specs] == [
        {"year": "2024", "country": "DE"},
        {"year": "2024", "country": "NL"},
    ]


def test_every_filter_is_claimed_exact_so_the_limit_goes_down(mem_store: Store) -> None:
    three_files(mem_store)
    prepared = prepare(FileSource, {**mem_store.options, "path": "data/"})
    pushdown = plan_pushdown(prepared, ["s"], (col("n") > 5) & col("s").is_null(), 4)
    assert pushdown.reapply is None
    assert pushdown.kwargs == {
        "columns": ["s"],
        "filters": [Filter("n", ">", 5), Filter("s", "is_null")],
        "limit": 4,
    }
    source = FileSource()
    spec = source.plan_partitions(prepared.options)[0]
    source.infer_schema(prepared.options)
    pieces = list(source.read_partition(spec, prepared.options, **pushdown.kwargs))
    assert [p.to_dicts() for p in pieces] == [[{"s": None}] * 4]


def test_ranged_reads_fetch_only_needed_chunks(
    mem_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = frame(200_000)
    data = parquet(big, row_group_size=50_000)
    mem_store.put("big.parquet", data)
    meta = pq.read_metadata(pa.BufferReader(data))
    n_chunks = [meta.row_group(g).column(0).total_compressed_size for g in (2, 3)]
    monkeypatch.setattr(files_parquet, "MERGE_GAP", 0)  # no merging: count the chunks
    counter = CountReads()
    op = mem_store.op.layer(counter)
    source = FileSource(operator=op, path="big.parquet", ranged="always")
    got = scan(source).filter(col("n") >= 120_000).select("n").collect()
    assert_frame_equal(got, big.filter(col("n") >= 120_000)[["n"]])
    # The footer for the schema, the footer for the read, and column n of row groups 2
    # and 3: groups 0 and 1 are pruned by their statistics, the other columns not fetched.
    assert counter.reads["big.parquet"] == counter.ranged == 4
    assert counter.bytes == 2 * files_parquet.FOOTER_GUESS + sum(n_chunks)


def test_remote_projection_reads_ranges_by_default(moto_server: MotoServer, s3_bucket: str) -> None:
    op = Operator("s3", **moto_server.config(s3_bucket))
    big = frame(200_000)
    op.write("big.parquet", parquet(big, row_group_size=50_000))
    counter = CountReads()
    source = FileSource(operator=op.layer(counter), path="big.parquet")  # ranged=auto
    assert_frame_equal(scan(source).select("n").collect(), big.select("n"))
    assert counter.reads["big.parquet"] == counter.ranged  # never the whole object
    counter.reads.clear()
    counter.ranged = 0
    assert_frame_equal(scan(source).collect(), big)  # nothing narrows: one whole read
    assert (counter.reads["big.parquet"], counter.ranged) == (2, 1)  # + the schema's footer


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("data/**/*.parquet", ["data/a.parquet", "data/x/y/b.parquet"], ["data/a.csv"]),
        ("**", ["a", "a/b/c"], []),
        ("d/*.csv", ["d/a.csv"], ["d/x/a.csv", "e/a.csv"]),
        ("d/part-?.csv", ["d/part-1.csv"], ["d/part-10.csv"]),
        ("d/[ab].csv", ["d/a.csv"], ["d/c.csv"]),
        ("d/[!ab].csv", ["d/c.csv"], ["d/a.csv"]),
    ],
)
def test_glob(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = glob_regex(pattern)
    assert all(regex.match(p) for p in matches)
    assert not any(regex.match(p) for p in misses)


def test_hive_types_and_nulls(mem_store: Store) -> None:
    dirs = [
        "k=1/v=1.5/f=x/on=true",
        "k=-2/v=2/f=3/on=false",
        "k=__HIVE_DEFAULT_PARTITION__/v=/f=a%2Fb/on=true",
    ]
    for i, d in enumerate(dirs):
        mem_store.put(f"t/{d}/p.parquet", parquet(pl.DataFrame({"i": [i]})))
    options = {**mem_store.options, "path": "t/"}
    got = load(FileSource, options)
    assert got.schema == pl.Schema(
        {"i": pl.Int64, "k": pl.Int64, "v": pl.Float64, "f": pl.String, "on": pl.String}
    )
    assert got.sort("i").rows() == [
        (0, 1, 1.5, "x", "true"),
        (1, -2, 2.0, "3", "false"),
        (2, None, None, "a/b", "true"),
    ]
    typed = load(FileSource, {**options, "hive_schema": "k:int8, on:bool, v:float32"})
    assert typed.schema["k"] == pl.Int8
    assert typed.sort("i")["on"].to_list() == [True, False, True]
    # Two directories do not parse (f=x and f=a/b); partitions run concurrently and the
    # first to fail is reported, so either may be the one named.
    with pytest.raises(PartitionFailed, match=r"hive directory f=(x|a/b) does not parse as Int32"):
        load(FileSource, {**options, "hive_schema": "f:int32"})


def test_csv_without_header_and_other_separator(mem_store: Store) -> None:
    mem_store.put("a.txt", b"1;x\n2;y\n")
    mem_store.put("b.txt", b"3;z\n")
    options = {
        **mem_store.options,
        "path": "*.txt",
        "format": "csv",
        "header": "false",
        "separator": ";",
    }
    got = load(FileSource, options)
    assert got.rows() == [(1, "x"), (2, "y"), (3, "z")]
    assert got.columns[0] != got.columns[1]


# -- errors ---------------------------------------------------------------------------------


def test_no_matching_file(mem_store: Store) -> None:
    with pytest.raises(NotFound, match=r"no file matches 'nothing/\*.parquet' on memory://"):
        load(FileSource, {**mem_store.options, "path": "nothing/*.parquet"})


def test_a_file_gone_after_planning_names_it(mem_store: Store) -> None:
    three_files(mem_store)
    source = FileSource()
    options = {**mem_store.options, "path": "data/"}
    lf = scan(source, options)
    mem_store.op.delete("data/part-1.parquet")
    lf.collect()  # planned at collect: the file is no longer listed
    real_plan = source.plan_partitions

    def stale_plan(options: dict[str, str], **kw: Any) -> list[dict[str, Any]]:
        return [*real_plan(options), {"path": "data/part-1.parquet", "size": 9999}]

    source.plan_partitions = stale_plan  # type: ignore[method-assign]
    with pytest.raises(PartitionFailed, match=r"data/part-1\.parquet") as e:
        lf.collect()
    assert isinstance(e.value.__cause__, FileNotFoundError)


def test_bad_format_names_the_file(mem_store: Store) -> None:
    three_files(mem_store)
    mem_store.put("data/part-9.parquet", b"this is not parquet at all")
    with pytest.raises(PartitionFailed, match=r"data/part-9\.parquet") as e:
        load(FileSource, {**mem_store.options, "path": "data/"})
    cause = e.value.__cause__
    assert isinstance(cause, FileFormatError)
    assert cause.path == "data/part-9.parquet"
    assert "not a parquet file" in str(cause)


def test_mixed_schemas_name_both_files(mem_store: Store) -> None:
    three_files(mem_store)
    odd = frame(10).with_columns(col("n").cast(pl.Int32))
    mem_store.put("data/part-5.parquet", parquet(odd))
    with pytest.raises(PartitionFailed) as e:
        load(FileSource, {**mem_store.options, "path": "data/"})
    assert str(e.value.__cause__).startswith(
        "data/part-5.parquet: has column 'n' as Int32, but data/part-0.parquet has it as Int64"
    )
    mem_store.put("data/part-5.parquet", parquet(frame(10).drop("b")))
    with pytest.raises(PartitionFailed, match=r"part-5.parquet: has no column 'b'"):
        load(FileSource, {**mem_store.options, "path": "data/"})


def test_csv_header_mismatch_and_bad_values(mem_store: Store) -> None:
    mem_store.put("a.csv", b"x,y\n1,p\n")
    mem_store.put("b.csv", b"x,z\n2,q\n")
    with pytest.raises(PartitionFailed, match=r"b\.csv: its header \['x', 'z'\] differ"):
        load(FileSource, {**mem_store.options, "path": "*.csv"})
    mem_store.put("b.csv", b"x,y\nnope,q\n")
    with pytest.raises(PartitionFailed, match=r"'path': 'b\.csv'.*could not parse `nope`"):
        load(FileSource, {**mem_store.options, "path": "*.csv"})


def test_every_option_is_listed_in_the_module_docstring() -> None:
    doc = files.__doc__ or ""
    names = {f.name for f in dataclasses.fields(FileOptions)} - {"operator_config"}
    assert [n for n in sorted(names) if f"``{n}``" not in doc] == []


def test_option_errors(mem_store: Store) -> None:
    three_files(mem_store)
    base = {**mem_store.options, "path": "data/"}
    with pytest.raises(ConfigInvalid, match="option 'uri' is required"):
        load(FileSource, {"path": "x"})
    with pytest.raises(ConfigInvalid, match=r"'partioning'.*neither a FileSource option"):
        load(FileSource, {**base, "partioning": "file"})
    with pytest.raises(ConfigInvalid, match="option 'format' must be one of"):
        load(FileSource, {**base, "format": "xlsx"})
    with pytest.raises(ConfigInvalid, match="'row_group' needs parquet"):
        load(FileSource, {**base, "format": "csv", "partitioning": "row_group"})
    mem_store.put("notes/readme.txt", b"hello")
    with pytest.raises(ConfigInvalid, match=r"cannot tell the format of notes/readme\.txt"):
        load(FileSource, {**mem_store.options, "path": "notes/"})
    with pytest.raises(ConfigInvalid, match="hive_schema"):
        load(FileSource, {**base, "hive_schema": "year:decimal"})


def test_mixed_hive_keys_name_the_file(mem_store: Store) -> None:
    hive_files(mem_store)
    mem_store.put("data/year=2025/part.parquet", parquet(frame(3)))
    with pytest.raises(FileFormatError, match=r"data/year=2025/part.parquet: its hive"):
        load(FileSource, {**mem_store.options, "path": "data/"})


def test_specs_are_small_and_hold_no_secret(moto_server: MotoServer, s3_bucket: str) -> None:
    store = Store("s3", {}, Operator("s3", **moto_server.config(s3_bucket, root="/root")))
    hive_files(store)
    config = moto_server.config(s3_bucket)
    del config["bucket"]
    options = {"uri": f"s3://{s3_bucket}/root", **config, "path": "data/"}
    specs = FileSource().plan_partitions(options)
    text = json.dumps(specs)
    assert moto_server.secret_access_key not in text
    assert json.loads(text)[0] == {
        "path": "data/year=2023/country=DE/part.parquet",
        "size": specs[0]["size"],
        "hive": {"year": "2023", "country": "DE"},
    }
    source = FileSource()
    source.infer_schema(options)
    assert len(pickle.dumps(source)) < 2000


# -- on a Dask cluster ------------------------------------------------------------------------


@pytest.fixture
def dask_executor(dask_process_client: Any) -> Any:
    return dask_process_client.get_executor()


@pytest.mark.parametrize("name", ["fs", "s3"])
def test_on_dask_processes(
    name: str, dask_executor: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = make_store(name, tmp_path, request)
    expected = hive_files(store)
    options = {**store.options, "path": "data/"}
    assert_frame_equal(load(FileSource, options, executor=dask_executor), expected)
    rg = {**options, "partitioning": "row_group", "ranged": "always"}
    query = (col("year") == 2024) & (col("n") > 1110)
    got = scan(FileSource, rg, executor=dask_executor).filter(query).select("n", "country")
    assert_frame_equal(got.collect(), expected.filter(query).select("n", "country"))
    store.put("data/year=2024/country=NL/part.parquet", b"garbage")
    with pytest.raises(PartitionFailed) as e:
        load(FileSource, options, executor=dask_executor)
    assert isinstance(e.value.__cause__, FileFormatError)
    assert e.value.__cause__.path == "data/year=2024/country=NL/part.parquet"


def test_simulation_options_reach_the_operator(mem_store: Store) -> None:
    three_files(mem_store)
    options = {**mem_store.options, "path": "data/", "simulate.list_recursive": "false"}
    layer = FileSource().storage(options).simulate
    assert isinstance(layer, SimulateLayer)
    assert layer.switches["list_recursive"] is False
    assert layer.switches["create_dir"] is True
    assert (
        load(FileSource, {**mem_store.options, "path": "data/", "simulate": "none"}).height == 135
    )
    with pytest.raises(ConfigInvalid, match="list_recursive"):
        load(FileSource, {**options, "simulate.list_recursiv": "false"})
