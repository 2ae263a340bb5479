"""ErrorContextLayer: every error leaving the service names operation, service and path."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

import pytest

from opendal_lab import (
    Access,
    Error,
    ErrorContextLayer,
    ErrorStatus,
    NotFound,
    Operator,
    PermissionDenied,
    Unexpected,
)
from opendal_lab.core.options import (
    DEFAULT_COPY,
    DEFAULT_DELETE,
    DEFAULT_LIST,
    DEFAULT_READ,
    DEFAULT_RENAME,
    DEFAULT_STAT,
    DEFAULT_WRITE,
    ReadOptions,
)
from tests.layers.fake import FakeService


def wrapped(**data: bytes) -> tuple[FakeService, Access]:
    fake = FakeService()
    fake.data.update(data)
    return fake, ErrorContextLayer().wrap(fake)


#: (fake operation to fail, the call through the layer, expected operation, expected path)
CALLS: list[tuple[str, Callable[[Access], Any], str, str | None]] = [
    ("stat", lambda a: a.stat("p", DEFAULT_STAT), "stat", "p"),
    ("read", lambda a: a.read("p", DEFAULT_READ), "read", "p"),
    ("write", lambda a: a.write("p", b"abc", DEFAULT_WRITE), "write", "p"),
    ("writer", lambda a: a.writer("p", DEFAULT_WRITE), "write", "p"),
    ("list", lambda a: a.list("d/", DEFAULT_LIST), "list", "d/"),
    ("delete", lambda a: a.delete("p", DEFAULT_DELETE), "delete", "p"),
    ("create_dir", lambda a: a.create_dir("d/"), "create_dir", "d/"),
    ("copy", lambda a: a.copy("p", "q", DEFAULT_COPY), "copy", None),
    ("rename", lambda a: a.rename("p", "q", DEFAULT_RENAME), "rename", None),
    ("delete_many", lambda a: a.delete_many([("p", DEFAULT_DELETE)]), "delete", None),
]
IDS = [c[0] for c in CALLS]


@pytest.mark.parametrize(("fail", "call", "operation", "path"), CALLS, ids=IDS)
def test_fills_operation_service_and_path(
    fail: str, call: Callable[[Access], Any], operation: str, path: str | None
) -> None:
    fake, access = wrapped()
    fake.fail[fail] = PermissionDenied("no")
    with pytest.raises(PermissionDenied) as info:
        call(access)
    err = info.value
    assert (err.operation, err.service, err.path) == (operation, "fake", path)
    text = str(err)
    assert f"at {operation}" in text
    assert "service: fake" in text
    if path is not None:
        assert f"path: {path}" in text


@pytest.mark.parametrize(("fail", "call", "operation", "path"), CALLS, ids=IDS)
@pytest.mark.parametrize(
    "foreign",
    [RuntimeError("boom"), OSError(errno.EIO, "disk on fire"), KeyError("k")],
    ids=["RuntimeError", "OSError", "KeyError"],
)
def test_maps_foreign_exceptions_to_unexpected_from_the_original(
    fail: str,
    call: Callable[[Access], Any],
    operation: str,
    path: str | None,
    foreign: Exception,
) -> None:
    fake, access = wrapped()
    fake.fail[fail] = foreign
    with pytest.raises(Unexpected) as info:
        call(access)
    err = info.value
    assert err.__cause__ is foreign
    assert (err.operation, err.service, err.path) == (operation, "fake", path)
    assert type(foreign).__name__ in str(err)
    assert isinstance(err, OSError)


@pytest.mark.parametrize("name", ["copy", "rename"])
def test_copy_and_rename_name_from_and_to(name: str) -> None:
    fake, access = wrapped()
    fake.fail[name] = NotFound("no source")
    with pytest.raises(NotFound) as info:
        getattr(access, name)("src/a", "dst/b", DEFAULT_COPY)
    assert info.value.context["from"] == "src/a"
    assert info.value.context["to"] == "dst/b"
    assert "from: src/a" in str(info.value)
    assert "to: dst/b" in str(info.value)


def test_copy_error_from_the_operator_names_from_and_to() -> None:
    fake = FakeService()
    op = Operator.from_service(fake)
    with pytest.raises(NotFound) as info:  # the fake has no "a"
        op.copy("a", "b")
    err = info.value
    assert (err.operation, err.service, err.path) == ("copy", "fake", "a")
    assert (err.context["from"], err.context["to"]) == ("a", "b")


@pytest.mark.parametrize(
    ("options", "described"),
    [
        ({"offset": 2, "size": 4}, "2-5"),
        ({"offset": 3}, "3-"),
        ({"size": 1}, "0-0"),
        ({"suffix": 3}, "last 3 bytes"),
    ],
)
def test_ranged_read_errors_carry_the_range(options: dict[str, int], described: str) -> None:
    fake, access = wrapped()
    fake.fail["read"] = NotFound("gone")
    with pytest.raises(NotFound) as info:
        access.read("p", ReadOptions.build(options))
    assert info.value.context["range"] == described
    assert f"range: {described}" in str(info.value)


def test_whole_read_errors_carry_no_range() -> None:
    fake, access = wrapped()
    fake.fail["read"] = NotFound("gone")
    with pytest.raises(NotFound) as info:
        access.read("p", DEFAULT_READ)
    assert "range" not in info.value.context


def test_write_errors_carry_the_size() -> None:
    fake, access = wrapped()
    fake.fail["write"] = RuntimeError("full")
    with pytest.raises(Unexpected) as info:
        access.write("p", b"12345", DEFAULT_WRITE)
    assert info.value.context["size"] == 5


@pytest.mark.parametrize("foreign", [False, True], ids=["Error", "foreign"])
def test_errors_raised_mid_listing_get_context(foreign: bool) -> None:
    fake, access = wrapped(**{"d/a": b"1", "d/b": b"2"})
    fake.fail["list.next"] = RuntimeError("page 2 failed") if foreign else PermissionDenied("no")
    it = access.list("d/", DEFAULT_LIST)
    assert next(it).path == "d/"  # the first entry comes through
    with pytest.raises(Error) as info:
        next(it)
    err = info.value
    assert isinstance(err, Unexpected if foreign else PermissionDenied)
    assert (err.operation, err.service, err.path) == ("list", "fake", "d/")
    if foreign:
        assert isinstance(err.__cause__, RuntimeError)


@pytest.mark.parametrize("step", ["writer.write", "writer.close"])
def test_writer_errors_get_context_and_bytes_written(step: str) -> None:
    fake, access = wrapped()
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"abc")
    original = OSError(errno.ENOSPC, "no space")
    fake.fail[step] = original
    finish = (lambda: writer.write(b"de")) if step == "writer.write" else writer.close
    with pytest.raises(Unexpected) as info:
        finish()
    err = info.value
    assert (err.operation, err.service, err.path) == ("write", "fake", "w")
    assert err.context["written"] == 3
    assert err.__cause__ is original


def test_writer_abort_errors_get_context() -> None:
    fake, access = wrapped()
    writer = access.writer("w", DEFAULT_WRITE)
    fake.fail["writer.abort"] = RuntimeError("cannot clean up")
    with pytest.raises(Unexpected) as info:
        writer.abort()
    assert (info.value.operation, info.value.path) == ("write", "w")


def test_context_already_set_below_is_kept() -> None:
    fake, access = wrapped()
    fake.fail["stat"] = NotFound("gone", operation="head", service="inner", path="real/p")
    with pytest.raises(NotFound) as info:
        access.stat("p", DEFAULT_STAT)
    assert (info.value.operation, info.value.service, info.value.path) == (
        "head",
        "inner",
        "real/p",
    )


def test_existing_cause_and_status_are_kept() -> None:
    fake, access = wrapped()
    cause = KeyError("low level")
    err = Unexpected("flaky").set_temporary()
    err.__cause__ = cause
    fake.fail["stat"] = err
    with pytest.raises(Unexpected) as info:
        access.stat("p", DEFAULT_STAT)
    assert info.value is err
    assert info.value.__cause__ is cause
    assert info.value.status is ErrorStatus.TEMPORARY


def test_base_exceptions_pass_untouched() -> None:
    fake, access = wrapped()
    fake.fail["stat"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        access.stat("p", DEFAULT_STAT)


@pytest.mark.parametrize("name", ["stat", "read"])
def test_operator_fast_path_adds_the_same_context(name: str) -> None:
    fake = FakeService()
    op = Operator.from_service(fake)
    original = RuntimeError("boom")
    fake.fail[name] = original
    for _ in range(2):  # the first call normalizes the path, the second takes the fast path
        with pytest.raises(Unexpected) as info:
            getattr(op, name)("plain/file")
        err = info.value
        assert (err.operation, err.service, err.path) == (name, "fake", "plain/file")
        assert err.__cause__ is original
    assert len(fake.calls_of(name)) == 2


def test_successful_calls_are_untouched() -> None:
    fake, access = wrapped(p=b"abc")
    assert access.read("p", DEFAULT_READ) == b"abc"
    assert access.stat("p", DEFAULT_STAT).content_length == 3
    writer = access.writer("w", DEFAULT_WRITE)
    writer.write(b"xy")
    assert writer.close().content_length == 2
    assert fake.data["w"] == b"xy"
