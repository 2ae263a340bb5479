"""CompleteLayer: exact-size reads, verified writes, no writes after close or abort."""

from __future__ import annotations

import pytest

from opendal_lab import Access, CompleteLayer, Operator, RangeNotSatisfied, Unexpected
from opendal_lab.core.options import DEFAULT_READ, DEFAULT_WRITE, ReadOptions, WriteOptions
from tests.layers.fake import BASIC, FakeService


def wrapped(short_read: int = 0, short_store: int = 0, **data: bytes) -> tuple[FakeService, Access]:
    fake = FakeService(
        native_cap=BASIC.replace(write_can_append=True),
        short_read=short_read,
        short_store=short_store,
    )
    fake.data.update(data)
    return fake, CompleteLayer().wrap(fake)


# -- reads -------------------------------------------------------------------------------


def test_exact_read_passes() -> None:
    _, access = wrapped(f=b"0123456789")
    assert access.read("f", ReadOptions(offset=2, size=3)) == b"234"


def test_short_read_of_a_sized_range_is_range_not_satisfied() -> None:
    _, access = wrapped(short_read=1, f=b"0123456789")
    with pytest.raises(RangeNotSatisfied) as info:
        access.read("f", ReadOptions(offset=2, size=3))
    err = info.value
    assert (err.operation, err.service, err.path) == ("read", "fake", "f")
    assert "3 bytes" in str(err)
    assert isinstance(err, ValueError)


def test_range_past_the_end_is_range_not_satisfied() -> None:
    # The fake returns what it has (like a lenient backend): 2 bytes, not 5.
    _, access = wrapped(f=b"0123")
    with pytest.raises(RangeNotSatisfied):
        access.read("f", ReadOptions(offset=2, size=5))


def test_unsized_read_is_not_checked() -> None:
    _, access = wrapped(short_read=1, f=b"0123")
    assert access.read("f", DEFAULT_READ) == b"012"


def test_operator_read_with_size_past_the_end_fails() -> None:
    fake = FakeService()
    fake.data["f"] = b"abc"
    op = Operator.from_service(fake)
    with pytest.raises(RangeNotSatisfied):
        op.read("f", offset=1, size=5)
    assert op.read("f", offset=1, size=2) == b"bc"


# -- one-shot writes ----------------------------------------------------------------------


def test_write_that_stores_fewer_bytes_fails() -> None:
    _, access = wrapped(short_store=2)
    with pytest.raises(Unexpected) as info:
        access.write("w", b"12345", DEFAULT_WRITE)
    assert "stored 3 bytes but was given 5" in str(info.value)
    assert (info.value.operation, info.value.path) == ("write", "w")


def test_exact_write_passes() -> None:
    fake, access = wrapped()
    assert access.write("w", b"12345", DEFAULT_WRITE).content_length == 5
    assert fake.data["w"] == b"12345"


def test_append_reports_the_whole_object_and_is_not_flagged() -> None:
    fake, access = wrapped(w=b"abc")
    meta = access.write("w", b"de", WriteOptions(append=True))
    assert meta.content_length == 5
    assert fake.data["w"] == b"abcde"


# -- streaming writers ---------------------------------------------------------------------


def test_writer_that_stores_fewer_bytes_than_given_fails_at_close() -> None:
    _, access = wrapped(short_store=1)
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"abc")
    writer.write(b"def")
    with pytest.raises(Unexpected, match="stored 5 bytes but was given 6"):
        writer.close()


def test_writer_counts_every_kind_of_buffer() -> None:
    fake, access = wrapped()
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"ab")
    writer.write(bytearray(b"cd"))
    writer.write(memoryview(b"ef"))
    assert writer.close().content_length == 6
    assert fake.data["w"] == b"abcdef"


@pytest.mark.parametrize("end", ["close", "abort"])
def test_write_after_close_or_abort_fails_and_reaches_nothing(end: str) -> None:
    fake, access = wrapped()
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"abc")
    getattr(writer, end)()
    fake.reset()
    state = "closed" if end == "close" else "aborted"
    with pytest.raises(Unexpected, match=f"write after the writer was {state}") as info:
        writer.write(b"more")
    assert (info.value.operation, info.value.path) == ("write", "w")
    assert fake.calls == []


def test_close_after_abort_fails_and_stores_nothing() -> None:
    fake, access = wrapped()
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"abc")
    writer.abort()
    with pytest.raises(Unexpected, match="aborted"):
        writer.close()
    assert "w" not in fake.data
    assert fake.ops().count("writer.close") == 0


def test_double_close_is_harmless_and_closes_the_service_writer_once() -> None:
    fake, access = wrapped()
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"abc")
    first = writer.close()
    second = writer.close()
    assert second == first
    assert fake.ops().count("writer.close") == 1
    assert fake.data["w"] == b"abc"


def test_double_abort_and_abort_after_close_are_harmless() -> None:
    fake, access = wrapped()
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"abc")
    writer.abort()
    writer.abort()
    assert fake.ops().count("writer.abort") == 1
    closed = access.writer("c", DEFAULT_WRITE)
    closed.write(b"x")
    closed.close()
    closed.abort()
    assert fake.data["c"] == b"x"
    assert fake.ops().count("writer.abort") == 1


def test_operator_file_object_write_after_close_fails() -> None:
    op = Operator("memory", name="complete-file-after-close")
    f = op.open("w", "wb")
    f.write(b"abc")
    f.close()
    with pytest.raises(ValueError, match="closed"):
        f.write(b"more")
    assert op.read("w") == b"abc"


def test_close_again_after_a_failed_close_fails_again() -> None:
    _, access = wrapped(short_store=1)
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"abc")
    with pytest.raises(Unexpected, match="stored 2 bytes"):
        writer.close()
    with pytest.raises(Unexpected, match="close after the writer was closed"):
        writer.close()
