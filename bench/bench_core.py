"""Per-call cost of opendal_lab's default stack, side by side in one run.

For each operation it times, on the same data:

- ``default``: ``Operator(...)`` with the always-on layers (what users get);
- ``raw``: the service's own method, called with prebuilt options (no layers, no checks);
- ``os``: plain ``os``/``open`` calls (fs only);
- ``opendal``: the ``opendal`` PyPI binding (Rust) doing the same on the same service.

It prints one table of per-call times and the ratios the issue asks about. Then the floor
rows (issue 16), each against what plain Python does at best:

- fs ``stat`` at path depth 2 and 7 against ``os.stat``;
- fs ``list`` of 1k / 10k / 100k files against ``os.scandir`` + ``stat`` and bare
  ``os.scandir``: per entry, and the time to the first file entry;
- memory ``write`` of 100k and 1M keys in random order, per key, against a dict insert;
- memory ``stat`` against a dict lookup.

Absolute times on a 2-core machine are noise; ratios within one run are the figure.

    python bench/bench_core.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from timing import best_of, fmt, ratio

import opendal_lab as od
from opendal_lab.core.options import DEFAULT_LIST, DEFAULT_READ, DEFAULT_STAT, DEFAULT_WRITE

try:
    import opendal
except ImportError:  # the binding is optional: its column is left empty
    opendal = None

KIB = 1024
MIB = 1024 * KIB


def per_call(fns: dict[str, Callable[[], Any] | None], budget: float) -> dict[str, float | None]:
    """Seconds per call for each column, the best of 7 interleaved rounds.

    Rounds alternate between the columns, so a slow spell of the machine hits all of them
    alike; the minimum is the least disturbed measurement (timeit's own advice).
    """
    timers = {c: timeit.Timer(fn) for c, fn in fns.items() if fn is not None}
    numbers = {}
    for column, timer in timers.items():
        number, _ = timer.autorange()
        numbers[column] = max(1, int(number * (budget / 7) / 0.2))
    best: dict[str, float] = dict.fromkeys(timers, float("inf"))
    for _ in range(7):
        for column, timer in timers.items():
            best[column] = min(best[column], timer.timeit(numbers[column]) / numbers[column])
    return {c: best.get(c) for c in fns}


def setup(root: str) -> dict[str, dict[str, Any]]:
    """Operators, raw services and binding operators for memory and fs, with the same data."""
    store = f"bench-{uuid.uuid4().hex[:8]}"
    sides: dict[str, dict[str, Any]] = {
        "memory": {"op": od.Operator("memory", name=store)},
        "fs": {"op": od.Operator("fs", root=root)},
    }
    for side in sides.values():
        side["raw"] = side["op"].stack[0].access
        side["binding"] = None
    if opendal is not None:
        sides["memory"]["binding"] = opendal.Operator("memory")
        sides["fs"]["binding"] = opendal.Operator("fs", root=root + "-opendal")
    payload = {"4KiB": os.urandom(4 * KIB), "1MiB": os.urandom(MIB)}
    for side in sides.values():
        for target in (side["op"], side["binding"]):
            if target is None:
                continue
            for size, data in payload.items():
                target.write(f"bench/{size}", data)
            for i in range(1000):
                target.write(f"list/{i:04d}", b"x")
    return sides


def _os_read(full: str) -> bytes:
    with open(full, "rb") as fh:
        return fh.read()


def _os_write(full: str, data: bytes) -> None:
    with open(full, "wb") as fh:
        fh.write(data)


def _count(entries: Any) -> int:
    return sum(1 for _ in entries)


def cases(sides: dict[str, dict[str, Any]], root: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(operation, service, {column: callable or None}) for every row of the table."""
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for name, side in sides.items():
        op, raw, b = side["op"], side["raw"], side["binding"]
        base = root if name == "fs" else None

        def local(rel: str, base: str | None = base) -> str | None:
            return os.path.join(base, rel) if base else None

        def row(operation: str, name: str = name, **columns: Any) -> None:
            rows.append((operation, name, columns))

        f = "bench/4KiB"
        row(
            "stat",
            default=partial(op.stat, f),
            raw=partial(raw.stat, f, DEFAULT_STAT),
            os=base and partial(os.stat, local(f)),
            opendal=b and partial(b.stat, f),
        )
        row(
            "exists",
            default=partial(op.exists, f),
            raw=partial(raw.stat, f, DEFAULT_STAT),
            os=base and partial(os.path.exists, local(f)),
            opendal=b and partial(b.exists, f),
        )
        for size, data in (("4KiB", os.urandom(4 * KIB)), ("1MiB", os.urandom(MIB))):
            r, w = f"bench/{size}", f"bench/w-{size}"
            row(
                f"read {size}",
                default=partial(op.read, r),
                raw=partial(raw.read, r, DEFAULT_READ),
                os=base and partial(_os_read, local(r)),
                opendal=b and partial(b.read, r),
            )
            row(
                f"write {size}",
                default=partial(op.write, w, data),
                raw=partial(raw.write, w, data, DEFAULT_WRITE),
                os=base and partial(_os_write, local(w), data),
                opendal=b and partial(b.write, w, data),
            )
        row(
            "list 1000",
            default=lambda op=op: _count(op.list("list/")),
            raw=lambda raw=raw: _count(raw.list("list/", DEFAULT_LIST)),
            os=base and partial(os.listdir, local("list")),
            opendal=b and (lambda b=b: _count(b.list("list/"))),
        )
    return rows


def _first_file(entries: Iterator[Any]) -> None:
    """Take entries up to the first file (a listing of ``d/`` yields ``d/`` first)."""
    for entry in entries:
        if entry.is_file:
            break
    close = getattr(entries, "close", None)
    if close is not None:
        close()


def _scandir_stat(path: str) -> None:
    with os.scandir(path) as it:
        for entry in it:
            entry.stat()


def _scandir(path: str) -> None:
    with os.scandir(path) as it:
        for _ in it:
            pass


def _scandir_first(path: str, stat: bool) -> None:
    with os.scandir(path) as it:
        entry = next(it)
        if stat:
            entry.stat()


def _drain(entries: Iterator[Any]) -> None:
    for _ in entries:
        pass


def fs_floor_rows(root: str, budget: float, sizes: tuple[int, ...], rounds: int) -> list[str]:
    """fs stat at depth 2 and 7 against os.stat; fs list against scandir (+stat)."""
    op = od.Operator("fs", root=root)
    raw = op.stack[0].access
    lines = []
    for depth in (2, 7):
        rel = "/".join(f"d{i}" for i in range(depth - 1)) + "/f"
        op.write(rel, b"x")
        t = per_call(
            {
                "raw": partial(raw.stat, rel, DEFAULT_STAT),
                "default": partial(op.stat, rel),
                "os": partial(os.stat, os.path.join(root, rel)),
            },
            budget,
        )
        lines.append(
            f"fs stat, depth {depth}: raw {fmt(t['raw'])}, default {fmt(t['default'])}, "
            f"os.stat {fmt(t['os'])}: raw/os.stat {ratio(t['raw'], t['os'])}, "
            f"default/os.stat {ratio(t['default'], t['os'])} (target <= 1.5x)"
        )
        print(lines[-1], flush=True)
    for n in sizes:
        d = f"many{n}"
        full = os.path.join(root, d)
        os.makedirs(full)
        for i in range(n):
            os.close(os.open(os.path.join(full, f"f{i:06d}"), os.O_CREAT | os.O_WRONLY, 0o644))
        whole = best_of(
            {
                "fs": lambda d=d: _drain(raw.list(d + "/", DEFAULT_LIST)),
                "default": lambda d=d: _drain(op.list(d + "/")),
                "scandir+stat": partial(_scandir_stat, full),
                "scandir": partial(_scandir, full),
            },
            rounds,
        )
        first = best_of(
            {
                "fs": lambda d=d: _first_file(raw.list(d + "/", DEFAULT_LIST)),
                "scandir+stat": partial(_scandir_first, full, True),
                "scandir": partial(_scandir_first, full, False),
            },
            rounds,
        )
        per = {k: v / n for k, v in whole.items()}
        lines.append(
            f"fs list {n}: per entry raw {fmt(per['fs'])}, default {fmt(per['default'])}, "
            f"scandir+stat {fmt(per['scandir+stat'])}, scandir {fmt(per['scandir'])}: "
            f"raw/(scandir+stat) {ratio(whole['fs'], whole['scandir+stat'])}, "
            f"default/(scandir+stat) {ratio(whole['default'], whole['scandir+stat'])} "
            f"(target <= 1.3x), raw/scandir {ratio(whole['fs'], whole['scandir'])}; "
            f"first entry raw {fmt(first['fs'])} ({first['fs'] / whole['fs']:.0%} of the "
            f"whole list), scandir+stat {fmt(first['scandir+stat'])}, "
            f"scandir {fmt(first['scandir'])}"
        )
        print(lines[-1], flush=True)
    return lines


def _timed_writes(keys: list[str], target: str) -> float:
    """Seconds to write ``keys`` in the order given into a fresh store (or dict).

    The store is made before the clock starts and emptied after it stops: memory stores
    are process-wide, and a million keys left in each would fill the machine.
    """
    data = b"x"
    if target == "dict":
        table: dict[str, bytes] = {}
        start = time.perf_counter()
        for k in keys:
            table[k] = data
        return time.perf_counter() - start
    op = od.Operator("memory", name=f"bench-w-{uuid.uuid4().hex}")
    write = partial(op.stack[0].access.write, opts=DEFAULT_WRITE) if target == "raw" else op.write
    start = time.perf_counter()
    for k in keys:
        write(k, data)
    took = time.perf_counter() - start
    op.delete("/", recursive=True)
    return took


def _best_writes(keys: list[str], rounds: int) -> dict[str, float]:
    """Best of ``rounds`` interleaved rounds (order rotating) for each column."""
    columns = ["default", "raw", "dict"]
    best = dict.fromkeys(columns, float("inf"))
    for r in range(rounds):
        for column in columns[r % 3 :] + columns[: r % 3]:
            gc.collect()
            best[column] = min(best[column], _timed_writes(keys, column))
    return best


def memory_floor_rows(budget: float, sizes: tuple[int, ...], rounds: int) -> list[str]:
    """memory writes in random order per key against a dict; memory stat against a lookup."""
    lines = []
    rng = random.Random(16)
    for n in sizes:
        keys = [f"k/{i:07d}" for i in range(n)]
        rng.shuffle(keys)
        t = _best_writes(keys, rounds)
        lines.append(
            f"memory write {n} keys, random order: default {fmt(t['default'] / n)}, "
            f"raw {fmt(t['raw'] / n)}, dict insert {fmt(t['dict'] / n)} per key: "
            f"default/dict {ratio(t['default'], t['dict'])}, raw/dict {ratio(t['raw'], t['dict'])} "
            f"(target <= 2 µs per key)"
        )
        print(lines[-1], flush=True)
    op = od.Operator("memory", name=f"bench-s-{uuid.uuid4().hex}")
    raw = op.stack[0].access
    table = {f"k/{i:04d}": b"x" for i in range(1000)}
    for k, v in table.items():
        op.write(k, v)
    key = "k/0500"
    t = per_call(
        {
            "raw": partial(raw.stat, key, DEFAULT_STAT),
            "default": partial(op.stat, key),
            "dict": partial(table.__getitem__, key),
        },
        budget,
    )
    op.delete("/", recursive=True)
    lines.append(
        f"memory stat: raw {fmt(t['raw'])}, default {fmt(t['default'])}, dict lookup "
        f"{fmt(t['dict'])}: raw/dict {ratio(t['raw'], t['dict'])}, "
        f"default/dict {ratio(t['default'], t['dict'])} (target <= 4x)"
    )
    print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing budget")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    budget = 0.3 if args.quick else 1.0

    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "fs")
        sides = setup(root)
        columns = ("raw", "default", "os", "opendal")
        results: list[dict[str, Any]] = []
        header = (
            f"{'operation':<12} {'service':<7} "
            + " ".join(f"{c:>10}" for c in columns)
            + f" {'default/raw':>12} {'default/opendal':>16}"
        )
        print(
            f"opendal_lab {od.__version__}, opendal binding "
            f"{getattr(opendal, '__version__', 'not installed')}, Python {sys.version.split()[0]}"
        )
        print(header)
        print("-" * len(header))
        for operation, service, fns in cases(sides, root):
            times = per_call(fns, budget)
            results.append({"operation": operation, "service": service, **times})
            print(
                f"{operation:<12} {service:<7} "
                + " ".join(f"{fmt(times[c]):>10}" for c in columns)
                + f" {ratio(times['default'], times['raw']):>12}"
                + f" {ratio(times['default'], times['opendal']):>16}",
                flush=True,
            )

    print()
    mem = [r for r in results if r["service"] == "memory"]
    worst = max(mem, key=lambda r: r["default"] / r["raw"])
    print(
        f"memory: default stack / raw service, worst case {worst['operation']}: "
        f"{worst['default'] / worst['raw']:.2f}x (target <= 2x)"
    )
    for r in results:
        if r["service"] == "fs" and r["operation"] in ("stat", "read 4KiB") and r["opendal"]:
            print(
                f"fs {r['operation']}: default stack / opendal binding "
                f"{r['default'] / r['opendal']:.2f}x (target < 1x)"
            )

    print("\nfloor rows (issue 16), best of interleaved rounds:")
    with tempfile.TemporaryDirectory() as tmp:
        floor = fs_floor_rows(
            os.path.join(tmp, "floor"), budget, (1000, 10_000, 100_000), 5 if args.quick else 9
        )
    floor += memory_floor_rows(budget, (100_000, 1_000_000), 2 if args.quick else 3)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"table": results, "floor": floor}, fh, indent=2)


if __name__ == "__main__":
    main()
