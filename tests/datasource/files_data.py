"""Files for the FileSource tests, and the stores they live in (memory, fs, s3).

``frame(rows, offset)`` is the data; ``three_files`` and ``hive_files`` write it through a
``Store``'s operator in two layouts and return the frame a load should give back.
"""

from __future__ import annotations

import collections
import datetime
import io
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from opendal_lab import Operator
from opendal_lab.core.access import BaseLayer, LayeredAccess
from opendal_lab.core.options import ReadOptions
from tests.servers import MotoServer

START = datetime.date(2024, 1, 1)


def frame(rows: int, offset: int = 0) -> pl.DataFrame:
    """``n`` offset.., ``s`` (null every 4th), ``f`` (null every 5th), ``d`` a date, ``b``."""
    ns = range(offset, offset + rows)
    return pl.DataFrame(
        {
            "n": pl.Series(list(ns), dtype=pl.Int64),
            "s": [None if n % 4 == 3 else f"s{n % 5}" for n in ns],
            "f": [None if n % 5 == 4 else n / 3 for n in ns],
            "d": [START + datetime.timedelta(days=n) for n in ns],
            "b": [n % 2 == 0 for n in ns],
        }
    )


def parquet(df: pl.DataFrame, row_group_size: int = 16) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf, row_group_size=row_group_size)
    return buf.getvalue()


@dataclass
class Store:
    """Where a test's files live: ``options`` for FileSource, ``op`` to write them with."""

    name: str
    options: dict[str, str]
    op: Operator

    def put(self, path: str, data: bytes) -> None:
        self.op.write(path, data)


def make_store(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    if name == "memory":
        uri = f"memory://files-{uuid.uuid4().hex[:8]}/root"
        return Store(name, {"uri": uri}, Operator.from_uri(uri))
    if name == "fs":
        uri = f"fs://{tmp_path}/root"
        return Store(name, {"uri": uri}, Operator.from_uri(uri))
    moto: MotoServer = request.getfixturevalue("moto_server")
    bucket = request.getfixturevalue("s3_bucket")
    config = moto.config(bucket)
    del config["bucket"]
    options = {"uri": f"s3://{bucket}/root", **config}
    return Store(name, options, Operator.from_uri(options["uri"], **config))


@pytest.fixture(params=["memory", "fs", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return make_store(request.param, tmp_path, request)


@pytest.fixture
def fs_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return make_store("fs", tmp_path, request)


@pytest.fixture
def mem_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return make_store("memory", tmp_path, request)


def three_files(store: Store, fmt: str = "parquet") -> pl.DataFrame:
    """Three files of 40, 45 and 50 rows under data/; the frame they hold, in order."""
    parts = [frame(40 + 5 * i, offset=100 * i) for i in range(3)]
    for i, part in enumerate(parts):
        if fmt == "parquet":
            data = parquet(part)
        elif fmt == "csv":
            data = part.write_csv().encode()
        else:
            data = part.write_ndjson().encode()
        store.put(f"data/part-{i}.{fmt}", data)
    return pl.concat(parts)


def hive_files(store: Store) -> pl.DataFrame:
    """data/year=Y/country=C/part.parquet for two years and two countries."""
    parts = []
    for y, year in enumerate((2023, 2024)):
        for c, country in enumerate(("DE", "NL")):
            part = frame(30, offset=1000 * y + 100 * c)
            store.put(f"data/year={year}/country={country}/part.parquet", parquet(part))
            parts.append(part.with_columns(year=pl.lit(year, pl.Int64), country=pl.lit(country)))
    return pl.concat(parts)


class _CountReads(LayeredAccess):
    layer: CountReads

    def read(self, path: str, opts: ReadOptions) -> bytes:
        self.layer.record(path, opts)
        return self.inner.read(path, opts)


class CountReads(BaseLayer):
    """Counts the reads of each path, and the bytes they asked for."""

    access_class = _CountReads

    def __init__(self) -> None:
        self.reads: collections.Counter[str] = collections.Counter()
        self.ranged = 0
        self.bytes = 0
        self.calls: list[tuple[str, int, int | None]] = []  # (path, offset, size)
        self._lock = threading.Lock()

    def record(self, path: str, opts: ReadOptions) -> None:
        with self._lock:
            self.reads[path] += 1
            self.ranged += opts.size is not None
            self.bytes += opts.size or 0
            self.calls.append((path, opts.offset, opts.size))
