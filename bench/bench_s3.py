"""opendal_lab's s3 service against obstore, boto3 and s3fs, side by side in one run.

It starts its own S3 server (moto in server mode, a subprocess on a loopback port), fills
two buckets, and times on the same objects, in interleaved rounds:

- ``s3``: ``Operator("s3", ...)``, the default stack (what users get);
- ``obstore-svc``: ``Operator("obstore", ...)``, our bridge over obstore's S3 store, the
  default stack too (a column only when the service is installed);
- ``boto3``: the bare boto3 client, no layer of any kind;
- ``s3fs``: ``s3fs.S3FileSystem`` (aiobotocore underneath), listing cache dropped each time;
- ``obstore``: obstore's ``S3Store`` (Rust object_store) called directly: the anchor.

Rows: 100 x 1 MiB put, 100 x 1 MiB get, a recursive list of 5,000 keys, 200 x 64 KiB
ranged reads. Each figure is the best of the rounds; the ratios are each column against
obstore. The server does most of the work, the same for every client, so ``--profile``
also says how much of the ``s3`` column's time is spent in this process (client-side CPU).

    python bench/bench_s3.py [--rounds 5] [--quick] [--profile] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from timing import best_of

import opendal_lab as od

KIB = 1024
MIB = 1024 * KIB
KEY, SECRET, REGION = "AKIABENCH0000000", "bench-secret", "us-east-1"
ANCHOR = "obstore"
TARGET = 1.05  # issue 16: at most 1.05x obstore on every row


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto S3 server on a free loopback port, stopped on exit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from moto.server import main; main()",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def has_obstore_service() -> bool:
    return "obstore" in od.schemes()


def clients(endpoint: str) -> dict[str, Any]:
    import boto3
    import obstore.store
    import s3fs

    boto = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    fs = s3fs.S3FileSystem(
        key=KEY, secret=SECRET, client_kwargs={"endpoint_url": endpoint, "region_name": REGION}
    )
    config = {
        "region": REGION,
        "endpoint": endpoint,
        "access_key_id": KEY,
        "secret_access_key": SECRET,
    }

    def store(bucket: str) -> Any:
        return obstore.store.S3Store(
            bucket,
            endpoint=endpoint,
            access_key_id=KEY,
            secret_access_key=SECRET,
            region=REGION,
            client_options={"allow_http": True},
        )

    return {"boto": boto, "fs": fs, "config": config, "store": store}


def setup(c: dict[str, Any], n: int, nkeys: int) -> dict[str, Any]:
    boto = c["boto"]
    data_bucket, list_bucket = "bench-data", "bench-list"
    for bucket in (data_bucket, list_bucket):
        boto.create_bucket(Bucket=bucket)
    payload = os.urandom(MIB)
    for i in range(n):
        boto.put_object(Bucket=data_bucket, Key=f"get/{i:03d}", Body=payload)
    big = os.urandom(16 * MIB)
    boto.put_object(Bucket=data_bucket, Key="ranged/blob", Body=big)
    keys = [f"tree/{i % 10}/{i // 10 % 10}/k-{i:05d}" for i in range(nkeys)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: boto.put_object(Bucket=list_bucket, Key=k, Body=b"x"), keys))
    rng = random.Random(0)
    ranges = [(rng.randrange(0, 16 * MIB - 64 * KIB), 64 * KIB) for _ in range(2 * n)]
    return {
        "data": data_bucket,
        "list": list_bucket,
        "payload": payload,
        "ranges": ranges,
        "n": n,
        "nkeys": len(keys),
    }


Row = tuple[str, dict[str, Callable[[], Any]]]


def operator_fns(op: Any, lop: Any, s: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """put/get/list/ranged through an opendal_lab Operator (s3 or the obstore bridge)."""
    n, payload, ranges = s["n"], s["payload"], s["ranges"]

    def put() -> None:
        for i in range(n):
            op.write(f"put/{i:03d}", payload)

    def get() -> None:
        for i in range(n):
            assert len(op.read(f"get/{i:03d}")) == MIB

    def lst() -> None:
        count = sum(1 for e in lop.list("tree/", recursive=True) if e.is_file)
        assert count == s["nkeys"], count

    def ranged() -> None:
        for offset, size in ranges:
            assert len(op.read("ranged/blob", offset=offset, size=size)) == size

    return {"put": put, "get": get, "list": lst, "ranged": ranged}


def boto_fns(boto: Any, s: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    n, data, payload, ranges = s["n"], s["data"], s["payload"], s["ranges"]

    def put() -> None:
        for i in range(n):
            boto.put_object(Bucket=data, Key=f"put/{i:03d}", Body=payload)

    def get() -> None:
        for i in range(n):
            body = boto.get_object(Bucket=data, Key=f"get/{i:03d}")["Body"]
            assert len(body.read()) == MIB

    def lst() -> None:
        count = 0
        params: dict[str, Any] = {"Bucket": s["list"], "Prefix": "tree/"}
        while True:
            out = boto.list_objects_v2(**params)
            count += len(out.get("Contents", ()))
            if not out.get("IsTruncated"):
                break
            params["ContinuationToken"] = out["NextContinuationToken"]
        assert count == s["nkeys"], count

    def ranged() -> None:
        for offset, size in ranges:
            rng = f"bytes={offset}-{offset + size - 1}"
            body = boto.get_object(Bucket=data, Key="ranged/blob", Range=rng)["Body"]
            assert len(body.read()) == size

    return {"put": put, "get": get, "list": lst, "ranged": ranged}


def s3fs_fns(fs: Any, s: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    n, data, payload, ranges = s["n"], s["data"], s["payload"], s["ranges"]

    def put() -> None:
        for i in range(n):
            fs.pipe_file(f"{data}/put/{i:03d}", payload)

    def get() -> None:
        for i in range(n):
            assert len(fs.cat_file(f"{data}/get/{i:03d}")) == MIB

    def lst() -> None:
        fs.invalidate_cache()
        count = len(fs.find(f"{s['list']}/tree/"))
        assert count == s["nkeys"], count

    def ranged() -> None:
        for offset, size in ranges:
            got = fs.cat_file(f"{data}/ranged/blob", start=offset, end=offset + size)
            assert len(got) == size

    return {"put": put, "get": get, "list": lst, "ranged": ranged}


def obstore_fns(store: Any, lstore: Any, s: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    import obstore

    n, payload, ranges = s["n"], s["payload"], s["ranges"]

    def put() -> None:
        for i in range(n):
            obstore.put(store, f"put/{i:03d}", payload)

    def get() -> None:
        for i in range(n):
            assert len(obstore.get(store, f"get/{i:03d}").bytes()) == MIB

    def lst() -> None:
        count = sum(len(batch) for batch in obstore.list(lstore, "tree/", chunk_size=1000))
        assert count == s["nkeys"], count

    def ranged() -> None:
        for offset, size in ranges:
            got = obstore.get_range(store, "ranged/blob", start=offset, length=size)
            assert len(got) == size

    return {"put": put, "get": get, "list": lst, "ranged": ranged}


def columns(c: dict[str, Any], s: dict[str, Any]) -> dict[str, dict[str, Callable[[], Any]]]:
    config = c["config"]
    cols = {
        "s3": operator_fns(
            od.Operator("s3", bucket=s["data"], **config),
            od.Operator("s3", bucket=s["list"], **config),
            s,
        )
    }
    if has_obstore_service():
        bridge = {k: v for k, v in config.items() if k != "endpoint"}
        bridge.update(endpoint=config["endpoint"], allow_http=True)
        cols["obstore-svc"] = operator_fns(
            od.Operator("obstore", url=f"s3://{s['data']}", **bridge),
            od.Operator("obstore", url=f"s3://{s['list']}", **bridge),
            s,
        )
    cols["boto3"] = boto_fns(c["boto"], s)
    cols["s3fs"] = s3fs_fns(c["fs"], s)
    cols[ANCHOR] = obstore_fns(c["store"](s["data"]), c["store"](s["list"]), s)
    return cols


def rows(cols: dict[str, dict[str, Callable[[], Any]]], s: dict[str, Any]) -> list[Row]:
    n, nkeys = s["n"], s["nkeys"]
    names = {
        "put": f"put {n} x 1 MiB",
        "get": f"get {n} x 1 MiB",
        "list": f"list {nkeys} recursive",
        "ranged": f"ranged {2 * n} x 64 KiB",
    }
    return [(label, {col: fns[op] for col, fns in cols.items()}) for op, label in names.items()]


def client_share(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one call: the CPU is the client's
    part (moto runs in another process), the rest is the server and the wire."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per row")
    parser.add_argument(
        "--quick", action="store_true", help="20 objects, 1,000 keys, 2 rounds (for development)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print each column's client-side CPU share"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    n, nkeys, rounds = (20, 1000, 2) if args.quick else (100, 5000, args.rounds)

    import botocore
    import obstore
    import s3fs

    print(
        f"opendal_lab {od.__version__}, obstore {obstore.__version__}, s3fs {s3fs.__version__}, "
        f"boto3/botocore {botocore.__version__}, Python {sys.version.split()[0]}; "
        f"moto server on loopback; best of {rounds} interleaved rounds"
    )
    results: list[dict[str, Any]] = []
    with moto_server() as endpoint:
        c = clients(endpoint)
        s = setup(c, n, nkeys)
        cols = columns(c, s)
        header = (
            f"{'operation':<22}"
            + "".join(f"{col:>13}" for col in cols)
            + "".join(f"{col + '/' + ANCHOR:>20}" for col in cols if col != ANCHOR)
        )
        print(header)
        print("-" * len(header))
        for name, fns in rows(cols, s):
            times = best_of(fns, rounds)
            anchor = times[ANCHOR]
            results.append({"operation": name, **times})
            print(
                f"{name:<22}"
                + "".join(f"{times[col] * 1e3:>10.1f} ms" for col in cols)
                + "".join(f"{times[col] / anchor:>19.2f}x" for col in cols if col != ANCHOR),
                flush=True,
            )
            if args.profile:
                shares = {col: client_share(fn) for col, fn in fns.items()}
                print(
                    f"{'  client CPU':<22}"
                    + "".join(f"{cpu * 1e3:>10.1f} ms" for _, cpu in shares.values())
                    + "".join(
                        f"{cpu / wall:>18.0%} "
                        for col, (wall, cpu) in shares.items()
                        if col != ANCHOR
                    ),
                    flush=True,
                )
    worst = max(results, key=lambda r: r["s3"] / r[ANCHOR])
    print(
        f"\ns3 / {ANCHOR}, worst row ({worst['operation']}): "
        f"{worst['s3'] / worst[ANCHOR]:.2f}x (target <= {TARGET}x)"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
