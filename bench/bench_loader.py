"""FileSource against Polars' own parquet readers on the same files, side by side in one run.

``--files`` parquet files (default 16, ~12 MB each, ~200 MB in all) are written once to a
temporary directory: ``id`` int64, ``x`` float64, ``y`` float32, ``k`` int32 (0..999), ``s``
a 12-digit string, ``c`` one of four short strings; Polars' default row groups. Each row of
the table reads them into Polars, in interleaved rounds (best of each):

- ``load`` / ``scan``: ``load(FileSource, {"uri": "fs://<dir>", "path": "*.parquet"})`` and
  ``scan(FileSource, ...).collect()``, on the loader's default thread pool (one partition per
  file), and the same with ``partitioning=row_group``;
- ``polars``: ``pl.read_parquet(glob)`` and ``pl.scan_parquet(glob).collect()``, Polars
  reading the paths itself (memory-mapped, its own thread pool).

A query row runs ``.filter((k < 100) & (c == "beta")).select("id", "s")`` on both sides
(Polars: predicate and projection pushed into its reader, row groups pruned by statistics;
FileSource: the same handed to Polars' reader on each file's bytes).

Memory: each contender loads everything once in a fresh subprocess, which reports its peak
resident set (``VmHWM``, reset just before the load) above its resident set then, and the
result's ``estimated_size()``; a load of one file before that keeps one-time set-up (Arrow's
memory pools, Polars' threads) out of the figure. ``tracemalloc`` sees only Python's
allocations, and ``pyarrow.total_allocated_bytes()`` only Arrow's pool -- neither sees
Polars' buffers (Rust's allocator) -- so the whole process is measured instead. Pages of
files Polars memory-maps count in its figure once touched, as the bytes FileSource reads
count in its own.

Targets: load and scan within 1.2x of Polars' read_parquet / scan_parquet; the query within
1.5x; load's peak memory at most 1.5x the result. Absolute times on a shared 2-core machine
are noise; the ratios within one run are the figure.

    python bench/bench_loader.py [--files 16] [--rows 600000] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from timing import best_of, fmt

import opendal_lab as od
from opendal_lab.datasource import load, scan
from opendal_lab.datasource.sources.files import FileSource

MB = 1e6


def make_files(root: str, files: int, rows: int) -> int:
    """Write the files; their total size in bytes."""
    rng = np.random.default_rng(42)
    total = 0
    for i in range(files):
        frame = pl.DataFrame(
            {
                "id": np.arange(i * rows, (i + 1) * rows, dtype=np.int64),
                "x": rng.standard_normal(rows),
                "y": rng.random(rows).astype(np.float32),
                "k": rng.integers(0, 1000, rows).astype(np.int32),
                "s": pl.Series(rng.integers(10**11, 10**12, rows)).cast(pl.String),
                "c": pl.Series(rng.choice(["alpha", "beta", "gamma", "delta"], rows)),
            }
        )
        path = os.path.join(root, f"part-{i:03d}.parquet")
        frame.write_parquet(path)
        total += os.path.getsize(path)
    return total


def query(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.filter((pl.col("k") < 100) & (pl.col("c") == "beta")).select("id", "s")


# Each runs in a fresh interpreter (``python bench_loader.py --peak <name> <dir>``), on one
# file first (``first``), so one-time set-up (Arrow's pools, Polars' thread pool) is not
# counted, then on them all.
PEAK_PROBES: dict[str, Callable[[str, str], pl.DataFrame]] = {
    "load(FileSource)": lambda root, glob: load(FileSource, {"uri": f"fs://{root}", "path": glob}),
    "scan(FileSource).collect()": lambda root, glob: scan(
        FileSource, {"uri": f"fs://{root}", "path": glob}
    ).collect(),
    "pl.read_parquet(glob)": lambda root, glob: pl.read_parquet(f"{root}/{glob}"),
    "pl.scan_parquet(glob).collect()": lambda root, glob: pl.scan_parquet(
        f"{root}/{glob}"
    ).collect(),
}


def _status(field: str) -> int:
    """A ``/proc/self/status`` figure in bytes (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_child(how: str, root: str) -> None:
    # Not ru_maxrss: Linux keeps it across exec, so a child would start with the peak of
    # the benchmark that spawned it. VmHWM belongs to this process's memory, and writing
    # 5 to clear_refs resets it to the current resident set.
    PEAK_PROBES[how](root, "part-000.parquet")
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _status("VmRSS")
    frame = PEAK_PROBES[how](root, "*.parquet")
    peak = _status("VmHWM")
    print(json.dumps({"peak": peak - before, "result": frame.estimated_size()}))


def peak_of(how: str, root: str) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--peak", how, root],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16, help="parquet files")
    parser.add_argument("--rows", type=int, default=600_000, help="rows per file")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per row")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--peak", nargs=2, help=argparse.SUPPRESS)  # the memory probe's child
    args = parser.parse_args()
    if args.peak:
        peak_child(*args.peak)
        return

    print(
        f"opendal_lab {od.__version__}, polars {pl.__version__}, pyarrow {pa.__version__}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; best of {args.rounds} rounds"
    )
    with tempfile.TemporaryDirectory() as root:
        size = make_files(root, args.files, args.rows)
        print(f"{args.files} files, {size / MB:.0f} MB, {args.files * args.rows:,} rows\n")
        options = {"uri": f"fs://{root}", "path": "*.parquet"}
        row_groups = {**options, "partitioning": "row_group"}
        glob = f"{root}/*.parquet"
        rows: list[tuple[str, str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "load / read_parquet",
                "all",
                lambda: load(FileSource, options),
                lambda: pl.read_parquet(glob),
            ),
            (
                "scan / scan_parquet",
                "all",
                lambda: scan(FileSource, options).collect(),
                lambda: pl.scan_parquet(glob).collect(),
            ),
            (
                "scan / scan_parquet",
                "k<100 & c=='beta' -> id, s",
                lambda: query(scan(FileSource, options)).collect(),
                lambda: query(pl.scan_parquet(glob)).collect(),
            ),
            (
                "load, row groups / read_parquet",
                "all",
                lambda: load(FileSource, row_groups),
                lambda: pl.read_parquet(glob),
            ),
            (
                "scan, row groups / scan_parquet",
                "k<100 & c=='beta' -> id, s",
                lambda: query(scan(FileSource, row_groups)).collect(),
                lambda: query(pl.scan_parquet(glob)).collect(),
            ),
        ]
        results: list[dict[str, Any]] = []
        print("| FileSource / Polars | query | FileSource | Polars | ratio |")
        print("|---|---|---|---|---|")
        for name, what, ours, theirs in rows:
            assert ours().equals(theirs()), f"{name} / {what}: different results"
            t = best_of({"ours": ours, "polars": theirs}, args.rounds)
            ratio = t["ours"] / t["polars"]
            results.append({"row": name, "query": what, **t, "ratio": ratio})
            print(
                f"| {name} | {what} | {fmt(t['ours'])} | {fmt(t['polars'])} | {ratio:.2f}x |",
                flush=True,
            )

        print("\n| peak memory of | peak above start | result | peak / result |")
        print("|---|---|---|---|")
        peaks = {}
        for how in PEAK_PROBES:
            p = peak_of(how, root)
            peaks[how] = p
            print(
                f"| {how} | {p['peak'] / MB:.0f} MB | {p['result'] / MB:.0f} MB "
                f"| {p['peak'] / p['result']:.2f}x |",
                flush=True,
            )

    load_ratio = max(r["ratio"] for r in results[:2])
    query_ratio = results[2]["ratio"]
    memory = peaks["load(FileSource)"]
    print(
        f"\nload/scan vs Polars: {load_ratio:.2f}x (target <= 1.2x); query: {query_ratio:.2f}x "
        f"(target <= 1.5x); load's peak / result: {memory['peak'] / memory['result']:.2f}x "
        "(target <= 1.5x)"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"times": results, "memory": peaks}, fh, indent=2)


if __name__ == "__main__":
    main()
