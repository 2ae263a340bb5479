"""Defaults that never surprise (issue 13): the fs service has no default root, and building
an fs operator or reading through it never creates anything; only a write makes the root."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from opendal_lab import ConfigInvalid, NotADirectory, NotFound, Operator


@pytest.mark.parametrize(
    "build",
    [
        lambda: Operator("fs"),
        lambda: Operator("fs", root=""),
        lambda: Operator("fs", root="   "),
        lambda: Operator.from_uri("fs://"),
        lambda: Operator.from_uri("file://"),
    ],
    ids=["no-root", "empty", "blank", "fs-uri", "file-uri"],
)
def test_fs_without_a_root_is_refused(
    build: Callable[[], Operator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigInvalid) as info:
        build()
    message = str(info.value)
    assert "root" in message
    assert 'Operator("fs", root="/data")' in message
    assert info.value.service == "fs"
    assert list(tmp_path.iterdir()) == []  # the current directory is not touched


def test_building_creates_nothing(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b"
    Operator("fs", root=str(root))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def missing(tmp_path: Path) -> tuple[Operator, Path]:
    root = tmp_path / "not-yet"
    return Operator("fs", root=str(root)), root


def test_read_only_calls_on_a_missing_root_create_nothing(missing: tuple[Operator, Path]) -> None:
    op, root = missing
    with pytest.raises(NotFound):
        op.stat("f")
    with pytest.raises(NotFound):
        op.stat("d/")
    with pytest.raises(NotFound) as info:
        op.stat("/")
    assert info.value.context["root"] == str(root)
    assert "first write" in str(info.value)
    with pytest.raises(NotFound):
        op.read("f")
    with pytest.raises(NotFound):
        op.read("d/f")
    assert list(op.list("/")) == []  # listing a missing dir returns nothing
    assert list(op.list("d/")) == []
    assert list(op.list("/", recursive=True)) == []
    assert not op.exists("f")
    assert not op.exists("/")
    with pytest.raises(NotFound):
        op.check()
    op.delete("f")
    op.delete("/", recursive=True)
    with pytest.raises(NotFound):
        op.copy("f", "g")
    with pytest.raises(NotFound):
        op.rename("f", "g")
    assert not root.exists()


def test_read_only_fsspec_calls_on_a_missing_root_create_nothing(
    missing: tuple[Operator, Path],
) -> None:
    from opendal_lab.fsspec import OpendalFileSystem

    op, root = missing
    fs = OpendalFileSystem(operator=op)
    assert fs.ls("") == []
    assert fs.find("") == []
    assert not fs.exists("f")
    assert not fs.isdir("d")
    with pytest.raises(FileNotFoundError):
        fs.cat_file("f")
    assert not root.exists()


@pytest.mark.parametrize(
    "write",
    [
        lambda op: op.write("f", b"x"),
        lambda op: op.write("d/f", b"x"),
        lambda op: op.write("f", b"x", append=True),
        lambda op: op.create_dir("d/"),
        lambda op: op.open("f", "wb").close(),
    ],
    ids=["write", "write-nested", "append", "create_dir", "writer"],
)
def test_a_write_creates_the_root(
    missing: tuple[Operator, Path], write: Callable[[Operator], object]
) -> None:
    op, root = missing
    write(op)
    assert root.is_dir()
    assert op.stat("/").is_dir
    assert list(op.list("/"))


def test_the_root_becomes_the_copy_and_rename_target_parent(tmp_path: Path) -> None:
    op = Operator("fs", root=str(tmp_path / "r"))
    op.write("a", b"1")
    op.copy("a", "x/b")
    op.rename("x/b", "y/c")
    assert (tmp_path / "r" / "y" / "c").read_bytes() == b"1"


def test_a_file_put_where_the_missing_root_was_is_not_written_through(tmp_path: Path) -> None:
    root = tmp_path / "root"
    op = Operator("fs", root=str(root))
    root.write_bytes(b"a file")
    with pytest.raises(NotADirectory):
        op.write("f", b"x")
    assert root.read_bytes() == b"a file"
    assert sorted(os.listdir(tmp_path)) == ["root"]


def test_a_root_that_is_a_file_is_refused_and_named(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_bytes(b"x")
    with pytest.raises(ConfigInvalid, match="is a file"):
        Operator("fs", root=str(file))
    with pytest.raises(ConfigInvalid, match="lies below a file"):
        Operator("fs", root=str(file / "a" / "b"))
    assert sorted(os.listdir(tmp_path)) == ["file"]
