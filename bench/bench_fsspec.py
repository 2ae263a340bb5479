"""Parquet reads through OpendalFileSystem and through fsspec's own filesystems, side by side.

One ~100 MB parquet file (ints, floats and strings, three row groups) is written once to a
temporary directory and uploaded once to a moto S3 server (a subprocess on a loopback port, as
in ``bench_s3.py``). Each row reads it whole or one column, with ``pd.read_parquet`` or
``pl.read_parquet(..., use_pyarrow=True)``, in interleaved rounds:

- ``opendal_lab``: ``OpendalFileSystem`` (the default operator stack), on fs and on s3: pandas
  gets the ``opendal+fs://`` / ``opendal+s3://`` URL, polars a file from ``fs.open``;
- ``fsspec-local``: fsspec's ``LocalFileSystem`` (pandas: ``filesystem=PyFileSystem(
  FSSpecHandler(LocalFileSystem()))``, since pyarrow replaces a bare ``LocalFileSystem`` with its
  own; polars: its file);
- ``plain``: the local path, read by pyarrow's own C++ filesystem (no Python in the I/O);
- ``s3fs``: ``s3fs.S3FileSystem`` on the same server and object (URL for pandas, its file for
  polars).

pandas reads through pyarrow's ``PyFileSystem(FSSpecHandler(fs))`` in both fsspec columns. Each
figure is the best of the rounds; the table gives opendal_lab's time against each of the others,
and how many storage calls one read of opendal_lab made (counted by a layer on a separate run,
untimed) and of s3fs (its S3 requests). Absolute times on a 2-core machine are noise; the ratios
within one run are the figure.

    python bench/bench_fsspec.py [--rounds 5] [--budget 10] [--rows 3000000] [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from bench_s3 import KEY, REGION, SECRET, moto_server
from timing import best_of, fmt, ratio

import opendal_lab as od
from opendal_lab.core.access import BaseLayer, LayeredAccess
from opendal_lab.core.options import ListOptions, ReadOptions, StatOptions
from opendal_lab.core.types import Metadata
from opendal_lab.fsspec import OpendalFileSystem

MB = 1e6
BUCKET = "bench-fsspec"
KEY_NAME = "data/t.parquet"
COLUMN = "x"  # the single column read: float64, one chunk of ~8 MB per row group
CONTENDERS = ("opendal_lab", "fsspec-local", "plain", "s3fs")


# -- counting the storage calls of opendal_lab -----------------------------------------------
class CountingAccess(LayeredAccess):
    """Counts the stat/read/list calls that pass it (so they reach the service)."""

    layer: CountingLayer

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        self.layer.add("stat")
        return self.inner.stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        self.layer.add("read")
        return self.inner.read(path, opts)

    def list(self, path: str, opts: ListOptions) -> Any:
        self.layer.add("list")
        return self.inner.list(path, opts)


class CountingLayer(BaseLayer):
    """Outermost layer counting calls; ``forwards_plain`` stays empty, so it sees them all."""

    access_class = CountingAccess

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def add(self, op: str) -> None:
        with self._lock:
            self.counts[op] += 1

    def __repr__(self) -> str:  # fsspec keys cached instances on repr: one per layer
        return f"CountingLayer(id={id(self):x})"


def calls(counts: collections.Counter[str]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "none"


# -- data ------------------------------------------------------------------------------------
def make_file(path: str, rows: int) -> None:
    """About 34 bytes a row: 3,000,000 rows make ~100 MB in three row groups."""
    rng = np.random.default_rng(42)
    table = pa.table(
        {
            "id": rng.integers(0, 1 << 62, rows),
            "x": rng.standard_normal(rows),
            "y": rng.random(rows).astype(np.float32),
            "k": rng.integers(0, 1000, rows).astype(np.int32),
            "s": pc.cast(pa.array(rng.integers(0, 10**12, rows)), pa.string()),
        }
    )
    pq.write_table(table, path)


# -- the readers -----------------------------------------------------------------------------
def pandas_read(source: Any, columns: list[str] | None, **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        return pd.read_parquet(source, columns=columns, **kwargs)

    return run


def polars_read(source: str | Callable[[], Any], columns: list[str] | None) -> Callable[[], Any]:
    """Polars on a local path (``str``), or on the file that ``source()`` opens."""

    def run() -> Any:
        if isinstance(source, str):
            return pl.read_parquet(source, columns=columns, use_pyarrow=True)
        with source() as f:
            return pl.read_parquet(f, columns=columns, use_pyarrow=True)

    return run


Row = tuple[str, str, str, dict[str, Callable[[], Any]], Callable[[], str], Callable[[], str]]


def local_rows(path: str) -> list[Row]:
    url = f"opendal+fs://{path}"
    ofs = OpendalFileSystem(scheme="fs", root="/")
    lfs = fsspec.filesystem("file")
    # Given LocalFileSystem itself, pyarrow swaps in its own C++ local filesystem (that is the
    # "plain" column): wrapped by hand, pandas reads through fsspec's Python file as it does
    # through OpendalFileSystem.
    lfs_arrow = pafs.PyFileSystem(pafs.FSSpecHandler(lfs))
    rows: list[Row] = []
    for columns in (None, [COLUMN]):
        label = "all" if columns is None else COLUMN

        def count_pandas(columns: list[str] | None = columns) -> str:
            layer = CountingLayer()
            pd.read_parquet(url, columns=columns, storage_options={"layers": [layer]})
            return calls(layer.counts)

        def count_polars(columns: list[str] | None = columns) -> str:
            layer = CountingLayer()
            fs = OpendalFileSystem(operator=od.Operator("fs", root="/", layers=[layer]))
            polars_read(lambda: fs.open(path, "rb"), columns)()
            return calls(layer.counts)

        rows.append(
            (
                "pd.read_parquet",
                label,
                "local",
                {
                    "opendal_lab": pandas_read(url, columns),
                    "fsspec-local": pandas_read(path, columns, filesystem=lfs_arrow),
                    "plain": pandas_read(path, columns),
                },
                count_pandas,
                lambda: "-",
            )
        )
        rows.append(
            (
                "pl.read_parquet",
                label,
                "local",
                {
                    "opendal_lab": polars_read(lambda: ofs.open(path, "rb"), columns),
                    "fsspec-local": polars_read(lambda: lfs.open(path, "rb"), columns),
                    "plain": polars_read(path, columns),
                },
                count_polars,
                lambda: "-",
            )
        )
    return rows


def s3_rows(endpoint: str, data: bytes) -> list[Row]:
    import botocore.session
    import s3fs

    boto = botocore.session.get_session().create_client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    boto.create_bucket(Bucket=BUCKET)
    boto.put_object(Bucket=BUCKET, Key=KEY_NAME, Body=data)

    config: dict[str, Any] = {
        "region": REGION,
        "endpoint": endpoint,
        "access_key_id": KEY,
        "secret_access_key": SECRET,
    }
    s3_options: dict[str, Any] = {
        "key": KEY,
        "secret": SECRET,
        "client_kwargs": {"endpoint_url": endpoint, "region_name": REGION},
    }
    url = f"opendal+s3://{BUCKET}/{KEY_NAME}"
    ofs = OpendalFileSystem(scheme="s3", bucket=BUCKET, **config)
    sfs = s3fs.S3FileSystem(**s3_options)
    s3_url = f"s3://{BUCKET}/{KEY_NAME}"

    # s3fs's requests, counted where they all pass (S3FileSystem._call_s3).
    s3_requests: collections.Counter[str] = collections.Counter()
    counted = s3fs.S3FileSystem(**s3_options, skip_instance_cache=True)
    inner_call = counted._call_s3

    async def counting_call(method: str, *args: Any, **kwargs: Any) -> Any:
        s3_requests[method] += 1
        return await inner_call(method, *args, **kwargs)

    counted._call_s3 = counting_call

    def count_s3fs(run: Callable[[], Any]) -> Callable[[], str]:
        def count() -> str:
            s3_requests.clear()
            counted.invalidate_cache()
            run()
            return calls(s3_requests)

        return count

    rows: list[Row] = []
    for columns in (None, [COLUMN]):
        label = "all" if columns is None else COLUMN

        def count_pandas(columns: list[str] | None = columns) -> str:
            layer = CountingLayer()
            options = {**config, "layers": [layer]}
            pd.read_parquet(url, columns=columns, storage_options=options)
            return calls(layer.counts)

        def count_polars(columns: list[str] | None = columns) -> str:
            layer = CountingLayer()
            op = od.Operator("s3", bucket=BUCKET, layers=[layer], **config)
            fs = OpendalFileSystem(operator=op)
            polars_read(lambda: fs.open(KEY_NAME, "rb"), columns)()
            return calls(layer.counts)

        rows.append(
            (
                "pd.read_parquet",
                label,
                "s3 (moto)",
                {
                    "opendal_lab": pandas_read(url, columns, storage_options=config),
                    "s3fs": pandas_read(s3_url, columns, storage_options=s3_options),
                },
                count_pandas,
                count_s3fs(pandas_read(s3_url, columns, filesystem=counted)),
            )
        )
        rows.append(
            (
                "pl.read_parquet",
                label,
                "s3 (moto)",
                {
                    "opendal_lab": polars_read(lambda: ofs.open(KEY_NAME, "rb"), columns),
                    "s3fs": polars_read(lambda: sfs.open(s3_url, "rb"), columns),
                },
                count_polars,
                count_s3fs(polars_read(lambda: counted.open(s3_url, "rb"), columns)),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="least rounds per row")
    parser.add_argument(
        "--budget", type=float, default=10.0, help="seconds a row may use for more rounds"
    )
    parser.add_argument("--rows", type=int, default=3_000_000, help="rows in the parquet file")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    import s3fs

    print(
        f"opendal_lab {od.__version__}, fsspec {fsspec.__version__}, s3fs {s3fs.__version__}, "
        f"pandas {pd.__version__}, polars {pl.__version__}, pyarrow {pa.__version__}, "
        f"Python {sys.version.split()[0]}; best of {args.rounds}+ rounds"
    )
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        path = os.path.join(tmp, "t.parquet")
        make_file(path, args.rows)
        meta = pq.ParquetFile(path).metadata
        column_bytes = sum(
            meta.row_group(i).column(meta.schema.names.index(COLUMN)).total_compressed_size
            for i in range(meta.num_row_groups)
        )
        with open(path, "rb") as fh:
            data = fh.read()
        print(
            f"file: {len(data) / MB:.1f} MB, {meta.num_rows:,} rows, {meta.num_row_groups} row "
            f"groups, {meta.num_columns} columns; column {COLUMN!r}: {column_bytes / MB:.1f} MB\n"
        )
        all_rows = local_rows(path) + s3_rows(endpoint, data)
        del data
        header = (
            "| reader | columns | backend | "
            + " | ".join(CONTENDERS)
            + " | opendal_lab/fsspec-local | opendal_lab/plain | opendal_lab/s3fs "
            + "| opendal_lab calls | s3fs calls |"
        )
        print(header)
        print("|" + "---|" * (header.count("|") - 1))
        for reader, label, backend, fns, count, count_s3fs in all_rows:
            times = best_of(fns, args.rounds, args.budget)
            t = {c: times.get(c) for c in CONTENDERS}
            n_calls, n_s3fs = count(), count_s3fs()
            results.append(
                {
                    "reader": reader,
                    "columns": label,
                    "backend": backend,
                    **t,
                    "opendal_lab_calls": n_calls,
                    "s3fs_calls": n_s3fs,
                }
            )
            print(
                f"| {reader} | {label} | {backend} | "
                + " | ".join(fmt(t[c]) for c in CONTENDERS)
                + f" | {ratio(t['opendal_lab'], t['fsspec-local'])}"
                + f" | {ratio(t['opendal_lab'], t['plain'])}"
                + f" | {ratio(t['opendal_lab'], t['s3fs'])}"
                + f" | {n_calls} | {n_s3fs} |",
                flush=True,
            )

    local = [r["opendal_lab"] / r["fsspec-local"] for r in results if r["fsspec-local"]]
    remote = [r["opendal_lab"] / r["s3fs"] for r in results if r["s3fs"]]
    print(
        f"\nopendal_lab / fsspec-local, worst row: {max(local):.2f}x (target <= 1.1x); "
        f"opendal_lab / s3fs, worst row: {max(remote):.2f}x (target <= 1x)"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
