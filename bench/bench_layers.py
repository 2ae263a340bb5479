"""What each optional layer costs per call, added alone over the memory service.

Each row is one layer on top of the default stack (``Operator("memory")``); each column an
operation on the same data. The figure is the ratio to the bare default stack in the same
run; the bare stack's own per-call time heads the table. Layers that act only when
configured to (Chaos, Throttle, CapabilityOverride) are configured not to get in the way,
so the row shows the price of having them on the path.

    python bench/bench_layers.py [--quick]
"""

from __future__ import annotations

import argparse
import logging
import uuid
from collections.abc import Callable
from typing import Any

from bench_core import per_call
from timing import fmt

import opendal_lab as od
from opendal_lab.core.registry import build_layer

KIB = 1024


def layers() -> dict[str, Callable[[], Any]]:
    """Row name → a function building the layer (fresh per row, so no state is shared)."""
    logging.getLogger("bench.quiet").setLevel(logging.WARNING)
    logging.getLogger("bench.loud").addHandler(logging.NullHandler())
    logging.getLogger("bench.loud").setLevel(logging.DEBUG)
    logging.getLogger("bench.loud").propagate = False
    return {
        "Logging (disabled)": lambda: build_layer("logging", logger="bench.quiet"),
        "Logging (to a NullHandler)": lambda: build_layer("logging", logger="bench.loud"),
        "Retry": lambda: build_layer("retry"),
        "Chaos (rate 0)": lambda: build_layer("chaos", error_rate=0.0),
        "Timeout": lambda: build_layer("timeout"),
        "ConcurrentLimit (64)": lambda: build_layer("concurrent_limit", permits=64),
        "Throttle (1 TB/s)": lambda: build_layer("throttle", bandwidth=10**12, burst=10**12),
        "Metrics": lambda: _metrics(),
        "Tracing (no SDK)": lambda: build_layer("tracing"),
        "CapabilityOverride": lambda: build_layer("capability_override", spec="presign=false"),
        "MimeGuess": lambda: build_layer("mime_guess"),
        "Route (no match)": lambda: build_layer(
            "route", routes={"elsewhere/**": od.Operator("memory", name="bench-route")}
        ),
        "Cache (hits)": lambda: build_layer("cache"),
        "Recorder": lambda: build_layer("recorder"),
    }


def _metrics() -> Any:
    from prometheus_client import CollectorRegistry

    return build_layer("metrics", registry=CollectorRegistry())


def operations(op: od.Operator) -> dict[str, Callable[[], Any]]:
    payload = b"x" * (4 * KIB)
    op.write("bench/file", payload)
    for i in range(100):
        op.write(f"bench/dir/{i:03}", b"x")
    return {
        "stat": lambda: op.stat("bench/file"),
        "read 4 KiB": lambda: op.read("bench/file"),
        "write 4 KiB": lambda: op.write("bench/out", payload),
        "list 100": lambda: sum(1 for _ in op.list("bench/dir/")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run, for a smoke test")
    args = parser.parse_args()
    budget = 0.2 if args.quick else 1.0

    base = od.Operator("memory", name=f"bench-layers-{uuid.uuid4().hex[:8]}")
    bare_ops = operations(base)
    names = list(bare_ops)
    rows: list[tuple[str, dict[str, float | None]]] = []
    bare: dict[str, float | None] = {}
    for row, make in layers().items():
        stacked = operations(base.layer(make()))
        # The bare stack is timed in every row, interleaved with the layer: ratios compare
        # two measurements taken side by side, not one against a figure from minutes ago.
        for name in names:
            times = per_call({"bare": bare_ops[name], "layer": stacked[name]}, budget)
            bare[name] = min(bare.get(name) or float("inf"), times["bare"] or float("inf"))
            rows.append((row, {name: (times["layer"] or 0) / (times["bare"] or 1)}))

    merged: dict[str, dict[str, float | None]] = {}
    for row, figures in rows:
        merged.setdefault(row, {}).update(figures)
    print(
        f"Per-call cost of one layer over Operator('memory'), {'quick' if args.quick else 'full'}"
    )
    print()
    print("| layer | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    print("| bare default stack | " + " | ".join(fmt(bare[n]) for n in names) + " |")
    for row, figures in merged.items():
        cells = [f"{figures[n]:.2f}x" if figures.get(n) is not None else "-" for n in names]
        print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
