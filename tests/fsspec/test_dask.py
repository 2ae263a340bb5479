"""Dask reads and writes ``opendal+<scheme>://`` URLs on a local cluster of worker processes.

Every task runs in another process than the test: the filesystem travels pickled in the graph
and is rebuilt on the worker from its scheme and config, and errors travel back pickled. The
workers reach the same moto server (loopback) and the same temporary directory as the test.

A memory store lives in one process. On the process cluster a worker's ``opendal+memory://name``
is a different, empty store than the client's (``test_memory_store_is_per_process`` pins that
down); memory round trips run on a cluster whose workers are threads of the test process, where
the named store is shared.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

from opendal_lab.core.errors import NotFound
from opendal_lab.fsspec import OpendalFileSystem
from tests.fsspec.conftest import service_url

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

# dask's own parquet code calls pandas API that pandas 3.1 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")


@pytest.fixture(params=["fs", "s3"])
def base_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """fs and s3 only: a memory store is per process, and these workers are processes."""
    return service_url(request, tmp_path, request.param)


@pytest.fixture
def client(dask_process_client: Any) -> Iterator[Any]:
    """The process cluster's client, as the scheduler of every compute in the test."""
    with dask.config.set(scheduler=dask_process_client):
        yield dask_process_client


@pytest.fixture
def thread_client(dask_thread_client: Any) -> Iterator[Any]:
    with dask.config.set(scheduler=dask_thread_client):
        yield dask_thread_client


def frame(rows: int = 1000) -> Any:
    return pd.DataFrame(
        {
            "n": range(rows),
            "x": [i / 4 for i in range(rows)],
            "s": [f"row {i}" for i in range(rows)],
        }
    )


def assert_same_frame(got: Any, want: Any) -> None:
    """Equal values, row for row; dask hands strings back as ``string[pyarrow]``."""
    got = got.sort_values("n").reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    assert got["n"].dtype == "int64"
    assert pd.api.types.is_string_dtype(got["s"])
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)


def worker_hosts(client: Any) -> set[str]:
    return set(client.scheduler_info()["workers"])


def test_workers_are_other_processes_that_import_opendal_lab(client: Any) -> None:
    def where() -> tuple[int, str, str]:
        import fsspec as worker_fsspec

        import opendal_lab

        cls = worker_fsspec.get_filesystem_class("opendal+s3")
        return os.getpid(), opendal_lab.__file__ or "", f"{cls.__module__}.{cls.__name__}"

    import opendal_lab

    seen = client.run(where)
    assert len(seen) == 2
    pids = {pid for pid, _, _ in seen.values()}
    assert len(pids) == 2
    assert os.getpid() not in pids
    for _, module_file, cls in seen.values():
        assert module_file == opendal_lab.__file__
        assert cls == "opendal_lab.fsspec.OpendalS3FileSystem"


def test_filesystem_pickles_to_a_worker(
    client: Any, base_url: str, storage_options: dict[str, Any]
) -> None:
    fs, root = fsspec.core.url_to_fs(base_url, **storage_options)
    assert isinstance(fs, OpendalFileSystem)
    fs.pipe_file(f"{root}/from-client", b"written by the client")
    # The bound methods carry the filesystem; each runs on a worker process.
    assert client.submit(fs.cat_file, f"{root}/from-client", pure=False).result() == (
        b"written by the client"
    )
    client.submit(fs.pipe_file, f"{root}/from-worker", b"written by a worker", pure=False).result()
    assert fs.cat_file(f"{root}/from-worker") == b"written by a worker"
    assert client.submit(fs.ls, root, detail=False, pure=False).result() == [
        f"{root}/from-client",
        f"{root}/from-worker",
    ]


def test_parquet_written_by_workers(
    client: Any, base_url: str, storage_options: dict[str, Any]
) -> None:
    df = frame()
    url = f"{base_url}/pq"
    with distributed.get_task_stream(client) as stream:
        dd.from_pandas(df, npartitions=4).to_parquet(url, storage_options=storage_options)
    writes = [t for t in stream.data if t["key"][0].startswith("toparquetdata")]
    assert sorted(t["key"][1] for t in writes) == [0, 1, 2, 3]  # one task per partition
    # The scheduler spreads the four partitions over both (idle, one-thread) workers.
    assert {t["worker"] for t in writes} == worker_hosts(client)

    fs, root = fsspec.core.url_to_fs(url, **storage_options)
    assert sorted(fs.ls(root, detail=False)) == [f"{root}/part.{i}.parquet" for i in range(4)]
    # The client reads what the workers wrote, and the workers read it back.
    assert_same_frame(pd.read_parquet(url, storage_options=storage_options), df)
    got = dd.read_parquet(url, storage_options=storage_options)
    assert got.npartitions == 4
    assert_same_frame(got.compute(), df)
    assert got["n"].sum().compute() == df["n"].sum()


def test_parquet_written_by_the_client_read_on_workers(
    client: Any, base_url: str, storage_options: dict[str, Any]
) -> None:
    df = frame(3000)
    for i in range(3):
        part = df.iloc[i * 1000 : (i + 1) * 1000]
        part.to_parquet(f"{base_url}/ds/{i}.parquet", storage_options=storage_options)
    got = dd.read_parquet(f"{base_url}/ds", storage_options=storage_options)
    assert got.npartitions == 3
    assert_same_frame(got.compute(), df)
    some = dd.read_parquet(
        f"{base_url}/ds",
        columns=["n", "s"],
        filters=[("n", ">=", 2500)],
        storage_options=storage_options,
    ).compute()
    assert sorted(some["n"]) == list(range(2500, 3000))
    assert list(some.columns) == ["n", "s"]


def test_csv_written_by_workers(
    client: Any, base_url: str, storage_options: dict[str, Any]
) -> None:
    df = frame()
    dd.from_pandas(df, npartitions=4).to_csv(
        f"{base_url}/csv/part-*.csv", index=False, storage_options=storage_options
    )
    fs, root = fsspec.core.url_to_fs(f"{base_url}/csv", **storage_options)
    assert sorted(fs.ls(root, detail=False)) == [f"{root}/part-{i}.csv" for i in range(4)]
    assert_same_frame(
        pd.read_csv(f"{base_url}/csv/part-2.csv", storage_options=storage_options), df.iloc[500:750]
    )
    got = dd.read_csv(f"{base_url}/csv/part-*.csv", storage_options=storage_options)
    assert got.npartitions == 4
    assert_same_frame(got.compute(), df)


def test_csv_written_by_the_client_read_in_byte_ranges(
    client: Any, base_url: str, storage_options: dict[str, Any]
) -> None:
    df = frame(5000)
    url = f"{base_url}/big.csv"
    df.to_csv(url, index=False, storage_options=storage_options)
    size = fsspec.core.url_to_fs(url, **storage_options)[0].size(url)
    # Each partition is a byte range of the one file, read by a worker.
    got = dd.read_csv(url, blocksize=size // 4, storage_options=storage_options)
    assert got.npartitions == 4
    assert_same_frame(got.compute(), df)


def test_missing_file_on_a_worker_raises_file_not_found(
    client: Any, base_url: str, storage_options: dict[str, Any]
) -> None:
    df = frame()
    urls = [f"{base_url}/gone/{i}.csv" for i in range(2)]
    df.iloc[:500].to_csv(urls[0], index=False, storage_options=storage_options)
    df.iloc[500:].to_csv(urls[1], index=False, storage_options=storage_options)
    ddf = dd.read_csv(urls, storage_options=storage_options)  # the client samples urls[0]
    fs, path = fsspec.core.url_to_fs(urls[1], **storage_options)
    fs.rm(path)

    future = client.compute(ddf)
    with pytest.raises(FileNotFoundError) as caught:
        future.result()
    assert future.status == "error"  # it failed on the worker
    assert isinstance(caught.value, NotFound)  # rebuilt on the client with its fields
    assert caught.value.service == base_url.partition("://")[0].removeprefix("opendal+")
    assert "gone/1.csv" in str(caught.value)


def test_client_rereads_a_file_a_worker_rewrote(
    client: Any, base_url: str, storage_options: dict[str, Any]
) -> None:
    # Infos are remembered for 1 s by default; 60 s here makes the window certain, not a race.
    storage_options = {**storage_options, "info_expiry_time": 60}
    url = f"{base_url}/again.csv"
    frame(10).to_csv(url, index=False, storage_options=storage_options)
    assert_same_frame(pd.read_csv(url, storage_options=storage_options), frame(10))
    # A worker process rewrites it, longer and different; the client reads it again.
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    rewritten = frame(1000).iloc[::-1].reset_index(drop=True)
    longer = rewritten.to_csv(index=False).encode()
    client.submit(fs.pipe_file, path, longer, pure=False).result()
    assert fs.cat_file(path) == longer  # a whole-object read sees the new object
    got = pd.read_csv(url, storage_options=storage_options)
    pd.testing.assert_frame_equal(got, rewritten, check_dtype=False)


def test_memory_round_trips_on_thread_workers(thread_client: Any) -> None:
    df = frame()
    base = f"opendal+memory://dask-{uuid.uuid4().hex}"
    with distributed.get_task_stream(thread_client) as stream:
        dd.from_pandas(df, npartitions=4).to_parquet(f"{base}/pq")
    assert {t["worker"] for t in stream.data} <= worker_hosts(thread_client)
    fs, root = fsspec.core.url_to_fs(f"{base}/pq")
    assert sorted(fs.ls(root, detail=False)) == [f"{root}/part.{i}.parquet" for i in range(4)]
    assert_same_frame(pd.read_parquet(f"{base}/pq"), df)
    assert_same_frame(dd.read_parquet(f"{base}/pq").compute(), df)

    dd.from_pandas(df, npartitions=4).to_csv(f"{base}/csv/*.csv", index=False)
    assert_same_frame(dd.read_csv(f"{base}/csv/*.csv").compute(), df)


def test_memory_store_is_per_process(client: Any) -> None:
    url = f"opendal+memory://dask-{uuid.uuid4().hex}/one.csv"
    frame().to_csv(url, index=False)
    fs, path = fsspec.core.url_to_fs(url)
    assert fs.cat_file(path)  # here, in the client's process
    with pytest.raises(FileNotFoundError):
        client.submit(fs.cat_file, path, pure=False).result()  # a worker's store is empty
