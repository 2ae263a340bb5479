"""ChaosLayer at 20% under RetryLayer: 2,000 mixed operations end exactly as the model says.

Every read during the run returns what the model says; at the end the store, read without
chaos and around the operator, holds every object as written and nothing else. The chaos
counters show the failures really came (about one covered call in five), and the retry
notifications that each was retried.
"""

from __future__ import annotations

import time

from opendal_lab import ChaosLayer, Error, RetryLayer

from .backends import Backend
from .workload import Workload, verify

STEPS = 2000
RATE = 0.2


def test_two_thousand_operations_through_chaos_and_retry(backend: Backend) -> None:
    raw = backend.operator()
    chaos = ChaosLayer(RATE, short_read_rate=0.1, seed=2024)
    retries: list[tuple[Error, int]] = []
    retry = RetryLayer(
        max_times=15,
        min_delay=0.0001,
        max_delay=0.001,
        notify=lambda err, delay, attempt: retries.append((err, attempt)),
    )
    work = Workload(raw.layer(chaos).layer(retry), seed=7)

    started = time.monotonic()
    for _ in range(STEPS):
        work.run(work.plan())
    elapsed = time.monotonic() - started

    verify(raw, backend, work.model)

    # Every action ran, many times.
    assert set(work.done) >= {"write", "stream", "read", "range", "suffix", "stat", "missing"}
    assert set(work.done) >= {"list_dir", "list_all", "delete", "delete_many", "copy"}
    assert work.done["read"] + work.done["range"] + work.done["suffix"] > 400
    if raw.capability().rename:
        assert work.done["rename"] > 50
    assert sum(work.done.values()) == STEPS

    # Chaos was on, at its rate, over every kind of call the run made.
    injected, checked = chaos.injected, chaos.checked
    failures = sum(n for kind, n in injected.items() if kind != "short_read")
    chances = sum(n for kind, n in checked.items() if kind != "short_read")
    assert abs(failures / chances - RATE) < 0.03, (failures, chances)
    assert failures > 400
    for kind in ("write", "read", "stat", "list", "list.next", "delete", "delete_many", "copy"):
        assert injected[kind] > 0, kind
    for kind in ("writer", "writer.write", "writer.close", "short_read"):
        assert injected[kind] > 0, kind

    # Each failure was retried: one retry per failed call (the failed items of one batch
    # share a retry), and every error retried was an injected, temporary one.
    whole = failures - injected["delete_many.item"]
    assert whole <= len(retries) <= failures
    assert all("injected by ChaosLayer" in str(err) for err, _ in retries)
    print(
        f"\n{backend.scheme}: {STEPS} steps in {elapsed:.1f} s, "
        f"{failures} injected of {chances} chances, {injected['short_read']} short reads, "
        f"{len(retries)} retries, max attempt {max(a for _, a in retries)}; "
        f"steps {dict(sorted(work.done.items()))}"
    )
