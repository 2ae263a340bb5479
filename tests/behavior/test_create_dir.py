"""create_dir (OpenDAL's behavior/async_create_dir.rs)."""

from __future__ import annotations

import pytest

from opendal_lab import NotADirectory, Operator, Unsupported

from ._support import SPECIAL_NAMES, assert_unsupported, listed


@pytest.mark.need_capability("create_dir", "stat")
def test_create_dir_then_stat(op: Operator) -> None:
    op.create_dir("d/")
    meta = op.stat("d/")
    assert meta.is_dir
    assert op.exists("d/")


@pytest.mark.need_capability("create_dir", "stat")
def test_create_dir_is_idempotent(op: Operator) -> None:
    op.create_dir("d/")
    op.create_dir("d/")
    assert op.stat("d/").is_dir


@pytest.mark.need_capability("create_dir", "stat", "write", "read")
def test_create_dir_keeps_contents(op: Operator) -> None:
    op.write("d/f", b"kept")
    op.create_dir("d/")
    assert op.stat("d/").is_dir
    assert op.read("d/f") == b"kept"


@pytest.mark.need_capability("create_dir", "stat")
def test_create_nested_dir(op: Operator) -> None:
    op.create_dir("a/b/c/")
    for d in ("a/", "a/b/", "a/b/c/"):
        assert op.stat(d).is_dir, d


@pytest.mark.need_capability("create_dir", "list")
def test_create_dir_is_listed(op: Operator) -> None:
    op.create_dir("a/b/")
    entries = list(op.list("a/"))
    assert [e.path for e in entries] == ["a/", "a/b/"]
    assert all(e.is_dir for e in entries)
    assert listed(op, "a/b/") == ["a/b/"]
    assert "a/" in listed(op, "/")


@pytest.mark.need_capability("create_dir", "stat")
def test_create_dir_unnormalized_path(op: Operator) -> None:
    op.create_dir("//a//b/")
    assert op.stat("a/b/").is_dir


@pytest.mark.need_capability("create_dir", "stat")
@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_create_dir_special_names(op: Operator, name: str) -> None:
    op.create_dir(name + "/")
    assert op.stat(name + "/").is_dir


@pytest.mark.need_capability("create_dir", "stat")
@pytest.mark.parametrize("root", ["/", ""])
def test_create_dir_root_is_a_no_op(op: Operator, root: str) -> None:
    op.create_dir(root)
    assert op.stat("/").is_dir


@pytest.mark.parametrize("path", ["d", "a/b", "//x"])
def test_create_dir_without_slash_is_not_a_directory(op: Operator, path: str) -> None:
    with pytest.raises(NotADirectory) as info:
        op.create_dir(path)
    assert isinstance(info.value, NotADirectoryError)
    assert info.value.operation == "create_dir"
    assert not op.exists(path)


@pytest.mark.lacks_capability("create_dir")
def test_create_dir_unsupported(op: Operator) -> None:
    with pytest.raises(Unsupported) as info:
        op.create_dir("d/")
    assert_unsupported(info.value, op, "create_dir", "create_dir")
