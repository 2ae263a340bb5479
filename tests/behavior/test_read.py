"""read and open("rb"): whole objects, ranges, suffixes, file objects (async_read.rs)."""

from __future__ import annotations

import io
import pickle

import pytest

from opendal_lab import (
    ConditionNotMatch,
    IsADirectory,
    NotFound,
    Operator,
    RangeNotSatisfied,
    Unsupported,
)

from ._support import SPECIAL_NAMES, assert_unsupported, content

pytestmark = pytest.mark.need_capability("read", "write")

SIZE = 4096


def test_read_full(op: Operator) -> None:
    data = content(SIZE)
    op.write("f", data)
    assert op.read("f") == data


def test_read_empty(op: Operator) -> None:
    op.write("empty", b"")
    assert op.read("empty") == b""


def test_read_unnormalized_path(op: Operator) -> None:
    op.write("a/b", b"ab")
    assert op.read("//a//b") == b"ab"


@pytest.mark.parametrize(
    ("offset", "size"),
    [(0, 1), (0, SIZE), (1, 10), (1000, 1000), (SIZE - 1, 1), (17, SIZE - 17)],
)
def test_read_range(op: Operator, offset: int, size: int) -> None:
    data = content(SIZE, seed=1)
    op.write("f", data)
    got = op.read("f", offset=offset, size=size)
    assert got == data[offset : offset + size]


@pytest.mark.parametrize("offset", [0, 1, 2000, SIZE - 1])
def test_read_from_offset_to_end(op: Operator, offset: int) -> None:
    data = content(SIZE, seed=2)
    op.write("f", data)
    assert op.read("f", offset=offset) == data[offset:]


@pytest.mark.parametrize("size", [1, 100, SIZE])
def test_read_head(op: Operator, size: int) -> None:
    data = content(SIZE, seed=3)
    op.write("f", data)
    assert op.read("f", size=size) == data[:size]


@pytest.mark.parametrize(("offset", "size"), [(SIZE, 1), (SIZE, None), (SIZE + 100, 10)])
def test_read_offset_past_end(op: Operator, offset: int, size: int | None) -> None:
    op.write("f", content(SIZE))
    with pytest.raises(RangeNotSatisfied):
        op.read("f", offset=offset, size=size)


def test_read_range_of_empty_file(op: Operator) -> None:
    op.write("empty", b"")
    with pytest.raises(RangeNotSatisfied):
        op.read("empty", offset=0, size=1)


@pytest.mark.parametrize(("offset", "size"), [(0, SIZE + 1), (SIZE - 10, 11), (100, SIZE)])
def test_read_range_running_past_end(op: Operator, offset: int, size: int) -> None:
    op.write("f", content(SIZE))
    with pytest.raises(RangeNotSatisfied) as info:
        op.read("f", offset=offset, size=size)
    assert info.value.operation == "read"
    assert info.value.path == "f"


@pytest.mark.need_capability("read_with_suffix")
@pytest.mark.parametrize("suffix", [1, 10, SIZE - 1, SIZE])
def test_read_suffix(op: Operator, suffix: int) -> None:
    data = content(SIZE, seed=4)
    op.write("f", data)
    assert op.read("f", suffix=suffix) == data[-suffix:]


@pytest.mark.need_capability("read_with_suffix")
def test_read_suffix_larger_than_file(op: Operator) -> None:
    data = content(100, seed=5)
    op.write("f", data)
    assert op.read("f", suffix=1000) == data


@pytest.mark.need_capability("read_with_suffix")
def test_read_suffix_of_empty_file(op: Operator) -> None:
    op.write("empty", b"")
    assert op.read("empty", suffix=5) == b""


@pytest.mark.need_capability("read_with_suffix")
def test_read_suffix_of_missing_file(op: Operator) -> None:
    with pytest.raises(NotFound):
        op.read("missing", suffix=10)


@pytest.mark.lacks_capability("read_with_suffix")
def test_read_suffix_unsupported(op: Operator) -> None:
    op.write("f", b"0123456789")
    with pytest.raises(Unsupported) as info:
        op.read("f", suffix=3)
    assert_unsupported(info.value, op, "read", "suffix")


def test_read_missing_is_not_found(op: Operator) -> None:
    with pytest.raises(NotFound) as info:
        op.read("missing")
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.operation == "read"
    assert info.value.path == "missing"


def test_read_missing_range_is_not_found(op: Operator) -> None:
    with pytest.raises(NotFound):
        op.read("missing", offset=1, size=2)


def test_read_dir_path_is_a_directory(op: Operator) -> None:
    op.write("d/f", b"x")
    with pytest.raises(IsADirectory) as info:
        op.read("d/")
    assert isinstance(info.value, IsADirectoryError)
    with pytest.raises(IsADirectoryError):
        op.read("missing-dir/")


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_read_special_names(op: Operator, name: str) -> None:
    data = content(100, seed=6)
    op.write(name, data)
    assert op.read(name) == data
    assert op.read(name, offset=10, size=5) == data[10:15]


# A shared service's copy sees the same files wherever it is unpickled. The per-process
# stores (memory, fsspec's memory) are not shared; their copies unpickled in this process
# are tested in tests/services/test_memory.py and test_fsspec_bridge.py.
@pytest.mark.need_capability("shared")
def test_read_through_a_pickled_operator(op: Operator) -> None:
    op.write("shared", b"seen by every copy")
    clone = pickle.loads(pickle.dumps(op))
    assert clone.read("shared") == b"seen by every copy"
    clone.write("from-clone", b"back")
    assert op.read("from-clone") == b"back"


# -- conditions ------------------------------------------------------------------------


@pytest.mark.need_capability("read_with_if_match")
def test_read_with_if_match(op: Operator) -> None:
    op.write("f", b"data")
    etag = op.stat("f").etag
    assert etag is not None
    assert op.read("f", if_match=etag) == b"data"
    with pytest.raises(ConditionNotMatch):
        op.read("f", if_match='"not-the-etag"')


@pytest.mark.need_capability("read_with_if_none_match")
def test_read_with_if_none_match(op: Operator) -> None:
    op.write("f", b"data")
    etag = op.stat("f").etag
    assert etag is not None
    assert op.read("f", if_none_match='"not-the-etag"') == b"data"
    with pytest.raises(ConditionNotMatch):
        op.read("f", if_none_match=etag)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        pytest.param("if_match", '"x"', marks=pytest.mark.lacks_capability("read_with_if_match")),
        pytest.param(
            "if_none_match", '"x"', marks=pytest.mark.lacks_capability("read_with_if_none_match")
        ),
        pytest.param("version", "v1", marks=pytest.mark.lacks_capability("read_with_version")),
    ],
)
def test_read_option_unsupported(op: Operator, argument: str, value: str) -> None:
    op.write("f", b"x")
    with pytest.raises(Unsupported) as info:
        op.read("f", **{argument: value})
    assert_unsupported(info.value, op, "read", argument)


@pytest.mark.lacks_capability("presign_read")
def test_presign_read_unsupported(op: Operator) -> None:
    op.write("f", b"x")
    with pytest.raises(Unsupported) as info:
        op.presign_read("f", 60)
    assert info.value.service == op.scheme
    assert "presign_read" in info.value.operation


# -- open("rb") --------------------------------------------------------------------------


def test_open_read_all(op: Operator) -> None:
    data = content(3 * 1024 * 1024 + 7, seed=7)  # more than one default buffer
    op.write("big", data)
    with op.open("big", "rb") as f:
        assert f.read() == data


def test_open_seek_tell_read(op: Operator) -> None:
    data = content(SIZE, seed=8)
    op.write("f", data)
    with op.open("f", "rb", buffer_size=64) as f:
        assert f.seekable()
        assert f.tell() == 0
        assert f.read(10) == data[:10]
        assert f.tell() == 10
        assert f.seek(1000) == 1000
        assert f.read(5) == data[1000:1005]
        assert f.seek(-3, io.SEEK_END) == SIZE - 3
        assert f.read() == data[-3:]
        assert f.read() == b""
        assert f.seek(-10, io.SEEK_CUR) == SIZE - 10
        assert f.read(4) == data[-10:-6]
        assert f.seek(SIZE + 50) == SIZE + 50
        assert f.read(1) == b""


def test_open_readinto(op: Operator) -> None:
    data = content(300, seed=9)
    op.write("f", data)
    with op.open("f", "rb") as f:
        assert isinstance(f, io.BufferedIOBase)
        f.seek(100)
        buf = bytearray(64)
        assert f.readinto(buf) == 64
        assert bytes(buf) == data[100:164]
        f.seek(280)
        buf = bytearray(64)
        n = f.readinto(buf)
        assert n == 20
        assert bytes(buf[:n]) == data[280:]


def test_open_readline(op: Operator) -> None:
    text = b"first line\nsecond\n\nlast without newline"
    op.write("lines.txt", text)
    with op.open("lines.txt", "rb", buffer_size=8) as f:
        assert f.readline() == b"first line\n"
        assert f.tell() == len(b"first line\n")
        assert f.readline() == b"second\n"
        assert f.readline() == b"\n"
        assert f.readline() == b"last without newline"
        assert f.readline() == b""
    with op.open("lines.txt", "rb") as f:
        assert f.readlines() == text.splitlines(keepends=True)


def test_open_text_mode(op: Operator) -> None:
    op.write("t.txt", "héllo\nwörld\n".encode())
    with op.open("t.txt", "r") as f:
        assert f.read() == "héllo\nwörld\n"


def test_open_empty_file(op: Operator) -> None:
    op.write("empty", b"")
    with op.open("empty", "rb") as f:
        assert f.read() == b""
        assert f.readline() == b""


def test_open_missing_is_not_found(op: Operator) -> None:
    with pytest.raises(NotFound):
        op.open("missing", "rb")


def test_open_dir_path_is_a_directory(op: Operator) -> None:
    op.write("d/f", b"x")
    with pytest.raises(IsADirectory):
        op.open("d/", "rb")
