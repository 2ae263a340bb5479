"""What TailCutLayer does to a long tail: 2,000 reads over memory where 2 % of the calls
below take 200 ms, without the layer and with it (a RetryLayer above re-issues what it cut).

A small layer between the memory service and the layers under test sleeps 200 ms on a
seeded 2 % of the reads that reach it (every attempt draws again, so a re-issued read can
be slow too). Each column reads the same 4 KiB object 2,000 times in a row after a warm-up
of ``min_samples`` reads (so the layer has its distribution; the warm-up is not counted),
timing each read as the caller sees it. The columns:

- ``without``: the tail layer and a default RetryLayer (which has nothing to do);
- ``TailCut defaults``: OpenDAL's knobs. Their 0.5 s floor (``min_deadline``) is above a
  200 ms tail, so nothing is cut: the floor is the knob to turn for a tail this short;
- ``TailCut 10 ms floor``: ``min_deadline=0.01``, and a RetryLayer that re-issues a cut
  read at once (``min_delay=0``): a cut says nothing about load, so no backoff;
- ``... default retry``: the same floor under a default RetryLayer (25 to 50 ms of
  jittered backoff before the re-issue).

    python bench/bench_tail_cut.py [--reads 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from timing import fmt

import opendal_lab as od
from opendal_lab.core.options import ReadOptions
from opendal_lab.layers import TailCutLayer

KIB = 1024
TAIL_RATE = 0.02
TAIL_DELAY = 0.2


class LongTailLayer(od.BaseLayer):
    """Sleeps ``delay`` seconds on a seeded ``rate`` of the reads that reach it."""

    def __init__(self, rate: float, delay: float, seed: int) -> None:
        self.rate = rate
        self.delay = delay
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.slow = 0

    def wrap(self, inner: Any) -> Any:
        return _LongTailAccess(inner, self)


class _LongTailAccess(od.LayeredAccess):
    layer: LongTailLayer

    def read(self, path: str, opts: ReadOptions) -> bytes:
        layer = self.layer
        with layer.lock:
            slow = layer.rng.random() < layer.rate
            layer.slow += slow
        if slow:
            time.sleep(layer.delay)
        return self.inner.read(path, opts)


def percentile(sorted_times: list[float], p: float) -> float:
    """Nearest rank, as TailCutLayer computes its own."""
    rank = math.ceil(p / 100 * len(sorted_times))
    return sorted_times[min(max(rank, 1), len(sorted_times)) - 1]


def run(
    reads: int, seed: int, layers: Callable[[], list[Any]], warm: int
) -> tuple[list[float], LongTailLayer, TailCutLayer | None]:
    """Per-read seconds of ``reads`` reads through the tail layer and ``layers()``."""
    tail = LongTailLayer(TAIL_RATE, TAIL_DELAY, seed)
    op = od.Operator("memory", name=f"bench-tail-cut-{uuid.uuid4().hex[:8]}").layer(tail)
    cut: TailCutLayer | None = None
    for layer in layers():
        op = op.layer(layer)
        if isinstance(layer, TailCutLayer):
            cut = layer
    payload = b"x" * (4 * KIB)
    op.write("f", payload)
    for _ in range(warm):
        op.read("f")
    tail.slow = 0
    if cut is not None:
        cut.reset()
    times: list[float] = []
    clock = time.perf_counter
    for _ in range(reads):
        started = clock()
        data = op.read("f")
        times.append(clock() - started)
        assert data == payload
    return times, tail, cut


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    warm = 200  # TailCutLayer's min_samples
    columns: dict[str, Callable[[], list[Any]]] = {
        "without": lambda: [od.RetryLayer()],
        "TailCut defaults": lambda: [TailCutLayer(), od.RetryLayer()],
        "TailCut 10 ms floor": lambda: [
            TailCutLayer(min_deadline=0.01),
            od.RetryLayer(min_delay=0.0, max_delay=0.0),
        ],
        "... default retry": lambda: [TailCutLayer(min_deadline=0.01), od.RetryLayer()],
    }
    results: dict[str, tuple[list[float], LongTailLayer, TailCutLayer | None]] = {}
    for name, layers in columns.items():
        results[name] = run(args.reads, args.seed, layers, warm)

    print(
        f"{args.reads:,} reads of 4 KiB over memory, {TAIL_RATE:.0%} of the calls below "
        f"taking {TAIL_DELAY * 1e3:.0f} ms (seed {args.seed}); after a {warm}-read warm-up"
    )
    print()
    names = list(results)
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    base = sorted(results["without"][0])
    rows: list[tuple[str, Callable[[list[float]], float]]] = [
        ("p50", lambda t: percentile(t, 50)),
        ("p90", lambda t: percentile(t, 90)),
        ("p99", lambda t: percentile(t, 99)),
        ("p99.9", lambda t: percentile(t, 99.9)),
        ("max", lambda t: t[-1]),
        ("mean", statistics.fmean),
    ]
    for label, figure in rows:
        cells = []
        for name in names:
            value = figure(sorted(results[name][0]))
            ratio = value / figure(base)
            cells.append(fmt(value) + ("" if name == "without" else f" ({ratio:.2f}x)"))
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("| total | " + " | ".join(f"{sum(r[0]):.2f} s" for r in results.values()) + " |")
    print(
        "| reads over 100 ms | "
        + " | ".join(str(sum(t > 0.1 for t in r[0])) for r in results.values())
        + " |"
    )
    print("| slow calls below | " + " | ".join(str(r[1].slow) for r in results.values()) + " |")
    print(
        "| cut | "
        + " | ".join(
            "-" if r[2] is None else str(sum(r[2].cuts.values())) for r in results.values()
        )
        + " |"
    )
    print(
        "| deadline | "
        + " | ".join(
            "-" if r[2] is None else fmt(r[2].deadline("read") or 0.0) for r in results.values()
        )
        + " |"
    )


if __name__ == "__main__":
    main()
