"""Capability, the error hierarchy, Metadata and Entry."""

from __future__ import annotations

import dataclasses
import errno
import pickle
import shutil
from datetime import datetime, timezone

import pytest

import opendal_lab as od
from opendal_lab import (
    GROUPS,
    Capability,
    Entry,
    EntryMode,
    Error,
    ErrorKind,
    ErrorStatus,
    Metadata,
)
from opendal_lab.core.capability import group_of
from opendal_lab.core.errors import error_class
from opendal_lab.core.types import file_metadata

ALLOWED_GROUPS = {
    "stat",
    "read",
    "write",
    "create_dir",
    "delete",
    "copy",
    "restore",
    "rename",
    "list",
    "presign",
    "shared",
}

# -- Capability --------------------------------------------------------------------------


def test_field_names_are_every_dataclass_field_in_order() -> None:
    names = Capability.field_names()
    assert names == tuple(f.name for f in dataclasses.fields(Capability))
    assert len(names) == len(set(names))
    assert names[0] == "stat"
    assert names[-1] == "shared"


def test_every_field_belongs_to_one_allowed_group_named_by_its_prefix() -> None:
    for name in Capability.field_names():
        group = group_of(name)
        assert group in ALLOWED_GROUPS, name
        assert name == group or name.startswith(group + "_"), name
    assert set(GROUPS) == ALLOWED_GROUPS
    flattened = [f for fields in GROUPS.values() for f in fields]
    assert sorted(flattened) == sorted(Capability.field_names())


@pytest.mark.parametrize(
    ("field", "group"),
    [
        ("create_dir", "create_dir"),
        ("read_with_suffix", "read"),
        ("write_multi_min_size", "write"),
        ("presign_read", "presign"),
        ("list_with_start_after", "list"),
        ("copy_with_if_not_exists", "copy"),
        ("restore_with_version", "restore"),
    ],
)
def test_group_of(field: str, group: str) -> None:
    assert group_of(field) == group
    assert field in GROUPS[group]


def test_each_group_has_its_operation_field() -> None:
    for group, fields in GROUPS.items():
        assert group in fields


def test_default_capability_supports_nothing() -> None:
    cap = Capability()
    assert cap.enabled() == ()
    assert all(v in (False, None) for v in cap.to_dict().values())
    assert list(cap.to_dict()) == list(Capability.field_names())


def test_replace_returns_a_copy_and_rejects_unknown_fields() -> None:
    cap = Capability(read=True)
    other = cap.replace(write=True, delete_max_size=10)
    assert (other.read, other.write, other.delete_max_size) == (True, True, 10)
    assert cap.write is False
    with pytest.raises(TypeError):
        cap.replace(no_such_field=True)


def test_capability_is_frozen_and_hashable() -> None:
    cap = Capability(read=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cap.read = False  # type: ignore[misc]
    assert hash(cap) == hash(Capability(read=True))
    assert cap == Capability(read=True)
    assert cap != Capability()


def test_diff_lists_only_changed_fields_as_mine_theirs() -> None:
    a = Capability(read=True, write=True, delete_max_size=5)
    b = Capability(read=True, list=True, delete_max_size=7)
    assert a.diff(b) == {
        "write": (True, False),
        "delete_max_size": (5, 7),
        "list": (False, True),
    }
    assert a.diff(a) == {}


def test_repr_names_enabled_fields_only() -> None:
    assert repr(Capability()) == "Capability()"
    assert repr(Capability(read=True, write_multi_max_size=4)) == (
        "Capability(read, write_multi_max_size)"
    )
    assert Capability(read=True, write_multi_max_size=4).enabled() == (
        "read",
        "write_multi_max_size",
    )


# -- errors ------------------------------------------------------------------------------

BUILTINS: list[tuple[type[Error], type[BaseException], int | None]] = [
    (od.NotFound, FileNotFoundError, errno.ENOENT),
    (od.AlreadyExists, FileExistsError, errno.EEXIST),
    (od.PermissionDenied, PermissionError, errno.EACCES),
    (od.IsADirectory, IsADirectoryError, errno.EISDIR),
    (od.NotADirectory, NotADirectoryError, errno.ENOTDIR),
    (od.Unsupported, NotImplementedError, None),
    (od.ConfigInvalid, ValueError, None),
    (od.IsSameFile, shutil.SameFileError, None),
    (od.RangeNotSatisfied, ValueError, None),
    (od.Unexpected, OSError, errno.EIO),
    (od.RateLimited, OSError, None),
    (od.ConditionNotMatch, OSError, None),
    (od.Conflict, OSError, None),
]


@pytest.mark.parametrize(
    ("cls", "builtin", "code"), BUILTINS, ids=[c.__name__ for c, _, _ in BUILTINS]
)
def test_each_kind_is_also_its_builtin(
    cls: type[Error], builtin: type[BaseException], code: int | None
) -> None:
    err = cls("message", operation="read", service="memory", path="a/b")
    assert isinstance(err, Error)
    assert isinstance(err, builtin)
    with pytest.raises(builtin):
        raise err
    if code is not None:
        assert err.errno == code
    assert err.message == "message"
    assert error_class(err.kind) is cls
    assert error_class(err.kind.value) is cls


def test_every_kind_has_one_class() -> None:
    assert {error_class(kind).kind for kind in ErrorKind} == set(ErrorKind)
    assert len(ErrorKind) == 13
    with pytest.raises(ValueError, match="Nope"):
        error_class("Nope")


def test_is_same_file_is_caught_as_shutil_same_file_error() -> None:
    with pytest.raises(shutil.SameFileError) as info:
        raise od.IsSameFile("same", operation="copy")
    assert isinstance(info.value, OSError)  # SameFileError is an OSError subclass


def test_status_transitions() -> None:
    err = od.Unexpected("x")
    assert err.status is ErrorStatus.PERMANENT
    assert not err.is_temporary
    err.set_persistent()  # a permanent error is not made persistent
    assert err.status is ErrorStatus.PERMANENT
    assert err.set_temporary() is err
    assert err.is_temporary
    err.set_persistent()
    assert err.status is ErrorStatus.PERSISTENT
    assert not err.is_temporary
    err.set_permanent()
    assert err.status is ErrorStatus.PERMANENT


def test_rate_limited_starts_temporary() -> None:
    assert od.RateLimited("slow down").status is ErrorStatus.TEMPORARY
    assert od.RateLimited("x", status=ErrorStatus.PERMANENT).status is ErrorStatus.PERMANENT


def test_str_names_kind_status_operation_service_path_context_and_cause() -> None:
    err = od.NotFound("no object", operation="stat", service="s3", path="a/b.txt")
    err.with_context("bucket", "data")
    try:
        raise err from KeyError("low")
    except od.NotFound as caught:
        text = str(caught)
    assert text.startswith("NotFound (permanent) at stat => no object")
    for part in ("service: s3", "path: a/b.txt", "bucket: data", "source: KeyError"):
        assert part in text
    assert repr(err).startswith("NotFound(")


def test_fill_and_with_operation_only_fill_blanks() -> None:
    err = od.NotFound("x", path="inner")
    err.fill("read", "memory", "outer")
    assert (err.operation, err.service, err.path) == ("read", "memory", "inner")
    err.fill("stat", "fs", "other")
    assert (err.operation, err.service) == ("read", "memory")
    assert od.Unexpected("y").with_operation("list").with_operation("stat").operation == "list"
    err.with_context("k", 1).with_context("k", 2)
    assert err.context["k"] == 1


@pytest.mark.parametrize(
    "cls", [c for c, _, _ in BUILTINS], ids=[c.__name__ for c, _, _ in BUILTINS]
)
def test_pickling_keeps_every_field(cls: type[Error]) -> None:
    err = cls(
        "broken",
        operation="write",
        service="fs",
        path="x/y",
        status=ErrorStatus.TEMPORARY,
        context={"from": "a", "to": "b"},
    )
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls
    for attr in ("message", "operation", "service", "path", "status", "context", "kind"):
        assert getattr(copy, attr) == getattr(err, attr), attr
    assert str(copy) == str(err)
    if isinstance(err, OSError):
        assert copy.errno == err.errno


def test_context_argument_is_copied() -> None:
    ctx = {"a": 1}
    err = od.Conflict("x", context=ctx)
    err.with_context("b", 2)
    assert ctx == {"a": 1}


# -- Metadata and Entry ------------------------------------------------------------------


def test_metadata_defaults_and_mode() -> None:
    meta = Metadata(EntryMode.FILE, content_length=3)
    assert meta.is_file
    assert not meta.is_dir
    assert (meta.etag, meta.last_modified, meta.user_metadata, meta.is_deleted) == (
        None,
        None,
        None,
        False,
    )
    directory = Metadata(EntryMode.DIR)
    assert directory.is_dir
    assert directory.content_length is None
    assert not Metadata(EntryMode.UNKNOWN).is_file


def test_metadata_from_a_real_write() -> None:
    op = od.Operator("memory", name="types-metadata")
    meta = op.write("f.txt", b"abc", content_type="text/plain")
    assert (meta.mode, meta.content_length, meta.content_type) == (EntryMode.FILE, 3, "text/plain")
    assert isinstance(meta.last_modified, datetime)
    assert meta.last_modified.tzinfo is not None
    assert meta.last_modified <= datetime.now(timezone.utc)


@pytest.mark.parametrize(
    ("path", "name"),
    [("a/b/c.txt", "c.txt"), ("a/b/", "b/"), ("top", "top"), ("d/", "d/"), ("/", "/")],
)
def test_entry_name(path: str, name: str) -> None:
    mode = EntryMode.DIR if path.endswith("/") else EntryMode.FILE
    entry = Entry(path, Metadata(mode))
    assert entry.name == name
    assert entry.is_dir is path.endswith("/")
    assert entry.is_file is not path.endswith("/")


def test_entries_from_a_listing() -> None:
    op = od.Operator("memory", name="types-entries")
    op.write("d/f", b"12")
    entries = {e.path: e for e in op.list("d/")}
    assert entries["d/"].is_dir
    assert entries["d/f"].is_file
    assert entries["d/f"].metadata.content_length == 2
    assert entries["d/f"].name == "f"


@pytest.mark.parametrize(
    ("mode", "is_dir", "is_file"),
    [
        (EntryMode.DIR, True, False),
        (EntryMode.FILE, False, True),
        (EntryMode.UNKNOWN, False, False),
    ],
)
def test_entry_mode_methods(mode: EntryMode, is_dir: bool, is_file: bool) -> None:
    # Methods, as on the opendal binding's EntryMode.
    assert (mode.is_dir(), mode.is_file()) == (is_dir, is_file)


def test_metadata_is_frozen_and_replace_copies() -> None:
    meta = Metadata(EntryMode.FILE, content_length=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.content_length = 4  # type: ignore[misc]
    changed = meta.replace(content_type="text/plain")
    assert (changed.content_length, changed.content_type) == (3, "text/plain")
    assert meta.content_type is None


def test_dir_metadata_is_one_shared_instance() -> None:
    from opendal_lab.core.types import DIR_METADATA

    op = od.Operator("memory", name="types-dir-metadata")
    op.write("d/f", b"1")
    entries = {e.path: e for e in op.list("/", recursive=False)}
    assert entries["d/"].metadata is DIR_METADATA
    with pytest.raises(dataclasses.FrozenInstanceError):
        DIR_METADATA.mode = EntryMode.FILE  # type: ignore[misc]


def test_file_metadata_is_the_keyword_constructors_value() -> None:
    stamp = datetime(2026, 1, 2, tzinfo=timezone.utc)
    built = file_metadata(5, stamp, '"e"')
    expected = Metadata(EntryMode.FILE, content_length=5, last_modified=stamp, etag='"e"')
    assert built == expected
    assert built._asdict() == expected._asdict()  # every field, by name
    assert type(built) is Metadata
