"""list: entries of a directory or of a prefix (OpenDAL's behavior/async_list.rs)."""

from __future__ import annotations

import pytest

from opendal_lab import EntryMode, Operator, Unsupported

from ._support import SPECIAL_NAMES, assert_unsupported, listed

pytestmark = pytest.mark.need_capability("list", "write")


def test_list_dir_holds_written_file(op: Operator) -> None:
    op.write("d/f", b"1234567")
    entries = list(op.list("d/"))
    assert [e.path for e in entries] == ["d/", "d/f"]
    assert entries[0].metadata.mode is EntryMode.DIR
    assert entries[1].metadata.mode is EntryMode.FILE
    assert entries[1].metadata.content_length == 7
    assert entries[1].name == "f"


def test_list_rich_dir_is_sorted_with_each_subdir_once(op: Operator) -> None:
    files = [f"rich/file-{i}" for i in (7, 3, 0, 9, 1)]
    for i, path in enumerate(files):
        op.write(path, bytes(i))
    op.write("rich/sub/a", b"a")
    op.write("rich/sub/b", b"b")
    entries = list(op.list("rich/"))
    assert [e.path for e in entries] == ["rich/", *sorted(files), "rich/sub/"]
    assert entries[-1].is_dir
    for entry in entries[1:-1]:
        assert entry.is_file
        assert entry.metadata.content_length == files.index(entry.path)


def test_list_root_yields_root_first(op: Operator) -> None:
    op.write("b/c", b"c")
    op.write("a", b"a")
    assert listed(op, "/") == ["/", "a", "b/"]
    assert listed(op, "") == ["/", "a", "b/"]
    assert next(iter(op.list())).is_dir


@pytest.mark.need_capability("create_dir")
def test_list_empty_dir_yields_only_itself(op: Operator) -> None:
    op.create_dir("empty/")
    entries = list(op.list("empty/"))
    assert [e.path for e in entries] == ["empty/"]
    assert entries[0].is_dir


def test_list_missing_dir_yields_nothing(op: Operator) -> None:
    op.write("other/f", b"x")
    assert listed(op, "missing/") == []
    assert listed(op, "other/missing/") == []
    assert listed(op, "missing/file") == []
    assert listed(op, "other/f/") == []  # a file is not a directory


def test_check(op: Operator) -> None:
    op.check()
    op.write("f", b"x")
    op.check()


def test_list_sub_dir_is_a_dir_entry(op: Operator) -> None:
    op.write("parent/sub/f", b"x")
    entries = list(op.list("parent/"))
    assert [e.path for e in entries] == ["parent/", "parent/sub/"]
    assert entries[1].metadata.mode is EntryMode.DIR
    assert entries[1].name == "sub/"


@pytest.mark.need_capability("create_dir")
def test_list_nested_dir(op: Operator) -> None:
    op.create_dir("parent/dir/")
    op.write("parent/dir/file", b"hello")
    assert listed(op, "parent/") == ["parent/", "parent/dir/"]
    entries = list(op.list("parent/dir/"))
    assert [e.path for e in entries] == ["parent/dir/", "parent/dir/file"]
    assert entries[1].metadata.content_length == 5


def test_list_file_path_yields_that_file(op: Operator) -> None:
    op.write("p/y", b"abc")
    entries = list(op.list("p/y"))
    assert [e.path for e in entries] == ["p/y"]
    assert entries[0].is_file
    assert entries[0].metadata.content_length == 3


def test_list_file_path_is_a_prefix(op: Operator) -> None:
    for path in ("p/x", "p/y", "p/yy", "p/z"):
        op.write(path, b"1")
    assert listed(op, "p/y") == ["p/y", "p/yy"]


def test_list_path_without_slash_names_the_dir(op: Operator) -> None:
    op.write("p/f", b"x")
    entries = list(op.list("p"))
    assert [e.path for e in entries] == ["p/"]
    assert entries[0].metadata.mode is EntryMode.DIR


def test_list_dir_entries_have_no_length(op: Operator) -> None:
    op.write("d/sub/f", b"123")
    sub = next(e for e in op.list("d/") if e.path == "d/sub/")
    assert sub.metadata.content_length is None


@pytest.mark.need_capability("create_dir")
def test_list_created_dir_is_a_dir_without_length(op: Operator) -> None:
    op.create_dir("d/made/")
    entries = list(op.list("d/"))
    assert [e.path for e in entries] == ["d/", "d/made/"]
    for entry in entries:
        assert entry.metadata.mode is EntryMode.DIR
        assert entry.metadata.content_length is None


def test_list_unnormalized_path(op: Operator) -> None:
    op.write("a/b/c", b"x")
    assert listed(op, "//a//b/") == ["a/b/", "a/b/c"]


@pytest.mark.parametrize("name", SPECIAL_NAMES)
def test_list_special_names(op: Operator, name: str) -> None:
    op.write(name, b"special")
    parent = name.rsplit("/", 1)[0] + "/" if "/" in name else "/"
    entry = next(e for e in op.list(parent) if e.path == name)
    assert entry.is_file
    assert entry.metadata.content_length == len(b"special")


def test_list_many_entries(op: Operator) -> None:
    files = [f"big/f-{i:04}" for i in range(1100)]
    for path in files:
        op.write(path, b"")
    op.write("big/sub/x", b"x")
    op.write("bigger/y", b"y")
    assert listed(op, "big/") == ["big/", *files, "big/sub/"]


def test_list_sorts_dirs_by_their_path(op: Operator) -> None:
    # "-" and "." sort before "/", "0" after: a dir sits where its path sorts.
    for path in ("s/a0", "s/a/x", "s/a.txt", "s/a-b"):
        op.write(path, b"x")
    assert listed(op, "s/") == ["s/", "s/a-b", "s/a.txt", "s/a/", "s/a0"]


@pytest.mark.need_capability("list_with_recursive")
def test_list_recursive_is_sorted_across_levels(op: Operator) -> None:
    for path in ("s/a0", "s/a/x", "s/a/y/z", "s/a.txt", "s/a-b"):
        op.write(path, b"x")
    got = listed(op, "s/", recursive=True)
    assert got == sorted(got)
    assert [p for p in got if p[-1] != "/"] == ["s/a-b", "s/a.txt", "s/a/x", "s/a/y/z", "s/a0"]


def test_list_reflects_overwrite(op: Operator) -> None:
    op.write("d/f", b"0123456789")
    op.write("d/f", b"abc")
    entry = next(e for e in op.list("d/") if e.path == "d/f")
    assert entry.metadata.content_length == 3


# -- limit ---------------------------------------------------------------------------


@pytest.mark.need_capability("list_with_limit")
@pytest.mark.parametrize("limit", [1, 5, 100])
def test_list_limit_is_a_page_size(op: Operator, limit: int) -> None:
    files = [f"page/f-{i:02}" for i in range(11)]
    for path in files:
        op.write(path, b"x")
    assert listed(op, "page/", limit=limit) == ["page/", *files]


@pytest.mark.lacks_capability("list_with_limit")
def test_list_limit_unsupported(op: Operator) -> None:
    op.write("page/f", b"x")
    with pytest.raises(Unsupported) as info:
        list(op.list("page/", limit=5))
    assert_unsupported(info.value, op, "list", "limit")


# -- start_after ---------------------------------------------------------------------


@pytest.mark.need_capability("list_with_start_after")
def test_list_start_after(op: Operator) -> None:
    files = [f"sa/file-{i}" for i in range(6)]
    for path in files:
        op.write(path, b"x")
    assert listed(op, "sa/", start_after="sa/file-2") == files[3:]
    assert listed(op, "sa/", start_after="//sa/file-4") == files[5:]


@pytest.mark.need_capability("list_with_start_after")
def test_list_start_after_a_missing_key(op: Operator) -> None:
    files = [f"sa/file-{i}" for i in range(6)]
    for path in files:
        op.write(path, b"x")
    assert listed(op, "sa/", start_after="sa/file-25") == files[3:]
    assert listed(op, "sa/", start_after="sa/") == files
    assert listed(op, "sa/", start_after="a") == ["sa/", *files]
    assert listed(op, "sa/", start_after="sa/zzz") == []


@pytest.mark.need_capability("list_with_start_after", "list_with_limit")
def test_list_start_after_with_limit(op: Operator) -> None:
    files = [f"sa/file-{i:02}" for i in range(12)]
    for path in files:
        op.write(path, b"x")
    assert listed(op, "sa/", start_after="sa/file-03", limit=2) == files[4:]


@pytest.mark.lacks_capability("list_with_start_after")
def test_list_start_after_unsupported(op: Operator) -> None:
    op.write("sa/f", b"x")
    with pytest.raises(Unsupported) as info:
        list(op.list("sa/", start_after="sa/a"))
    assert_unsupported(info.value, op, "list", "start_after")


# -- recursive -----------------------------------------------------------------------


@pytest.mark.need_capability("list_with_recursive", "create_dir")
def test_list_dir_recursive(op: Operator) -> None:
    for d in ("x/", "x/x/", "x/x/x/"):
        op.create_dir(d)
    for f in ("x/y", "x/x/y", "x/x/x/y"):
        op.write(f, b"y")
    got = listed(op, "x/", recursive=True)
    expected = ["x/", "x/x/", "x/x/x/", "x/x/x/y", "x/x/y", "x/y"]
    assert got == expected  # every entry once, sorted, the dir itself first


@pytest.mark.need_capability("list_with_recursive", "create_dir")
def test_list_dir_recursive_without_trailing_slash(op: Operator) -> None:
    for d in ("x/", "x/x/"):
        op.create_dir(d)
    for f in ("x/y", "x/x/y"):
        op.write(f, b"y")
    assert listed(op, "x", recursive=True) == ["x/", "x/x/", "x/x/y", "x/y"]


@pytest.mark.need_capability("list_with_recursive")
def test_list_recursive_yields_every_file_once(op: Operator) -> None:
    files = ["r/a", "r/b/c", "r/b/d/e", "r/b/d/f", "r/g", "r/h/i"]
    for i, path in enumerate(files):
        op.write(path, bytes(i))
    entries = list(op.list("r/", recursive=True))
    got = [e.path for e in entries]
    assert got == sorted(set(got))
    assert got[0] == "r/"
    found = {e.path: e.metadata.content_length for e in entries if e.is_file}
    assert found == {path: i for i, path in enumerate(files)}
    # Whatever directories a service lists (object stores list none), they are real ones.
    assert {p for p in got if p.endswith("/")} <= {"r/", "r/b/", "r/b/d/", "r/h/"}


@pytest.mark.need_capability("list_with_recursive", "list_with_start_after")
def test_list_many_entries_recursive_start_after(op: Operator) -> None:
    files = [f"big/{d}/f-{i:03}" for d in ("a", "b") for i in range(600)]
    for path in files:
        op.write(path, b"")
    got = [p for p in listed(op, "big/", recursive=True, start_after="big/a/f-299") if p[-1] != "/"]
    assert got == files[300:]


@pytest.mark.need_capability("list_with_recursive")
def test_list_file_path_recursive(op: Operator) -> None:
    for path in ("p/x", "p/y", "p/yy", "p/z"):
        op.write(path, b"1")
    assert listed(op, "p/y", recursive=True) == ["p/y", "p/yy"]


@pytest.mark.need_capability("list_with_recursive")
def test_list_root_recursive(op: Operator) -> None:
    op.write("a/b", b"1")
    op.write("c", b"2")
    got = listed(op, "/", recursive=True)
    assert got[0] == "/"
    assert got == sorted(set(got))
    assert {"a/b", "c"} <= set(got)


@pytest.mark.need_capability("list_with_recursive")
def test_list_missing_dir_recursive_yields_nothing(op: Operator) -> None:
    op.write("other/f", b"x")
    assert listed(op, "missing/", recursive=True) == []


@pytest.mark.need_capability("list_with_recursive", "list_with_start_after")
def test_list_recursive_start_after(op: Operator) -> None:
    files = ["ra/a", "ra/b/c", "ra/b/d", "ra/e"]
    for path in files:
        op.write(path, b"x")
    got = [p for p in listed(op, "ra/", recursive=True, start_after="ra/b/c") if p[-1] != "/"]
    assert got == ["ra/b/d", "ra/e"]


@pytest.mark.lacks_capability("list_with_recursive")
def test_list_recursive_unsupported(op: Operator) -> None:
    op.write("r/a/b", b"x")
    with pytest.raises(Unsupported) as info:
        list(op.list("r/", recursive=True))
    assert_unsupported(info.value, op, "list", "recursive")


# -- options no service here has -------------------------------------------------------


@pytest.mark.lacks_capability("list_with_versions")
def test_list_versions_unsupported(op: Operator) -> None:
    op.write("v/f", b"x")
    with pytest.raises(Unsupported) as info:
        list(op.list("v/", versions=True))
    assert_unsupported(info.value, op, "list", "versions")


@pytest.mark.lacks_capability("list_with_deleted")
def test_list_deleted_unsupported(op: Operator) -> None:
    op.write("v/f", b"x")
    with pytest.raises(Unsupported) as info:
        list(op.list("v/", deleted=True))
    assert_unsupported(info.value, op, "list", "deleted")
