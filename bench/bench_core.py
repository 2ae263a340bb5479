"""Per-call cost of opendal_lab's default stack, side by side in one run.

For each operation it times, on the same data:

- ``default``: ``Operator(...)`` with the always-on layers (what users get);
- ``raw``: the service's own method, called with prebuilt options (no layers, no checks);
- ``os``: plain ``os``/``open`` calls (fs only);
- ``opendal``: the ``opendal`` PyPI binding (Rust) doing the same on the same service.

It prints one table of per-call times and the ratios the issue asks about. Absolute times
on a 2-core machine are noise; ratios within one run are the figure.

    python bench/bench_core.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import timeit
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from timing import fmt, ratio

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
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
