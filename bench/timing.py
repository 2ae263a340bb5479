"""How the benchmarks time and print: interleaved best-of rounds, units, ratios.

Every comparison runs its contenders in one process, alternating them round by round (the
order rotating), so a slow spell of the machine hits all of them alike; the minimum of the
rounds is the least disturbed figure (timeit's own advice).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def best_of(
    fns: dict[str, Callable[[], Any]], rounds: int, budget: float = 0.0
) -> dict[str, float]:
    """Seconds for each column: the best of interleaved rounds, after one warm-up call each.

    At least ``rounds`` rounds; more (up to 40x) while the row has used less than ``budget``
    seconds, so fast rows get enough tries for their minimum to settle.
    """
    for fn in fns.values():
        fn()  # warm-up: connections, caches, imports
    best = dict.fromkeys(fns, float("inf"))
    names = list(fns)
    began = time.perf_counter()
    r = 0
    while r < rounds or (r < 40 * rounds and time.perf_counter() - began < budget):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            start = time.perf_counter()
            fns[name]()
            best[name] = min(best[name], time.perf_counter() - start)
        r += 1
    return best


def fmt(seconds: float | None) -> str:
    """A duration in the unit that suits it: ns, µs or ms."""
    if seconds is None:
        return "-"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.0f} ms" if seconds >= 0.1 else f"{seconds * 1e3:.2f} ms"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def _status(field: str) -> int:
    """A ``/proc/self/status`` figure in bytes (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_rss(warm: Callable[[], Any], run: Callable[[], Any]) -> tuple[dict[str, int], Any]:
    """``run()``'s peak resident set in this process: ``{"peak": above the start, "total"}``
    and what it returned. ``warm()`` runs first, so one-time set-up is not counted.

    Not ru_maxrss: Linux keeps it across exec, so a child would start with the peak of the
    benchmark that spawned it. VmHWM belongs to this process's memory, and writing 5 to
    clear_refs resets it to the current resident set.
    """
    warm()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _status("VmRSS")
    result = run()
    peak = _status("VmHWM")
    return {"peak": peak - before, "total": peak}, result
