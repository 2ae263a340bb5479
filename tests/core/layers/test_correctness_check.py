"""CorrectnessCheckLayer: every result-changing argument is refused where it cannot be honoured."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from opendal_lab import Access, Capability, CorrectnessCheckLayer, Operator, Unsupported
from opendal_lab.core.options import (
    DEFAULT_COPY,
    DEFAULT_DELETE,
    DEFAULT_LIST,
    DEFAULT_READ,
    DEFAULT_RENAME,
    DEFAULT_STAT,
    DEFAULT_WRITE,
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from tests.layers.fake import BASIC, FakeService

WHEN = datetime(2024, 1, 1, tzinfo=timezone.utc)

#: A value that asks for each argument.
VALUES: dict[str, Any] = {
    "version": "v1",
    "if_match": '"etag"',
    "if_none_match": '"etag"',
    "if_modified_since": WHEN,
    "if_unmodified_since": WHEN,
    "suffix": 3,
    "append": True,
    "if_not_exists": True,
    "recursive": True,
    "start_after": "d/a",
    "limit": 2,
    "versions": True,
    "deleted": True,
}


def _stat(a: Access, o: dict[str, Any]) -> Any:
    return a.stat("p", StatOptions.build(o))


def _read(a: Access, o: dict[str, Any]) -> Any:
    return a.read("p", ReadOptions.build(o))


def _write(a: Access, o: dict[str, Any]) -> Any:
    return a.write("p", b"x", WriteOptions.build(o))


def _writer(a: Access, o: dict[str, Any]) -> Any:
    return a.writer("p", WriteOptions.build(o))


def _list(a: Access, o: dict[str, Any]) -> Any:
    return list(a.list("d/", ListOptions.build(o)))


def _delete(a: Access, o: dict[str, Any]) -> Any:
    return a.delete("p", DeleteOptions.build(o))


def _delete_many(a: Access, o: dict[str, Any]) -> Any:
    return a.delete_many([("q", DEFAULT_DELETE), ("p", DeleteOptions.build(o))])


def _copy(a: Access, o: dict[str, Any]) -> Any:
    return a.copy("p", "q", CopyOptions.build(o))


def _rename(a: Access, o: dict[str, Any]) -> Any:
    return a.rename("p", "q", RenameOptions.build(o))


Call = Callable[[Access, dict[str, Any]], Any]

#: (operation, argument, capability field, how to call it) — the design's list, written out.
TABLE: list[tuple[str, str, str, Call]] = [
    ("stat", "version", "stat_with_version", _stat),
    ("stat", "if_match", "stat_with_if_match", _stat),
    ("stat", "if_none_match", "stat_with_if_none_match", _stat),
    ("stat", "if_modified_since", "stat_with_if_modified_since", _stat),
    ("stat", "if_unmodified_since", "stat_with_if_unmodified_since", _stat),
    ("read", "version", "read_with_version", _read),
    ("read", "suffix", "read_with_suffix", _read),
    ("read", "if_match", "read_with_if_match", _read),
    ("read", "if_none_match", "read_with_if_none_match", _read),
    ("read", "if_modified_since", "read_with_if_modified_since", _read),
    ("read", "if_unmodified_since", "read_with_if_unmodified_since", _read),
    ("write", "append", "write_can_append", _write),
    ("write", "if_not_exists", "write_with_if_not_exists", _write),
    ("write", "if_match", "write_with_if_match", _write),
    ("write", "if_none_match", "write_with_if_none_match", _write),
    ("write", "append", "write_can_append", _writer),
    ("write", "if_not_exists", "write_with_if_not_exists", _writer),
    ("write", "if_match", "write_with_if_match", _writer),
    ("write", "if_none_match", "write_with_if_none_match", _writer),
    ("list", "recursive", "list_with_recursive", _list),
    ("list", "start_after", "list_with_start_after", _list),
    ("list", "limit", "list_with_limit", _list),
    ("list", "versions", "list_with_versions", _list),
    ("list", "deleted", "list_with_deleted", _list),
    ("delete", "version", "delete_with_version", _delete),
    ("delete", "recursive", "delete_with_recursive", _delete),
    ("delete", "if_match", "delete_with_if_match", _delete),
    ("delete", "version", "delete_with_version", _delete_many),
    ("delete", "recursive", "delete_with_recursive", _delete_many),
    ("copy", "if_not_exists", "copy_with_if_not_exists", _copy),
    ("rename", "if_not_exists", "rename_with_if_not_exists", _rename),
]
IDS = [f"{call.__name__[1:]}-{arg}" for _, arg, _, call in TABLE]


def wrapped(native: Capability) -> tuple[FakeService, Access]:
    fake = FakeService(native_cap=native)
    fake.data.update({"p": b"0123456789", "d/a": b"1", "d/b": b"2"})
    return fake, CorrectnessCheckLayer().wrap(fake)


@pytest.mark.parametrize(("operation", "argument", "field", "call"), TABLE, ids=IDS)
def test_argument_without_capability_is_unsupported(
    operation: str, argument: str, field: str, call: Call
) -> None:
    assert getattr(BASIC, field) is False
    fake, access = wrapped(BASIC)
    with pytest.raises(Unsupported) as info:
        call(access, {argument: VALUES[argument]})
    err = info.value
    assert (err.operation, err.service, err.context["argument"]) == (operation, "fake", argument)
    text = str(err)
    assert "'fake'" in text
    assert f"{operation} with {argument!r}" in text
    assert field in text
    assert isinstance(err, NotImplementedError)
    assert fake.calls == []


@pytest.mark.parametrize(("operation", "argument", "field", "call"), TABLE, ids=IDS)
def test_argument_with_capability_passes_through(
    operation: str, argument: str, field: str, call: Call
) -> None:
    fake, access = wrapped(BASIC.replace(**{field: True}))
    call(access, {argument: VALUES[argument]})
    received = fake.calls[0].options
    if isinstance(received, list):  # delete_many: the fake records the paths
        assert received == ["q", "p"]
    else:
        assert getattr(received, argument) == VALUES[argument]


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("write", lambda a: a.write("p", b"x", DEFAULT_WRITE)),
        ("write", lambda a: a.writer("p", DEFAULT_WRITE)),
        ("list", lambda a: a.list("d/", DEFAULT_LIST)),
        ("create_dir", lambda a: a.create_dir("d/")),
        ("copy", lambda a: a.copy("p", "q", DEFAULT_COPY)),
        ("rename", lambda a: a.rename("p", "q", DEFAULT_RENAME)),
    ],
    ids=["write", "writer", "list", "create_dir", "copy", "rename"],
)
def test_operation_without_capability_is_unsupported(
    field: str, call: Callable[[Access], Any]
) -> None:
    fake, access = wrapped(BASIC.replace(**{field: False}))
    with pytest.raises(Unsupported) as info:
        call(access)
    assert info.value.operation == field
    assert info.value.service == "fake"
    assert f"cannot {field}" in str(info.value)
    assert "argument" not in info.value.context
    assert fake.calls == []


def test_write_larger_than_total_max_size_is_unsupported() -> None:
    fake, access = wrapped(BASIC.replace(write_total_max_size=4))
    with pytest.raises(Unsupported, match="write_total_max_size") as info:
        access.write("p", b"12345", DEFAULT_WRITE)
    assert info.value.context["size"] == 5
    access.write("p", b"1234", DEFAULT_WRITE)
    assert fake.data["p"] == b"1234"


def test_empty_write_needs_write_can_empty() -> None:
    fake, access = wrapped(BASIC.replace(write_can_empty=False))
    with pytest.raises(Unsupported, match="write_can_empty"):
        access.write("e", b"", DEFAULT_WRITE)
    assert "e" not in fake.data
    access.write("e", b"x", DEFAULT_WRITE)
    assert fake.data["e"] == b"x"


def test_unsupported_from_the_operator_names_the_service_scheme() -> None:
    op = Operator("memory", name="correctness-version")
    op.write("f", b"x")
    with pytest.raises(Unsupported) as info:
        op.read("f", version="v1")
    err = info.value
    assert (err.operation, err.service, err.path) == ("read", "memory", "f")
    assert "'memory'" in str(err)
    assert "version" in str(err)


def test_default_options_cost_no_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import opendal_lab.core.layers.correctness_check as module

    checked: list[str] = []

    def spy(info: Any, operation: str, *args: Any, **kwargs: Any) -> None:
        checked.append(operation)

    monkeypatch.setattr(module, "check_arguments", spy)
    _, access = wrapped(BASIC)
    access.stat("p", DEFAULT_STAT)
    access.read("p", DEFAULT_READ)
    access.write("w", b"x", DEFAULT_WRITE)
    access.writer("w", DEFAULT_WRITE)
    list(access.list("d/", DEFAULT_LIST))
    access.delete("w", DEFAULT_DELETE)
    access.delete_many([("w", DEFAULT_DELETE)])
    access.copy("p", "q", DEFAULT_COPY)
    access.rename("q", "r", DEFAULT_RENAME)
    assert checked == []
    # The same calls with options are checked, one check each.
    access.stat("p", StatOptions(version="v"))
    access.read("p", ReadOptions(offset=1))
    access.write("w", b"x", WriteOptions(content_type="text/plain"))
    list(access.list("d/", ListOptions(limit=3)))
    access.delete("w", DeleteOptions(if_match="e"))
    access.copy("p", "q", CopyOptions(if_not_exists=True))
    access.rename("q", "r", RenameOptions(if_not_exists=True))
    assert checked == ["stat", "read", "write", "list", "delete", "copy", "rename"]


def test_check_sees_the_capability_after_simulation() -> None:
    # BASIC lacks list_with_recursive; the default stack simulates it, so no Unsupported.
    fake = FakeService()
    fake.data["d/a/b"] = b"1"
    op = Operator.from_service(fake)
    assert [e.path for e in op.list("d/", recursive=True)] == ["d/", "d/a/", "d/a/b"]


def test_table_covers_every_rule_of_the_layer() -> None:
    import opendal_lab.core.layers.correctness_check as module

    rules = {
        (op, arg, field)
        for op, table in (
            ("stat", module._STAT),
            ("read", module._READ),
            ("write", module._WRITE),
            ("list", module._LIST),
            ("delete", module._DELETE),
            ("copy", module._COPY),
            ("rename", module._RENAME),
        )
        for arg, field in table
    }
    assert {(op, arg, field) for op, arg, field, _ in TABLE} == rules
