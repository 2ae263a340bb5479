"""polars reads and writes through OpendalFileSystem: file objects, pyarrow, and fsspec URLs.

What polars 2.x does with a URL depends on the reader:

- Its native (Rust) readers and writers (``read_parquet``, ``scan_parquet``, ``read_csv``,
  ``scan_csv``, ``read_ndjson``, ``write_parquet``, ...) know a fixed list of cloud schemes
  (s3, gs, az, hf, http, file) and take anything else for a local path: an ``opendal+...://``
  URL is never handed to fsspec, it fails as a missing local file.
- ``read_parquet(..., use_pyarrow=True)`` and ``read_csv(..., use_pyarrow=True)`` open the URL
  with ``fsspec.open(url, **storage_options)``: those take ``opendal+...://`` URLs and
  ``storage_options``. (``read_csv`` with a non-utf8 ``encoding`` and no pyarrow goes through
  ``fsspec.open`` too, but polars opens it in binary mode and never decodes it: that fails with
  "invalid utf-8 sequence" on every fsspec filesystem, ``memory://`` included.)
- Every reader takes a file object (``fs.open(...)``), every writer writes into one.

Every test runs on memory, fs and s3 (a moto server on loopback).
"""

from __future__ import annotations

from typing import Any

import fsspec
import pytest

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
from polars.testing import assert_frame_equal  # noqa: E402


@pytest.fixture
def fs_root(base_url: str, storage_options: dict[str, Any]) -> tuple[Any, str]:
    """The filesystem the URL names, and the URL's path in it."""
    fs, root = fsspec.core.url_to_fs(base_url, **storage_options)
    return fs, root


def frame(rows: int = 1000) -> Any:
    return pl.DataFrame(
        {
            "n": list(range(rows)),
            "x": [i / 4 for i in range(rows)],
            "s": [f"row {i}" for i in range(rows)],
            "k": [("a", "b", "c")[i % 3] for i in range(rows)],
        }
    )


def test_parquet_through_file_objects(fs_root: tuple[Any, str]) -> None:
    fs, root = fs_root
    df = frame()
    with fs.open(f"{root}/t.parquet", "wb") as f:
        df.write_parquet(f)
    assert fs.cat_file(f"{root}/t.parquet", 0, 4) == b"PAR1"
    with fs.open(f"{root}/t.parquet", "rb") as f:
        assert_frame_equal(pl.read_parquet(f), df)
    with fs.open(f"{root}/t.parquet", "rb") as f:
        assert_frame_equal(pl.read_parquet(f, columns=["s"]), df.select("s"))
    with fs.open(f"{root}/t.parquet", "rb") as f:
        got = pl.scan_parquet(f).filter(pl.col("k") == "b").select("n").collect()
    assert got["n"].to_list() == list(range(1, 1000, 3))
    # pyarrow reads what polars wrote, through the same filesystem.
    assert_frame_equal(pl.from_arrow(pq.read_table(f"{root}/t.parquet", filesystem=fs)), df)


def test_csv_through_file_objects(fs_root: tuple[Any, str]) -> None:
    fs, root = fs_root
    df = frame()
    with fs.open(f"{root}/t.csv", "wb") as f:
        df.write_csv(f)
    assert fs.cat_file(f"{root}/t.csv").startswith(b"n,x,s,k\n0,0.0,row 0,a\n")
    with fs.open(f"{root}/t.csv", "rb") as f:
        assert_frame_equal(pl.read_csv(f), df)
    with fs.open(f"{root}/t.csv", "rb") as f:
        got = pl.read_csv(f, columns=["n", "k"], n_rows=5)
    assert_frame_equal(got, df.select("n", "k").head(5))


def test_ndjson_through_file_objects(fs_root: tuple[Any, str]) -> None:
    fs, root = fs_root
    df = frame(300)
    with fs.open(f"{root}/t.ndjson", "wb") as f:
        df.write_ndjson(f)
    assert fs.cat_file(f"{root}/t.ndjson").count(b"\n") == 300
    with fs.open(f"{root}/t.ndjson", "rb") as f:
        assert_frame_equal(pl.read_ndjson(f), df)


def test_file_objects_opened_from_urls(base_url: str, storage_options: dict[str, Any]) -> None:
    df = frame()
    url = f"{base_url}/u.parquet"
    with fsspec.open(url, "wb", **storage_options) as f:
        df.write_parquet(f)
    with fsspec.open(url, "rb", **storage_options) as f:
        assert_frame_equal(pl.read_parquet(f), df)


def test_read_parquet_url_with_pyarrow(base_url: str, storage_options: dict[str, Any]) -> None:
    df = frame()
    url = f"{base_url}/t.parquet"
    df.to_pandas().to_parquet(url, index=False, storage_options=storage_options)
    got = pl.read_parquet(url, use_pyarrow=True, storage_options=storage_options)
    assert_frame_equal(got, df)
    got = pl.read_parquet(
        url, columns=["n", "s"], use_pyarrow=True, storage_options=storage_options
    )
    assert_frame_equal(got, df.select("n", "s"))


def test_read_csv_url_through_fsspec(base_url: str, storage_options: dict[str, Any]) -> None:
    df = frame()
    fs, path = fsspec.core.url_to_fs(f"{base_url}/t.csv", **storage_options)
    fs.pipe_file(path, df.write_csv().encode())
    got = pl.read_csv(f"{base_url}/t.csv", use_pyarrow=True, storage_options=storage_options)
    assert_frame_equal(got, df)
    # pyarrow decodes a non-utf8 encoding on the way in.
    fs.pipe_file(f"{path}.latin1", "name,n\ncafé,1\nnaïve,2\n".encode("latin1"))
    got = pl.read_csv(
        f"{base_url}/t.csv.latin1",
        encoding="latin1",
        use_pyarrow=True,
        storage_options=storage_options,
    )
    assert_frame_equal(got, pl.DataFrame({"name": ["café", "naïve"], "n": [1, 2]}))


def test_pyarrow_tables_and_hive_dataset(fs_root: tuple[Any, str]) -> None:
    import pyarrow.dataset as ds

    fs, root = fs_root
    df = frame(600)
    pq.write_table(df.to_arrow(), f"{root}/t.parquet", filesystem=fs)
    assert_frame_equal(pl.from_arrow(pq.read_table(f"{root}/t.parquet", filesystem=fs)), df)

    ds.write_dataset(
        df.to_arrow(),
        f"{root}/hive",
        filesystem=fs,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("k", pa.string())]), flavor="hive"),
        basename_template="part-{i}.parquet",
    )
    assert sorted(fs.find(f"{root}/hive")) == [f"{root}/hive/k={k}/part-0.parquet" for k in "abc"]
    dataset = ds.dataset(f"{root}/hive", filesystem=fs, partitioning="hive", format="parquet")
    got = pl.scan_pyarrow_dataset(dataset).filter(pl.col("k") == "c").collect().sort("n")
    want = df.filter(pl.col("k") == "c").select("n", "x", "s", "k")
    assert_frame_equal(got, want)
    table = pq.read_table(f"{root}/hive", filesystem=fs, partitioning="hive")
    got = pl.from_arrow(table).with_columns(pl.col("k").cast(pl.String)).sort("n")
    assert_frame_equal(got, df)


def test_native_readers_and_writers_refuse_opendal_urls(
    base_url: str, storage_options: dict[str, Any], fs_root: tuple[Any, str]
) -> None:
    fs, root = fs_root
    df = frame(10)
    with fs.open(f"{root}/t.parquet", "wb") as f:
        df.write_parquet(f)
    fs.pipe_file(f"{root}/t.csv", df.write_csv().encode())
    url = f"{base_url}/t.parquet"
    # The file is there, but polars looks for a local file named like the URL.
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        pl.read_parquet(url)
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        pl.scan_parquet(url).collect()
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        pl.read_csv(f"{base_url}/t.csv")
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        df.write_parquet(f"{base_url}/w.parquet")
    assert not fs.exists(f"{root}/w.parquet")
