"""One URL per service for the consumer tests, and what a consumer needs besides it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.servers import MotoServer


def service_url(request: pytest.FixtureRequest, tmp_path: Path, service: str) -> str:
    if service == "memory":
        return f"opendal+memory://consumer-{uuid.uuid4().hex}/data"
    if service == "s3":
        return f"opendal+s3://{request.getfixturevalue('s3_bucket')}/data"
    return f"opendal+fs://{tmp_path}/data"


@pytest.fixture(params=["memory", "fs", "s3"])
def base_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh ``opendal+<service>://`` directory URL on memory, fs and s3 (moto)."""
    return service_url(request, tmp_path, request.param)


@pytest.fixture
def storage_options(request: pytest.FixtureRequest, base_url: str) -> dict[str, Any]:
    """What pandas, polars or dask need besides the URL: the moto endpoint and keys on s3."""
    if not base_url.startswith("opendal+s3://"):
        return {}
    moto_server: MotoServer = request.getfixturevalue("moto_server")
    options = moto_server.config(request.getfixturevalue("s3_bucket"))
    options.pop("bucket")  # named by the URL
    return options
