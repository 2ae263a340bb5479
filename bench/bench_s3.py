"""opendal_lab's s3 service against s3fs and raw botocore, side by side in one run.

It starts its own S3 server (moto in server mode, a subprocess on a loopback port), fills
two buckets, and times on the same objects, in interleaved rounds:

- ``opendal_lab``: ``Operator("s3", ...)``, the default stack (what users get);
- ``s3fs``: ``s3fs.S3FileSystem`` (aiobotocore underneath), listing cache dropped each time;
- ``botocore``: the bare client, no layer of any kind.

Rows: 100 x 1 MiB put, 100 x 1 MiB get, a recursive list of 5,000 keys, 200 x 64 KiB
ranged reads. Each figure is the best of the rounds; the table shows each column against the
fastest. The server does most of the work, so the ratios show what each client adds.

    python bench/bench_s3.py [--rounds 5] [--json out.json]
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
COLUMNS = ("opendal_lab", "s3fs", "botocore")


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


def clients(endpoint: str) -> dict[str, Any]:
    import botocore.session
    import s3fs

    boto = botocore.session.get_session().create_client(
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
    return {"boto": boto, "fs": fs, "config": config}


def setup(c: dict[str, Any]) -> dict[str, Any]:
    boto = c["boto"]
    data_bucket, list_bucket = "bench-data", "bench-list"
    for bucket in (data_bucket, list_bucket):
        boto.create_bucket(Bucket=bucket)
    payload = os.urandom(MIB)
    for i in range(100):
        boto.put_object(Bucket=data_bucket, Key=f"get/{i:03d}", Body=payload)
    big = os.urandom(16 * MIB)
    boto.put_object(Bucket=data_bucket, Key="ranged/blob", Body=big)
    keys = [f"tree/{i % 10}/{i // 10 % 10}/k-{i:05d}" for i in range(5000)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: boto.put_object(Bucket=list_bucket, Key=k, Body=b"x"), keys))
    rng = random.Random(0)
    ranges = [(rng.randrange(0, 16 * MIB - 64 * KIB), 64 * KIB) for _ in range(200)]
    return {
        "data": data_bucket,
        "list": list_bucket,
        "payload": payload,
        "big": big,
        "ranges": ranges,
        "nkeys": len(keys),
    }


def rows(c: dict[str, Any], s: dict[str, Any]) -> list[tuple[str, dict[str, Callable[[], Any]]]]:
    boto, fs, config = c["boto"], c["fs"], c["config"]
    data, lst, payload, ranges = s["data"], s["list"], s["payload"], s["ranges"]
    op = od.Operator("s3", bucket=data, **config)
    lop = od.Operator("s3", bucket=lst, **config)

    def op_put() -> None:
        for i in range(100):
            op.write(f"put/{i:03d}", payload)

    def fs_put() -> None:
        for i in range(100):
            fs.pipe_file(f"{data}/put/{i:03d}", payload)

    def boto_put() -> None:
        for i in range(100):
            boto.put_object(Bucket=data, Key=f"put/{i:03d}", Body=payload)

    def op_get() -> None:
        for i in range(100):
            assert len(op.read(f"get/{i:03d}")) == MIB

    def fs_get() -> None:
        for i in range(100):
            assert len(fs.cat_file(f"{data}/get/{i:03d}")) == MIB

    def boto_get() -> None:
        for i in range(100):
            body = boto.get_object(Bucket=data, Key=f"get/{i:03d}")["Body"]
            assert len(body.read()) == MIB

    def op_list() -> None:
        n = sum(1 for e in lop.list("tree/", recursive=True) if e.is_file)
        assert n == s["nkeys"], n

    def fs_list() -> None:
        fs.invalidate_cache()
        n = len(fs.find(f"{lst}/tree/"))
        assert n == s["nkeys"], n

    def boto_list() -> None:
        n = 0
        params: dict[str, Any] = {"Bucket": lst, "Prefix": "tree/"}
        while True:
            out = boto.list_objects_v2(**params)
            n += len(out.get("Contents", ()))
            if not out.get("IsTruncated"):
                break
            params["ContinuationToken"] = out["NextContinuationToken"]
        assert n == s["nkeys"], n

    def op_ranged() -> None:
        for offset, size in ranges:
            assert len(op.read("ranged/blob", offset=offset, size=size)) == size

    def fs_ranged() -> None:
        for offset, size in ranges:
            assert len(fs.cat_file(f"{data}/ranged/blob", start=offset, end=offset + size)) == size

    def boto_ranged() -> None:
        for offset, size in ranges:
            rng = f"bytes={offset}-{offset + size - 1}"
            body = boto.get_object(Bucket=data, Key="ranged/blob", Range=rng)["Body"]
            assert len(body.read()) == size

    return [
        ("put 100 x 1 MiB", {"opendal_lab": op_put, "s3fs": fs_put, "botocore": boto_put}),
        ("get 100 x 1 MiB", {"opendal_lab": op_get, "s3fs": fs_get, "botocore": boto_get}),
        ("list 5000 recursive", {"opendal_lab": op_list, "s3fs": fs_list, "botocore": boto_list}),
        (
            "ranged 200 x 64 KiB",
            {"opendal_lab": op_ranged, "s3fs": fs_ranged, "botocore": boto_ranged},
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per row")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    import botocore
    import s3fs

    print(
        f"opendal_lab {od.__version__}, s3fs {s3fs.__version__}, botocore {botocore.__version__}, "
        f"Python {sys.version.split()[0]}; moto server on loopback; best of {args.rounds} rounds"
    )
    results: list[dict[str, Any]] = []
    with moto_server() as endpoint:
        c = clients(endpoint)
        s = setup(c)
        header = (
            f"{'operation':<22}"
            + "".join(f"{col:>13}" for col in COLUMNS)
            + "".join(f"{col + '/best':>18}" for col in COLUMNS)
        )
        print(header)
        print("-" * len(header))
        for name, fns in rows(c, s):
            times = best_of(fns, args.rounds)
            fastest = min(times.values())
            results.append({"operation": name, **times})
            print(
                f"{name:<22}"
                + "".join(f"{times[col] * 1e3:>10.1f} ms" for col in COLUMNS)
                + "".join(f"{times[col] / fastest:>17.2f}x" for col in COLUMNS),
                flush=True,
            )
    worst = max(results, key=lambda r: r["opendal_lab"] / min(r[c] for c in COLUMNS))
    ratio = worst["opendal_lab"] / min(worst[c] for c in COLUMNS)
    print(
        f"\nopendal_lab / fastest, worst row ({worst['operation']}): {ratio:.2f}x (target <= 1.2x)"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
