"""Real servers on loopback for the tests: an S3 server (moto in server mode).

Each pytest process (each xdist worker) starts its own server on a free port, in a
subprocess, and stops it at the end of the session. Tests get fresh buckets from
``s3_bucket`` / ``s3_versioned_bucket``; the server's state is reset after each such test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

MOTO_REGION = "us-east-1"
MOTO_KEY = "AKIAMOTOTESTKEY000"
MOTO_SECRET = "moto-test-secret-do-not-leak"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"server at {url} did not come up in {timeout:.0f}s") from None
            time.sleep(0.1)


@dataclass
class MotoServer:
    """A running moto S3 server and what a client needs to reach it."""

    endpoint: str
    region: str = MOTO_REGION
    access_key_id: str = MOTO_KEY
    secret_access_key: str = MOTO_SECRET

    def client(self) -> Any:
        import botocore.session

        return botocore.session.get_session().create_client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def config(self, bucket: str, **extra: Any) -> dict[str, Any]:
        """The config for ``Operator("s3", **config)`` on ``bucket``."""
        return {
            "bucket": bucket,
            "region": self.region,
            "endpoint": self.endpoint,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            **extra,
        }

    def create_bucket(self, versioned: bool = False) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """A moto S3 server in its own process on a loopback port, for this test session."""
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=MOTO_KEY, AWS_SECRET_ACCESS_KEY=MOTO_SECRET)
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
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{endpoint}/moto-api/data.json")
        yield MotoServer(endpoint)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def s3_bucket(moto_server: MotoServer) -> Iterator[str]:
    """A fresh, empty, unversioned bucket; the server is reset afterwards."""
    yield moto_server.create_bucket()
    moto_server.reset()


@pytest.fixture
def s3_versioned_bucket(moto_server: MotoServer) -> Iterator[str]:
    """A fresh, empty bucket with versioning enabled; the server is reset afterwards."""
    yield moto_server.create_bucket(versioned=True)
    moto_server.reset()
