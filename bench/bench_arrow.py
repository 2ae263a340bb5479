"""DuckDB querying ``stream(FileSource, ...)`` against DuckDB reading the same parquet itself.

The files are bench_loader's (``make_files``): ``--files`` files (default 16) of ``--rows``
rows (600,000: ~12 MB each, ~190 MB in all) with ``id`` int64, ``x`` float64, ``y``
float32, ``k`` int32 (0..999), ``s`` a 12-digit string, ``c`` one of four short strings.
``--small`` (or ``BENCH_SMALL=1``) makes 4 files of 150,000 rows for a quick run.

Each row runs one query on a fresh DuckDB connection, in interleaved rounds (best of each):

- **stream**: the reader of ``stream(FileSource, {"uri": "fs://<dir>", "path": "*.parquet"},
  columns=[...])`` registered as a table: FileSource decodes each file with Polars on the
  loader's threads, the batches are cast to the declared types and handed to DuckDB;
- **duckdb**: ``read_parquet([...the same paths...])``, DuckDB's own reader (its threads,
  projection and row-group parallelism).

The queries: ``agg by c`` groups by a string over four columns (``c, x, y, k``, the
projection given to ``stream`` as ``columns``); ``agg by k % 4`` by a number over three;
``all columns`` reads every column (``s`` included, the strings that cost a copy on the way
to Arrow). A second table says where the stream's time goes: draining the reader without
DuckDB (``reader.read_all()``) against a scan of the same columns into Polars
(FileSource's read without the Arrow conversion); that scan against Polars reading the
paths itself (``pl.read_parquet(glob, columns=...)``); DuckDB's query over the drained table
in memory against its own ``read_parquet``.

Memory: each contender runs once in a fresh subprocess (``--peak``), which reports its peak
resident set (``VmHWM``, reset just before the query, as bench_loader does): the whole
process, and above its resident set just before. The stream runs with ``in_flight`` 2 and
8 as well as its default, to show the bound, and ``load`` + DuckDB (the whole frame in
memory first) for contrast.

Target (issue 17): the stream within 1.3x of DuckDB's own time on the aggregates. Absolute
times on a shared 2-core machine are noise; the ratios within one run are the figure.

    python bench/bench_arrow.py [--small] [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
from bench_loader import make_files
from timing import best_of, fmt, peak_rss

import opendal_lab as od
from opendal_lab.datasource import load, scan, stream
from opendal_lab.datasource.sources.files import FileSource

MB = 1e6
TARGET = 1.3

# (name, SQL over the table ``t``, the columns it reads)
QUERIES: list[tuple[str, str, list[str]]] = [
    (
        "agg by c",
        "select c, count(*), sum(x), avg(y), max(k) from t group by c order by c",
        ["c", "x", "y", "k"],
    ),
    (
        "agg by k % 4",
        "select k % 4 as g, count(*), sum(x), avg(y), max(k) from t group by g order by g",
        ["x", "y", "k"],
    ),
    (
        "all columns",
        "select c, count(*), sum(id), sum(x), avg(y), max(k), max(s), sum(length(s)) "
        "from t group by c order by c",
        ["id", "x", "y", "k", "s", "c"],
    ),
]


def options(root: str, pattern: str) -> dict[str, str]:
    return {"uri": f"fs://{root}", "path": pattern}


def paths(root: str, pattern: str = "*.parquet") -> list[str]:
    return sorted(glob.glob(os.path.join(root, pattern)))


def on_stream(
    root: str,
    query: str,
    columns: list[str],
    in_flight: int | None = None,
    pattern: str = "*.parquet",
) -> Any:
    reader = stream(FileSource, options(root, pattern), columns=columns, in_flight=in_flight)
    with duckdb.connect() as con:
        con.register("t", reader)
        return con.sql(query).fetchall()


def on_duckdb(root: str, query: str, pattern: str = "*.parquet") -> Any:
    files = ", ".join(f"'{p}'" for p in paths(root, pattern))
    with duckdb.connect() as con:
        return con.sql(query.replace(" t ", f" read_parquet([{files}]) ")).fetchall()


def on_load(root: str, query: str, columns: list[str], pattern: str = "*.parquet") -> Any:
    frame = load(FileSource, options(root, pattern)).select(columns)
    with duckdb.connect() as con:
        con.register("t", frame)
        return con.sql(query).fetchall()


def on_table(table: pa.Table, query: str) -> Any:
    with duckdb.connect() as con:
        con.register("t", table)
        return con.sql(query).fetchall()


def drain(root: str, columns: list[str]) -> pa.Table:
    return stream(FileSource, options(root, "*.parquet"), columns=columns).read_all()


def same(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    """Equal rows, floats to 9 significant digits (sums in another order differ at the end)."""

    def norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(float(f"{v:.9g}") if isinstance(v, float) else v for v in r) for r in rows]

    return norm(a) == norm(b)


# The memory probes: each runs in a fresh interpreter (``--peak <name> <dir>``), on the
# files matching a pattern.
AGG_SQL, AGG_COLUMNS = QUERIES[0][1], QUERIES[0][2]
PEAK_PROBES: dict[str, Callable[[str, str], Any]] = {
    "duckdb read_parquet": lambda root, pat: on_duckdb(root, AGG_SQL, pat),
    "stream (default in_flight)": lambda root, pat: on_stream(
        root, AGG_SQL, AGG_COLUMNS, None, pat
    ),
    "stream in_flight=2": lambda root, pat: on_stream(root, AGG_SQL, AGG_COLUMNS, 2, pat),
    "stream in_flight=8": lambda root, pat: on_stream(root, AGG_SQL, AGG_COLUMNS, 8, pat),
    "load + duckdb": lambda root, pat: on_load(root, AGG_SQL, AGG_COLUMNS, pat),
}


def peak_child(how: str, root: str) -> None:
    # One file first, so one-time set-up (Arrow's and DuckDB's pools, Polars' threads) is
    # not counted.
    figures, _ = peak_rss(
        lambda: PEAK_PROBES[how](root, "part-000.parquet"),
        lambda: PEAK_PROBES[how](root, "*.parquet"),
    )
    print(json.dumps(figures))


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
    small_env = os.environ.get("BENCH_SMALL", "") not in ("", "0")
    parser.add_argument("--small", action="store_true", default=small_env, help="4 small files")
    parser.add_argument("--files", type=int, help="files (16; --small 4)")
    parser.add_argument("--rows", type=int, help="rows per file (600,000; --small 150,000)")
    parser.add_argument("--rounds", type=int, help="rounds per row (3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak memory probes")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--peak", nargs=2, help=argparse.SUPPRESS)  # the memory probe's child
    args = parser.parse_args()
    if args.peak:
        peak_child(*args.peak)
        return
    files = args.files or (4 if args.small else 16)
    rows = args.rows or (150_000 if args.small else 600_000)
    rounds = args.rounds or 3

    print(
        f"opendal_lab {od.__version__}, duckdb {duckdb.__version__}, polars {pl.__version__}, "
        f"pyarrow {pa.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
        f"best of {rounds} rounds"
    )
    results: list[dict[str, Any]] = []
    peaks: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as root:
        size = make_files(root, files, rows)
        print(f"{files} files, {size / MB:.0f} MB, {files * rows:,} rows\n")
        print("| query | stream | duckdb | ratio | target |")
        print("|---|---|---|---|---|")
        for name, query, columns in QUERIES:
            ours, theirs = on_stream(root, query, columns), on_duckdb(root, query)
            assert same(ours, theirs), f"{name}: different results\n{ours}\n{theirs}"
            t = best_of(
                {
                    "stream": lambda q=query, c=columns: on_stream(root, q, c),
                    "duckdb": lambda q=query: on_duckdb(root, q),
                },
                rounds,
            )
            ratio = t["stream"] / t["duckdb"]
            target = TARGET if name.startswith("agg") else None
            results.append({"query": name, **t, "ratio": ratio, "target": target})
            shown = f"<= {target}x" if target else "-"
            print(
                f"| {name} | {fmt(t['stream'])} | {fmt(t['duckdb'])} | {ratio:.2f}x | {shown} |",
                flush=True,
            )

        print("\nwhere the stream's time goes (agg by c):\n")
        table = drain(root, AGG_COLUMNS)
        t = best_of(
            {
                "drain": lambda: drain(root, AGG_COLUMNS),
                "scan": lambda: (
                    scan(FileSource, options(root, "*.parquet")).select(AGG_COLUMNS).collect()
                ),
                "polars": lambda: pl.read_parquet(f"{root}/*.parquet", columns=AGG_COLUMNS),
                "in memory": lambda: on_table(table, AGG_SQL),
                "duckdb": lambda: on_duckdb(root, AGG_SQL),
            },
            rounds,
        )
        results.append({"query": "where the time goes", **t})
        print("| step | time | against | time | ratio |")
        print("|---|---|---|---|---|")
        print(
            f"| the stream drained, no DuckDB | {fmt(t['drain'])} "
            f"| scan(FileSource).select().collect() | {fmt(t['scan'])} "
            f"| {t['drain'] / t['scan']:.2f}x |"
        )
        print(
            f"| scan(FileSource).select().collect() | {fmt(t['scan'])} "
            f"| pl.read_parquet(columns=) | {fmt(t['polars'])} "
            f"| {t['scan'] / t['polars']:.2f}x |"
        )
        print(
            f"| DuckDB over the drained Arrow table | {fmt(t['in memory'])} "
            f"| DuckDB read_parquet | {fmt(t['duckdb'])} "
            f"| {t['in memory'] / t['duckdb']:.2f}x |"
        )

        if not args.no_memory:
            print("\n| peak RSS, agg by c | whole process | above start |")
            print("|---|---|---|")
            for how in PEAK_PROBES:
                peaks[how] = peak_of(how, root)
                p = peaks[how]
                print(f"| {how} | {p['total'] / MB:.0f} MB | {p['peak'] / MB:.0f} MB |", flush=True)

    for row in results:
        if row.get("target"):
            verdict = "met" if row["ratio"] <= row["target"] else "missed"
            print(f"{row['query']}: stream / duckdb {row['ratio']:.2f}x, target: {verdict}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"times": results, "memory": peaks}, fh, indent=2)


if __name__ == "__main__":
    main()
