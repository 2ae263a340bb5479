"""The fs service: list order and streaming, metadata derived on read, and a jail that
trusts a verified inode only while it is the same one (the tree changed behind its back).

The jail's generated-path and symlink suites are ``tests/test_security.py``; these tests
change the tree outside the operator between two calls, which a walk per call always saw.
"""

from __future__ import annotations

import copy
import os
import pickle
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from opendal_lab import EntryMode, Metadata, NotFound, Operator, PermissionDenied

SECRET = b"OUTSIDE-SECRET"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    outside = tmp_path / "outside"
    (outside / "b").mkdir(parents=True)
    (outside / "b" / "f").write_bytes(SECRET)
    (outside / "f").write_bytes(SECRET)
    return tmp_path / "root"


@pytest.fixture
def op(root: Path) -> Operator:
    return Operator("fs", root=str(root))


def listed(op: Operator, path: str, **options: object) -> list[str]:
    return [e.path for e in op.list(path, **options)]


# -- list: order and streaming -----------------------------------------------------------


def test_list_yields_one_directory_in_path_order(op: Operator, root: Path) -> None:
    # A directory's path ends in "/", which sorts after " ", "-" and "." and before "0".
    for name in ("a0", "a.txt", "a-b", "a b", "b", "A", "é", "_"):
        (root / "d").mkdir(exist_ok=True)
        (root / "d" / name).write_bytes(b"x")
    (root / "d" / "a").mkdir()
    (root / "d" / "a.d").mkdir()
    got = listed(op, "d/")
    assert got == ["d/", *sorted(p for p in got if p != "d/")]
    assert got[1:] == [
        "d/A",
        "d/_",
        "d/a b",
        "d/a-b",
        "d/a.d/",
        "d/a.txt",
        "d/a/",
        "d/a0",
        "d/b",
        "d/é",
    ]


def test_list_of_a_prefix_keeps_order_and_only_matching_names(op: Operator, root: Path) -> None:
    (root / "p").mkdir()
    for name in ("x", "x.1", "xa", "y"):
        (root / "p" / name).write_bytes(b"x")
    (root / "p" / "x2").mkdir()
    assert listed(op, "p/x") == ["p/x", "p/x.1", "p/x2/", "p/xa"]


def test_list_hands_out_the_directory_before_reading_it(op: Operator, root: Path) -> None:
    (root / "d").mkdir()
    (root / "d" / "a").write_bytes(b"a")
    entries = op.list("d/")
    assert next(entries).path == "d/"
    # Names are read only now: a file made after the first entry was handed out is listed.
    (root / "d" / "b").write_bytes(b"b")
    assert [e.path for e in entries] == ["d/a", "d/b"]


def test_list_stats_each_entry_only_when_it_is_yielded(op: Operator, root: Path) -> None:
    (root / "d").mkdir()
    for name in "abc":
        (root / "d" / name).write_bytes(name.encode() * 3)
    entries = op.list("d/")
    assert [next(entries).path, next(entries).path] == ["d/", "d/a"]
    # "c" was named by the one pass over the directory, but not stat'ed yet: removed now,
    # it is skipped; "b" grows, and the entry says so.
    (root / "d" / "c").unlink()
    (root / "d" / "b").write_bytes(b"bigger")
    rest = list(entries)
    assert [e.path for e in rest] == ["d/b"]
    assert rest[0].metadata.content_length == len(b"bigger")


def test_list_recursive_and_start_after_keep_path_order(op: Operator, root: Path) -> None:
    for rel in ("r/a0", "r/a/x", "r/a.txt", "r/a/y/z", "r/b"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    got = listed(op, "r/", recursive=True)
    assert got == sorted(got)
    assert got == ["r/", "r/a.txt", "r/a/", "r/a/x", "r/a/y/", "r/a/y/z", "r/a0", "r/b"]
    assert listed(op, "r/", start_after="r/a/x") == ["r/a0", "r/b"]


def test_list_skips_temporary_files_of_writes_in_progress(op: Operator, root: Path) -> None:
    op.write("t/f", b"x")
    writer = op.open("t/g", "wb")
    writer.write(b"partial")
    assert listed(op, "t/") == ["t/", "t/f"]
    writer.close()
    assert listed(op, "t/") == ["t/", "t/f", "t/g"]


# -- metadata derived on read --------------------------------------------------------------


def _eager(st: os.stat_result) -> Metadata:
    """The metadata fs built before it derived fields on read."""
    return Metadata(
        EntryMode.FILE,
        content_length=st.st_size,
        last_modified=datetime.fromtimestamp(st.st_mtime, timezone.utc),
        etag=f'"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"',
    )


def test_lazy_metadata_equals_the_eager_one_every_way_it_is_read(op: Operator, root: Path) -> None:
    op.write("m/f", b"12345")
    eager = _eager(os.stat(root / "m" / "f"))
    for meta in (op.stat("m/f"), next(e for e in op.list("m/") if e.is_file).metadata):
        assert meta.last_modified == eager.last_modified
        assert meta.etag == eager.etag
        assert meta == eager
        assert eager == meta
        assert not meta != eager  # noqa: SIM202 (__ne__ is overridden too)
        assert hash(meta) == hash(eager)
        assert tuple(meta) == tuple(eager)
        assert meta[2] == eager[2]
        assert meta[:4] == eager[:4]
        mode, length, modified, tag, *_ = meta
        assert (mode, length, modified, tag) == (EntryMode.FILE, 5, eager[2], eager.etag)
        assert meta._asdict() == eager._asdict()
        assert repr(meta) == repr(eager)
        assert meta.replace(content_type="text/plain") == eager.replace(content_type="text/plain")
        assert type(pickle.loads(pickle.dumps(meta))) is Metadata
        assert pickle.loads(pickle.dumps(meta)) == eager
        assert copy.copy(meta) == eager
        assert meta.is_file
        assert not meta.is_dir


def test_directory_metadata_has_its_modification_time(op: Operator, root: Path) -> None:
    op.create_dir("d/")
    meta = op.stat("d/")
    assert meta.is_dir
    assert meta.content_length is None
    assert meta.etag is None
    st = os.stat(root / "d")
    assert meta.last_modified == datetime.fromtimestamp(st.st_mtime, timezone.utc)


def test_stat_follows_every_change_to_a_file(op: Operator, root: Path) -> None:
    op.write("a/b/f", b"one")
    first = op.stat("a/b/f")
    assert op.stat("a/b/f") == first
    op.write("a/b/f", b"more", append=True)  # same inode, maybe the same clock tick
    assert op.stat("a/b/f").content_length == 7
    with open(root / "a" / "b" / "f", "r+b") as fh:  # in place, same length
        fh.write(b"ONE")
    os.utime(root / "a" / "b" / "f", ns=(0, 10**18))
    assert op.stat("a/b/f").last_modified == datetime.fromtimestamp(10**9, timezone.utc)
    op.write("a/b/f", b"x")
    assert op.stat("a/b/f").content_length == 1
    assert op.stat("a/b/f").etag != first.etag
    op.delete("a/b/f")
    with pytest.raises(NotFound):
        op.stat("a/b/f")


# -- the jail when the tree changes behind the operator ------------------------------------


def _swap_for_link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    os.symlink(target, path)


def test_a_verified_directory_swapped_for_a_link_out_is_refused(op: Operator, root: Path) -> None:
    outside = root.parent / "outside"
    op.write("a/b/f", b"inside")
    assert op.stat("a/b/f").content_length == 6  # verified: a, a/b and a/b/f remembered
    assert listed(op, "a/b/") == ["a/b/", "a/b/f"]
    _swap_for_link(root / "a", outside)  # a/b/f now leads to outside/b/f
    with pytest.raises(PermissionDenied):
        op.stat("a/b/f")
    with pytest.raises(PermissionDenied):
        op.read("a/b/f")
    with pytest.raises(PermissionDenied):
        list(op.list("a/b/"))
    with pytest.raises(PermissionDenied):
        op.write("a/b/f", b"pwned")
    assert (outside / "b" / "f").read_bytes() == SECRET


def test_a_deeper_directory_swapped_for_a_link_out_is_refused(op: Operator, root: Path) -> None:
    outside = root.parent / "outside"
    op.write("a/b/c/g", b"inside")
    op.stat("a/b/c/g")
    _swap_for_link(root / "a" / "b", outside)  # a/b/c/g -> outside/c/g: make it exist
    (outside / "c").mkdir()
    (outside / "c" / "g").write_bytes(SECRET)
    with pytest.raises(PermissionDenied):
        op.stat("a/b/c/g")
    with pytest.raises(PermissionDenied):
        op.read("a/b/c/g")
    with pytest.raises(PermissionDenied):
        op.stat("a/b/c/new")  # a first stat in a verified directory, through the link


def test_a_verified_file_swapped_for_a_link_out_is_refused(op: Operator, root: Path) -> None:
    op.write("a/f", b"inside")
    op.stat("a/f")
    _swap_for_link(root / "a" / "f", root.parent / "outside" / "f")
    with pytest.raises(PermissionDenied):
        op.stat("a/f")
    with pytest.raises(PermissionDenied):
        op.read("a/f")
    assert listed(op, "a/") == ["a/"]  # the link leads out: not listed


def test_a_directory_replaced_behind_the_operator_is_seen_anew(op: Operator, root: Path) -> None:
    op.write("a/b/f", b"old")
    op.write("a/b/g", b"old")
    op.stat("a/b/f")
    os.rename(root / "a" / "b", root / "a" / "moved")
    (root / "a" / "b").mkdir()
    (root / "a" / "b" / "f").write_bytes(b"newer")
    assert op.stat("a/b/f").content_length == 5
    assert op.read("a/b/f") == b"newer"
    with pytest.raises(NotFound):
        op.stat("a/b/g")
    assert listed(op, "a/b/") == ["a/b/", "a/b/f"]
    assert op.read("a/moved/g") == b"old"


def test_links_that_stay_inside_still_work_after_a_swap(op: Operator, root: Path) -> None:
    op.write("real/f", b"real")
    op.write("a/b/f", b"old")
    op.stat("a/b/f")
    _swap_for_link(root / "a" / "b", root / "real")
    assert op.stat("a/b/f").content_length == 4
    assert op.read("a/b/f") == b"real"
    assert listed(op, "a/b/") == ["a/b/", "a/b/f"]


def test_dotdot_is_refused_even_where_its_parent_was_verified(op: Operator, root: Path) -> None:
    op.write("a/b/f", b"x")
    op.stat("a/b/f")
    for path in ("a/b/../f", "a/..", "a/b/..", "a/../../outside/f"):
        with pytest.raises(PermissionDenied):
            op.stat(path)
