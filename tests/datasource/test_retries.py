"""Partitions that fail with a temporary error are read again, on every engine alike.

``Flaky`` fails one partition ``failures`` times, after yielding a first batch, then reads
it whole. It counts attempts in a file, so the count holds across Dask's worker processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid, RateLimited
from opendal_lab.datasource import PartitionFailed, TemporaryPartitionError, load, scan
from tests.datasource.sources import Numbers, numbers

OPTIONS = {"rows": "60", "partitions": "4", "batch": "7", "fail": "2"}


class Flaky(Numbers):
    """Partition ``fail`` raises ``kind`` its first ``failures`` attempts (counted in ``dir``).

    ``kind``: ``temporary`` (TemporaryPartitionError), ``core`` (RateLimited, a temporary
    opendal_lab error) or ``permanent`` (ValueError).
    """

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        if spec["index"] != int(options["fail"]):
            yield from self.batches(spec, options)
            return
        counter = Path(options["dir"]) / f"attempts-{spec['index']}"
        with counter.open("a") as f:
            f.write("x")
        attempt = len(counter.read_text())
        batches = self.batches(spec, options)
        if attempt <= int(options["failures"]):
            yield next(batches)  # dropped: a retry reads the partition from the start
            kind = options["kind"]
            if kind == "temporary":
                raise TemporaryPartitionError(f"busy, attempt {attempt}")
            if kind == "core":
                raise RateLimited(f"slow down, attempt {attempt}")
            raise ValueError(f"broken, attempt {attempt}")
        yield from batches


def attempts(tmp_path: Path) -> int:
    counter = tmp_path / "attempts-2"
    return len(counter.read_text()) if counter.exists() else 0


def flaky(tmp_path: Path, kind: str, failures: int, **extra: str) -> dict[str, str]:
    return {**OPTIONS, "dir": str(tmp_path), "kind": kind, "failures": str(failures), **extra}


@pytest.fixture(params=["threads", "dask_processes"])
def executor(request: pytest.FixtureRequest) -> Any:
    if request.param == "threads":
        return None  # load's own thread pool
    pytest.importorskip("distributed")
    return request.getfixturevalue("dask_process_client").get_executor()


@pytest.mark.parametrize("kind", ["temporary", "core"])
def test_two_temporary_failures_are_retried(executor: Any, tmp_path: Path, kind: str) -> None:
    got = load(Flaky, flaky(tmp_path, kind, 2), executor=executor)
    assert_frame_equal(got, numbers(60))
    assert attempts(tmp_path) == 3


def test_permanent_error_is_not_retried(executor: Any, tmp_path: Path) -> None:
    with pytest.raises(PartitionFailed, match=r"Flaky: partition 2 of 4 failed") as e:
        load(Flaky, flaky(tmp_path, "permanent", 5), executor=executor)
    assert "attempts" not in str(e.value)
    assert e.value.partition == 2
    assert attempts(tmp_path) == 1


def test_exhausted_retries_name_partition_and_attempts(executor: Any, tmp_path: Path) -> None:
    options = flaky(tmp_path, "temporary", 5, partition_retries="1")
    with pytest.raises(PartitionFailed, match=r"Flaky: partition 2 of 4 failed after 2 attempts"):
        load(Flaky, options, executor=executor)
    assert attempts(tmp_path) == 2


def test_retries_zero_fails_at_first(tmp_path: Path) -> None:
    with pytest.raises(PartitionFailed, match=r"partition 2 of 4 failed after 1 attempt \("):
        load(Flaky, flaky(tmp_path, "temporary", 1, partition_retries="0"))
    assert attempts(tmp_path) == 1


def test_scan_retries_too(tmp_path: Path) -> None:
    got = scan(Flaky, flaky(tmp_path, "core", 2)).collect()
    assert_frame_equal(got, numbers(60))
    assert attempts(tmp_path) == 3


def test_retries_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="opendal_lab.datasource"):
        load(Flaky, flaky(tmp_path, "temporary", 2))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "Flaky: partition 2 of 4 (spec {'index': 2, 'start': 30, 'stop': 45})" in messages[0]
    assert "attempt 1 of 3" in messages[0]
    assert "attempt 2 of 3" in messages[1]


def test_the_source_never_sees_the_option(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    class Watching(Numbers):
        def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
            seen.append(dict(options))
            yield from self.batches(spec, options)

    load(Watching(), {"rows": "10", "partitions": "2", "partition_retries": "3"})
    assert seen
    assert all("partition_retries" not in o for o in seen)


@pytest.mark.parametrize("bad", ["two", "-1", "1.5"])
def test_bad_retries_option(bad: str) -> None:
    with pytest.raises(ConfigInvalid, match=r"Numbers: option 'partition_retries' must be"):
        load(Numbers, {"partition_retries": bad})
