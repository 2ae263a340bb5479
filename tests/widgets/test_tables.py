"""The pure rows: matrix cells agree with capability_report, filters, limits, explanations."""

from __future__ import annotations

import pytest

from opendal_lab import GROUPS, Capability, Operator
from opendal_lab.core.capability import describe
from opendal_lab.core.layers.simulate import SWITCH_INFO
from opendal_lab.layers import CapabilityOverrideLayer, SimulateLayer
from opendal_lab.widgets.tables import (
    build_matrix,
    explain_cell,
    filter_matrix,
    format_limit,
    format_seconds,
    format_size,
    label_operators,
)


@pytest.mark.parametrize("name", ["memory", "fs", "s3"])
def test_every_cell_is_the_report(name: str, request: pytest.FixtureRequest) -> None:
    op: Operator = request.getfixturevalue(name)
    matrix = build_matrix(op)
    report = op.capability_report()
    assert matrix.services == (op.scheme,)
    assert [row.field for row in matrix.rows] == list(Capability.field_names())
    for row in matrix.rows:
        cell, state = row.cells[0], report[row.field]
        assert row.group == state.group
        assert cell.value == state.effective
        assert cell.layer == state.layer
        expected = "overridden" if state.state == "removed" else state.state
        assert cell.state == expected
        assert cell.removed == (state.state == "removed")
        if state.layer is not None:
            assert state.layer in cell.tooltip


def test_states_of_known_fields(memory: Operator, fs: Operator, s3: Operator) -> None:
    m = build_matrix({"memory": memory, "fs": fs, "s3": s3})
    assert m.cell("memory", "list_with_recursive").state == "native"
    assert m.cell("fs", "list_with_recursive").state == "simulated"
    assert m.cell("memory", "read_with_suffix").state == "simulated"
    assert m.cell("fs", "read_with_suffix").state == "native"
    assert m.cell("s3", "presign_read").state == "native"
    assert m.cell("memory", "presign_read").state == "unsupported"
    assert "SimulateLayer" in m.cell("fs", "list_with_recursive").tooltip


def test_switch_off_makes_unsupported(fs: Operator) -> None:
    m = build_matrix(fs.with_simulate(SimulateLayer(list_recursive=False, warn_unneeded=False)))
    assert m.cell("fs", "list_with_recursive").state == "unsupported"
    assert m.cell("fs", "list_with_recursive").text == "—"


def test_removed_is_drawn_overridden_and_says_so(memory: Operator) -> None:
    op = memory.layer(CapabilityOverrideLayer("write=false,list_with_versions=true"))
    m = build_matrix({"ro": op})
    write = m.cell("ro", "write")
    assert (write.state, write.removed, write.text) == ("overridden", True, "✗")
    assert "removed by CapabilityOverrideLayer" in write.tooltip
    versions = m.cell("ro", "list_with_versions")
    assert (versions.state, versions.removed, versions.text) == ("overridden", False, "✓")


def test_limits_show_their_value(s3: Operator, memory: Operator) -> None:
    m = build_matrix({"s3": s3, "mem": memory.layer(CapabilityOverrideLayer(delete_max_size=250))})
    report = s3.capability_report()
    part = m.cell("s3", "write_multi_min_size")
    assert part.value == report["write_multi_min_size"].effective
    assert part.text == format_size(report["write_multi_min_size"].effective)
    assert m.cell("s3", "delete_max_size").text == f"{report['delete_max_size'].effective:,}"
    assert m.cell("mem", "delete_max_size").text == "250"
    assert m.cell("mem", "delete_max_size").state == "overridden"
    assert m.cell("mem", "write_multi_min_size").text == "—"  # no limit


def test_groups_keep_core_order(memory: Operator) -> None:
    m = build_matrix(memory)
    assert m.groups == tuple(GROUPS)
    seen = [row.group for row in m.rows]
    assert seen == sorted(seen, key=list(GROUPS).index)
    for group in ("stat", "read", "write", "list", "delete", "copy", "rename", "create_dir"):
        assert group in m.groups
    assert {"presign", "shared"} <= set(m.groups)


def test_filter_by_group(memory: Operator) -> None:
    m = filter_matrix(build_matrix(memory), "list")
    assert [row.field for row in m.rows] == list(GROUPS["list"])
    assert filter_matrix(build_matrix(memory), "all").rows == build_matrix(memory).rows
    with pytest.raises(ValueError, match="unknown group"):
        filter_matrix(build_matrix(memory), "nope")


def test_only_differences(memory: Operator, fs: Operator) -> None:
    both = build_matrix({"memory": memory, "fs": fs})
    diff = filter_matrix(both, only_differences=True)
    fields = {row.field for row in diff.rows}
    assert {"list_with_recursive", "write_with_content_type"} <= fields  # sim vs native, yes/no
    assert "stat" not in fields
    assert "read" not in fields
    for row in diff.rows:
        assert len({(c.state, c.value) for c in row.cells}) > 1
    only_list = filter_matrix(both, "list", only_differences=True)
    assert {row.group for row in only_list.rows} == {"list"}


def test_only_differences_of_one_operator_shows_layer_changes(memory: Operator) -> None:
    diff = filter_matrix(build_matrix(memory), only_differences=True)
    changed = {f for f, s in memory.capability_report().items() if s.layer is not None}
    assert {row.field for row in diff.rows} == changed


def test_labels(memory: Operator, fs: Operator) -> None:
    assert list(label_operators(memory)) == ["memory"]
    assert list(label_operators([memory, fs, memory])) == ["memory", "fs", "memory-2"]
    assert list(label_operators({"a": memory, "b": fs})) == ["a", "b"]
    with pytest.raises(TypeError, match="must be an Operator"):
        label_operators({"a": "memory"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="at least one"):
        label_operators({})


def test_formats() -> None:
    assert format_size(5 * 1024 * 1024) == "5 MiB"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(12) == "12 B"
    assert format_limit("delete_max_size", 1000) == "1,000"
    assert format_limit("write_multi_max_size", 1024) == "1 KiB"
    assert format_seconds(2.1e-6) == "2.1 µs"
    assert format_seconds(0.25) == "250 ms"
    assert format_seconds(3.0) == "3 s"


# -- explain_cell ----------------------------------------------------------------------


def test_explain_simulated_names_the_switch_and_its_cost(memory: Operator) -> None:
    m = build_matrix(memory)
    why = explain_cell(m.cell("memory", "read_with_suffix"), m)
    assert why.state == "simulated"
    assert why.switch == "read_with_suffix"
    assert why.meaning == describe("read_with_suffix")
    assert "SimulateLayer" in why.set_by
    assert "switch 'read_with_suffix'" in why.set_by
    assert SWITCH_INFO["read_with_suffix"].cost in why.set_by
    assert "SimulateLayer(read_with_suffix=False)" in why.change
    assert why.text.splitlines()[0] == "memory · read_with_suffix: simulated"
    assert why.lines[1] == f"Means: {describe('read_with_suffix')}"


def test_explain_native_says_the_service_and_the_override(fs: Operator, s3: Operator) -> None:
    m = build_matrix({"fs": fs, "s3": s3})
    why = explain_cell(m.cell("fs", "read_with_suffix"))
    assert why.set_by.startswith("fs itself")
    assert "CapabilityOverrideLayer('read_with_suffix=false')" in why.change
    limit = explain_cell(m.cell("s3", "delete_max_size"))
    assert "declares this limit" in limit.set_by
    assert "delete_max_size=N" in limit.change


def test_explain_unsupported_without_a_switch(memory: Operator) -> None:
    why = explain_cell(build_matrix(memory).cell("memory", "presign_read"))
    assert why.switch is None
    assert "nobody" in why.set_by
    assert "no layer simulates it" in why.change


def test_explain_unsupported_says_what_the_service_lacks() -> None:
    http = Operator("http", endpoint="http://127.0.0.1:9")  # nothing is sent
    m = build_matrix(http)
    why = explain_cell(m.cell("http", "list_with_recursive"), m)
    assert why.switch == "list_recursive"
    assert "lacks list" in why.change
    assert "can add it here" in why.change
    assert (
        "SimulateLayer's 'list_recursive' switch"
        in explain_cell(m.cell("http", "list_with_recursive")).change
    )


def test_explain_a_switch_turned_off_and_its_advice_holds(fs: Operator) -> None:
    off = fs.with_simulate(SimulateLayer(list_recursive=False, warn_unneeded=False))
    m = build_matrix(off)
    why = explain_cell(m.cell("fs", "list_with_recursive"), m)
    assert why.state == "unsupported"
    assert "the switch is off" in why.change
    assert "SimulateLayer(list_recursive=True)" in why.change
    on = build_matrix(off.with_simulate(SimulateLayer(list_recursive=True)))
    assert on.cell("fs", "list_with_recursive").state == "simulated"


def test_explain_overrides(memory: Operator) -> None:
    op = memory.layer(CapabilityOverrideLayer("write=false,list_with_versions=true"))
    m = build_matrix({"ro": op})
    removed = explain_cell(m.cell("ro", "write"))
    assert removed.set_by.startswith("CapabilityOverrideLayer")
    assert "turns it off" in removed.set_by
    claimed = explain_cell(m.cell("ro", "list_with_versions"))
    assert "declares it" in claimed.set_by
    assert "leave CapabilityOverrideLayer out" in claimed.change
    no_limit = explain_cell(m.cell("ro", "write_multi_min_size"))
    assert "there is none" in no_limit.set_by


def test_every_cell_explains_with_the_reports_layer(memory: Operator, s3: Operator) -> None:
    m = build_matrix({"memory": memory, "s3": s3})
    for row in m.rows:
        for cell in row.cells:
            why = explain_cell(cell, m)
            assert why.state == cell.state
            assert why.meaning.endswith(".")
            if cell.layer is not None:
                assert cell.layer in why.set_by
            else:
                assert cell.service in why.set_by


def test_matrix_changes_lists_cells_that_changed(fs: Operator) -> None:
    from opendal_lab.layers import SWITCHES
    from opendal_lab.widgets.tables import matrix_changes

    none = SimulateLayer(**dict.fromkeys(SWITCHES, False), warn_unneeded=False)
    off = build_matrix(fs.with_simulate(none))
    on = build_matrix(fs.with_simulate(none.with_switch("list_recursive", True)))
    changes = matrix_changes(off, on)
    assert [(c.service, c.field) for c in changes] == [("fs", "list_with_recursive")]
    (change,) = changes
    assert (change.before.state, change.after.state) == ("unsupported", "simulated")
    assert matrix_changes(on, on) == []


def test_search_matrix_reads_names_and_descriptions(memory: Operator) -> None:
    from opendal_lab.core.capability import describe
    from opendal_lab.widgets.tables import search_matrix

    m = build_matrix(memory)
    assert search_matrix(m, "") == m
    found = search_matrix(m, "  RECURSIVE list ")
    assert "list_with_recursive" in {row.field for row in found.rows}
    for row in found.rows:
        text = f"{row.field} {describe(row.field)}".lower()
        assert "recursive" in text
        assert "list" in text
    assert search_matrix(m, "no-such-word-anywhere").rows == ()
