"""stat: metadata of a file or a directory (OpenDAL's behavior/async_stat.rs)."""

from __future__ import annotations

from datetime import datetime

import pytest

from opendal_lab import ConditionNotMatch, EntryMode, NotFound, Operator, Unsupported

from ._support import SPECIAL_NAMES, assert_unsupported

pytestmark = pytest.mark.need_capability("stat", "write")


def test_stat_file(op: Operator) -> None:
    op.write("f", b"0123456789")
    meta = op.stat("f")
    assert meta.mode is EntryMode.FILE
    assert meta.is_file
    assert not meta.is_dir
    assert meta.content_length == 10
    assert isinstance(meta.last_modified, datetime)


def test_stat_follows_overwrite(op: Operator) -> None:
    op.write("f", b"long content")
    op.write("f", b"short")
    assert op.stat("f").content_length == 5


def test_stat_empty_file(op: Operator) -> None:
    op.write("empty", b"")
    meta = op.stat("empty")
    assert meta.is_file
    assert meta.content_length == 0


@pytest.mark.parametrize("root", ["", "/", "//", " / "])
def test_stat_root_is_a_dir(op: Operator, root: str) -> None:
    assert op.stat(root).mode is EntryMode.DIR


@pytest.mark.need_capability("create_dir")
def test_stat_created_dir(op: Operator) -> None:
    op.create_dir("d/")
    meta = op.stat("d/")
    assert meta.is_dir
    assert meta.content_length is None


@pytest.mark.need_capability("create_dir")
def test_stat_parent_of_written_file_is_a_dir(op: Operator) -> None:
    op.write("d/f", b"x")
    assert op.stat("d/").is_dir


@pytest.mark.need_capability("create_dir")
def test_stat_nested_parent_dirs(op: Operator) -> None:
    op.write("a/b/c/f", b"x")
    for d in ("a/", "a/b/", "a/b/c/"):
        assert op.stat(d).is_dir, d


@pytest.mark.need_capability("create_dir")
def test_stat_file_as_dir_is_not_found(op: Operator) -> None:
    op.write("f", b"x")
    with pytest.raises(NotFound):
        op.stat("f/")


@pytest.mark.need_capability("create_dir")
def test_stat_missing_dir_is_not_found(op: Operator) -> None:
    op.write("dd/f", b"x")  # a sibling whose name starts the same
    with pytest.raises(NotFound) as info:
        op.stat("d/")
    assert info.value.operation == "stat"
    assert info.value.service == op.scheme
    assert info.value.path == "d/"


@pytest.mark.parametrize("spelling", ["/p", "//p", " p ", "///p"])
def test_stat_unnormalized_path(op: Operator, spelling: str) -> None:
    op.write("p", b"abc")
    meta = op.stat(spelling)
    assert meta.is_file
    assert meta.content_length == 3


def test_stat_unnormalized_nested_path(op: Operator) -> None:
    op.write("a/b", b"ab")
    assert op.stat("a//b").content_length == 2
    assert op.stat("//a///b").content_length == 2


def test_stat_missing_is_not_found(op: Operator) -> None:
    with pytest.raises(NotFound) as info:
        op.stat("missing")
    err = info.value
    assert isinstance(err, FileNotFoundError)
    assert err.operation == "stat"
    assert err.service == op.scheme
    assert err.path == "missing"


def test_stat_missing_nested_is_not_found(op: Operator) -> None:
    op.write("a/other", b"x")
    with pytest.raises(FileNotFoundError):
        op.stat("a/missing")
    with pytest.raises(NotFound):
        op.stat("b/missing")


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_stat_special_names(op: Operator, name: str) -> None:
    op.write(name, b"special")
    meta = op.stat(name)
    assert meta.is_file
    assert meta.content_length == 7


def test_exists(op: Operator) -> None:
    op.write("here", b"x")
    assert op.exists("here")
    assert op.exists("/")
    assert not op.exists("gone")


# -- conditions ------------------------------------------------------------------------


@pytest.mark.need_capability("stat_with_if_match")
def test_stat_with_if_match(op: Operator) -> None:
    op.write("f", b"x")
    etag = op.stat("f").etag
    assert etag is not None
    assert op.stat("f", if_match=etag).content_length == 1
    with pytest.raises(ConditionNotMatch):
        op.stat("f", if_match='"not-the-etag"')


@pytest.mark.need_capability("stat_with_if_none_match")
def test_stat_with_if_none_match(op: Operator) -> None:
    op.write("f", b"x")
    etag = op.stat("f").etag
    assert etag is not None
    assert op.stat("f", if_none_match='"not-the-etag"').content_length == 1
    with pytest.raises(ConditionNotMatch):
        op.stat("f", if_none_match=etag)


@pytest.mark.need_capability("stat_with_if_match")
def test_stat_etag_changes_on_overwrite(op: Operator) -> None:
    op.write("f", b"one")
    first = op.stat("f").etag
    op.write("f", b"two")
    with pytest.raises(ConditionNotMatch):
        op.stat("f", if_match=first)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        pytest.param("if_match", '"x"', marks=pytest.mark.lacks_capability("stat_with_if_match")),
        pytest.param(
            "if_none_match", '"x"', marks=pytest.mark.lacks_capability("stat_with_if_none_match")
        ),
        pytest.param("version", "v1", marks=pytest.mark.lacks_capability("stat_with_version")),
    ],
)
def test_stat_option_unsupported(op: Operator, argument: str, value: str) -> None:
    op.write("f", b"x")
    with pytest.raises(Unsupported) as info:
        op.stat("f", **{argument: value})
    assert_unsupported(info.value, op, "stat", argument)
