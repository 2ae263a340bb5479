"""CapabilityMatrix and SimulationLab state changes, driven from Python without a kernel."""

from __future__ import annotations

import pytest

from opendal_lab import Capability, Operator
from opendal_lab.layers import SWITCHES, CapabilityOverrideLayer
from opendal_lab.layers.simulate import SWITCH_FIELDS, needed_switches
from opendal_lab.widgets import CapabilityMatrix, SimulationLab
from tests.widgets.dom import cell, select

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_matrix_root_class_and_bundle(memory: Operator, fs: Operator) -> None:
    m = CapabilityMatrix({"memory": memory, "fs": fs})
    assert "opendal-capability-matrix" in m._dom_classes
    bundle = m._repr_mimebundle_()
    assert WIDGET_VIEW in bundle  # the live view still renders
    assert bundle["text/plain"].startswith("capability")
    assert bundle["text/plain"] == m._repr_mimebundle_()["text/plain"]
    assert cell(bundle["text/html"], "fs", "list_with_recursive").attrs["data-state"] == (
        "simulated"
    )
    fields, groups = len(Capability.field_names()), len(m.matrix.groups)
    assert repr(m) == f"<CapabilityMatrix memory, fs: {fields} fields in {groups} groups>"


def test_matrix_filters_redraw(memory: Operator, fs: Operator) -> None:
    m = CapabilityMatrix({"memory": memory, "fs": fs})
    assert m.group.description == "group"
    assert m.only_differences.description == "only differences"
    full = m.table.value
    m.group.value = "list"
    assert {r.attrs["data-group"] for r in select(m.table.value, "tr", "opendal-group")} == {"list"}
    assert "[list]" in m._repr_mimebundle_()["text/plain"]
    m.only_differences.value = True
    caps = {td.attrs["data-cap"] for td in select(m.table.value, "td")}
    assert caps == {"list_with_limit", "list_with_start_after", "list_with_recursive"}
    m.group.value = "all"
    m.only_differences.value = False
    assert m.table.value == full


def test_matrix_update(memory: Operator) -> None:
    m = CapabilityMatrix(memory)
    assert cell(m.table.value, "memory", "write").attrs["data-state"] == "native"
    m.update(memory.layer(CapabilityOverrideLayer("write=false")))
    assert cell(m.table.value, "memory", "write").attrs["data-state"] == "overridden"


def test_lab_has_a_box_per_switch_starting_off(memory: Operator) -> None:
    lab = SimulationLab(memory)
    assert "opendal-simulation-lab" in lab._dom_classes
    assert [box.description for box in lab.switches.values()] == [f"simulate {s}" for s in SWITCHES]
    assert not any(box.value for box in lab.switches.values())
    html = lab.matrix.table.value
    assert cell(html, "memory", "read_with_suffix").attrs["data-state"] == "unsupported"
    assert lab.operator.simulate is not None
    assert not any(lab.operator.simulate.switches.values())  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["memory", "fs"])
def test_each_needed_switch_turns_its_field_simulated_and_back(
    name: str, request: pytest.FixtureRequest
) -> None:
    op: Operator = request.getfixturevalue(name)
    lab = SimulationLab(op)
    needed = [s for s, on in needed_switches(op.native_capability()).items() if on]
    assert needed, "each of these services needs some simulation"
    for switch in needed:
        field = SWITCH_FIELDS.get(switch)
        box = lab.switches[switch]
        box.value = True
        assert lab.operator.simulate.switches[switch] is True  # type: ignore[union-attr]
        if field is not None:
            assert cell(lab.matrix.table.value, name, field).attrs["data-state"] == "simulated"
            assert getattr(lab.operator.capability(), field) is True
        demo = lab.demo.value
        assert select(demo, "div", "opendal-demo")
        assert f"simulate {switch}: on" in demo
        assert "Unsupported" not in demo
        assert f"{switch}=1" in lab.counters.value  # the simulation ran once, for the demo
        box.value = False
        if field is not None:
            assert cell(lab.matrix.table.value, name, field).attrs["data-state"] == "unsupported"
        assert f"simulate {switch}: off" in lab.demo.value
        assert "no simulation ran" in lab.counters.value


def test_unchecked_switch_demo_shows_unsupported(fs: Operator) -> None:
    lab = SimulationLab(fs, switches={"list_recursive": True})
    assert lab.switches["list_recursive"].value is True
    lab.switches["list_recursive"].value = False
    assert "Unsupported" in lab.demo.value
    assert "list_with_recursive" in lab.demo.value


def test_switch_that_a_service_does_natively_stays_native(memory: Operator) -> None:
    lab = SimulationLab(memory)
    lab.switches["list_recursive"].value = True
    assert cell(lab.matrix.table.value, "memory", "list_with_recursive").attrs["data-state"] == (
        "native"
    )
    assert "memory:" not in lab.counters.value  # native: nothing simulated


def test_lab_over_several_operators_keeps_their_layers(memory: Operator, fs: Operator) -> None:
    ro = memory.layer(CapabilityOverrideLayer("delete=false"))
    lab = SimulationLab({"ro": ro, "fs": fs})
    lab.switches["list_recursive"].value = True
    html = lab.matrix.table.value
    assert cell(html, "fs", "list_with_recursive").attrs["data-state"] == "simulated"
    assert cell(html, "ro", "delete").attrs["data-state"] == "overridden"
    assert lab.demo.value.count("list(") == 2  # one demo line per operator
    assert repr(lab) == "<SimulationLab ro, fs: switches on: list_recursive>"
    text = lab._repr_mimebundle_()["text/plain"]
    assert text.startswith("switches: list_recursive=on, list_start_after=off")


def test_lab_without_demo_leaves_storage_alone(memory: Operator) -> None:
    lab = SimulationLab(memory, demo=False)
    lab.switches["create_dir"].value = True
    assert "demonstration calls are off" in lab.demo.value
    assert list(memory.list("/")) == [] or [e.path for e in memory.list("/")] == ["/"]


def test_lab_refuses_unknown_switch(memory: Operator) -> None:
    with pytest.raises(KeyError, match="unknown simulate switches"):
        SimulationLab(memory, switches={"teleport": True})


@pytest.mark.parametrize(
    ("operators", "error", "message"),
    [
        (42, TypeError, "operators must be an Operator, a list of them or a mapping"),
        ("memory", TypeError, "got str"),
        ({"a": "memory"}, TypeError, "operator 'a' must be an Operator, got str"),
        ({}, ValueError, "at least one operator is needed"),
    ],
)
def test_matrix_refuses_what_is_not_operators(
    operators: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        CapabilityMatrix(operators)  # type: ignore[arg-type]


def test_matrix_refuses_unknown_group(memory: Operator) -> None:
    with pytest.raises(ValueError, match="unknown group 'nope'; one of all, stat, read"):
        CapabilityMatrix(memory, group="nope")
