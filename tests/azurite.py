"""Azurite (Microsoft's Azure Storage emulator, the ``azurite`` npm package) on loopback.

``make azurite`` installs it under ``.tools/`` (the test target does so first). Each pytest
process starts its own Blob service on a free port, in memory, and stops it at the end of
the session; ``azure_container`` gives each test a fresh container. Where the package is
not installed the tests that need it skip, saying how to install it.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import hmac
import http.client
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port, stop, wait_for

AZURITE = (
    Path(__file__).resolve().parent.parent / ".tools" / "node_modules" / ".bin" / "azurite-blob"
)
#: Azurite's well-known development account (public, documented by Microsoft).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
_API_VERSION = "2021-08-06"


@dataclass
class AzuriteServer:
    """A running Azurite Blob service and what a client needs to reach it."""

    host: str
    port: int
    account: str = ACCOUNT
    account_key: str = ACCOUNT_KEY

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}/{self.account}"

    def obstore_config(self, container: str) -> dict[str, Any]:
        """The config for ``Operator("obstore", **config)`` on ``container``."""
        return {
            "url": f"az://{container}",
            "account_name": self.account,
            "account_key": self.account_key,
            "endpoint": self.endpoint,
            "allow_http": True,
        }

    def create_container(self) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        status = self._container_request("PUT", name)
        if status != 201:
            raise RuntimeError(f"azurite refused to create container {name}: HTTP {status}")
        return name

    def delete_container(self, name: str) -> None:
        self._container_request("DELETE", name)

    def _container_request(self, method: str, name: str) -> int:
        """A Shared Key signed container request (no Azure SDK needed for two calls)."""
        date = email.utils.formatdate(usegmt=True)
        # Verb, eleven empty standard headers, the x-ms- headers, then the resource.
        to_sign = (
            f"{method}\n" + "\n" * 11 + f"x-ms-date:{date}\nx-ms-version:{_API_VERSION}\n"
            f"/{self.account}/{self.account}/{name}\nrestype:container"
        )
        key = base64.b64decode(self.account_key)
        signature = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha256).digest())
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(
                method,
                f"/{self.account}/{name}?restype=container",
                headers={
                    "x-ms-date": date,
                    "x-ms-version": _API_VERSION,
                    "Authorization": f"SharedKey {self.account}:{signature.decode()}",
                    "Content-Length": "0",
                },
            )
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()


@contextlib.contextmanager
def azurite_process() -> Iterator[AzuriteServer]:
    """Run Azurite's Blob service in memory on a free loopback port."""
    host, port = "127.0.0.1", free_port()
    command = [
        str(AZURITE),
        "--blobHost",
        host,
        "--blobPort",
        str(port),
        "--inMemoryPersistence",
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--silent",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Any status will do: an unsigned request gets a 4xx once the Blob service is up.
        wait_for(f"http://{host}:{port}/{ACCOUNT}?comp=list", 60, proc, any_status=True)
        yield AzuriteServer(host, port)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def azurite_server() -> Iterator[AzuriteServer]:
    """An Azurite Blob service for this test session (skips where it is not installed)."""
    if not AZURITE.exists():
        pytest.skip(f"azurite is not installed at {AZURITE}: run `make azurite`")
    with azurite_process() as server:
        yield server


@pytest.fixture
def azure_container(azurite_server: AzuriteServer) -> Iterator[str]:
    """A fresh, empty container, deleted afterwards."""
    name = azurite_server.create_container()
    yield name
    azurite_server.delete_container(name)
