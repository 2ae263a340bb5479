"""IcebergSource against PyIceberg's own read of the same table, side by side in one run.

A table is written once with PyIceberg (a SQL catalog on SQLite, the warehouse a temporary
directory, ``file://``): ``--files`` appends (default 16) of ``--rows`` rows (600,000, ~12 MB
of parquet each, so ~190 MB; ``--small``: 60,000 rows), one data file each, with the columns
``id`` int64, ``x`` float64, ``y`` float32, ``k`` int32 (0..999), ``s`` a 12-digit string,
``c`` one of four short strings.

Each row reads it into a Polars frame, in interleaved rounds (best of each), every contender
opening the catalog and the table afresh each time:

- ``opendal_lab``: ``load(IcebergSource, {"catalog_uri": ..., "table": ...})``, one partition
  per data file on the loader's default thread pool, the files read through opendal_lab's fs
  service (``OpendalFileIO``);
- ``opendal_lab io=pyiceberg``: the same with ``io=pyiceberg``, PyIceberg's pyarrow FileIO
  reading the files (what the operator costs);
- ``pyiceberg``: ``catalog.load_table(...).scan().to_polars()``.

The query row: ``.filter((k < 100) & (c == "beta")).select("id", "s")`` through ``scan``,
against ``scan(row_filter="k < 100 and c == 'beta'", selected_fields=("id", "s"))``.

Target: opendal_lab at most 1.0x PyIceberg's time. Absolute times on a shared 2-core machine
are noise; the ratios within one run are the figure.

    python bench/bench_iceberg.py [--small] [--files 16] [--rows 600000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyiceberg
from pyiceberg.catalog.sql import SqlCatalog
from timing import best_of, fmt, ratio

import opendal_lab as od
from opendal_lab.datasource import load, scan
from opendal_lab.datasource.sources.iceberg import IcebergSource

CONTENDERS = ("opendal_lab", "opendal_lab io=pyiceberg", "pyiceberg")


def make_table(tmp: str, files: int, rows: int) -> tuple[str, int]:
    """Write the table; its catalog URI and the data files' total size in bytes."""
    rng = np.random.default_rng(42)
    warehouse = os.path.join(tmp, "warehouse")
    os.makedirs(warehouse)
    uri = f"sqlite:///{tmp}/catalog.db"
    catalog = SqlCatalog("default", uri=uri, warehouse=f"file://{warehouse}")
    catalog.create_namespace("bench")
    table = None
    for i in range(files):
        frame = pa.table(
            {
                "id": np.arange(i * rows, (i + 1) * rows, dtype=np.int64),
                "x": rng.standard_normal(rows),
                "y": rng.random(rows).astype(np.float32),
                "k": rng.integers(0, 1000, rows).astype(np.int32),
                "s": pa.array(rng.integers(10**11, 10**12, rows).astype(str)),
                "c": pa.array(rng.choice(["alpha", "beta", "gamma", "delta"], rows)),
            }
        )
        if table is None:
            table = catalog.create_table("bench.t", schema=frame.schema)
        table.append(frame)
    assert table is not None
    size = sum(t.file.file_size_in_bytes for t in table.scan().plan_files())
    return uri, size


def contenders(uri: str, query: bool) -> dict[str, Callable[[], pl.DataFrame]]:
    options = {"catalog_uri": uri, "table": "bench.t"}
    native = {**options, "io": "pyiceberg"}

    def ours(opts: dict[str, str]) -> pl.DataFrame:
        if not query:
            return load(IcebergSource, opts, progress=False)
        lf = scan(IcebergSource, opts).filter((pl.col("k") < 100) & (pl.col("c") == "beta"))
        return lf.select("id", "s").collect()

    def theirs() -> pl.DataFrame:
        table = SqlCatalog("default", uri=uri).load_table("bench.t")
        if not query:
            return table.scan().to_polars()
        row_filter = "k < 100 and c == 'beta'"
        return table.scan(row_filter=row_filter, selected_fields=("id", "s")).to_polars()

    return {
        "opendal_lab": lambda: ours(options),
        "opendal_lab io=pyiceberg": lambda: ours(native),
        "pyiceberg": theirs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16, help="appends, one data file each")
    parser.add_argument("--rows", type=int, default=600_000, help="rows per data file")
    parser.add_argument("--small", action="store_true", help="60,000 rows per file")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per row")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    rows = 60_000 if args.small else args.rows

    print(
        f"opendal_lab {od.__version__}, pyiceberg {pyiceberg.__version__}, polars "
        f"{pl.__version__}, pyarrow {pa.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs; best of {args.rounds} rounds"
    )
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        uri, size = make_table(tmp, args.files, rows)
        print(
            f"table: {args.files} data files of {rows:,} rows, {size / 1e6:.0f} MB "
            f"({time.perf_counter() - began:.1f} s to write)\n"
        )
        header = (
            "| read | " + " | ".join(CONTENDERS) + " | opendal_lab/pyiceberg | "
            "io=pyiceberg/pyiceberg | rows |"
        )
        print(header)
        print("|" + "---|" * (header.count("|") - 1))
        for label, query in (("whole table", False), ("filter + select", True)):
            fns = contenders(uri, query)
            heights = {name: fn().height for name, fn in fns.items()}
            if len(set(heights.values())) != 1:
                raise SystemExit(f"the contenders disagree on the row count: {heights}")
            t = best_of(fns, args.rounds)
            results.append({"read": label, **t, "rows": heights["pyiceberg"]})
            print(
                f"| {label} | "
                + " | ".join(fmt(t[c]) for c in CONTENDERS)
                + f" | {ratio(t['opendal_lab'], t['pyiceberg'])}"
                + f" | {ratio(t['opendal_lab io=pyiceberg'], t['pyiceberg'])}"
                + f" | {heights['pyiceberg']:,} |",
                flush=True,
            )
    worst = max(r["opendal_lab"] / r["pyiceberg"] for r in results)
    print(f"\nopendal_lab / pyiceberg, worst row: {worst:.2f}x (target <= 1.0x)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
