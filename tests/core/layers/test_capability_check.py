"""CapabilityCheckLayer (opt-in): refuse the decorating arguments a service would drop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opendal_lab import Access, CapabilityCheckLayer, Operator, Unsupported
from opendal_lab.core.options import (
    DEFAULT_READ,
    DEFAULT_STAT,
    DEFAULT_WRITE,
    ReadOptions,
    StatOptions,
    WriteOptions,
)
from tests.layers.fake import BASIC, FakeService

VALUES: dict[str, Any] = {
    "content_type": "text/plain",
    "content_disposition": "attachment",
    "content_encoding": "gzip",
    "cache_control": "no-cache",
    "user_metadata": {"owner": "me"},
    "override_content_type": "text/plain",
    "override_cache_control": "no-cache",
    "override_content_disposition": "inline",
}

Call = Callable[[Access, dict[str, Any]], Any]


def _write(a: Access, o: dict[str, Any]) -> Any:
    return a.write("p", b"x", WriteOptions.build(o))


def _writer(a: Access, o: dict[str, Any]) -> Any:
    return a.writer("p", WriteOptions.build(o))


def _stat(a: Access, o: dict[str, Any]) -> Any:
    return a.stat("p", StatOptions.build(o))


def _read(a: Access, o: dict[str, Any]) -> Any:
    return a.read("p", ReadOptions.build(o))


TABLE: list[tuple[str, str, str, Call]] = [
    *(
        ("write", arg, f"write_with_{arg}", call)
        for call in (_write, _writer)
        for arg in (
            "content_type",
            "content_disposition",
            "content_encoding",
            "cache_control",
            "user_metadata",
        )
    ),
    *(
        (op, f"override_{arg}", f"{op}_with_override_{arg}", call)
        for op, call in (("stat", _stat), ("read", _read))
        for arg in ("content_type", "cache_control", "content_disposition")
    ),
]
IDS = [f"{call.__name__[1:]}-{arg}" for _, arg, _, call in TABLE]


def wrapped(**changes: bool) -> tuple[FakeService, Access]:
    fake = FakeService(native_cap=BASIC.replace(**changes))
    fake.data["p"] = b"0123"
    return fake, CapabilityCheckLayer().wrap(fake)


@pytest.mark.parametrize(("operation", "argument", "field", "call"), TABLE, ids=IDS)
def test_argument_without_capability_is_unsupported(
    operation: str, argument: str, field: str, call: Call
) -> None:
    fake, access = wrapped()
    with pytest.raises(Unsupported) as info:
        call(access, {argument: VALUES[argument]})
    err = info.value
    assert (err.operation, err.service, err.path) == (operation, "fake", "p")
    assert err.context["argument"] == argument
    assert "'fake'" in str(err)
    assert argument in str(err)
    assert field in str(err)
    assert fake.calls == []


@pytest.mark.parametrize(("operation", "argument", "field", "call"), TABLE, ids=IDS)
def test_argument_with_capability_passes_through(
    operation: str, argument: str, field: str, call: Call
) -> None:
    fake, access = wrapped(**{field: True})
    call(access, {argument: VALUES[argument]})
    assert getattr(fake.calls[0].options, argument) == VALUES[argument]


def test_default_options_cost_no_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import opendal_lab.core.layers.capability_check as module

    checked: list[str] = []
    monkeypatch.setattr(module, "check_arguments", lambda info, op, *a, **k: checked.append(op))
    _, access = wrapped()
    access.stat("p", DEFAULT_STAT)
    access.read("p", DEFAULT_READ)
    access.write("w", b"x", DEFAULT_WRITE)
    access.writer("w", DEFAULT_WRITE)
    assert checked == []
    access.write("w", b"x", WriteOptions(append=True))
    assert checked == ["write"]


def test_without_the_layer_the_argument_is_silently_dropped() -> None:
    fake = FakeService()
    op = Operator.from_service(fake)
    op.write("p", b"x", content_type="text/plain")  # accepted: the fake ignores it
    assert fake.data["p"] == b"x"
    checked = op.layer(CapabilityCheckLayer())
    with pytest.raises(Unsupported, match="content_type"):
        checked.write("q", b"x", content_type="text/plain")
    assert "q" not in fake.data


def test_operator_with_the_layer_lets_native_arguments_through() -> None:
    op = Operator("memory", name="capability-check-native").layer(CapabilityCheckLayer())
    meta = op.write("p", b"x", content_type="text/plain", user_metadata={"k": "v"})
    assert meta.content_type == "text/plain"
    assert op.stat("p").user_metadata == {"k": "v"}
    with op.open("s", "wb", cache_control="no-cache") as f:
        f.write(b"y")
    assert op.stat("s").cache_control == "no-cache"


def test_table_covers_every_rule_of_the_layer() -> None:
    import opendal_lab.core.layers.capability_check as module

    rules = {
        (op, arg, field)
        for op, table in (("write", module._WRITE), ("stat", module._STAT), ("read", module._READ))
        for arg, field in table
    }
    assert {(op, arg, field) for op, arg, field, _ in TABLE} == rules
