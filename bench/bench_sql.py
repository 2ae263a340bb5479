"""SqlSource against ConnectorX on one SQLite table, side by side in one run.

A table of ``--rows`` rows (default 1M) is written once to a temporary SQLite file::

    t (id INTEGER PRIMARY KEY, k INTEGER, x REAL, y REAL, s TEXT, c TEXT)

``id`` is the rowid (so a range of it is an index range), ``k`` a random integer with no
index that is NULL on every tenth row, ``x``/``y`` floats, ``s`` a ~13-character string,
``c`` one of ten short strings. Each row of the table reads all of it into Polars, in
interleaved rounds (best of each):

- ``opendal_lab``: ``load(SqlSource, {uri, table, partition_column, num_partitions})``,
  its default thread pool;
- ``cx polars`` / ``cx arrow``: ``connectorx.read_sql(uri, "SELECT * FROM t",
  partition_on=..., partition_num=..., return_type="polars" / "arrow")``.

The rows counts show what each returned: ConnectorX's partition queries are
``k >= a AND k < b`` ranges, so the NULL ``k`` rows are not in any of them. Absolute times on
a shared 2-core machine are noise; the ratios within one run are the figure (target:
opendal_lab within 1.2x of ``cx polars``, both producing a Polars DataFrame).

    python bench/bench_sql.py [--rows 1000000] [--partitions 4] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import connectorx as cx
import numpy as np
import polars as pl
import pyarrow as pa
from timing import best_of, fmt, ratio

import opendal_lab as od
from opendal_lab.datasource import load
from opendal_lab.datasource.sources.sql import SqlSource

CONTENDERS = ("opendal_lab", "cx polars", "cx arrow")


def make_db(path: str, rows: int) -> None:
    rng = np.random.default_rng(42)
    k = rng.integers(0, rows, rows)
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, x REAL, y REAL, s TEXT, c TEXT)"
    )
    conn.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
        zip(
            range(rows),
            [None if i % 10 == 0 else int(v) for i, v in enumerate(k)],
            rng.standard_normal(rows).tolist(),
            rng.random(rows).tolist(),
            [f"name{v}" for v in rng.integers(0, 10**9, rows)],
            [f"c{i % 10}" for i in range(rows)],
            strict=True,
        ),
    )
    conn.commit()
    conn.close()


def contenders(path: str, column: str | None, parts: int) -> dict[str, Callable[[], Any]]:
    options = {"uri": f"sqlite://{path}", "table": "t"}
    cx_args: dict[str, Any] = {}
    if column is not None:
        options |= {"partition_column": column, "num_partitions": str(parts)}
        cx_args = {"partition_on": column, "partition_num": parts}
    uri = f"sqlite://{path}"
    return {
        "opendal_lab": lambda: load(SqlSource, options, progress=False),
        "cx polars": lambda: cx.read_sql(uri, "SELECT * FROM t", return_type="polars", **cx_args),
        "cx arrow": lambda: cx.read_sql(uri, "SELECT * FROM t", return_type="arrow", **cx_args),
    }


def height(result: Any) -> int:
    return result.height if isinstance(result, pl.DataFrame) else int(result.num_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table")
    parser.add_argument("--partitions", type=int, default=4, help="num_partitions")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per row")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    import adbc_driver_sqlite

    print(
        f"opendal_lab {od.__version__}, connectorx {cx.__version__}, adbc-driver-sqlite "
        f"{adbc_driver_sqlite.__version__}, polars {pl.__version__}, pyarrow {pa.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs; best of {args.rounds} rounds"
    )
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.db")
        began = time.perf_counter()
        make_db(path, args.rows)
        size = os.path.getsize(path) / 1e6
        print(f"table: {args.rows:,} rows, {size:.0f} MB ({time.perf_counter() - began:.1f} s)\n")
        header = (
            "| partition on | partitions | "
            + " | ".join(CONTENDERS)
            + " | opendal_lab/cx polars | opendal_lab/cx arrow | rows opendal_lab | rows cx |"
        )
        print(header)
        print("|" + "---|" * (header.count("|") - 1))
        cases = [
            ("id (rowid)", "id", args.partitions),
            ("k (NULLs, no index)", "k", args.partitions),
            ("-", None, 1),
        ]
        for label, column, parts in cases:
            fns = contenders(path, column, parts)
            ours, theirs = height(fns["opendal_lab"]()), height(fns["cx polars"]())
            t = best_of(fns, args.rounds)
            results.append(
                {
                    "partition_on": label,
                    "partitions": parts,
                    **t,
                    "rows_opendal_lab": ours,
                    "rows_cx": theirs,
                }
            )
            print(
                f"| {label} | {parts} | "
                + " | ".join(fmt(t[c]) for c in CONTENDERS)
                + f" | {ratio(t['opendal_lab'], t['cx polars'])}"
                + f" | {ratio(t['opendal_lab'], t['cx arrow'])}"
                + f" | {ours:,} | {theirs:,} |",
                flush=True,
            )
    worst = max(r["opendal_lab"] / r["cx polars"] for r in results)
    print(f"\nopendal_lab / cx polars, worst row: {worst:.2f}x (target <= 1.2x)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
