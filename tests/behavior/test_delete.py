"""delete, delete_many and remove_all (OpenDAL's behavior/async_delete.rs)."""

from __future__ import annotations

import pytest

from opendal_lab import NotFound, Operator, Unsupported

from ._support import SPECIAL_NAMES, assert_unsupported, listed

pytestmark = pytest.mark.need_capability("delete", "write", "stat")


def test_delete_file(op: Operator) -> None:
    op.write("f", b"x")
    op.delete("f")
    with pytest.raises(NotFound):
        op.stat("f")


def test_delete_missing_succeeds(op: Operator) -> None:
    op.delete("missing")
    op.delete("missing-dir/missing")
    op.delete("missing-dir/")
    assert not op.exists("missing")


def test_delete_twice_succeeds(op: Operator) -> None:
    op.write("f", b"x")
    op.delete("f")
    op.delete("f")
    assert not op.exists("f")


def test_delete_keeps_siblings(op: Operator) -> None:
    for path in ("f", "ff", "f.txt", "d/f"):
        op.write(path, path.encode())
    op.delete("f")
    assert not op.exists("f")
    for path in ("ff", "f.txt", "d/f"):
        assert op.read(path) == path.encode()


def test_delete_unnormalized_path(op: Operator) -> None:
    op.write("a/b", b"x")
    op.delete("//a//b")
    assert not op.exists("a/b")


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_delete_special_names(op: Operator, name: str) -> None:
    op.write(name, b"x")
    op.delete(name)
    assert not op.exists(name)


@pytest.mark.need_capability("create_dir")
def test_delete_empty_dir(op: Operator) -> None:
    op.create_dir("d/")
    op.delete("d/")
    with pytest.raises(NotFound):
        op.stat("d/")


@pytest.mark.need_capability("list")
def test_delete_last_file_of_a_dir(op: Operator) -> None:
    op.write("d/only", b"x")
    op.delete("d/only")
    assert "d/only" not in listed(op, "d/")


# -- delete_many -------------------------------------------------------------------------


def test_delete_many(op: Operator) -> None:
    files = [f"batch/f-{i}" for i in range(25)]
    for path in files:
        op.write(path, b"x")
    op.write("batch/kept", b"kept")
    op.delete_many([*files, "batch/missing"])
    for path in files:
        assert not op.exists(path)
    assert op.read("batch/kept") == b"kept"


def test_delete_many_with_empty_versions(op: Operator) -> None:
    op.write("a", b"x")
    op.write("b", b"x")
    op.delete_many([("a", None), "b"])
    assert not op.exists("a")
    assert not op.exists("b")


def test_delete_many_of_nothing(op: Operator) -> None:
    op.write("a", b"x")
    op.delete_many([])
    assert op.exists("a")


# -- recursive ---------------------------------------------------------------------------

_TREE = ("r/a", "r/b/c", "r/b/d/e", "r/b/d/f", "r/g h/i")


def _write_tree(op: Operator) -> None:
    for path in _TREE:
        op.write(path, b"x")


@pytest.mark.need_capability("delete_with_recursive", "list")
@pytest.mark.parametrize("spelling", ["r/", "r"])
def test_delete_recursive_leaves_nothing_below(op: Operator, spelling: str) -> None:
    _write_tree(op)
    op.delete(spelling, recursive=True)
    assert listed(op, "r/") == []
    for path in _TREE:
        assert not op.exists(path)


@pytest.mark.need_capability("delete_with_recursive", "list")
def test_delete_recursive_many(op: Operator) -> None:
    files = [f"many/{i % 7}/f-{i:04}" for i in range(1100)]
    for path in files:
        op.write(path, b"")
    op.write("many-kept", b"k")
    op.remove_all("many/")
    assert listed(op, "many/") == []
    assert op.read("many-kept") == b"k"


@pytest.mark.need_capability("delete_with_recursive", "list", "create_dir")
def test_delete_recursive_removes_empty_dirs(op: Operator) -> None:
    _write_tree(op)
    op.create_dir("r/empty/deeper/")
    op.remove_all("r/")
    assert listed(op, "r/") == []
    with pytest.raises(NotFound):
        op.stat("r/")
    with pytest.raises(NotFound):
        op.stat("r/empty/")


@pytest.mark.need_capability("delete_with_recursive")
def test_delete_recursive_keeps_prefix_siblings(op: Operator) -> None:
    for path in ("x/a", "x/b/c", "xy", "xyz/w", "x.txt"):
        op.write(path, path.encode())
    op.remove_all("x")
    assert not op.exists("x/a")
    assert not op.exists("x/b/c")
    for path in ("xy", "xyz/w", "x.txt"):
        assert op.read(path) == path.encode()


@pytest.mark.need_capability("delete_with_recursive")
def test_remove_all_of_a_file(op: Operator) -> None:
    op.write("f", b"x")
    op.write("ff", b"x")
    op.remove_all("f")
    assert not op.exists("f")
    assert op.exists("ff")


@pytest.mark.need_capability("delete_with_recursive")
def test_remove_all_of_missing_succeeds(op: Operator) -> None:
    op.remove_all("missing/")
    op.remove_all("missing")
    assert not op.exists("missing")


@pytest.mark.need_capability("delete_with_recursive", "list")
@pytest.mark.parametrize("root", ["/", ""])
def test_remove_all_of_root_empties_it(op: Operator, root: str) -> None:
    _write_tree(op)
    op.write("top", b"x")
    op.remove_all(root)
    assert listed(op, "/") == ["/"]
    assert op.stat("/").is_dir
    op.write("again", b"still usable")
    assert op.read("again") == b"still usable"


@pytest.mark.lacks_capability("delete_with_recursive")
def test_delete_recursive_unsupported(op: Operator) -> None:
    _write_tree(op)
    with pytest.raises(Unsupported) as info:
        op.remove_all("r/")
    assert_unsupported(info.value, op, "delete", "recursive")
    assert op.exists("r/a")


@pytest.mark.lacks_capability("delete_with_version")
def test_delete_version_unsupported(op: Operator) -> None:
    op.write("f", b"x")
    with pytest.raises(Unsupported) as info:
        op.delete("f", version="v1")
    assert_unsupported(info.value, op, "delete", "version")
    assert op.exists("f")
