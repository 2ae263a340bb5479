"""A streaming write that fails partway leaves the old content or nothing: never a partial
object at the target, and nothing behind it (no temporary file on disk, no open multipart
upload on S3).

Writes are multipart-sized: 7 MiB in 512 KiB chunks, with 5 MiB parts on s3, so the failure
comes after S3 already holds a part of an open upload. Failures come from a test layer
(``faults.WriterFaultLayer``) above the default layers (as ChaosLayer or TimeoutLayer would
raise) or right above the service (as a dropped connection would), from ChaosLayer on the
writer calls alone, and on s3 from botocore itself (a part or the completion failing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from opendal_lab import ChaosLayer, Error, Operator, Unexpected

from .backends import Backend
from .faults import WriterFaultLayer, below

MIB = 1024 * 1024
PART = 5 * MIB  # s3's smallest part, and its writer's part size here
CHUNK = 512 * 1024
PAYLOAD = bytes(range(256)) * (7 * MIB // 256)  # 7 MiB: one full part and the rest
AFTER = PART + CHUNK + 1000  # past the first part, inside a chunk that is not the last
KEY = "dir/target.bin"
OLD = b"the old content, whole"


def multipart_operator(backend: Backend) -> Operator:
    """The plain operator, with 5 MiB parts on s3 so 7 MiB is a multipart write."""
    return backend.operator(part_size=PART) if backend.scheme == "s3" else backend.operator()


def chunks(data: bytes, size: int = CHUNK) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def stream(op: Operator, data: bytes, chunk: int = CHUNK, buffer_size: int = CHUNK) -> None:
    """Write ``data`` to KEY through ``op.open`` in ``chunk``-sized writes, as user code does:
    an exception in the block aborts, the end of the block closes (and commits)."""
    with op.open(KEY, "wb", buffer_size=buffer_size) as f:
        for part in chunks(data, chunk):
            f.write(part)


def s3_calls(op: Operator) -> Counter[str]:
    """A live count of the S3 API calls ``op``'s client makes from now on, by name."""
    calls: Counter[str] = Counter()

    def count(model: Any, **kwargs: Any) -> None:
        calls[model.name] += 1

    op.stack[0].access.core.client.meta.events.register("before-call.s3", count)
    return calls


def assert_old_or_nothing(raw: Operator, backend: Backend, old: bytes | None) -> None:
    """The target holds ``old`` (or nothing), and nothing else is anywhere."""
    if old is None:
        assert not raw.exists(KEY), f"a failed write left {len(raw.read(KEY))} bytes"
    else:
        got = raw.read(KEY)
        assert got == old, f"a failed write left {len(got)} bytes over the old content"
    files = {e.path for e in raw.list("/", recursive=True) if e.is_file}
    assert files == ({KEY} if old is not None else set())
    assert backend.leftovers() == [], "an interrupted write left something behind"
    if backend.scheme == "fs":
        assert backend.files_on_disk() == ({KEY: old} if old is not None else {})


@pytest.fixture(params=[OLD, None], ids=["over-old", "new"])
def old(request: pytest.FixtureRequest) -> bytes | None:
    return request.param  # type: ignore[no-any-return]


def start(backend: Backend, old: bytes | None) -> Operator:
    """The plain operator, with ``old`` at the target (or nothing)."""
    raw = multipart_operator(backend)
    if old is not None:
        raw.write(KEY, old)
    return raw


@pytest.mark.parametrize("position", ["above", "below"])
def test_a_write_failing_midway_leaves_the_old_content_or_nothing(
    backend: Backend, old: bytes | None, position: str
) -> None:
    raw = start(backend, old)
    fault = WriterFaultLayer(after=AFTER)
    op = raw.layer(fault) if position == "above" else below(raw, fault)
    calls = s3_calls(raw) if backend.scheme == "s3" else Counter()

    with pytest.raises(Unexpected, match="injected by WriterFaultLayer") as caught:
        stream(op, PAYLOAD)

    assert caught.value.path == KEY
    assert fault.passed == AFTER  # the service was given more than a part
    assert_old_or_nothing(raw, backend, old)
    if backend.scheme == "s3":
        # A real multipart upload was under way, and was aborted, not completed.
        assert calls["CreateMultipartUpload"] == 1
        assert calls["UploadPart"] >= 1
        assert calls["AbortMultipartUpload"] == 1
        assert calls["CompleteMultipartUpload"] == calls["PutObject"] == 0


@pytest.mark.parametrize("position", ["above", "below"])
def test_a_close_failing_leaves_the_old_content_and_nothing_behind(
    request: pytest.FixtureRequest, backend: Backend, position: str
) -> None:
    raw = start(backend, OLD)
    fault = WriterFaultLayer(at_close=True)
    op = raw.layer(fault) if position == "above" else below(raw, fault)

    with pytest.raises(Unexpected, match="close failed before it reached"):
        stream(op, PAYLOAD)

    assert fault.raised == 1
    assert_old_or_nothing(raw, backend, OLD)


def test_a_write_failing_in_the_final_flush_commits_nothing(
    request: pytest.FixtureRequest, backend: Backend
) -> None:
    raw = start(backend, OLD)
    fault = WriterFaultLayer(after=len(PAYLOAD) - 1000)
    op = raw.layer(fault)

    # The last chunk stays in the file's buffer until close() flushes it, and fails there.
    with pytest.raises(Unexpected, match="injected by WriterFaultLayer"):
        stream(op, PAYLOAD, chunk=CHUNK // 2, buffer_size=2 * CHUNK)

    assert fault.raised == 1
    assert_old_or_nothing(raw, backend, OLD)


def test_chaos_on_the_writer_calls_leaves_old_or_new_content_whole(backend: Backend) -> None:
    raw = backend.operator()
    chaos = ChaosLayer(0.3, seed=5, operations=["writer"])
    op = raw.layer(chaos)
    current: dict[str, bytes] = {}
    failed = 0
    for i in range(60):
        key = f"w/{i % 6}"
        data = f"{i:03d}".encode() * (100 + i)
        error: Error | None = None
        try:
            with op.open(key, "wb", buffer_size=128) as f:
                for part in chunks(data, 97):
                    f.write(part)
        except Error as err:
            error = err
        if error is None:
            current[key] = data
        else:
            assert "injected by ChaosLayer" in str(error)
            assert error.path == key
            failed += 1
        if key in current:
            assert raw.read(key) == current[key], f"step {i}: {key} is neither old nor new"
        else:
            assert not raw.exists(key), f"step {i}: a failed first write of {key} left bytes"
    files = {e.path for e in raw.list("/", recursive=True) if e.is_file}
    assert files == set(current)
    injected = chaos.injected
    assert failed == sum(injected.values()) >= 15
    for kind in ("writer", "writer.write", "writer.close"):
        assert injected[kind] > 0, kind


# -- s3: failures inside the service's own multipart upload --------------------------------


def failing(op: Operator, operation: str, part: int | None = None) -> Counter[str]:
    """Make ``op``'s S3 client fail ``operation`` (only part number ``part`` of UploadPart,
    when given) as a dropped connection would; count every call made from now on."""
    from botocore.exceptions import ConnectionClosedError

    client = op.stack[0].access.core.client
    calls = s3_calls(op)

    def fail(params: dict[str, Any], **kwargs: Any) -> None:
        if part is None or params.get("PartNumber") == part:
            raise ConnectionClosedError(endpoint_url=client.meta.endpoint_url)

    client.meta.events.register(f"before-parameter-build.s3.{operation}", fail)
    return calls


@pytest.mark.parametrize(
    ("how", "operation"),
    [
        ("stream", "UploadPart"),
        ("one-shot", "UploadPart"),
        ("stream", "CompleteMultipartUpload"),
    ],
)
def test_s3_multipart_upload_failing_midway_is_aborted(
    s3_backend: Backend, how: str, operation: str
) -> None:
    raw = start(s3_backend, OLD)
    # The second (last) part fails after the first one is stored, or the completion does.
    calls = failing(raw, operation, part=2 if operation == "UploadPart" else None)
    writes: dict[str, Callable[[], object]] = {
        "one-shot": lambda: raw.write(KEY, PAYLOAD),
        "stream": lambda: stream(raw, PAYLOAD),
    }
    with pytest.raises(Unexpected, match="cannot reach") as caught:
        writes[how]()
    assert caught.value.is_temporary
    assert calls["CreateMultipartUpload"] == 1
    # Both parts were sent (the second failing before it left, or the completion failing).
    assert calls["UploadPart"] == (1 if operation == "UploadPart" else 2)
    assert calls["AbortMultipartUpload"] == 1
    assert_old_or_nothing(raw, s3_backend, OLD)
