"""``save(FileSource, ...)`` against Polars' own ``write_parquet``, the same frame to local disk.

One frame of ``--rows`` rows (default 8,000,000: ~200 MB in memory) with the columns ``id``
int64, ``x`` float64, ``y`` float32, ``key`` int32 (16 values), ``s`` a 12-digit string and
``c`` one of four short strings. Each row writes it to a fresh directory, in interleaved
rounds (best of each):

- **16 hive directories**: ``save(FileSource, df, {"uri": "fs://<dir>", "path": "out/",
  "partition_by": "key"})`` -- rows grouped by ``key``, one partition each on the default
  thread pool, files staged then renamed on commit -- against
  ``df.write_parquet(<dir>, partition_by="key")``, one file per key the same way;
- **16 plain files**: ``save(..., partitions=16)`` against 16 ``write_parquet`` calls of
  the frame's slices on a thread pool of the same size (what a user would write by hand;
  Polars has no one-call "n files" write).

Both sides write zstd parquet with Polars' writer and default row groups. The directory is
emptied between rounds (not timed). Target (issue 17): the hive row within 1.2x of Polars.
Absolute times on a shared 2-core machine are noise; the ratios within one run are the
figure.

    python bench/bench_save.py [--rows N] [--rounds 3]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import shutil
import tempfile
from collections.abc import Callable

import numpy as np
import polars as pl
from timing import best_of, fmt, ratio

from opendal_lab.datasource import FileSource, save


def make_frame(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    return pl.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "x": rng.standard_normal(rows),
            "y": rng.random(rows).astype(np.float32),
            "key": rng.integers(0, 16, rows).astype(np.int32),
            "s": pl.Series(rng.integers(10**11, 10**12, rows)).cast(pl.String),
            "c": pl.Series(rng.choice(["alpha", "beta", "gamma", "delta"], rows)),
        }
    )


def fresh(root: str) -> Callable[[Callable[[str], object]], Callable[[], None]]:
    """Wrap a writer of a directory so each call writes into an emptied one."""

    def wrap(write: Callable[[str], object]) -> Callable[[], None]:
        def run() -> None:
            target = os.path.join(root, "t")
            shutil.rmtree(target, ignore_errors=True)
            os.makedirs(target)
            write(target)

        return run

    return wrap


def files_under(path: str) -> int:
    return sum(len(f) for _, _, f in os.walk(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=8_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    df = make_frame(args.rows)
    print(f"frame: {args.rows:,} rows, {df.estimated_size() / 1e6:.0f} MB in memory")
    with tempfile.TemporaryDirectory() as root:
        wrap = fresh(root)

        def ours_hive(target: str) -> None:
            options = {"uri": f"fs://{target}", "path": "out/", "partition_by": "key"}
            save(FileSource, df, options, progress=False)

        def polars_hive(target: str) -> None:
            df.write_parquet(os.path.join(target, "out"), partition_by="key", mkdir=True)

        def ours_files(target: str) -> None:
            save(FileSource, df, {"uri": f"fs://{target}", "path": "out/"}, partitions=16)

        def polars_files(target: str) -> None:
            out = os.path.join(target, "out")
            os.makedirs(out)
            step = -(-df.height // 16)
            with cf.ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda i: df.slice(i * step, step).write_parquet(f"{out}/part-{i}.parquet"),
                        range(16),
                    )
                )

        # Same shape of output on both sides: 16 files.
        for write in (ours_hive, polars_hive, ours_files, polars_files):
            wrap(write)()
            found = files_under(os.path.join(root, "t", "out"))
            assert found == 16, (write.__name__, found)
        rows = [
            ("16 hive directories", wrap(ours_hive), wrap(polars_hive)),
            ("16 plain files", wrap(ours_files), wrap(polars_files)),
        ]
        print(f"{'row':<22}{'save':>10}{'polars':>10}{'ratio':>9}")
        for name, ours, theirs in rows:
            best = best_of({"save": ours, "polars": theirs}, args.rounds)
            print(
                f"{name:<22}{fmt(best['save']):>10}{fmt(best['polars']):>10}"
                f"{ratio(best['save'], best['polars']):>9}"
            )


if __name__ == "__main__":
    main()
