"""pandas and pyarrow read and write through the ``opendal+<scheme>://`` URLs.

Every test runs on memory, fs and s3 (a moto server on loopback); the s3 URLs name the bucket,
the rest of the config (endpoint, region, credentials) goes in ``storage_options``.
"""

from __future__ import annotations

from typing import Any

import fsspec
import pytest

from tests.servers import MotoServer

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pytest.importorskip("pyarrow.dataset")


def frame() -> Any:
    return pd.DataFrame({"n": range(1000), "s": [f"row {i}" for i in range(1000)]})


def partitioned_frame() -> Any:
    return pd.DataFrame(
        {
            "n": range(600),
            "x": [i * 0.5 for i in range(600)],
            "k": [("a", "b", "c")[i % 3] for i in range(600)],
        }
    )


def test_parquet_round_trip(base_url: str, storage_options: dict[str, Any]) -> None:
    df = frame()
    url = f"{base_url}/t.parquet"
    df.to_parquet(url, storage_options=storage_options)
    pd.testing.assert_frame_equal(pd.read_parquet(url, storage_options=storage_options), df)
    got = pd.read_parquet(url, columns=["s"], storage_options=storage_options)
    pd.testing.assert_frame_equal(got, df[["s"]])


def test_csv_round_trip(base_url: str, storage_options: dict[str, Any]) -> None:
    df = frame()
    url = f"{base_url}/t.csv"
    df.to_csv(url, index=False, storage_options=storage_options)
    pd.testing.assert_frame_equal(pd.read_csv(url, storage_options=storage_options), df)
    got = pd.read_csv(url, usecols=["n"], nrows=10, storage_options=storage_options)
    pd.testing.assert_frame_equal(got, df[["n"]].iloc[:10])


def test_compressed_csv_round_trip(base_url: str, storage_options: dict[str, Any]) -> None:
    df = frame()
    url = f"{base_url}/t.csv.gz"
    df.to_csv(url, index=False, storage_options=storage_options)
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    assert fs.cat_file(path)[:2] == b"\x1f\x8b"  # gzip, inferred from the name
    pd.testing.assert_frame_equal(pd.read_csv(url, storage_options=storage_options), df)


def test_read_missing_file_raises(base_url: str, storage_options: dict[str, Any]) -> None:
    with pytest.raises(FileNotFoundError):
        pd.read_parquet(f"{base_url}/missing.parquet", storage_options=storage_options)
    with pytest.raises(FileNotFoundError):
        pd.read_csv(f"{base_url}/missing.csv", storage_options=storage_options)


def test_missing_file_error_names_the_file(base_url: str, storage_options: dict[str, Any]) -> None:
    _, root = fsspec.core.url_to_fs(base_url, **storage_options)
    with pytest.raises(FileNotFoundError) as caught:
        pd.read_csv(f"{base_url}/missing.csv", storage_options=storage_options)
    assert getattr(caught.value, "path", None) == f"{root}/missing.csv"


def test_parquet_dataset_directory(base_url: str, storage_options: dict[str, Any]) -> None:
    df = frame()
    df.iloc[:500].to_parquet(f"{base_url}/ds/part-0.parquet", storage_options=storage_options)
    df.iloc[500:].to_parquet(f"{base_url}/ds/part-1.parquet", storage_options=storage_options)
    got = pd.read_parquet(f"{base_url}/ds", storage_options=storage_options)
    pd.testing.assert_frame_equal(got.sort_values("n").reset_index(drop=True), df)


def test_hive_partitioned_dataset_with_pandas(
    base_url: str, storage_options: dict[str, Any]
) -> None:
    df = partitioned_frame()
    url = f"{base_url}/hive"
    df.to_parquet(url, partition_cols=["k"], index=False, storage_options=storage_options)
    fs, root = fsspec.core.url_to_fs(url, **storage_options)
    assert fs.ls(root, detail=False) == [f"{root}/k=a", f"{root}/k=b", f"{root}/k=c"]
    assert len(fs.find(root)) == 3  # one file per partition

    got = pd.read_parquet(url, storage_options=storage_options)
    assert list(got.columns) == ["n", "x", "k"]  # the partition column comes back, last
    assert isinstance(got["k"].dtype, pd.CategoricalDtype)
    got = got.astype({"k": df["k"].dtype}).sort_values("n").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, df)

    only_b = pd.read_parquet(url, filters=[("k", "=", "b")], storage_options=storage_options)
    want = df[df["k"] == "b"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        only_b.astype({"k": df["k"].dtype}).sort_values("n").reset_index(drop=True), want
    )


def test_hive_partitioned_dataset_with_pyarrow(
    base_url: str, storage_options: dict[str, Any]
) -> None:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    fs, root = fsspec.core.url_to_fs(f"{base_url}/hive", **storage_options)
    pa_fs = pafs.PyFileSystem(pafs.FSSpecHandler(fs))
    df = partitioned_frame()
    ds.write_dataset(
        pa.Table.from_pandas(df, preserve_index=False),
        root,
        filesystem=pa_fs,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("k", pa.string())]), flavor="hive"),
        basename_template="part-{i}.parquet",
    )
    assert sorted(fs.find(root)) == [f"{root}/k={k}/part-0.parquet" for k in "abc"]

    dataset = ds.dataset(root, filesystem=pa_fs, partitioning="hive", format="parquet")
    assert dataset.schema.names == ["n", "x", "k"]
    assert sorted(dataset.files) == [f"{root}/k={k}/part-0.parquet" for k in "abc"]
    got = dataset.to_table().to_pandas().sort_values("n").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, df, check_dtype=False)
    assert got["k"].tolist() == df["k"].tolist()

    # Partition pruning: only the k=c file is opened; the projection drops x.
    table = dataset.to_table(filter=pc.field("k") == "c", columns=["n", "k"])
    assert table.column("n").to_pylist() == list(range(2, 600, 3))
    assert set(table.column("k").to_pylist()) == {"c"}
    assert dataset.count_rows(filter=pc.field("n") < 10) == 10


def test_pyarrow_filesystem_handler(base_url: str, storage_options: dict[str, Any]) -> None:
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    fs, root = fsspec.core.url_to_fs(base_url, **storage_options)
    pa_fs = pafs.PyFileSystem(pafs.FSSpecHandler(fs))
    df = frame()
    pq.write_table(pa.Table.from_pandas(df), f"{root}/a.parquet", filesystem=pa_fs)
    info = pa_fs.get_file_info(f"{root}/a.parquet")
    assert info.type == pafs.FileType.File
    assert info.size == fs.size(f"{root}/a.parquet")
    assert info.mtime is not None
    assert pa_fs.get_file_info(root).type == pafs.FileType.Directory
    assert pa_fs.get_file_info(f"{root}/nope").type == pafs.FileType.NotFound
    selected = pa_fs.get_file_info(pafs.FileSelector(root, recursive=True))
    assert [i.path for i in selected] == [f"{root}/a.parquet"]
    table = pq.read_table(f"{root}/a.parquet", filesystem=pa_fs)
    pd.testing.assert_frame_equal(table.to_pandas(), df)


def test_parquet_on_s3_with_one_string(moto_server: MotoServer, s3_bucket: str) -> None:
    options = moto_server.config(s3_bucket)
    options.pop("bucket")
    df = frame()
    url = f"opendal+s3://{s3_bucket}/x.parquet"
    df.to_parquet(url, storage_options=options)
    pd.testing.assert_frame_equal(pd.read_parquet(url, storage_options=options), df)
    # The object is really in the bucket, under the key the URL names.
    head = moto_server.client().head_object(Bucket=s3_bucket, Key="x.parquet")
    assert head["ContentLength"] > 0
