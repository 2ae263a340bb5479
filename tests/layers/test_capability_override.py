"""CapabilityOverrideLayer: declared fields are reported; fields turned off are refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from opendal_lab import ConfigInvalid, Operator, Unsupported
from opendal_lab.core.registry import build_layer
from opendal_lab.layers.capability_override import CapabilityOverrideLayer, parse_overrides


def memory() -> Operator:
    op = Operator("memory", name=f"override-{uuid.uuid4().hex}")
    op.write("d/a.txt", b"hello")
    return op


def test_parse_string_and_keywords() -> None:
    assert parse_overrides("read=false, list_with_limit=TRUE,delete_max_size=100") == {
        "read": False,
        "list_with_limit": True,
        "delete_max_size": 100,
    }
    assert parse_overrides({"write_multi_min_size": "none", "stat": "0"}) == {
        "write_multi_min_size": None,
        "stat": False,
    }
    assert parse_overrides("") == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("raed=false", "unknown capability field 'raed'; did you mean read"),
        ("read", "has no '='"),
        ("read=maybe", "capability read takes true or false, got 'maybe'"),
        ("delete_max_size=many", "delete_max_size takes an integer or none"),
        ("delete_max_size=-1", "must not be negative"),
    ],
)
def test_bad_overrides_name_the_field(spec: str, message: str) -> None:
    with pytest.raises(ConfigInvalid, match=message):
        CapabilityOverrideLayer(spec)


def test_bad_types() -> None:
    with pytest.raises(TypeError, match="must be a str or a mapping"):
        CapabilityOverrideLayer(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigInvalid, match="takes an integer"):
        CapabilityOverrideLayer(delete_max_size=True)


def test_introspection_reports_overridden_fields() -> None:
    op = memory().layer(CapabilityOverrideLayer("read=false,list_with_versions=true"))
    cap = op.capability()
    assert cap.read is False
    assert cap.list_with_versions is True
    report = op.capability_report()
    assert report["read"].state == "removed"
    assert report["read"].layer == "CapabilityOverrideLayer"
    assert report["list_with_versions"].state == "overridden"
    assert report["write"].state == "native"


def test_field_turned_off_is_enforced() -> None:
    op = memory().layer(CapabilityOverrideLayer("read=false,delete=false"))
    with pytest.raises(Unsupported, match=r"read is turned off by CapabilityOverrideLayer") as info:
        op.read("d/a.txt")
    assert info.value.operation == "read"
    assert info.value.path == "d/a.txt"
    with pytest.raises(Unsupported, match="delete"):
        op.delete("d/a.txt")
    with pytest.raises(Unsupported):
        op.delete_many(["d/a.txt"])
    assert op.stat("d/a.txt").content_length == 5  # untouched operations still work
    op.write("d/b.txt", b"x")
    assert op.exists("d/a.txt")  # nothing was deleted


def test_open_and_fast_path_are_enforced_too() -> None:
    op = memory()
    assert op.read("d/a.txt") == b"hello"  # the plain-read fast path has seen this path
    off = op.layer(CapabilityOverrideLayer(read=False))
    with pytest.raises(Unsupported):
        off.read("d/a.txt")
    with pytest.raises(Unsupported), off.open("d/a.txt", "rb") as f:
        f.read()


@pytest.mark.parametrize(
    ("spec", "call"),
    [
        ("list_with_recursive=false", lambda op: list(op.list("d/", recursive=True))),
        ("write_can_append=false", lambda op: op.write("d/a.txt", b"x", append=True)),
        ("write_with_if_not_exists=false", lambda op: op.write("n", b"x", if_not_exists=True)),
        ("delete_with_recursive=false", lambda op: op.delete("d/", recursive=True)),
        ("create_dir=false", lambda op: op.create_dir("e/")),
        ("write=false", lambda op: op.writer("w").close()),
    ],
)
def test_arguments_turned_off_are_enforced(spec: str, call: Any) -> None:
    op = memory()
    call(op)  # works without the override
    op = memory().layer(CapabilityOverrideLayer(spec))
    field = spec.partition("=")[0]
    with pytest.raises(Unsupported, match=f"{field}=false"):
        call(op)


def test_plain_list_still_works_when_only_recursive_is_off() -> None:
    op = memory().layer(CapabilityOverrideLayer("list_with_recursive=false"))
    assert [e.path for e in op.list("d/")] == ["d/", "d/a.txt"]


def test_claims_only_forward_everything() -> None:
    op = memory().layer(CapabilityOverrideLayer(list_with_versions=True))
    assert op.capability().list_with_versions
    # The claim is not true of memory: the stack below still refuses it.
    with pytest.raises(Unsupported):
        list(op.list("d/", versions=True))


def test_built_by_name_from_the_registry() -> None:
    layer = build_layer("capability_override", spec="read=false")
    assert isinstance(layer, CapabilityOverrideLayer)
    assert layer.off == {"read"}
    assert repr(layer) == "CapabilityOverrideLayer('read=false')"
