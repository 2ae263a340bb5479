"""pandas and pyarrow read and write through the ``opendal+<scheme>://`` URLs."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.servers import MotoServer

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


@pytest.fixture(params=["memory", "fs"])
def base_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return f"opendal+memory://pandas-{uuid.uuid4().hex}/data"
    return f"opendal+fs://{tmp_path}/data"


def frame() -> object:
    return pd.DataFrame({"n": range(1000), "s": [f"row {i}" for i in range(1000)]})


def test_parquet_round_trip(base_url: str) -> None:
    df = frame()
    df.to_parquet(f"{base_url}/t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(f"{base_url}/t.parquet"), df)
    got = pd.read_parquet(f"{base_url}/t.parquet", columns=["s"])
    assert list(got.columns) == ["s"]


def test_csv_round_trip(base_url: str) -> None:
    df = frame()
    df.to_csv(f"{base_url}/t.csv", index=False)
    pd.testing.assert_frame_equal(pd.read_csv(f"{base_url}/t.csv"), df)


def test_parquet_dataset_directory(base_url: str) -> None:
    df = frame()
    df.iloc[:500].to_parquet(f"{base_url}/ds/part-0.parquet")
    df.iloc[500:].to_parquet(f"{base_url}/ds/part-1.parquet")
    got = pd.read_parquet(f"{base_url}/ds").sort_values("n").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, df)


def test_parquet_on_s3_with_one_string(moto_server: MotoServer, s3_bucket: str) -> None:
    options = moto_server.config(s3_bucket)
    options.pop("bucket")
    df = frame()
    url = f"opendal+s3://{s3_bucket}/x.parquet"
    df.to_parquet(url, storage_options=options)
    pd.testing.assert_frame_equal(pd.read_parquet(url, storage_options=options), df)


def test_pyarrow_filesystem_handler(base_url: str) -> None:
    import fsspec
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    fs, root = fsspec.core.url_to_fs(base_url)
    pa_fs = pafs.PyFileSystem(pafs.FSSpecHandler(fs))
    df = frame()
    pq.write_table(pa.Table.from_pandas(df), f"{root}/a.parquet", filesystem=pa_fs)
    info = pa_fs.get_file_info(f"{root}/a.parquet")
    assert info.type == pafs.FileType.File
    assert info.size == fs.size(f"{root}/a.parquet")
    assert info.mtime is not None
    assert pa_fs.get_file_info(root).type == pafs.FileType.Directory
    selected = pa_fs.get_file_info(pafs.FileSelector(root, recursive=True))
    assert [i.path for i in selected] == [f"{root}/a.parquet"]
    table = pq.read_table(f"{root}/a.parquet", filesystem=pa_fs)
    pd.testing.assert_frame_equal(table.to_pandas(), df)
