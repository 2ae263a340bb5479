"""A mixed workload from several threads, shared by the S3 tests with and without faults.

Each worker owns the keys under ``w<worker>/``, draws its operations from a seeded RNG (so a
failure replays), checks every read, stat and list against what it wrote, and returns the
keys it left with their bytes; ``run_mixed`` returns the union over all workers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import opendal_lab as od

__all__ = ["KINDS", "run_mixed"]

# write is drawn twice as often: a workload that deletes as fast as it writes stays empty.
KINDS = ("write", "write", "read", "range", "stat", "list", "delete", "copy")


def _work(
    op: od.Operator, worker: int, steps: int, kinds: Sequence[str], list_limit: int | None
) -> dict[str, bytes]:
    rng = random.Random(worker)
    mine: dict[str, bytes] = {}
    for i in range(steps):
        kind = rng.choice(kinds)
        if kind == "write" or not mine:
            path = f"w{worker}/f{rng.randrange(8)}"
            data = f"{worker}:{i}:".encode() * rng.randrange(1, 50)
            op.write(path, data)
            mine[path] = data
            continue
        path = rng.choice(sorted(mine))
        if kind == "read":
            assert op.read(path) == mine[path]
        elif kind == "range":
            assert op.read(path, offset=1, size=3) == mine[path][1:4]
        elif kind == "stat":
            assert op.stat(path).content_length == len(mine[path])
        elif kind == "list":  # with a limit, one listing is several ListObjectsV2 pages
            listed = {e.path for e in op.list(f"w{worker}/", limit=list_limit) if e.is_file}
            assert listed == set(mine)
        elif kind == "delete":
            op.delete(path)
            del mine[path]
        else:
            target = f"w{worker}/c{rng.randrange(5)}"
            if target != path:
                op.copy(path, target)
                mine[target] = mine[path]
    return mine


def run_mixed(
    op: od.Operator,
    *,
    threads: int = 8,
    steps: int = 20,
    kinds: Sequence[str] = KINDS,
    list_limit: int | None = None,
) -> dict[str, bytes]:
    """Run ``threads`` workers of ``steps`` operations each; the keys left, with their bytes.
    The first failure of any worker is raised here."""
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda w: _work(op, w, steps, kinds, list_limit), range(threads)))
    return {path: data for mine in results for path, data in mine.items()}
