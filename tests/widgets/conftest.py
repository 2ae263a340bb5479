"""Operators for the widget tests: each test gets its own memory store and fs root."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from opendal_lab import Operator

_stores = itertools.count()


@pytest.fixture
def memory() -> Operator:
    return Operator("memory", name=f"widgets-test-{next(_stores)}")


@pytest.fixture
def fs(tmp_path: Path) -> Operator:
    return Operator("fs", root=str(tmp_path / "fs"))


@pytest.fixture
def s3() -> Operator:
    # Capability comes from the service's declaration: nothing is sent to this endpoint.
    return Operator(
        "s3", bucket="demo", endpoint="http://127.0.0.1:9", region="us-east-1", allow_anonymous=True
    )
