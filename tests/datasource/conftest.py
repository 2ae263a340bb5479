"""Fixtures of the data source tests: ``spark``, a Sail server and a Spark Connect session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A Sail server on a free loopback port (no JVM) and a session on it, one per module."""
    pytest.importorskip("pysail")
    pytest.importorskip("pyspark.sql.datasource")
    import pyspark
    from pysail.spark import SparkConnectServer  # type: ignore[import-untyped]
    from pyspark.sql import SparkSession

    # Under pytest-xdist ``__main__`` has no spec, so pyspark's Connect dependency check
    # thinks it runs doctests and imports its test helpers, which exit when they find no
    # Spark installation. A Spark Connect client needs none: point them at the package.
    os.environ.setdefault("SPARK_HOME", os.path.dirname(pyspark.__file__))

    server = SparkConnectServer(ip="127.0.0.1", port=0)
    server.start(background=True)
    _, port = server.listening_address
    session = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").getOrCreate()
    try:
        yield session
    finally:
        session.stop()
        server.stop()
