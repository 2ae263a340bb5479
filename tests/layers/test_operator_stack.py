"""Operator introspection: the stack, both capabilities, and who changed which field."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from opendal_lab import (
    BaseLayer,
    Capability,
    CapabilityChange,
    ErrorContextLayer,
    LayeredAccess,
    Operator,
    SimulateLayer,
    Unsupported,
)
from opendal_lab.core.options import ReadOptions

from .fake import BASIC, FakeService

DEFAULT_NAMES = [
    "fake",
    "ErrorContextLayer",
    "SimulateLayer",
    "CompleteLayer",
    "CorrectnessCheckLayer",
]


class TurnOff(BaseLayer):
    """A test layer that removes one capability field (and refuses nothing itself)."""

    def __init__(self, field: str) -> None:
        self.field = field

    @property
    def name(self) -> str:
        return f"TurnOff({self.field})"

    def capability(self, inner: Capability) -> Capability:
        return inner.replace(**{self.field: False})


class TurnOn(BaseLayer):
    """A test layer that claims one field (as CapabilityOverride would)."""

    def __init__(self, field: str, value: bool | int = True) -> None:
        self.field = field
        self.value = value

    @property
    def name(self) -> str:
        return f"TurnOn({self.field})"

    def capability(self, inner: Capability) -> Capability:
        return inner.replace(**{self.field: self.value})


class _Shout(LayeredAccess):
    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self.inner.read(path, opts).upper()


class ShoutLayer(BaseLayer):
    access_class = _Shout


def make(**data: bytes) -> tuple[FakeService, Operator]:
    fake = FakeService()
    fake.data.update(data)
    return fake, Operator.from_service(fake)


def test_stack_lists_service_then_layers_innermost_first() -> None:
    _, op = make()
    assert [level.name for level in op.stack] == DEFAULT_NAMES
    assert op.stack[0].layer is None
    assert isinstance(op.stack[1].layer, ErrorContextLayer)
    assert op.stack[2].layer is op.simulate
    assert op.stack[-1].capability == op.capability()
    assert op.stack[0].capability == op.native_capability() == BASIC


def test_native_and_effective_capability() -> None:
    _, op = make()
    native, effective = op.native_capability(), op.capability()
    assert native == BASIC
    assert effective.diff(native) == {
        "list_with_recursive": (True, False),
        "list_with_start_after": (True, False),
        "list_with_limit": (True, False),
        "create_dir": (True, False),
        "delete_with_recursive": (True, False),
        "read_with_suffix": (True, False),
    }
    assert op.info().capability == effective
    assert op.info().native_capability == native


def test_capability_changes_record_layer_and_how() -> None:
    _, op = make()
    changes = op.capability_changes()
    assert {c.field for c in changes} == set(op.capability().diff(op.native_capability()))
    for change in changes:
        assert isinstance(change, CapabilityChange)
        assert (change.layer, change.before, change.after, change.how) == (
            "SimulateLayer",
            False,
            True,
            "simulated",
        )


def test_report_states_native_simulated_unsupported() -> None:
    _, op = make()
    report = op.capability_report()
    assert list(report) == list(Capability.field_names())
    assert (report["read"].state, report["read"].layer) == ("native", None)
    assert (report["create_dir"].state, report["create_dir"].layer) == (
        "simulated",
        "SimulateLayer",
    )
    assert (report["presign_read"].state, report["presign_read"].layer) == ("unsupported", None)
    assert report["create_dir"].group == "create_dir"
    assert report["list_with_limit"].group == "list"
    assert (report["create_dir"].native, report["create_dir"].effective) == (False, True)


def test_report_unknown_field_names_the_closest_and_how_to_see_all() -> None:
    _, op = make()
    report = op.capability_report()
    with pytest.raises(KeyError) as info:
        report["list_with_recusive"]
    text = str(info.value)
    assert "no capability field 'list_with_recusive'" in text
    assert "did you mean 'list_with_recursive'" in text
    assert "list(report) or Capability.field_names() shows all" in text
    with pytest.raises(KeyError, match=r"no capability field .nosuch.; list\(report\)"):
        report["nosuch"]
    # Otherwise a plain dict: get/in/equality/copies behave as ever.
    assert isinstance(report, dict)
    assert report.get("nosuch") is None
    assert "nosuch" not in report
    assert dict(report) == report
    assert report == op.capability_report()


def test_report_removed_by_a_layer_that_turns_a_native_field_off() -> None:
    _, base = make()
    op = base.layer(TurnOff("copy"))
    state = op.capability_report()["copy"]
    assert (state.state, state.layer, state.native, state.effective) == (
        "removed",
        "TurnOff(copy)",
        True,
        False,
    )
    assert op.capability().copy is False
    # The check layer sits below user layers: TurnOff only edits the report, not the calls.
    assert [level.name for level in op.stack][-1] == "TurnOff(copy)"


def test_report_overridden_by_a_layer_that_turns_a_field_on() -> None:
    _, base = make()
    op = base.layer(TurnOn("presign_read"))
    state = op.capability_report()["presign_read"]
    assert (state.state, state.layer, state.native, state.effective) == (
        "overridden",
        "TurnOn(presign_read)",
        False,
        True,
    )


def test_report_overridden_when_a_limit_changes() -> None:
    fake = FakeService(native_cap=BASIC.replace(delete_max_size=100))
    op = Operator.from_service(fake).layer(TurnOn("delete_max_size", 10))
    state = op.capability_report()["delete_max_size"]
    assert (state.state, state.native, state.effective) == ("overridden", 100, 10)


def test_report_keeps_the_history_of_a_simulated_then_removed_field() -> None:
    _, base = make()
    op = base.layer(TurnOff("create_dir"))
    state = op.capability_report()["create_dir"]
    assert state.state == "removed"
    assert [(c.layer, c.how) for c in state.changes] == [
        ("SimulateLayer", "simulated"),
        ("TurnOff(create_dir)", "removed"),
    ]


def test_with_simulate_swaps_or_drops_the_simulate_layer() -> None:
    fake, op = make(f=b"abc")
    no_sim = op.with_simulate(None)
    assert "SimulateLayer" not in [level.name for level in no_sim.stack]
    assert no_sim.simulate is None
    assert no_sim.capability() == no_sim.native_capability()
    with pytest.raises(Unsupported):
        no_sim.read("f", suffix=1)
    custom = op.with_simulate(SimulateLayer(read_with_suffix=False, warn_unneeded=False))
    assert custom.capability().read_with_suffix is False
    assert custom.capability().create_dir is True
    # The original is unchanged and all of them share the one service.
    assert op.capability().read_with_suffix is True
    assert op.read("f", suffix=1) == b"c"
    assert no_sim.read("f") == b"abc"
    assert fake.calls_of("read")


def test_with_simulate_keeps_user_layers() -> None:
    _, op = make(f=b"abc")
    shouting = op.layer(ShoutLayer()).with_simulate(None)
    assert [level.name for level in shouting.stack][-1] == "ShoutLayer"
    assert shouting.read("f") == b"ABC"


def test_layer_returns_a_new_operator_with_the_layer_outermost() -> None:
    _, op = make(f=b"abc")
    louder = op.layer(ShoutLayer())
    assert louder is not op
    assert [level.name for level in louder.stack] == [*DEFAULT_NAMES, "ShoutLayer"]
    assert [level.name for level in op.stack] == DEFAULT_NAMES
    assert louder.read("f") == b"ABC"
    assert louder.read("f") == b"ABC"  # again, now through the operator's fast path
    assert op.read("f") == b"abc"
    twice = louder.layer(TurnOn("presign_read"))
    assert [level.name for level in twice.stack][-2:] == ["ShoutLayer", "TurnOn(presign_read)"]


def test_layer_rejects_objects_that_are_not_layers() -> None:
    _, op = make()
    with pytest.raises(TypeError, match="not a layer"):
        op.layer(object())  # type: ignore[arg-type]


def test_repr_names_the_stack() -> None:
    _, op = make()
    assert " → ".join(DEFAULT_NAMES) in repr(op)


def test_open_for_reading_keeps_every_read_option_on_each_ranged_read() -> None:
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    native = BASIC.replace(
        stat_with_if_modified_since=True,
        read_with_if_modified_since=True,
        read_with_version=True,
        stat_with_version=True,
    )
    fake = FakeService(native_cap=native)
    fake.data["p"] = b"0123456789"
    op = Operator.from_service(fake)
    with op.open("p", "rb", buffer_size=4, if_modified_since=when, version="v1") as f:
        assert f.read(4) == b"0123"
        f.seek(8)
        assert f.read() == b"89"
    reads = fake.calls_of("read")
    assert len(reads) >= 2
    for call in reads:
        assert call.options.if_modified_since == when
        assert call.options.version == "v1"
    assert [(c.options.offset, c.options.size) for c in reads][-1] == (8, 2)
