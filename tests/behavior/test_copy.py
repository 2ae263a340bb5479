"""copy (OpenDAL's behavior/async_copy.rs)."""

from __future__ import annotations

import pytest

from opendal_lab import (
    ConditionNotMatch,
    IsADirectory,
    IsSameFile,
    NotFound,
    Operator,
    Unsupported,
)

from ._support import SPECIAL_NAMES, assert_unsupported, content

pytestmark = pytest.mark.need_capability("copy", "write", "read")


def test_copy_file(op: Operator) -> None:
    data = content(3000)
    op.write("src", data)
    op.copy("src", "dst")
    assert op.read("dst") == data
    assert op.read("src") == data
    assert op.stat("dst").content_length == len(data)


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_copy_special_names(op: Operator, name: str) -> None:
    op.write(name, b"special")
    op.copy(name, name + ".copy")
    assert op.read(name + ".copy") == b"special"
    op.write("plain", b"plain")
    op.copy("plain", name)
    assert op.read(name) == b"plain"


def test_copy_empty_file(op: Operator) -> None:
    op.write("src", b"")
    op.copy("src", "dst")
    assert op.read("dst") == b""


def test_copy_overwrites_target(op: Operator) -> None:
    op.write("src", b"new")
    op.write("dst", b"old and longer")
    op.copy("src", "dst")
    assert op.read("dst") == b"new"


def test_copy_creates_parents(op: Operator) -> None:
    op.write("src", b"x")
    op.copy("src", "a/b/c/dst")
    assert op.read("a/b/c/dst") == b"x"


def test_copy_is_independent_of_source(op: Operator) -> None:
    op.write("src", b"one")
    op.copy("src", "dst")
    op.write("src", b"two")
    assert op.read("dst") == b"one"
    op.write("dst", b"three")
    assert op.read("src") == b"two"


@pytest.mark.need_capability("delete")
def test_copy_survives_source_delete(op: Operator) -> None:
    op.write("src", b"one")
    op.copy("src", "dst")
    op.delete("src")
    assert op.read("dst") == b"one"


def test_copy_missing_source_is_not_found(op: Operator) -> None:
    with pytest.raises(NotFound) as info:
        op.copy("missing", "dst")
    assert info.value.operation == "copy"
    assert info.value.context.get("from") == "missing"
    assert info.value.context.get("to") == "dst"
    assert not op.exists("dst")


@pytest.mark.parametrize(("source", "target"), [("d/", "dst"), ("src", "d/"), ("d/", "e/")])
def test_copy_with_dir_is_a_directory(op: Operator, source: str, target: str) -> None:
    op.write("src", b"x")
    op.write("d/f", b"x")
    with pytest.raises(IsADirectory) as info:
        op.copy(source, target)
    assert isinstance(info.value, IsADirectoryError)
    assert info.value.operation == "copy"


@pytest.mark.need_capability("create_dir")
def test_copy_created_dir_is_a_directory(op: Operator) -> None:
    op.create_dir("d/")
    with pytest.raises(IsADirectory):
        op.copy("d/", "e/")


@pytest.mark.parametrize("target", ["f", "/f", "//f", " f"])
def test_copy_to_self_is_same_file(op: Operator, target: str) -> None:
    op.write("f", b"x")
    with pytest.raises(IsSameFile):
        op.copy("f", target)
    assert op.read("f") == b"x"


def test_copy_nested(op: Operator) -> None:
    op.write("a/src", b"nested")
    op.copy("a/src", "b/c/dst")
    assert op.read("b/c/dst") == b"nested"
    assert op.read("a/src") == b"nested"


@pytest.mark.need_capability("copy_with_if_not_exists")
def test_copy_if_not_exists(op: Operator) -> None:
    op.write("src", b"new")
    op.copy("src", "fresh", if_not_exists=True)
    assert op.read("fresh") == b"new"
    op.write("dst", b"old")
    with pytest.raises(ConditionNotMatch):
        op.copy("src", "dst", if_not_exists=True)
    assert op.read("dst") == b"old"


@pytest.mark.lacks_capability("copy_with_if_not_exists")
def test_copy_if_not_exists_unsupported(op: Operator) -> None:
    op.write("src", b"new")
    with pytest.raises(Unsupported) as info:
        op.copy("src", "dst", if_not_exists=True)
    assert_unsupported(info.value, op, "copy", "if_not_exists")
    assert not op.exists("dst")
