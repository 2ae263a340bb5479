"""Reliability suite fixtures: one ``backend`` per service (memory, fs, s3), and its operator.

Every test that takes ``backend`` (or ``operator``) runs once per service; the ids read
``memory``, ``fs``, ``s3``. ``backend.operator(**extra)`` builds a plain operator on the
test's empty store (a fresh memory store, a ``tmp_path`` root, a fresh moto bucket), with
``extra`` config on top; the tests put their layers above it. ``backend.leftovers()`` says
what an interrupted write may have left behind where the operator cannot see it: hidden
temporary files on disk (fs), multipart uploads still open (s3).

The s3 cases start a moto server (one per xdist worker, for the session) and are slower by
one to two orders of magnitude (a few milliseconds per request); ``s3_backend`` is the s3
store alone, for tests about S3 itself.
"""

from __future__ import annotations

import uuid

import pytest

from opendal_lab import Operator
from tests.servers import MotoServer

from .backends import Backend

# s3 first: the slow case of a file runs before pytest-xdist (--dist loadfile) sees the
# file nearly done and hands the same worker the next file, which balances the two workers.
SCHEMES = ("s3", "fs", "memory")


@pytest.fixture(params=SCHEMES)
def backend(request: pytest.FixtureRequest) -> Backend:
    """An empty store of one service (memory, fs, s3)."""
    scheme = request.param
    if scheme == "memory":
        # Stores are process-wide by name: a fresh name per test starts empty.
        return Backend("memory", {"name": f"reliability-{uuid.uuid4().hex}"})
    if scheme == "fs":
        root = request.getfixturevalue("tmp_path")
        return Backend("fs", {"root": str(root)}, root=root)
    server: MotoServer = request.getfixturevalue("moto_server")
    bucket: str = request.getfixturevalue("s3_bucket")
    return Backend("s3", server.config(bucket), server=server, bucket=bucket)


@pytest.fixture
def operator(backend: Backend) -> Operator:
    """A plain operator on ``backend``'s empty store."""
    return backend.operator()


@pytest.fixture
def s3_backend(moto_server: MotoServer, s3_bucket: str) -> Backend:
    """An empty s3 store alone, for the tests about S3 itself (multipart uploads)."""
    return Backend("s3", moto_server.config(s3_bucket), server=moto_server, bucket=s3_bucket)
