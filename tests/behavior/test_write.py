"""write, open("wb") and writers: whole writes, conditions, append, streaming, abort
(OpenDAL's behavior/async_write.rs)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from opendal_lab import (
    ConditionNotMatch,
    IsADirectory,
    NotFound,
    Operator,
    Unsupported,
)
from opendal_lab.core.file import WriteFile

from ._support import SPECIAL_NAMES, assert_unsupported, content, listed

pytestmark = pytest.mark.need_capability("write", "read", "stat")


class Boom(Exception):
    """Raised inside a ``with op.open(..., "wb")`` block to abort it."""


def _write_then_raise(op: Operator, path: str, data: bytes) -> None:
    with op.open(path, "wb") as f:
        f.write(data)
        raise Boom


def test_write_then_read(op: Operator) -> None:
    data = content(5000)
    meta = op.write("f", data)
    assert meta.content_length == len(data)
    assert op.read("f") == data
    assert op.stat("f").content_length == len(data)


def test_write_overwrites(op: Operator) -> None:
    op.write("f", b"first version, longer")
    op.write("f", b"second")
    assert op.read("f") == b"second"


def test_write_accepts_bytearray_and_memoryview(op: Operator) -> None:
    op.write("a", bytearray(b"array"))
    op.write("m", memoryview(b"xxviewxx")[2:6])
    assert op.read("a") == b"array"
    assert op.read("m") == b"view"


def test_write_rejects_str(op: Operator) -> None:
    with pytest.raises(TypeError, match="bytes"):
        op.write("f", "text")  # type: ignore[arg-type]
    assert not op.exists("f")


@pytest.mark.need_capability("write_can_empty")
def test_write_empty(op: Operator) -> None:
    meta = op.write("empty", b"")
    assert meta.content_length == 0
    assert op.read("empty") == b""
    assert op.stat("empty").content_length == 0


def test_write_dir_path_is_a_directory(op: Operator) -> None:
    with pytest.raises(IsADirectory) as info:
        op.write("d/", b"x")
    assert isinstance(info.value, IsADirectoryError)
    assert info.value.operation == "write"


@pytest.mark.need_capability("list")
def test_write_nested_creates_parents(op: Operator) -> None:
    op.write("a/b/c/f", b"deep")
    assert op.read("a/b/c/f") == b"deep"
    assert listed(op, "a/") == ["a/", "a/b/"]
    assert listed(op, "a/b/c/") == ["a/b/c/", "a/b/c/f"]


def test_write_unnormalized_path(op: Operator) -> None:
    op.write("//a//b", b"x")
    assert op.read("a/b") == b"x"


@pytest.mark.need_capability("list", "delete")
@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_special_names_round_trip(op: Operator, name: str) -> None:
    data = name.encode()
    op.write(name, data)
    assert op.read(name) == data
    assert op.stat(name).content_length == len(data)
    parent = name.rsplit("/", 1)[0] + "/" if "/" in name else "/"
    assert name in listed(op, parent)
    op.delete(name)
    assert not op.exists(name)


def test_write_large(op: Operator) -> None:
    data = content(9 * 1024 * 1024 + 3, seed=1)
    op.write("large", data)
    assert op.stat("large").content_length == len(data)
    assert op.read("large", offset=8 * 1024 * 1024, size=1024) == data[8 << 20 : (8 << 20) + 1024]


def test_write_concurrently_from_threads(op: Operator) -> None:
    def work(worker: int) -> None:
        for i in range(20):
            op.write(f"t/{worker}/f-{i}", f"{worker}:{i}".encode())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    for worker in range(8):
        for i in range(20):
            assert op.read(f"t/{worker}/f-{i}") == f"{worker}:{i}".encode()


# -- conditions ------------------------------------------------------------------------


@pytest.mark.need_capability("write_with_if_not_exists")
def test_write_if_not_exists(op: Operator) -> None:
    op.write("f", b"first", if_not_exists=True)
    with pytest.raises(ConditionNotMatch) as info:
        op.write("f", b"second", if_not_exists=True)
    assert info.value.operation == "write"
    assert info.value.path == "f"
    assert op.read("f") == b"first"


@pytest.mark.need_capability("write_with_if_not_exists")
def test_writer_if_not_exists(op: Operator) -> None:
    op.write("f", b"first")
    with pytest.raises(ConditionNotMatch):
        _write_streamed(op, "f", [b"sec", b"ond"], if_not_exists=True)
    assert op.read("f") == b"first"


@pytest.mark.need_capability("write_with_if_match")
def test_write_if_match(op: Operator) -> None:
    op.write("f", b"one")
    etag = op.stat("f").etag
    assert etag is not None
    with pytest.raises(ConditionNotMatch):
        op.write("f", b"two", if_match='"not-the-etag"')
    assert op.read("f") == b"one"
    op.write("f", b"two", if_match=etag)
    assert op.read("f") == b"two"
    with pytest.raises(ConditionNotMatch):
        op.write("f", b"three", if_match=etag)  # the etag changed with the write


@pytest.mark.need_capability("write_with_if_match")
def test_write_if_match_on_missing(op: Operator) -> None:
    with pytest.raises(ConditionNotMatch):
        op.write("missing", b"x", if_match='"1"')
    assert not op.exists("missing")


@pytest.mark.need_capability("write_with_if_none_match")
def test_write_if_none_match(op: Operator) -> None:
    op.write("f", b"one", if_none_match="*")
    with pytest.raises(ConditionNotMatch):
        op.write("f", b"two", if_none_match="*")
    etag = op.stat("f").etag
    assert etag is not None
    with pytest.raises(ConditionNotMatch):
        op.write("f", b"two", if_none_match=etag)
    op.write("f", b"two", if_none_match='"not-the-etag"')
    assert op.read("f") == b"two"


_WRITE_ARGUMENTS = [
    pytest.param(
        "append", True, marks=pytest.mark.lacks_capability("write_can_append"), id="append"
    ),
    pytest.param(
        "if_not_exists",
        True,
        marks=pytest.mark.lacks_capability("write_with_if_not_exists"),
        id="if_not_exists",
    ),
    pytest.param(
        "if_match", '"x"', marks=pytest.mark.lacks_capability("write_with_if_match"), id="if_match"
    ),
    pytest.param(
        "if_none_match",
        "*",
        marks=pytest.mark.lacks_capability("write_with_if_none_match"),
        id="if_none_match",
    ),
]


@pytest.mark.parametrize(("argument", "value"), _WRITE_ARGUMENTS)
def test_write_option_unsupported(op: Operator, argument: str, value: object) -> None:
    with pytest.raises(Unsupported) as info:
        op.write("f", b"x", **{argument: value})
    assert_unsupported(info.value, op, "write", argument)
    assert not op.exists("f")


@pytest.mark.parametrize(("argument", "value"), _WRITE_ARGUMENTS)
def test_writer_option_unsupported(op: Operator, argument: str, value: object) -> None:
    with pytest.raises(Unsupported) as info:
        op.open("f", "wb", **{argument: value})
    assert_unsupported(info.value, op, "write", argument)
    assert not op.exists("f")


# -- metadata ----------------------------------------------------------------------------


@pytest.mark.need_capability("write_with_content_type")
def test_write_with_content_type(op: Operator) -> None:
    op.write("f.json", b"{}", content_type="application/json")
    assert op.stat("f.json").content_type == "application/json"


@pytest.mark.need_capability("write_with_content_disposition")
def test_write_with_content_disposition(op: Operator) -> None:
    value = 'attachment; filename="report.csv"'
    op.write("f", b"x", content_disposition=value)
    assert op.stat("f").content_disposition == value


@pytest.mark.need_capability("write_with_content_encoding")
def test_write_with_content_encoding(op: Operator) -> None:
    op.write("f.gz", b"x", content_encoding="gzip")
    assert op.stat("f.gz").content_encoding == "gzip"


@pytest.mark.need_capability("write_with_cache_control")
def test_write_with_cache_control(op: Operator) -> None:
    op.write("f", b"x", cache_control="no-cache, max-age=60")
    assert op.stat("f").cache_control == "no-cache, max-age=60"


@pytest.mark.need_capability("write_with_user_metadata")
def test_write_with_user_metadata(op: Operator) -> None:
    op.write("f", b"x", user_metadata={"owner": "lab", "k": "v"})
    assert op.stat("f").user_metadata == {"owner": "lab", "k": "v"}


# -- append ------------------------------------------------------------------------------


@pytest.mark.need_capability("write_can_append")
def test_write_append_concatenates(op: Operator) -> None:
    op.write("log", b"one,", append=True)
    op.write("log", b"two,", append=True)
    op.write("log", b"three", append=True)
    assert op.read("log") == b"one,two,three"
    assert op.stat("log").content_length == len(b"one,two,three")


@pytest.mark.need_capability("write_can_append")
def test_write_append_to_existing(op: Operator) -> None:
    op.write("log", b"plain ")
    meta = op.write("log", b"appended", append=True)
    assert op.read("log") == b"plain appended"
    assert meta.content_length in (None, len(b"plain appended"))


@pytest.mark.need_capability("write_can_append")
def test_writer_append(op: Operator) -> None:
    op.write("log", b"head:")
    _write_streamed(op, "log", [b"a", b"b", b"c"], append=True)
    _write_streamed(op, "log", [b"d"], append=True)
    assert op.read("log") == b"head:abcd"


# -- streaming writers -------------------------------------------------------------------


def _write_streamed(op: Operator, path: str, chunks: list[bytes], **options: object) -> None:
    with op.open(path, "wb", **options) as f:
        for chunk in chunks:
            assert f.write(chunk) == len(chunk)


@pytest.mark.need_capability("write_can_multi")
def test_writer_many_chunks(op: Operator) -> None:
    chunks = [content(1000 + i, seed=i) for i in range(200)]
    _write_streamed(op, "streamed", chunks)
    assert op.read("streamed") == b"".join(chunks)


@pytest.mark.need_capability("write_can_multi")
def test_writer_chunks_larger_than_buffer(op: Operator) -> None:
    chunks = [content(3000, seed=i) for i in range(20)]
    with op.writer("streamed", buffer_size=1024) as f:
        for chunk in chunks:
            f.write(chunk)
        assert f.tell() == 20 * 3000
    assert f.metadata is not None
    assert f.metadata.content_length == 20 * 3000
    assert op.read("streamed") == b"".join(chunks)


def test_writer_object_appears_at_close(op: Operator) -> None:
    f = op.open("late", "wb", buffer_size=4)
    f.write(b"0123456789")
    f.close()
    assert op.read("late") == b"0123456789"


@pytest.mark.need_capability("write_can_empty")
def test_writer_of_nothing_writes_empty(op: Operator) -> None:
    with op.open("nothing", "wb"):
        pass
    assert op.read("nothing") == b""


def test_writer_text_mode(op: Operator) -> None:
    with op.open("t.txt", "w") as f:
        f.write("héllo\n")
        f.write("wörld\n")
    assert op.read("t.txt") == "héllo\nwörld\n".encode()


def test_writer_rejects_write_after_close(op: Operator) -> None:
    f = op.open("f", "wb")
    f.write(b"kept")
    f.close()
    with pytest.raises(ValueError, match="closed"):
        f.write(b"more")
    assert op.read("f") == b"kept"


def test_writer_dir_path_is_a_directory(op: Operator) -> None:
    with pytest.raises(IsADirectory):
        op.open("d/", "wb")


# -- abort -------------------------------------------------------------------------------


def _writer(op: Operator, how: str, path: str, **options: Any) -> WriteFile:
    """``op.writer(path)`` or ``op.open(path, "wb")``: the same file object."""
    f = op.writer(path, **options) if how == "writer" else op.open(path, "wb", **options)
    assert isinstance(f, WriteFile)
    return f


_HOW = pytest.mark.parametrize("how", ["open", "writer"])


@_HOW
def test_writer_abort_leaves_nothing(op: Operator, how: str) -> None:
    f = _writer(op, how, "aborted", buffer_size=16)
    f.write(content(1000))  # past the buffer: some bytes reached the service writer
    f.abort()
    with pytest.raises(NotFound):
        op.stat("aborted")
    assert not op.exists("aborted")


@_HOW
def test_writer_abort_keeps_old_content(op: Operator, how: str) -> None:
    op.write("f", b"old")
    f = _writer(op, how, "f", buffer_size=16)
    f.write(content(1000))
    f.abort()
    assert op.read("f") == b"old"


@_HOW
def test_writer_abort_twice_and_write_after_abort(op: Operator, how: str) -> None:
    f = _writer(op, how, "aborted")
    f.write(b"x")
    f.abort()
    f.abort()
    with pytest.raises(ValueError, match="closed"):
        f.write(b"y")
    assert not op.exists("aborted")


@pytest.mark.need_capability("list")
def test_writer_exception_in_with_block_aborts(op: Operator) -> None:
    with pytest.raises(Boom):
        _write_then_raise(op, "aborted", content(100_000))
    assert not op.exists("aborted")
    assert "aborted" not in listed(op, "/")


def test_writer_exception_keeps_old_content(op: Operator) -> None:
    op.write("f", b"old")
    with pytest.raises(Boom):
        _write_then_raise(op, "f", b"new")
    assert op.read("f") == b"old"
