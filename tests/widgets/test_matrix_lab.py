"""CapabilityMatrix and SimulationLab state changes, driven from Python without a kernel."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from opendal_lab import Capability, Operator
from opendal_lab.core.capability import describe
from opendal_lab.core.layers.simulate import SWITCH_FIELDS, SWITCH_INFO, needed_switches
from opendal_lab.layers import SWITCHES, CapabilityOverrideLayer
from opendal_lab.widgets import CapabilityMatrix, SimulationLab
from opendal_lab.widgets.assets import STATIC
from opendal_lab.widgets.matrix import matrix_data
from opendal_lab.widgets.tables import build_matrix
from tests.widgets.dom import cell, select

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _module(name: str) -> str:
    """What the page loads for ``name``: the shared DOM helper, then the widget's module."""
    dom = (STATIC / "dom.js").read_text(encoding="utf-8")
    return dom + "\n" + (STATIC / name).read_text(encoding="utf-8")


def bundle(widget: Any) -> dict[str, Any]:
    """The mime data a frontend gets (anywidget returns data and metadata)."""
    shown = widget._repr_mimebundle_()
    return dict(shown[0] if isinstance(shown, tuple) else shown)


def sent(matrix: CapabilityMatrix, service: str, field: str) -> dict[str, Any]:
    """One cell of the JSON the page draws."""
    data = matrix.data
    row = next(r for r in data["rows"] if r["field"] == field)
    return dict(row["cells"][data["services"].index(service)])


def test_matrix_is_an_anywidget_with_its_files(memory: Operator, fs: Operator) -> None:
    m = CapabilityMatrix({"memory": memory, "fs": fs})
    assert {"opendal-widget", "opendal-capability-matrix"} <= set(m._dom_classes)
    assert m._esm == _module("matrix.js")
    assert "--odl-native-bg" in m._css  # the shared vocabulary comes first
    assert ".odl-scroll" in m._css
    shown = bundle(m)
    assert WIDGET_VIEW in shown  # the live view still renders
    assert shown["text/plain"].startswith("capability")
    assert shown["text/plain"] == bundle(m)["text/plain"]
    assert cell(shown["text/html"], "fs", "list_with_recursive").attrs["data-state"] == (
        "simulated"
    )
    fields, groups = len(Capability.field_names()), len(m.matrix.groups)
    assert repr(m) == f"<CapabilityMatrix memory, fs: {fields} fields in {groups} groups>"


def test_data_is_the_matrix_rows(memory: Operator, fs: Operator) -> None:
    operators = {"memory": memory, "ro": fs.layer(CapabilityOverrideLayer("write=false"))}
    m = CapabilityMatrix(operators)
    data = m.data
    assert data == matrix_data(build_matrix(operators))
    assert data["services"] == ["memory", "ro"]
    assert [r["field"] for r in data["rows"]] == list(Capability.field_names())
    assert [s["word"] for s in data["legend"]] == [
        "native",
        "simulated",
        "overridden",
        "removed",
        "unsupported",
    ]
    for row in data["rows"]:
        assert row["description"] == describe(row["field"])
    assert sent(m, "ro", "write") | {"tooltip": ""} == {
        "state": "overridden",
        "word": "removed",
        "text": "",
        "value": None,
        "tooltip": "",
    }
    assert "CapabilityOverrideLayer" in sent(m, "ro", "write")["tooltip"]
    assert sent(m, "ro", "list_with_recursive")["state"] == "simulated"
    assert data["changed"] == []


def test_filters_are_traitlets(memory: Operator, fs: Operator) -> None:
    m = CapabilityMatrix({"memory": memory, "fs": fs})
    full = m._fallback_html()
    m.group = "list"
    assert {r.group for r in m.visible.rows} == {"list"}
    assert {r.attrs["data-group"] for r in select(m._fallback_html(), "tr", "opendal-group")} == {
        "list"
    }
    assert "[list]" in bundle(m)["text/plain"]
    m.only_differences = True
    assert {r.field for r in m.visible.rows} == {
        "list_with_limit",
        "list_with_start_after",
        "list_with_recursive",
    }
    m.search = "after"
    assert [r.field for r in m.visible.rows] == ["list_with_start_after"]
    m.group, m.only_differences, m.search = "all", False, ""
    assert m._fallback_html() == full
    with pytest.raises(ValueError, match="unknown group 'nope'"):
        m.group = "nope"
    m.sort_by = "fs"
    with pytest.raises(ValueError, match="unknown column 'gcs'"):
        m.sort_by = "gcs"


def test_update_marks_what_changed(memory: Operator) -> None:
    m = CapabilityMatrix(memory)
    assert sent(m, "memory", "write")["state"] == "native"
    changes = m.update(memory.layer(CapabilityOverrideLayer("write=false")))
    assert [(c.service, c.field) for c in changes] == [("memory", "write")]
    assert m.data["changed"] == [["memory", "write"]]
    assert sent(m, "memory", "write")["word"] == "removed"
    assert m.change_lines() == ["memory · write: native → removed"]
    m.update(memory.layer(CapabilityOverrideLayer("write=false")))
    assert m.data["changed"] == []


def test_explain_and_exports(memory: Operator, fs: Operator) -> None:
    m = CapabilityMatrix({"memory": memory, "fs": fs})
    why = m.explain("fs", "list_with_recursive")
    assert "SimulateLayer" in why
    assert "list_recursive" in why
    m.group = "list"
    rows = list(csv.reader(io.StringIO(m.to_csv())))
    assert rows[0] == ["capability", "group", "memory", "fs"]
    assert ["list_with_recursive", "list", "native", "simulated"] in rows
    assert len(rows) == 1 + len(m.visible.rows)
    md = m.to_markdown()
    assert md.splitlines()[0] == "| capability | `memory` | `fs` |"
    assert "| `list_with_recursive` | ✓ native | ≈ simulated |" in md


def test_messages_answer_the_page(memory: Operator, fs: Operator) -> None:
    m = CapabilityMatrix({"memory": memory, "fs": fs})
    replies: list[dict[str, Any]] = []
    m.send = replies.append  # type: ignore[method-assign]
    m._on_message(m, {"type": "explain", "service": "fs", "field": "create_dir"}, [])
    m._on_message(m, {"type": "explain", "service": "nope", "field": "create_dir"}, [])
    m._on_message(m, {"type": "export", "format": "csv"}, [])
    m._on_message(m, {"type": "export", "format": "markdown"}, [])
    explain, missing, as_csv, as_md = replies
    assert explain["lines"][0] == "fs · create_dir: native"
    assert "no such cell" in missing["lines"][0]
    assert (as_csv["filename"], as_csv["text"]) == ("capability-matrix.csv", m.to_csv())
    assert (as_md["filename"], as_md["text"]) == ("capability-matrix.md", m.to_markdown())


def test_lab_has_a_switch_each_starting_off(memory: Operator) -> None:
    lab = SimulationLab(memory)
    assert {"opendal-widget", "opendal-simulation-lab"} <= set(lab._dom_classes)
    assert list(lab.switches) == list(SWITCHES)
    for name, switch in lab.switches.items():
        info = SWITCH_INFO[name]
        assert (switch.label, switch.description, switch.cost) == (
            info.label,
            info.description,
            info.cost,
        )
        assert switch.value is False
    assert [s["name"] for s in lab.panel.switches] == list(SWITCHES)
    assert all(s["label"] and s["description"] and s["cost"] for s in lab.panel.switches)
    assert sent(lab.matrix, "memory", "read_with_suffix")["state"] == "unsupported"
    assert lab.operator.simulate is not None
    assert not any(lab.operator.simulate.switches.values())  # type: ignore[attr-defined]
    assert lab.panel._esm == _module("simulation.js")


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
        lab.switches[switch].value = True
        assert lab.panel.values[switch] is True
        assert lab.operator.simulate.switches[switch] is True  # type: ignore[union-attr]
        assert lab.panel.summary["title"] == f"simulate {switch}: on"
        if field is not None:
            assert sent(lab.matrix, name, field)["state"] == "simulated"
            assert getattr(lab.operator.capability(), field) is True
            assert [name, field] in lab.matrix.data["changed"]
            assert f"{name} · {field}: unsupported → simulated" in lab.summary_lines
        demo = "\n".join(lab.panel.demo)
        assert lab.panel.demo[0] == f"simulate {switch}: on"
        assert "Unsupported" not in demo
        assert "↳ " in demo  # the storage calls the demonstration made
        assert f"{switch}=" in " ".join(lab.counter_lines())
        lab.switches[switch].value = False
        if field is not None:
            assert sent(lab.matrix, name, field)["state"] == "unsupported"
            assert f"{name} · {field}: simulated → unsupported" in lab.summary_lines
        assert lab.panel.demo[0] == f"simulate {switch}: off"
    # The counters add up across the toggles, until reset.
    assert lab.counter_lines() != ["no simulation ran"]
    lab.reset_counters()
    assert lab.counter_lines() == ["no simulation ran"]
    assert lab.panel.counters == ["no simulation ran"]


def test_counters_accumulate_across_toggles(fs: Operator) -> None:
    lab = SimulationLab(fs)
    lab.switches["list_recursive"].value = True
    assert lab.counts()["fs"]["list_recursive"] == 1
    lab.switches["read_with_suffix"].value = True  # a rebuild: a new layer counts from zero
    lab.switches["read_with_suffix"].value = False
    assert lab.counts()["fs"]["list_recursive"] == 1
    lab.operator.list("simulation-lab/", recursive=True)
    assert lab.counts()["fs"]["list_recursive"] == 2
    lab.panel._handle_custom_msg({"type": "reset"}, [])  # the reset button
    assert lab.counts()["fs"]["list_recursive"] == 0
    lab.operator.list("simulation-lab/", recursive=True)
    assert lab.counter_lines() == ["fs: list_recursive=1"]


def test_demo_shows_the_storage_calls(memory: Operator) -> None:
    lab = SimulationLab(memory)
    lab.switches["create_dir"].value = True
    assert "memory: create_dir('simulation-lab/made/') → created" in lab.panel.demo[1]
    assert lab.panel.demo[2].strip() == "↳ write('simulation-lab/made/', 0 B)"
    assert lab.summary_lines == ["memory · create_dir: unsupported → simulated"]


def test_unchecked_switch_demo_shows_unsupported(fs: Operator) -> None:
    lab = SimulationLab(fs, switches={"list_recursive": True})
    assert lab.switches["list_recursive"].value is True
    lab.switches["list_recursive"].value = False
    demo = "\n".join(lab.panel.demo)
    assert "Unsupported" in demo
    assert "list_with_recursive" in demo
    assert "storage calls: none" in demo


def test_switch_that_a_service_does_natively_stays_native(memory: Operator) -> None:
    lab = SimulationLab(memory)
    lab.switches["list_recursive"].value = True
    assert sent(lab.matrix, "memory", "list_with_recursive")["state"] == "native"
    assert lab.counter_lines() == ["no simulation ran"]  # native: nothing simulated
    assert lab.summary_lines == [
        "no cell changed: the services do it natively or lack what the switch builds on"
    ]


def test_lab_over_several_operators_keeps_their_layers(memory: Operator, fs: Operator) -> None:
    ro = memory.layer(CapabilityOverrideLayer("delete=false"))
    lab = SimulationLab({"ro": ro, "fs": fs})
    lab.switches["list_recursive"].value = True
    assert sent(lab.matrix, "fs", "list_with_recursive")["state"] == "simulated"
    assert sent(lab.matrix, "ro", "delete")["word"] == "removed"
    assert sum(line.startswith(("ro: list(", "fs: list(")) for line in lab.panel.demo) == 2
    assert repr(lab) == "<SimulationLab ro, fs: switches on: list_recursive>"
    shown = bundle(lab)
    assert shown["text/plain"].startswith("switches: list_recursive=on, list_start_after=off")
    assert "opendal-simulation-lab" in shown["text/html"]
    assert "Recursive list" in shown["text/html"]


def test_lab_without_demo_leaves_storage_alone(memory: Operator) -> None:
    lab = SimulationLab(memory, demo=False)
    lab.switches["create_dir"].value = True
    assert lab.panel.demo == ["simulate create_dir: on", "demonstration calls are off"]
    assert [e.path for e in memory.list("/")] in ([], ["/"])


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
