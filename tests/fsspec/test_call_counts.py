"""How many storage calls a parquet read makes through OpendalFileSystem.

A counting layer, outermost on the operator, sees every call that reaches the service (its
``forwards_plain`` stays empty, so plain stat/read calls go through
it too). Each consumer reads one parquet file of two row groups and two columns, whole and one
column, and the bounds are what such a read needs:

- at most one stat of the file: pyarrow (``pd.read_parquet``, ``PyFileSystem(FSSpecHandler)``)
  asks ``info``, then ``isfile`` + ``open`` for the footer and ``isfile`` + ``open`` again for
  the data. Before infos were remembered, and handed by ``open`` to the file, that was 5 stats;
- no listing;
- reads: the footer (pyarrow reads the last 64 KiB), then at most one read per column chunk
  wanted (pyarrow coalesces neighbouring chunks into fewer, larger ranges);
- bytes: the chunks wanted plus the footer. With fsspec's ``"readahead"`` cache every chunk
  read fetched a block (5 MiB) beyond it: here 10.5 MB for a column of 6.9 MB.
"""

from __future__ import annotations

import collections
import io
import threading
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import opendal_lab.fsspec.filesystem as ofs
from opendal_lab import Operator
from opendal_lab.core.access import BaseLayer, LayeredAccess
from opendal_lab.core.errors import ConditionNotMatch
from opendal_lab.core.options import (
    DeleteOptions,
    ListOptions,
    ReadOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.types import Entry, Metadata
from opendal_lab.fsspec import OpendalFileSystem, ReadaheadExactCache
from tests.servers import MotoServer

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
pafs = pytest.importorskip("pyarrow.fs")
pq = pytest.importorskip("pyarrow.parquet")
np = pytest.importorskip("numpy")

KIB = 1024
FOOTER = 64 * KIB  # pyarrow's first read of a parquet file: its last 64 KiB
ROWS_PER_GROUP = 400_000  # 3.2 MB float64/int64 chunks: over half fsspec's 5 MiB block


# -- the counting layer --------------------------------------------------------------------
class CountingAccess(LayeredAccess):
    """Records every stat/read/list/write/delete that passes, with its arguments."""

    layer: CountingLayer

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        self.layer.record("stat", path)
        return self.inner.stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        self.layer.record("read", path, opts.offset, opts.size)
        return self.inner.read(path, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        self.layer.record("list", path, opts.recursive)
        return self.inner.list(path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        self.layer.record("write", path, len(data))
        return self.inner.write(path, data, opts)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self.layer.record("delete", path)
        return self.inner.delete(path, opts)


class CountingLayer(BaseLayer):
    access_class = CountingAccess
    forwards_plain = frozenset()  # the default, said aloud: plain calls must go through us

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()  # pyarrow reads from its I/O threads

    def record(self, op: str, *args: Any) -> None:
        with self._lock:
            self.calls.append((op, *args))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def count(self, op: str) -> int:
        return sum(1 for c in self.calls if c[0] == op)

    def read_bytes(self) -> int:
        return sum(c[3] or 0 for c in self.calls if c[0] == "read")

    def summary(self) -> dict[str, int]:
        return dict(collections.Counter(c[0] for c in self.calls))

    def __repr__(self) -> str:  # fsspec caches instances by repr of their arguments
        return f"CountingLayer(at={id(self):#x})"


# -- the file and where it lives -----------------------------------------------------------
@dataclass(frozen=True)
class Parquet:
    data: bytes
    row_groups: int
    column_bytes: dict[str, int]  # compressed bytes of each column, all row groups


@pytest.fixture(scope="module")
def parquet() -> Parquet:
    rng = np.random.default_rng(7)
    rows = 2 * ROWS_PER_GROUP
    table = pa.table({"a": rng.integers(0, 1 << 62, rows), "b": rng.random(rows)})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=ROWS_PER_GROUP)
    data = sink.getvalue()
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert meta.num_row_groups == 2
    chunks = {
        name: [meta.row_group(g).column(i).total_compressed_size for g in range(2)]
        for i, name in enumerate(("a", "b"))
    }
    # Every chunk is over half of fsspec's default block, so it is fetched exactly as asked.
    assert min(min(c) for c in chunks.values()) > 5 * 2**20 // 2
    sizes = {name: sum(c) for name, c in chunks.items()}
    return Parquet(data, meta.num_row_groups, sizes)


@dataclass
class Target:
    """One file on one service: a counted filesystem, its URL and the options to reach it."""

    fs: OpendalFileSystem
    path: str  # as the filesystem names it
    url: str
    options: dict[str, Any]  # storage_options for the URL (the counting layer included)
    layer: CountingLayer


def _target(
    scheme: str, config: dict[str, Any], url: str, path: str, url_options: dict[str, Any]
) -> Target:
    layer = CountingLayer()
    # Infos are remembered for 1 s by default; a minute here keeps a loaded machine from
    # turning a slow read into an extra stat. The expiry itself is tested on its own below.
    fs = OpendalFileSystem(operator=Operator(scheme, **config).layer(layer), info_expiry_time=60)
    options = {**url_options, "layers": [layer], "info_expiry_time": 60}
    return Target(fs, path, url, options, layer)


@pytest.fixture(params=["memory", "fs", "s3"])
def target(request: pytest.FixtureRequest, tmp_path: Path, parquet: Parquet) -> Target:
    if request.param == "memory":
        name = f"counts-{uuid.uuid4().hex}"
        t = _target(
            "memory", {"name": name}, f"opendal+memory://{name}/d/t.parquet", "d/t.parquet", {}
        )
    elif request.param == "fs":
        file = f"{tmp_path}/d/t.parquet"
        t = _target("fs", {"root": "/"}, f"opendal+fs://{file}", file.lstrip("/"), {})
    else:
        moto_server: MotoServer = request.getfixturevalue("moto_server")
        bucket = request.getfixturevalue("s3_bucket")
        config = moto_server.config(bucket)
        options = {k: v for k, v in config.items() if k != "bucket"}
        t = _target("s3", config, f"opendal+s3://{bucket}/d/t.parquet", "d/t.parquet", options)
    t.fs.pipe_file(t.path, parquet.data)
    return t


def _measure(target: Target, read: Callable[[], Any]) -> Any:
    """Run ``read`` from a cold start (nothing remembered) and return what it returned."""
    target.fs.invalidate_cache()
    target.layer.reset()
    return read()


# -- the consumers -------------------------------------------------------------------------
def _pandas_url(t: Target, columns: list[str] | None) -> Any:
    return pd.read_parquet(t.url, columns=columns, storage_options=t.options)


def _pyarrow_handler(t: Target, columns: list[str] | None) -> Any:
    handler = pafs.PyFileSystem(pafs.FSSpecHandler(t.fs))
    return pq.read_table(t.path, columns=columns, filesystem=handler).to_pandas()


def _polars_url(t: Target, columns: list[str] | None) -> Any:
    return pl.read_parquet(t.url, columns=columns, use_pyarrow=True, storage_options=t.options)


def _polars_file(t: Target, columns: list[str] | None) -> Any:
    with t.fs.open(t.path, "rb") as f:
        return pl.read_parquet(f, columns=columns, use_pyarrow=True)


def _pandas_file(t: Target, columns: list[str] | None) -> Any:
    with t.fs.open(t.path, "rb") as f:
        return pd.read_parquet(f, columns=columns)


CONSUMERS = {
    "pd.read_parquet(url)": _pandas_url,
    "pq.read_table(PyFileSystem(FSSpecHandler(fs)))": _pyarrow_handler,
    "pl.read_parquet(url, use_pyarrow=True)": _polars_url,
    "pl.read_parquet(fs.open(), use_pyarrow=True)": _polars_file,
    "pd.read_parquet(fs.open())": _pandas_file,
}


@pytest.mark.parametrize("columns", [None, ["b"]], ids=["all", "one-column"])
@pytest.mark.parametrize("consumer", list(CONSUMERS))
def test_parquet_read_calls(
    target: Target, parquet: Parquet, consumer: str, columns: list[str] | None
) -> None:
    got = _measure(target, lambda: CONSUMERS[consumer](target, columns))
    assert got.shape == (2 * ROWS_PER_GROUP, 2 if columns is None else 1)

    calls = target.layer
    wanted = list(parquet.column_bytes) if columns is None else columns
    print(f"{consumer} {wanted}: {calls.summary()}, {calls.read_bytes()} bytes")
    assert calls.count("stat") <= 1, calls.calls
    assert calls.count("list") == 0, calls.calls
    assert calls.count("read") <= 1 + parquet.row_groups * len(wanted), calls.calls
    needed = sum(parquet.column_bytes[c] for c in wanted)
    assert calls.read_bytes() <= needed + 2 * FOOTER, calls.calls
    assert {c[1] for c in calls.calls} == {target.path}


def test_dataset_directory_stats_each_file_once(tmp_path: Path) -> None:
    layer = CountingLayer()
    op = Operator("fs", root=str(tmp_path)).layer(layer)
    fs = OpendalFileSystem(operator=op, info_expiry_time=60)
    df = pd.DataFrame({"n": range(300)})
    for i in range(3):
        fs.pipe_file(f"ds/part-{i}.parquet", df.iloc[i * 100 : (i + 1) * 100].to_parquet())
    fs.invalidate_cache()
    layer.reset()
    got = pd.read_parquet("ds", filesystem=fs)
    assert sorted(got["n"]) == list(range(300))
    # The directory: stat("ds") fails, stat("ds/") finds it (once, however often pyarrow asks);
    # one recursive listing; then one stat per file (the listing's entries are not reused).
    stats = collections.Counter(c[1] for c in layer.calls if c[0] == "stat")
    assert stats == {"ds": 1, "ds/": 1, **{f"ds/part-{i}.parquet": 1 for i in range(3)}}
    assert layer.count("list") == 1


# -- what makes the counts low, one piece at a time ----------------------------------------
@pytest.fixture
def counted() -> tuple[OpendalFileSystem, CountingLayer]:
    layer = CountingLayer()
    op = Operator("memory", name=uuid.uuid4().hex).layer(layer)
    fs = OpendalFileSystem(operator=op, info_expiry_time=60)
    fs.pipe_file("f", bytes(range(256)) * 100)
    fs.invalidate_cache()
    layer.reset()
    return fs, layer


def test_open_takes_the_size_from_the_info_it_has(
    counted: tuple[OpendalFileSystem, CountingLayer],
) -> None:
    fs, layer = counted
    assert fs.isfile("f")
    with fs.open("f", "rb") as f:
        assert f.size == 25_600
        assert f.read(3) == b"\x00\x01\x02"
    assert layer.count("stat") == 1
    layer.reset()
    with fs.open("f", "rb", size=25_600) as f:  # fsspec's own way to skip the stat
        assert f.read(2) == b"\x00\x01"
    assert layer.count("stat") == 0


def test_a_change_through_any_instance_forgets_remembered_infos(
    counted: tuple[OpendalFileSystem, CountingLayer],
) -> None:
    fs, _ = counted
    assert fs.info("f")["size"] == 25_600
    other = OpendalFileSystem(operator=fs.operator)  # e.g. the instance fsspec made for a URL
    other.pipe_file("f", b"short")
    assert fs.info("f")["size"] == 5
    with other.open("f", "wb") as f:
        f.write(b"longer now")
    assert fs.cat_file("f", 0, 100) == b"longer now"
    with fs.open("f", "rb") as f:
        assert f.read() == b"longer now"
    other.rm("f")
    assert not fs.isfile("f")


def test_info_expiry_time(
    counted: tuple[OpendalFileSystem, CountingLayer], monkeypatch: pytest.MonkeyPatch
) -> None:
    fs, layer = counted
    off = OpendalFileSystem(operator=fs.operator, info_expiry_time=0)
    off.info("f")
    off.info("f")
    assert layer.count("stat") == 2
    layer.reset()
    now = [1000.0]
    monkeypatch.setattr(ofs, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    default = OpendalFileSystem(operator=fs.operator)
    default.info("f")
    now[0] += 0.9
    default.info("f")
    assert layer.count("stat") == 1
    now[0] += 0.2  # 1.1 s after the stat: older than the default 1 s
    default.info("f")
    assert layer.count("stat") == 2
    with pytest.raises(ValueError, match="info_expiry_time"):
        OpendalFileSystem(operator=fs.operator, info_expiry_time=-1)


def test_a_file_replaced_behind_the_remembered_info_is_never_read_torn(
    counted: tuple[OpendalFileSystem, CountingLayer],
) -> None:
    fs, _ = counted
    fs.info("f")  # remembered: 25,600 bytes, etag of this version
    fs.operator.write("f", b"x" * 30_000)  # straight through the operator: no fs is told
    with fs.open("f", "rb") as f:
        # Pinned by if_match to the remembered version: the first read notices the change
        # and starts over on the new object, size and all, instead of reading it torn.
        assert f.read() == b"x" * 30_000
        assert f.size == 30_000
    with fs.open("f", "rb", block_size=1024, cache_type="none") as f:
        assert f.read(10) == b"x" * 10
        fs.operator.write("f", b"y" * 30_000)  # replaced after bytes were read from it
        with pytest.raises(ConditionNotMatch, match="since the file was opened and read from"):
            f.read()
    with fs.open("f", "rb") as f:  # the failure dropped the remembered info
        assert f.read() == b"y" * 30_000


def test_opening_a_directory_for_reading_raises(
    counted: tuple[OpendalFileSystem, CountingLayer],
) -> None:
    fs, _ = counted
    fs.pipe_file("d/x", b"1")
    with pytest.raises(IsADirectoryError):
        fs.open("d", "rb")


def test_readahead_exact_cache() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    fetched: list[tuple[int, int]] = []

    def fetcher(start: int, end: int) -> bytes:
        fetched.append((start, end))
        return data[start:end]

    block = 64 * KIB
    cache = ReadaheadExactCache(block, fetcher, len(data))
    # Small sequential reads: one fetch per block.
    out = b"".join(cache._fetch(i, i + 1000) for i in range(0, 4 * block, 1000))
    assert out == data[: len(out)]
    assert len(fetched) == 5  # 4 blocks and a bit
    # A read of half a block or more: exactly what was asked, once.
    fetched.clear()
    assert cache._fetch(500_000, 500_000 + block // 2) == data[500_000 : 500_000 + block // 2]
    assert fetched == [(500_000, 500_000 + block // 2)]
    # Straddling the kept block: only the rest is fetched.
    fetched.clear()
    start = cache.end - 10
    assert cache._fetch(start, start + 100) == data[start : start + 100]
    assert fetched == [(start + 10, start + 10 + block)]
    # Past the end, empty, clamped.
    assert cache._fetch(len(data), len(data) + 5) == b""
    assert cache._fetch(10, 10) == b""
    assert cache._fetch(len(data) - 3, None) == data[-3:]
    # Anything, in any order, reads right.
    rng = np.random.default_rng(3)
    for _ in range(200):
        a = int(rng.integers(0, len(data)))
        b = a + int(rng.integers(0, 3 * block))
        assert cache._fetch(a, b) == data[a:b]


def test_open_files_use_the_exact_readahead_cache_by_default(
    counted: tuple[OpendalFileSystem, CountingLayer],
) -> None:
    fs, _ = counted
    with fs.open("f", "rb") as f:
        assert isinstance(f.cache, ReadaheadExactCache)
    with fs.open("f", "rb", cache_type="readahead") as f:
        assert type(f.cache).__name__ == "ReadAheadCache"
