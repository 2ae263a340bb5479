"""The capability matrix's DOM contract and plain-text fallbacks, read back with a parser."""

from __future__ import annotations

from opendal_lab import GROUPS, Capability, Operator
from opendal_lab.core.capability import describe
from opendal_lab.layers import CapabilityOverrideLayer
from opendal_lab.widgets.html import LEGEND, STYLE, matrix_html
from opendal_lab.widgets.tables import build_matrix, filter_matrix
from opendal_lab.widgets.text import STATES, matrix_csv, matrix_text
from tests.widgets.dom import cell, select


def test_one_table_with_a_cell_per_service_and_field(memory: Operator, fs: Operator) -> None:
    html = matrix_html(build_matrix({"memory": memory, "fs": fs}))
    assert len(select(html, "table", "opendal-matrix")) == 1
    cells = select(html, "td")
    assert len(cells) == 2 * len(Capability.field_names())
    for op, label in ((memory, "memory"), (fs, "fs")):
        for field, state in op.capability_report().items():
            td = cell(html, label, field)
            expected = "overridden" if state.state == "removed" else state.state
            assert td.attrs["data-state"] == expected
            assert td.attrs["title"]


def test_group_marker_rows(memory: Operator) -> None:
    html = matrix_html(build_matrix(memory))
    markers = select(html, "tr", "opendal-group")
    assert [m.attrs["data-group"] for m in markers] == list(GROUPS)
    rows = select(html, "tr", data_group="read")
    assert {r.attrs.get("data-cap") for r in rows} - {None} == set(GROUPS["read"])


def test_legend_names_every_state_above_the_table(memory: Operator) -> None:
    html = matrix_html(build_matrix(memory))
    (legend,) = select(html, "div", "opendal-legend")
    states = [e.attrs["data-state"] for e in select(html, "span") if "data-state" in e.attrs]
    words = ["native", "simulated", "overridden", "removed", "unsupported"]
    assert states == list(LEGEND) == list(STATES) == words
    for word, (symbol, _) in STATES.items():
        assert f"{symbol} {word}" in legend.text
    assert html.index('class="opendal-legend"') < html.index('class="opendal-matrix"')
    assert not select(matrix_html(build_matrix(memory), legend=False), "div", "opendal-legend")


def test_every_cell_says_its_state_in_a_symbol_and_a_word(memory: Operator) -> None:
    ro = memory.layer(CapabilityOverrideLayer("write=false"))
    html = matrix_html(build_matrix({"memory": memory, "ro": ro}))
    for td in select(html, "td"):
        word = "removed" if td.attrs.get("data-removed") else td.attrs["data-state"]
        symbol = STATES[word][0]
        assert td.text.startswith(f"{symbol} ")
        assert td.text.endswith(word)
    assert cell(html, "ro", "write").text == "✗ removed"
    assert cell(html, "memory", "read_with_suffix").text == "≈ simulated"


def test_static_style_uses_the_vocabulary(memory: Operator) -> None:
    html = matrix_html(build_matrix(memory))
    assert len(select(html, "div", "opendal-static")) == 1
    assert html.startswith('<div class="opendal-static"><style>')
    rules = STYLE.split("</style>")[0]
    # Every colour after theme.css is a --odl-* name: no hard-coded colours.
    own = rules[rules.index(".opendal-static {background") :]
    assert "#" not in own
    assert "rgb" not in own
    for name in ("--odl-native-bg", "--odl-simulated-bg", "--odl-fg", "--jp-layout-color0"):
        assert name in rules
    assert not html.count("<style>") - 1
    assert matrix_html(build_matrix(memory), style=False).startswith('<div class="opendal-legend">')


def test_removed_and_limits_in_html(memory: Operator, s3: Operator) -> None:
    ro = memory.layer(CapabilityOverrideLayer("write=false"))
    html = matrix_html(build_matrix({"ro": ro, "s3": s3}))
    write = cell(html, "ro", "write")
    assert write.attrs["data-state"] == "overridden"
    assert write.attrs["data-removed"] == "true"
    assert "removed by CapabilityOverrideLayer" in write.attrs["title"]
    limit = cell(html, "s3", "delete_max_size")
    value = s3.capability().delete_max_size
    assert limit.attrs["data-value"] == str(value)
    assert limit.text == f"✓ {value:,} native"


def test_labels_and_tooltips_are_escaped(memory: Operator) -> None:
    label = '<b onmouseover="x">&"'
    html = matrix_html(build_matrix({label: memory}))
    assert "<b onmouseover" not in html
    td = cell(html, label, "read")  # the parser unescapes: the label comes back intact
    assert td.attrs["title"].startswith(label)


def test_empty_filter_says_so(memory: Operator) -> None:
    only = filter_matrix(build_matrix({"a": memory, "b": memory}), only_differences=True)
    assert "no field matches" in matrix_html(only)


def test_matrix_text_lists_every_visible_field(memory: Operator, fs: Operator) -> None:
    matrix = filter_matrix(build_matrix({"memory": memory, "fs": fs}), "list")
    text = matrix_text(matrix)
    lines = text.splitlines()
    assert lines[0].split() == ["capability", "memory", "fs"]
    assert lines[1] == "[list]"
    row = next(line for line in lines if line.startswith("list_with_recursive "))
    assert row.split()[1:] == ["✓", "native", "≈", "simulated"]
    legend = lines.index(
        "legend: ✓ native · ≈ simulated · ◆ overridden · ✗ removed · — unsupported"
    )
    # Then what each field shown means, from the one table of descriptions.
    assert lines[legend + 1] == "fields:"
    explained = [line.split(maxsplit=1) for line in lines[legend + 2 :]]
    assert [(f, d.strip()) for f, d in explained] == [
        (r.field, describe(r.field)) for r in matrix.rows
    ]
    assert text == matrix_text(matrix)  # deterministic


def test_matrix_csv_has_words_and_exact_limits(memory: Operator, s3: Operator) -> None:
    ro = memory.layer(CapabilityOverrideLayer("write=false"))
    rows = matrix_csv(build_matrix({"ro": ro, "s3": s3})).splitlines()
    assert rows[0] == "capability,group,ro,s3"
    assert "write,write,removed,native" in rows
    assert f"delete_max_size,delete,unsupported,{s3.capability().delete_max_size} native" in rows
