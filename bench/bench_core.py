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
import statistics
import sys
import tempfile
import timeit
import uuid
from collections.abc import Callable
from typing import Any

import opendal_lab as od
from opendal_lab.core.options import DEFAULT_LIST, DEFAULT_READ, DEFAULT_STAT, DEFAULT_WRITE

try:
    import opendal
except ImportError:  # the binding is optional: its column is left empty
    opendal = None

KIB = 1024
MIB = 1024 * KIB


def per_call(fn: Callable[[], Any], budget: float) -> float:
    """Median seconds per call over 5 rounds, each sized to take about ``budget / 5``."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, int(number * (budget / 5) / 0.2))
    return statistics.median(t / number for t in timer.repeat(repeat=5, number=number))


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


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


def cases(sides: dict[str, dict[str, Any]], root: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(operation, service, {column: callable or None})."""
    rows: list[tuple[str, str, dict[str, Any]]] = []
    payload = {"4KiB": os.urandom(4 * KIB), "1MiB": os.urandom(MIB)}
    for name, side in sides.items():
        op, raw, b = side["op"], side["raw"], side["binding"]
        base = root if name == "fs" else None

        def os_call(f: Callable[[str], Any], rel: str) -> Callable[[], Any] | None:
            if base is None:
                return None
            full = os.path.join(base, rel)
            return lambda: f(full)

        def os_write(full: str, data: bytes) -> None:
            with open(full, "wb") as fh:
                fh.write(data)

        rows.append(
            (
                "stat",
                name,
                {
                    "default": lambda op=op: op.stat("bench/4KiB"),
                    "raw": lambda raw=raw: raw.stat("bench/4KiB", DEFAULT_STAT),
                    "os": os_call(os.stat, "bench/4KiB"),
                    "opendal": b and (lambda b=b: b.stat("bench/4KiB")),
                },
            )
        )
        rows.append(
            (
                "exists",
                name,
                {
                    "default": lambda op=op: op.exists("bench/4KiB"),
                    "raw": lambda raw=raw: raw.stat("bench/4KiB", DEFAULT_STAT),
                    "os": os_call(os.path.exists, "bench/4KiB"),
                    "opendal": b and (lambda b=b: b.exists("bench/4KiB")),
                },
            )
        )
        for size, data in payload.items():
            path = f"bench/{size}"

            def os_read(full: str) -> bytes:
                with open(full, "rb") as fh:
                    return fh.read()

            rows.append(
                (
                    f"read {size}",
                    name,
                    {
                        "default": lambda op=op, p=path: op.read(p),
                        "raw": lambda raw=raw, p=path: raw.read(p, DEFAULT_READ),
                        "os": os_call(os_read, path),
                        "opendal": b and (lambda b=b, p=path: b.read(p)),
                    },
                )
            )
            wpath = f"bench/w-{size}"
            rows.append(
                (
                    f"write {size}",
                    name,
                    {
                        "default": lambda op=op, p=wpath, d=data: op.write(p, d),
                        "raw": lambda raw=raw, p=wpath, d=data: raw.write(p, d, DEFAULT_WRITE),
                        "os": base
                        and (lambda p=os.path.join(base, wpath), d=data: os_write(p, d)),
                        "opendal": b and (lambda b=b, p=wpath, d=data: b.write(p, d)),
                    },
                )
            )
        rows.append(
            (
                "list 1000",
                name,
                {
                    "default": lambda op=op: sum(1 for _ in op.list("list/")),
                    "raw": lambda raw=raw: sum(1 for _ in raw.list("list/", DEFAULT_LIST)),
                    "os": base and (lambda p=os.path.join(base, "list"): len(os.listdir(p))),
                    "opendal": b and (lambda b=b: sum(1 for _ in b.list("list/"))),
                },
            )
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
        print(f"opendal_lab {od.__version__}, opendal binding "
              f"{getattr(opendal, '__version__', 'not installed')}, Python {sys.version.split()[0]}")
        print(header)
        print("-" * len(header))
        for operation, service, fns in cases(sides, root):
            times = {c: (per_call(fn, budget) if fn else None) for c, fn in fns.items()}
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
