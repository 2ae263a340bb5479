"""Many small objects behind a slow store: opendal_lab's bulk reads against s3fs and obstore.

A moto S3 server runs on loopback (a subprocess) behind tests/fault_proxy.py's proxy, which
holds every request 20 ms before forwarding it (``--latency``), as a store across a network
would. 1,000 objects of 16 KiB (``--objects``) are read, whole, in interleaved rounds by:

- ``fsspec-face``: ``OpendalFileSystem(op).cat(keys)``, the face's bulk read;
- ``operator``: ``op.read_many(keys)``;
- ``s3fs``: ``s3fs.S3FileSystem(...).cat(paths)``, as a user gets it (aiobotocore's
  default connection pool);
- ``async-operator``: ``asyncio.gather`` over ``AsyncOperator.read``, the same stack;
- ``operator-obstore``: ``op.read_many(keys)`` on ``Operator("obstore", ...)``, our bridge
  over obstore's S3 store under the same layers (a column only when the service is there);
- ``obstore``: ``asyncio.gather`` over ``obstore.get_async`` + ``bytes_async``, at most
  ``--concurrency`` at once (an asyncio semaphore): the Rust anchor.

``op`` is ``Operator("s3", ...)`` with the default stack; opendal_lab's bulk calls run
``--concurrency`` calls at once (default 32, their default). Sequentially, each object
would cost at least the 20 ms: 1,000 objects, 20 s. Printed: objects/s of each column and
the ratios of our two against s3fs and obstore (above 1: faster), best of the rounds.

    python bench/bench_concurrency.py [--rounds 3] [--quick] [--objects 1000] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench_s3 import clients, moto_server
from timing import best_of

import opendal_lab as od
from opendal_lab.core.pool import DEFAULT_CONCURRENCY
from opendal_lab.fsspec import OpendalFileSystem

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fault_proxy import FaultProxy

KIB = 1024
BUCKET = "bench-small"
OURS = ("fsspec-face", "operator", "async-operator", "operator-obstore")
ANCHORS = ("s3fs", "obstore")


def fill(c: dict[str, Any], n: int, size: int) -> list[str]:
    """``n`` objects of ``size`` random bytes, put straight to moto (not through the proxy)."""
    boto = c["boto"]
    boto.create_bucket(Bucket=BUCKET)
    keys = [f"small/{i:05d}" for i in range(n)]
    payload = os.urandom(size)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: boto.put_object(Bucket=BUCKET, Key=k, Body=payload), keys))
    return keys


def columns(
    slow: dict[str, Any], keys: list[str], size: int, concurrency: int
) -> dict[str, Callable[[], Any]]:
    """One bulk read of ``keys`` per column, each through the slow endpoint's clients."""
    import obstore

    op = od.Operator("s3", bucket=BUCKET, **slow["config"])
    face = OpendalFileSystem(op)
    fs = slow["fs"]
    store = slow["store"](BUCKET)
    paths = [f"{BUCKET}/{k}" for k in keys]

    def check(blobs: Any) -> None:
        assert len(blobs) == len(keys), len(blobs)
        assert all(len(b) == size for b in blobs)

    async def gather() -> list[bytes]:
        gate = asyncio.Semaphore(concurrency)

        async def one(key: str) -> bytes:
            async with gate:
                result = await obstore.get_async(store, key)
                return bytes(await result.bytes_async())

        return await asyncio.gather(*(one(k) for k in keys))

    aop = od.AsyncOperator.from_operator(op, concurrency=concurrency)

    async def gather_ours() -> list[bytes]:
        return await asyncio.gather(*(aop.read(k) for k in keys))

    fns = {
        "fsspec-face": lambda: check(list(face.cat(keys, batch_size=concurrency).values())),
        "operator": lambda: check(op.read_many(keys, concurrency=concurrency)),
        "async-operator": lambda: check(asyncio.run(gather_ours())),
    }
    if "obstore" in od.schemes():
        config = {**slow["config"], "allow_http": True}
        bridge = od.Operator("obstore", url=f"s3://{BUCKET}", **config)
        fns["operator-obstore"] = lambda: check(bridge.read_many(keys, concurrency=concurrency))
    fns["s3fs"] = lambda: check(list(fs.cat(paths).values()))
    fns["obstore"] = lambda: check(asyncio.run(gather()))
    return fns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--objects", type=int, default=1000, help="objects read per round")
    parser.add_argument("--size", type=int, default=16 * KIB, help="bytes per object")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added per request")
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="ours and obstore's"
    )
    parser.add_argument("--quick", action="store_true", help="200 objects, 1 round")
    args = parser.parse_args()
    n, rounds = (200, 1) if args.quick else (args.objects, args.rounds)

    import obstore
    import s3fs

    print(
        f"opendal_lab {od.__version__}, obstore {obstore.__version__}, s3fs {s3fs.__version__}, "
        f"Python {sys.version.split()[0]}; moto behind a {args.latency * 1e3:.0f} ms proxy; "
        f"{n} x {args.size // KIB} KiB; concurrency {args.concurrency} (ours, obstore); "
        f"best of {rounds} interleaved rounds"
    )
    with moto_server() as endpoint:
        direct = clients(endpoint)
        keys = fill(direct, n, args.size)
        with FaultProxy(endpoint, latency=args.latency, max_connections=1024) as proxy:
            fns = columns(clients(proxy.url), keys, args.size, args.concurrency)
            times = best_of(fns, rounds)
            requests = {}
            for col, fn in fns.items():  # one more call each, to count what it asked
                proxy.reset_counts()
                fn()
                requests[col] = proxy.requests
    rate = {col: n / t for col, t in times.items()}
    print(f"{'column':<18}{'objects/s':>12}{'seconds':>10}{'requests/object':>18}")
    for col, t in times.items():
        print(f"{col:<18}{rate[col]:>12.0f}{t:>10.2f}{requests[col] / n:>18.2f}")
    print()
    print(f"{'throughput ratio':<18}" + "".join(f"{'vs ' + a:>14}" for a in ANCHORS))
    for col in (c for c in OURS if c in rate):
        print(f"{col:<18}" + "".join(f"{rate[col] / rate[a]:>13.2f}x" for a in ANCHORS))
    worst = min(rate[c] / rate["s3fs"] for c in OURS if c in rate)
    print(f"\ntarget: each of ours >= 1.00x s3fs ({worst:.2f}x at worst)")


if __name__ == "__main__":
    main()
