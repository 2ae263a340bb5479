"""rename (OpenDAL's behavior/async_rename.rs)."""

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

from ._support import SPECIAL_NAMES, assert_unsupported, content, listed

pytestmark = pytest.mark.need_capability("rename", "write", "read", "stat")


def test_rename_file(op: Operator) -> None:
    data = content(3000)
    op.write("src", data)
    op.rename("src", "dst")
    assert op.read("dst") == data
    assert op.stat("dst").content_length == len(data)
    with pytest.raises(NotFound):
        op.stat("src")


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_rename_special_names(op: Operator, name: str) -> None:
    op.write(name, b"special")
    op.rename(name, name + ".moved")
    assert op.read(name + ".moved") == b"special"
    assert not op.exists(name)
    op.rename(name + ".moved", name)
    assert op.read(name) == b"special"


def test_rename_empty_file(op: Operator) -> None:
    op.write("src", b"")
    op.rename("src", "dst")
    assert op.read("dst") == b""
    assert not op.exists("src")


def test_rename_overwrites_target(op: Operator) -> None:
    op.write("src", b"new")
    op.write("dst", b"old and longer")
    op.rename("src", "dst")
    assert op.read("dst") == b"new"
    assert not op.exists("src")


def test_rename_creates_parents(op: Operator) -> None:
    op.write("src", b"x")
    op.rename("src", "a/b/c/dst")
    assert op.read("a/b/c/dst") == b"x"
    assert not op.exists("src")


@pytest.mark.need_capability("list")
def test_rename_removes_source_from_listing(op: Operator) -> None:
    op.write("from/f", b"x")
    op.write("from/kept", b"k")
    op.rename("from/f", "to/f")
    assert listed(op, "from/") == ["from/", "from/kept"]
    assert listed(op, "to/") == ["to/", "to/f"]


def test_rename_missing_source_is_not_found(op: Operator) -> None:
    with pytest.raises(NotFound) as info:
        op.rename("missing", "dst")
    assert info.value.operation == "rename"
    assert info.value.context.get("from") == "missing"
    assert info.value.context.get("to") == "dst"
    assert not op.exists("dst")


@pytest.mark.parametrize(("source", "target"), [("d/", "dst"), ("src", "d/"), ("d/", "e/")])
def test_rename_with_dir_is_a_directory(op: Operator, source: str, target: str) -> None:
    op.write("src", b"x")
    op.write("d/f", b"x")
    with pytest.raises(IsADirectory) as info:
        op.rename(source, target)
    assert isinstance(info.value, IsADirectoryError)
    assert info.value.operation == "rename"
    assert op.read("src") == b"x"
    assert op.read("d/f") == b"x"


@pytest.mark.need_capability("create_dir")
def test_rename_created_dir_is_a_directory(op: Operator) -> None:
    op.create_dir("d/")
    with pytest.raises(IsADirectory):
        op.rename("d/", "e/")
    assert op.stat("d/").is_dir


@pytest.mark.parametrize("target", ["f", "/f", "//f", " f"])
def test_rename_to_self_is_same_file(op: Operator, target: str) -> None:
    op.write("f", b"x")
    with pytest.raises(IsSameFile):
        op.rename("f", target)
    assert op.read("f") == b"x"


def test_rename_nested(op: Operator) -> None:
    op.write("a/src", b"nested")
    op.rename("a/src", "b/c/dst")
    assert op.read("b/c/dst") == b"nested"
    assert not op.exists("a/src")


@pytest.mark.need_capability("rename_with_if_not_exists")
def test_rename_if_not_exists(op: Operator) -> None:
    op.write("src", b"new")
    op.write("dst", b"old")
    with pytest.raises(ConditionNotMatch):
        op.rename("src", "dst", if_not_exists=True)
    assert op.read("dst") == b"old"
    assert op.read("src") == b"new"
    op.rename("src", "fresh", if_not_exists=True)
    assert op.read("fresh") == b"new"
    assert not op.exists("src")


@pytest.mark.lacks_capability("rename_with_if_not_exists")
def test_rename_if_not_exists_unsupported(op: Operator) -> None:
    op.write("src", b"new")
    with pytest.raises(Unsupported) as info:
        op.rename("src", "dst", if_not_exists=True)
    assert_unsupported(info.value, op, "rename", "if_not_exists")
    assert op.read("src") == b"new"
