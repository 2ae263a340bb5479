"""Bad input is refused up front, with a message naming the operation and the option,
and a refused call writes nothing."""

from __future__ import annotations

import os
import pathlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from opendal_lab import ConfigInvalid, Error, Operator, SimulateLayer, Unsupported

Call = Callable[[Operator], object]


@pytest.fixture(params=["memory", "fs"])
def op(request: pytest.FixtureRequest, tmp_path: Path) -> Operator:
    """An operator holding one file ``keep.txt`` and one dir ``d/``."""
    if request.param == "memory":
        operator = Operator("memory", name=f"bad-input-{uuid.uuid4().hex}")
    else:
        operator = Operator("fs", root=str(tmp_path / "root"))
    operator.write("keep.txt", b"keep")
    operator.write("d/f", b"f")
    return operator


def state(op: Operator) -> list[tuple[str, bytes | None]]:
    """Every entry and its bytes; for fs also the raw directory tree (temporary files too)."""
    seen: list[tuple[str, bytes | None]] = [
        (e.path, None if e.is_dir else op.read(e.path)) for e in op.list("/", recursive=True)
    ]
    if op.scheme == "fs":
        for dirpath, dirnames, filenames in os.walk(op.info().root):
            for name in sorted(dirnames + filenames):
                seen.append((os.path.join(dirpath, name), None))
    return seen


@pytest.fixture
def unchanged(op: Operator) -> Iterator[None]:
    before = state(op)
    yield
    assert state(op) == before


# -- option types and values -------------------------------------------------------------

#: (call, exception, operation named, option named)
OPTION_CASES: list[tuple[str, Call, type[BaseException], str, str]] = [
    ("offset-str", lambda o: o.read("keep.txt", offset="3"), TypeError, "read", "offset"),
    ("offset-bool", lambda o: o.read("keep.txt", offset=True), TypeError, "read", "offset"),
    ("size-float", lambda o: o.read("keep.txt", size=1.5), TypeError, "read", "size"),
    ("size-negative", lambda o: o.read("keep.txt", size=-1), ConfigInvalid, "read", "size"),
    ("offset-negative", lambda o: o.read("keep.txt", offset=-1), ConfigInvalid, "read", "offset"),
    (
        "suffix-and-offset",
        lambda o: o.read("keep.txt", suffix=1, offset=1),
        ConfigInvalid,
        "read",
        "suffix",
    ),
    ("recursive-str", lambda o: o.list("/", recursive="yes"), TypeError, "list", "recursive"),
    ("limit-zero", lambda o: o.list("/", limit=0), ConfigInvalid, "list", "limit"),
    ("limit-negative", lambda o: o.list("/", limit=-4), ConfigInvalid, "list", "limit"),
    ("start-after-int", lambda o: o.list("/", start_after=5), TypeError, "list", "start_after"),
    (
        "user-metadata-int",
        lambda o: o.write("new", b"x", user_metadata={1: 2}),
        TypeError,
        "write",
        "user_metadata",
    ),
    (
        "user-metadata-list",
        lambda o: o.write("new", b"x", user_metadata=[("a", "b")]),
        TypeError,
        "write",
        "user_metadata",
    ),
    ("append-int", lambda o: o.write("new", b"x", append=1), TypeError, "write", "append"),
    (
        "if-not-exists-str",
        lambda o: o.write("keep.txt", b"x", if_not_exists="yes"),
        TypeError,
        "write",
        "if_not_exists",
    ),
    (
        "concurrent-zero",
        lambda o: o.write("new", b"x", concurrent=0),
        ConfigInvalid,
        "write",
        "concurrent",
    ),
    (
        "append-and-condition",
        lambda o: o.write("keep.txt", b"x", append=True, if_not_exists=True),
        ConfigInvalid,
        "write",
        "append",
    ),
    (
        "delete-recursive-str",
        lambda o: o.delete("d/", recursive="1"),
        TypeError,
        "delete",
        "recursive",
    ),
    (
        "copy-if-not-exists-int",
        lambda o: o.copy("keep.txt", "n", if_not_exists=0),
        TypeError,
        "copy",
        "if_not_exists",
    ),
    (
        "rename-if-not-exists-str",
        lambda o: o.rename("keep.txt", "n", if_not_exists="no"),
        TypeError,
        "rename",
        "if_not_exists",
    ),
    ("unknown-read", lambda o: o.read("keep.txt", colour="red"), TypeError, "read", "colour"),
    ("unknown-write", lambda o: o.write("new", b"x", colour="red"), TypeError, "write", "colour"),
    ("unknown-stat", lambda o: o.stat("keep.txt", colour="red"), TypeError, "stat", "colour"),
    ("unknown-list", lambda o: o.list("/", colour="red"), TypeError, "list", "colour"),
    ("unknown-delete", lambda o: o.delete("keep.txt", colour="red"), TypeError, "delete", "colour"),
    ("unknown-copy", lambda o: o.copy("keep.txt", "n", colour="red"), TypeError, "copy", "colour"),
    (
        "unknown-rename",
        lambda o: o.rename("keep.txt", "n", colour="red"),
        TypeError,
        "rename",
        "colour",
    ),
    (
        "open-write-bad-type",
        lambda o: o.open("new", "wb", append="yes"),
        TypeError,
        "write",
        "append",
    ),
    (
        "open-read-unknown",
        lambda o: o.open("missing", "rb", colour="red"),
        TypeError,
        "read",
        "colour",
    ),
    (
        "open-read-offset",
        lambda o: o.open("keep.txt", "rb", offset=2),
        ConfigInvalid,
        "open",
        "offset",
    ),
    (
        "open-buffer-zero",
        lambda o: o.open("new", "wb", buffer_size=0),
        ConfigInvalid,
        "open",
        "buffer_size",
    ),
    (
        "open-buffer-str",
        lambda o: o.open("new", "wb", buffer_size="big"),
        TypeError,
        "open",
        "buffer_size",
    ),
    (
        "open-encoding",
        lambda o: o.open("new", "w", encoding="no-such-codec"),
        ConfigInvalid,
        "open",
        "encoding",
    ),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("call", "exc", "operation", "option"),
    [c[1:] for c in OPTION_CASES],
    ids=[c[0] for c in OPTION_CASES],
)
def test_bad_options_name_operation_and_option(
    op: Operator, call: Call, exc: type[BaseException], operation: str, option: str
) -> None:
    with pytest.raises(exc) as info:
        call(op)
    text = str(info.value)
    assert operation in text
    assert repr(option) in text
    if isinstance(info.value, Error):  # a bad value: where, like every error from the stack
        assert info.value.operation == operation
        assert info.value.service == op.scheme
        assert info.value.path is not None
        assert f"service: {op.scheme}, path: {info.value.path}" in text


def test_negative_offset_says_service_operation_and_path(op: Operator) -> None:
    with pytest.raises(ConfigInvalid) as info:
        op.read("d//f", offset=-1)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.service, err.operation, err.path) == (op.scheme, "read", "d/f")
    assert str(err) == (
        "ConfigInvalid (permanent) at read => option 'offset' must be >= 0, got -1, "
        f"context: {{ service: {op.scheme}, path: d/f }}"
    )


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("call", "operation", "path"),
    [
        (lambda o: o.list("d/", start_after="a\x00b"), "list", "d/"),
        (lambda o: o.open("keep.txt", "rw"), "open", "keep.txt"),
        (lambda o: o.presign_read("keep.txt", -1), "presign_read", "keep.txt"),
    ],
    ids=["start-after-nul", "open-mode", "presign-expire"],
)
def test_other_bad_values_say_service_and_path(
    op: Operator, call: Call, operation: str, path: str
) -> None:
    if operation.startswith("presign"):
        # The service must presign for the expiry to be checked: turn the field on.
        from opendal_lab.layers.capability_override import CapabilityOverrideLayer

        op = op.layer(CapabilityOverrideLayer(presign_read=True))
    with pytest.raises(ConfigInvalid) as info:
        call(op)
    assert (info.value.service, info.value.operation, info.value.path) == (
        op.scheme,
        operation,
        path,
    )


@pytest.mark.parametrize("operation", ["copy", "rename"])
def test_bad_copy_value_says_from_and_to(operation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from opendal_lab.core.options import CopyOptions, RenameOptions

    op = Operator("memory", name=f"bad-input-{uuid.uuid4().hex}")
    op.write("a", b"a")

    # copy/rename take no bounded value today; a refusing validate() stands in for one.
    def refuse(self: Any) -> None:
        raise self._bad("option 'if_not_exists' refused")

    monkeypatch.setattr(CopyOptions if operation == "copy" else RenameOptions, "validate", refuse)
    with pytest.raises(ConfigInvalid) as info:
        getattr(op, operation)("a", "b", if_not_exists=True)
    err = info.value
    assert (err.service, err.operation, err.path) == ("memory", operation, None)
    assert (err.context["from"], err.context["to"]) == ("a", "b")


def test_wrong_type_is_type_error_and_wrong_value_config_invalid() -> None:
    op = Operator("memory", name=f"bad-input-{uuid.uuid4().hex}")
    with pytest.raises(TypeError) as type_err:
        op.list("/", limit="2")
    assert not isinstance(type_err.value, Error)
    with pytest.raises(ConfigInvalid) as value_err:
        op.list("/", limit=0)
    assert isinstance(value_err.value, ValueError)


def test_none_option_means_the_default(op: Operator) -> None:
    assert op.read("keep.txt", offset=None, size=None) == b"keep"
    assert [e.path for e in op.list("d/", limit=None)] == ["d/", "d/f"]


# -- paths -------------------------------------------------------------------------------

BAD_PATHS: list[Any] = [
    123,
    None,
    b"keep.txt",
    ["keep.txt"],
    pathlib.PurePosixPath("keep.txt"),
    1.5,
]
PATH_CALLS: list[tuple[str, Callable[[Operator, Any], object]]] = [
    ("read", lambda o, p: o.read(p)),
    ("write", lambda o, p: o.write(p, b"x")),
    ("stat", lambda o, p: o.stat(p)),
    ("stat", lambda o, p: o.exists(p)),  # exists() is a stat
    ("list", lambda o, p: o.list(p)),
    ("delete", lambda o, p: o.delete(p)),
    ("create_dir", lambda o, p: o.create_dir(p)),
    ("copy", lambda o, p: o.copy(p, "n")),
    ("copy", lambda o, p: o.copy("keep.txt", p)),
    ("rename", lambda o, p: o.rename("keep.txt", p)),
    ("open", lambda o, p: o.open(p, "wb")),
    ("delete", lambda o, p: o.delete_many(["keep.txt", p])),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize(
    ("operation", "call"), PATH_CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PATH_CALLS)]
)
def test_non_str_paths_are_type_errors(
    op: Operator, operation: str, call: Callable[[Operator, Any], object], path: Any
) -> None:
    with pytest.raises(TypeError) as info:
        call(op, path)
    assert operation in str(info.value)


@pytest.mark.parametrize("path", [p for p in BAD_PATHS if p is not None], ids=repr)
def test_non_str_start_after_is_a_type_error(op: Operator, path: Any) -> None:
    with pytest.raises(TypeError, match="list"):
        op.list("/", start_after=path)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", ["a\x00b", "\x00", "d/\x00/f"])
def test_nul_in_a_path_is_config_invalid(op: Operator, path: str) -> None:
    for call in (lambda: op.write(path, b"x"), lambda: op.read(path), lambda: op.stat(path)):
        with pytest.raises(ConfigInvalid, match="NUL"):
            call()


def test_str_subclass_paths_are_accepted(op: Operator) -> None:
    class Name(str):
        pass

    op.write(Name("sub.txt"), b"s")
    assert op.read(Name("sub.txt")) == b"s"


# -- data, mode, operator ----------------------------------------------------------------


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("data", ["text", 5, None, [1, 2], bytearray], ids=repr)
def test_write_of_non_bytes_is_a_type_error(op: Operator, data: Any) -> None:
    with pytest.raises(TypeError, match=r"write\(\): data must be bytes"):
        op.write("new", data)


@pytest.mark.usefixtures("unchanged")
def test_binary_writer_refuses_str(op: Operator) -> None:
    f = op.open("new", "wb")
    with pytest.raises(TypeError):
        f.write("text")  # type: ignore[arg-type]
    f.abort()  # type: ignore[attr-defined]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("mode", ["rw", "a", "ab", "r+", "x", "", "RB", "wt+"])
def test_open_with_a_bad_mode_is_config_invalid(op: Operator, mode: str) -> None:
    with pytest.raises(ConfigInvalid) as info:
        op.open("keep.txt", mode)
    assert info.value.operation == "open"
    assert repr(mode) in str(info.value)


@pytest.mark.parametrize("scheme", [123, None, b"memory", ["memory"]], ids=repr)
def test_operator_scheme_must_be_a_str(scheme: Any) -> None:
    with pytest.raises(TypeError, match="scheme must be str"):
        Operator(scheme)


def test_from_service_needs_an_access() -> None:
    with pytest.raises(TypeError, match="Access"):
        Operator.from_service(123)  # type: ignore[arg-type]


# Text ("none", {"stat_dir": False}) is config now: tests/core/test_simulate_builders.py.
@pytest.mark.parametrize("simulate", [b"none", 1, SimulateLayer], ids=repr)
def test_simulate_must_be_a_layer_instance(simulate: Any) -> None:
    with pytest.raises(TypeError):
        Operator("memory", name=f"bad-input-{uuid.uuid4().hex}", simulate=simulate)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "name", ["presign_read", "presign_stat", "presign_write", "presign_delete"]
)
def test_presign_where_unsupported(op: Operator, name: str) -> None:
    with pytest.raises(Unsupported) as info:
        getattr(op, name)("keep.txt", 60)
    assert info.value.operation == name
    assert info.value.service == op.scheme


def test_fs_root_that_is_a_file_is_config_invalid(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_bytes(b"not a dir")
    for root in (file, file / "below"):
        with pytest.raises(ConfigInvalid) as info:
            Operator("fs", root=str(root))
        assert info.value.service == "fs"
        assert str(root) in str(info.value)
    assert file.read_bytes() == b"not a dir"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_failed_write_on_fs_leaves_no_temporary_file(tmp_path: Path) -> None:
    op = Operator("fs", root=str(tmp_path))
    with pytest.raises(ConfigInvalid):
        op.open("new", "wb", buffer_size=-1)
    with pytest.raises(TypeError):
        op.write("new", "text")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
