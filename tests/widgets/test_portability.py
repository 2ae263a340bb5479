"""The portability check: real recorded calls against memory, fs and S3 (moto), each verdict
the target's capability report, and proven by running the call there."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import pytest

import opendal_lab as od
from opendal_lab import Operator
from opendal_lab.core.layers.simulate import SWITCH_FIELDS, SWITCH_INFO, SimulateLayer
from opendal_lab.core.options import ListOptions
from opendal_lab.layers import CapabilityCheckLayer, CapabilityOverrideLayer, RecorderLayer
from opendal_lab.layers.recorder import Call
from opendal_lab.widgets.assets import STATIC
from opendal_lab.widgets.portability import (
    STATES,
    PortabilityTable,
    Request,
    check_portability,
    portability_html,
    portability_text,
)
from opendal_lab.widgets.portability_check import PortabilityCheck
from tests.servers import MotoServer

NOWHERE = "http://127.0.0.1:9"  # building these operators sends nothing

# Calls whose options the recorder does not keep (yet), stated by hand.
WITH_OPTIONS = [
    Request.of("list", "data/", recursive=True),
    Request.of("read", "data/a.csv", suffix=4),
    Request.of("write", "log.txt", append=True),
    Request.of("delete", "data/sub/", recursive=True),
    Request.of("write", "page.html", content_type="text/html"),
]


@pytest.fixture
def s3(moto_server: MotoServer, s3_bucket: str) -> Operator:
    return Operator("s3", **moto_server.config(s3_bucket))


@pytest.fixture
def recorded(memory: Operator, s3: Operator) -> list[Call]:
    """What a notebook did on memory, and the presigning it did on S3 (memory has none)."""
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    op.write("data/a.csv", b"x,y\n1,2\n")
    op.write("data/sub/b.csv", b"x,y\n")
    op.write("data/empty", b"")
    with op.open("data/w.bin", "wb") as file:
        file.write(b"abc")
    op.read("data/a.csv")
    op.read("data/a.csv", suffix=4)
    list(op.list("data/", recursive=True))
    op.stat("data/")
    op.stat("data/a.csv")
    op.create_dir("out/")
    op.copy("data/a.csv", "out/a.csv")
    op.rename("out/a.csv", "out/b.csv")
    op.delete_many(["out/b.csv", "data/empty"])
    op.remove_all("data/sub/")
    signer = RecorderLayer()
    signed = s3.layer(signer)
    signed.write("shared.csv", b"x\n")
    signed.presign_read("shared.csv", 60)
    signed.presign_write("upload.csv", 60)
    return [*recorder.calls, *(c for c in signer.calls if c.operation.startswith("presign"))]


@pytest.fixture
def targets(memory: Operator, fs: Operator, s3: Operator) -> dict[str, Operator]:
    return {"memory": memory, "fs": fs, "s3": s3}


# -- the verdicts are the reports' -----------------------------------------------------


def test_every_cell_follows_the_targets_report(
    recorded: list[Call], targets: dict[str, Operator]
) -> None:
    table = check_portability([*recorded, *WITH_OPTIONS], targets)
    assert table.targets == ("memory", "fs", "s3")
    assert sum(row.count for row in table.rows) == len(recorded) + len(WITH_OPTIONS)
    reports = {label: op.capability_report() for label, op in targets.items()}
    for row in table.rows:
        for cell in row.cells:
            report = reports[cell.target]
            off = [f for f in row.fields if report[f].effective in (False, None)]
            simulated = [f for f in row.fields if report[f].state == "simulated"]
            if off:
                assert cell.state == "unsupported", (row.call, cell)
                assert cell.fields == tuple(off)
            elif row.call == "stat of a directory":
                continue  # stat_dir has no field: checked below
            elif simulated:
                assert cell.state == "simulated", (row.call, cell)
                assert cell.switches == tuple(_switch(f) for f in simulated)
            else:
                assert cell.state == "native", (row.call, cell)
                assert cell.switches == ()


def _switch(field: str) -> str:
    return next(s for s, f in SWITCH_FIELDS.items() if f == field)


def test_known_verdicts(recorded: list[Call], targets: dict[str, Operator]) -> None:
    table = check_portability([*recorded, *WITH_OPTIONS], targets)

    def states(call: str) -> dict[str, str]:
        return {c.target: c.state for c in table.row(call).cells}

    assert states("stat of a directory") == {
        "memory": "simulated",
        "fs": "native",
        "s3": "simulated",
    }
    assert table.row("stat of a directory").cell("s3").switches == ("stat_dir",)
    assert states("create_dir") == {"memory": "simulated", "fs": "native", "s3": "simulated"}
    assert "write('a/', 0 B)" in table.row("create_dir").cell("s3").reason
    assert states("presign_read") == {
        "memory": "unsupported",
        "fs": "unsupported",
        "s3": "native",
    }
    assert states("rename") == {"memory": "native", "fs": "native", "s3": "unsupported"}
    assert states("list (recursive)") == {
        "memory": "native",
        "fs": "simulated",
        "s3": "native",
    }
    assert table.row("list (recursive)").cell("fs").extra == "+1 per subdirectory"
    suffix_row = table.row("read (suffix)")
    suffix = suffix_row.cell("memory")
    assert (suffix.state, suffix.switches, suffix.extra_calls) == (
        "simulated",
        ("read_with_suffix",),
        suffix_row.count * SWITCH_INFO["read_with_suffix"].extra_calls,
    )
    assert suffix.extra == f"+{suffix.extra_calls} call{'s' if suffix.extra_calls > 1 else ''}"
    assert states("write (append)")["s3"] == "unsupported"
    assert states("write (0 bytes)") == dict.fromkeys(targets, "native")
    assert table.row("write (0 bytes)").fields == ("write", "write_can_empty")
    assert states("writer") == dict.fromkeys(targets, "native")


def test_unsupported_says_why(recorded: list[Call], targets: dict[str, Operator]) -> None:
    table = check_portability(recorded, targets)
    rename = table.row("rename").cell("s3")
    assert rename.state == "unsupported"
    assert rename.reason == "s3 lacks rename, and no layer on its stack adds it."
    presign = table.row("presign_read").cell("fs")
    assert presign.fields == ("presign", "presign_read")
    assert "fs lacks presign and presign_read" in presign.reason
    dropped = check_portability(WITH_OPTIONS, targets).row("write (content_type)").cell("fs")
    assert dropped.state == "unsupported"
    assert "dropped without an error" in dropped.reason


def test_a_removed_field_names_the_layer(memory: Operator) -> None:
    read_only = memory.layer(CapabilityOverrideLayer("write=false"))
    cell = check_portability([Request.of("write", "a")], {"ro": read_only}).rows[0].cells[0]
    assert cell.state == "unsupported"
    assert cell.reason == "ro: write is turned off by CapabilityOverrideLayer."


def test_stat_dir_switched_off(s3: Operator) -> None:
    off = s3.with_simulate(SimulateLayer(stat_dir=False, warn_unneeded=False))
    cell = check_portability([Request.of("stat", "d/")], {"s3": off}).rows[0].cells[0]
    assert cell.state == "unsupported"
    assert "'stat_dir' switch is off" in cell.reason
    on = check_portability([Request.of("stat", "d/")], {"s3": s3}).rows[0].cells[0]
    assert on.state == "simulated"


def test_limits_and_batches(memory: Operator, s3: Operator) -> None:
    small = memory.layer(CapabilityOverrideLayer(write_total_max_size=3))
    big = Request("write", "big.bin", size=10)
    cell = check_portability([big], {"small": small}).rows[0].cells[0]
    assert cell.state == "unsupported"
    assert "over write_total_max_size" in cell.reason
    many = Request("delete_many", "2500 paths", size=2500)
    table = check_portability([many], {"memory": memory, "s3": s3})
    assert table.rows[0].cell("s3").extra_calls == 2  # DeleteObjects takes 1000 keys
    assert table.rows[0].cell("memory").extra_calls == 2499  # no batch: one delete each
    assert "one delete per path" in table.rows[0].cell("memory").reason


def test_rows_group_calls_and_count_failures(memory: Operator) -> None:
    calls = [
        Request.of("read", "a"),
        Request("read", "b", outcome="NotFound"),
        Request.of("read", "c", suffix=1),
    ]
    table = check_portability(calls, memory)
    assert [(r.call, r.count, r.failed_here, r.example) for r in table.rows] == [
        ("read", 2, 1, "a"),
        ("read (suffix)", 1, 0, "c"),
    ]
    (totals,) = table.totals()
    assert (totals.native, totals.simulated, totals.unsupported) == (2, 1, 0)
    assert totals.extra_calls == 1
    assert totals.text == "2 native · 1 simulated (+1 call) · 0 unsupported"


# -- the verdicts hold: each call run on each target -----------------------------------


def _replay(op: Operator, request: Request, n: int) -> None:
    """Make ``request`` on ``op``, after writing what it needs there."""
    opts = dict(request.options)
    base = f"replay-{n}/"
    name = request.operation
    if name in ("write", "writer"):
        data = b"" if request.size == 0 else b"data"
        if name == "writer":
            with op.open(base + "w", "wb", **opts) as file:
                file.write(data)
        else:
            op.write(base + "w", data, **opts)
        return
    op.write(base + "dir/sub/f.txt", b"hello world")
    if name == "read":
        op.read(base + "dir/sub/f.txt", **opts)
    elif name == "list":
        list(op.list(base + "dir/", **opts))
    elif name == "stat":
        op.stat(base + "dir/" if request.is_dir_stat else base + "dir/sub/f.txt", **opts)
    elif name == "create_dir":
        op.create_dir(base + "made/")
    elif name in ("copy", "rename"):
        getattr(op, name)(base + "dir/sub/f.txt", base + "to.txt", **opts)
    elif name == "delete":
        recursive = opts.get("recursive", False)
        op.delete(base + "dir/" if recursive else base + "dir/sub/f.txt", **opts)
    elif name == "delete_many":
        op.delete_many([base + "dir/sub/f.txt", base + "nothing"])
    elif name.startswith("presign_"):
        getattr(op, name)(base + "dir/sub/f.txt", 60)
    else:  # pragma: no cover - every recorded operation is above
        raise AssertionError(name)


def _counters(op: Operator) -> dict[str, int]:
    layer = op.simulate
    assert isinstance(layer, SimulateLayer)
    return dict(layer.counters)


def test_each_verdict_holds_when_the_call_runs_there(
    recorded: list[Call], targets: dict[str, Operator]
) -> None:
    requests = [Request.from_call(c) for c in recorded] + WITH_OPTIONS
    table = check_portability(requests, targets)
    by_row = {row.call: row for row in table.rows}
    checked = 0
    for n, request in enumerate(requests):
        row = by_row[request.label]
        for cell in row.cells:
            op = targets[cell.target]
            if cell.state == "unsupported" and "dropped" in cell.reason:
                op = op.layer(CapabilityCheckLayer())  # refuses what it would drop
            if cell.state == "unsupported":
                with pytest.raises(od.Unsupported):
                    _replay(op, request, n)
            else:
                before = _counters(op)
                _replay(op, request, n)
                after = _counters(op)
                ran = {s for s in after if after[s] > before[s]}
                assert ran == set(cell.switches), (request, cell)
            checked += 1
    assert checked == len(requests) * len(targets)


# -- options: from a call, from keywords, from an options dataclass --------------------


def test_options_set_the_fields_needed() -> None:
    assert Request.of("list", "d/", recursive=True, limit=5).needs == (
        "list",
        "list_with_limit",
        "list_with_recursive",
    )
    assert Request.of("read", "a", offset=2, size=3).needs == ("read",)
    assert Request.of("write", "a", append=True, chunk=5).needs == ("write", "write_can_append")
    assert Request.of("writer", "a", if_not_exists=True).needs == (
        "write",
        "write_with_if_not_exists",
    )
    assert Request.of("copy", "a => b", if_not_exists=True).needs == (
        "copy",
        "copy_with_if_not_exists",
    )
    assert Request.of("presign_stat", "a").needs == ("presign", "presign_stat")
    assert Request.of("stat", "d/").label == "stat of a directory"
    assert Request.of("stat", "/").label == "stat"
    assert Request.of("list", "d/", recursive=False).options == ()
    with pytest.raises(ValueError, match="unknown operation 'open'"):
        Request.of("open", "a")


def test_a_call_that_keeps_its_options(memory: Operator) -> None:
    base = Call("list", "d/", "ok", 0.0, 0.0, ())
    as_pairs = dataclasses.replace(base, options=(("recursive", True),))
    # A call of another recorder may keep a mapping or the options dataclass itself.
    as_mapping = dataclasses.replace(base, options={"recursive": True})  # type: ignore[arg-type]
    as_dataclass = dataclasses.replace(base, options=ListOptions(recursive=True))  # type: ignore[arg-type]
    for call in (as_pairs, as_mapping, as_dataclass):
        assert Request.from_call(call).needs == ("list", "list_with_recursive")
    assert Request.from_call(base).needs == ("list",)
    deletes = Call("delete_many", "12 paths", "ok", 0.0, 0.0, ())
    assert Request.from_call(deletes).size == 12


def test_recorded_options_reach_the_check(memory: Operator, fs: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    op.write("d/a", b"hello")
    list(op.list("d/", recursive=True))
    op.read("d/a", suffix=2)
    table = check_portability(recorder.calls, {"fs": fs, "memory": memory})
    assert table.row("list (recursive)").cell("fs").state == "simulated"
    assert table.row("read (suffix)").cell("memory").state == "simulated"


# -- renderings ------------------------------------------------------------------------


@pytest.fixture
def table(memory: Operator, fs: Operator) -> PortabilityTable:
    http = Operator("http", endpoint=NOWHERE)
    calls = [*WITH_OPTIONS, Request.of("stat", "<b>&'x'/")]
    return check_portability(calls, {"memory": memory, "fs": fs, "http": http})


def test_text(table: PortabilityTable) -> None:
    text = portability_text(table)
    lines = text.splitlines()
    assert lines[0].split() == ["call", "calls", "memory", "fs", "http"]
    assert "list (recursive)" in lines[1]
    assert "≈ simulated +1 per subdirectory" in lines[1]
    assert "✗ unsupported" in lines[1]
    assert "legend: ✓ native · ≈ simulated · ✗ unsupported" in text
    assert "list (recursive) → http: unsupported: http lacks list and list_with_recursive" in text
    assert text == portability_text(table)  # deterministic
    assert portability_text(check_portability([], {"fs": Operator("memory")})) == (
        "no calls recorded yet"
    )


def test_html_marks_each_cell_with_state_symbol_and_word(table: PortabilityTable) -> None:
    html = portability_html(table)
    assert html.startswith('<div class="opendal-static opendal-portability-check"><style>')
    assert '<table class="opendal-portability">' in html
    cells = re.findall(r'<td data-target="([^"]+)" data-state="(\w+)"[^>]*>(.*?)</td>', html)
    assert len(cells) == len(table.rows) * len(table.targets)
    for _, state, body in cells:
        assert state in STATES
        assert f'<span class="odl-sym" aria-hidden="true">{STATES[state][0]}</span>' in body
        assert f'<span class="odl-word">{state}</span>' in body
    assert "&lt;b&gt;&amp;" in html  # the path, escaped
    assert "<b>&" not in html
    assert 'data-state="simulated" data-fields="list_with_recursive"' in html
    assert "<tfoot>" in html
    bare = portability_html(table, style=False)
    assert "<style>" not in bare
    assert bare.startswith('<div class="opendal-legend">')


def test_css_draws_only_with_the_theme_vocabulary() -> None:
    css = (STATIC / "portability.css").read_text()
    theme = (STATIC / "theme.css").read_text()
    defined = set(re.findall(r"(--odl-[\w-]+):", theme))
    used = set(re.findall(r"var\((--[\w-]+)\)", css))
    assert used
    assert used <= defined
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", css)
    assert "position: sticky" in css
    js = (STATIC / "portability.js").read_text()
    assert '"opendal-widget", "opendal-portability-check"' in js
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", js)


def test_pure_module_imports_without_jupyter() -> None:
    probe = (
        "import json, sys; import opendal_lab.widgets.portability; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    modules = set(json.loads(out))
    assert "ipywidgets" not in modules
    assert "anywidget" not in modules


# -- the widget --------------------------------------------------------------------------


@pytest.fixture
def recorder_op(memory: Operator) -> tuple[RecorderLayer, Operator]:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    op.write("d/a.txt", b"hello")
    op.stat("d/")
    return recorder, op


def test_widget_state_is_the_table(
    recorder_op: tuple[RecorderLayer, Operator], fs: Operator
) -> None:
    recorder, _ = recorder_op
    http = Operator("http", endpoint=NOWHERE)
    widget = PortabilityCheck(recorder, {"fs": fs, "http": http})
    try:
        expected = check_portability(recorder.calls, {"fs": fs, "http": http})
        assert widget.table == expected
        assert widget.targets == ["fs", "http"]
        assert widget.rows == expected.to_json()["rows"]
        assert widget.totals == expected.to_json()["totals"]
        assert widget.legend == [[s, sym, meaning] for s, (sym, meaning) in STATES.items()]
        assert widget.rows[0]["cells"][1]["state"] == "unsupported"
        assert widget.rows[0]["cells"][1]["symbol"] == "✗"
        assert "opendal-portability-check" in widget._dom_classes
        data, _ = widget._repr_mimebundle_()
        assert data["text/plain"] == portability_text(expected)
        assert portability_html(expected, style=False) in data["text/html"]
        assert "<style>" not in data["text/html"]  # stored outputs don't change with the CSS
        assert "application/vnd.jupyter.widget-view+json" in data
        assert repr(widget) == "<PortabilityCheck 2 calls in 2 rows against fs, http>"
        json.dumps(widget.rows)  # what the page gets is plain JSON
    finally:
        widget.close()


def test_widget_follows_the_recorder(
    recorder_op: tuple[RecorderLayer, Operator], fs: Operator
) -> None:
    recorder, op = recorder_op
    widget = PortabilityCheck(op, fs, throttle=60)  # the Operator's recorder is found
    assert widget.recorder is recorder
    op.create_dir("new/")
    assert len(widget.rows) == 2  # throttled: the redraw is due later
    widget.refresh()
    assert [r["call"] for r in widget.rows] == ["write", "stat of a directory", "create_dir"]
    widget.close()
    op.read("d/a.txt")
    widget.refresh()  # refresh still reads the recorder; only the live redraw stopped
    assert len(widget.rows) == 4
    assert not any(t.is_alive() for t in [widget._redraws.timer] if t is not None)


def test_widget_takes_calls_and_refuses_other_things(memory: Operator, fs: Operator) -> None:
    widget = PortabilityCheck([Request.of("read", "a", suffix=1)], {"memory": memory, "fs": fs})
    assert widget.recorder is None
    assert [c["state"] for c in widget.rows[0]["cells"]] == ["simulated", "native"]
    widget.close()
    with pytest.raises(TypeError, match="needs a RecorderLayer"):
        PortabilityCheck("calls", fs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has no RecorderLayer"):
        PortabilityCheck(memory, fs)
