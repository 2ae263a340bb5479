"""The demonstration calls and the file previews, without widgets."""

from __future__ import annotations

import json

import pytest

from opendal_lab import Operator
from opendal_lab.layers import SWITCHES, SimulateLayer
from opendal_lab.widgets.demos import DEMO_ROOT, demo_call, run_demo, seed_demo
from opendal_lab.widgets.preview import IMAGE_BYTES, TEXT_BYTES, preview_file


def off(op: Operator) -> Operator:
    return op.with_simulate(SimulateLayer(**dict.fromkeys(SWITCHES, False), warn_unneeded=False))


def test_seed_writes_once(memory: Operator) -> None:
    seed_demo(memory)
    first = {e.path: e.metadata.last_modified for e in memory.scan(DEMO_ROOT)}
    seed_demo(memory)
    assert {e.path: e.metadata.last_modified for e in memory.scan(DEMO_ROOT)} == first
    assert memory.read(DEMO_ROOT + "a.txt") == b"alpha"


@pytest.mark.parametrize("switch", SWITCHES)
def test_every_switch_has_a_demo_that_works_with_simulation_on(
    switch: str, memory: Operator
) -> None:
    line = run_demo(memory, switch, "mem")
    assert line.startswith(f"mem: {demo_call(switch)} → "), line


def test_demo_results(fs: Operator) -> None:
    assert run_demo(fs, "list_recursive").endswith("['.', 'a.txt', 'b.txt', 'sub/', 'sub/c.txt']")
    assert run_demo(fs, "list_start_after").endswith("['b.txt', 'sub/']")
    assert run_demo(fs, "read_with_suffix").endswith("b'pha'")
    assert run_demo(fs, "stat_dir").endswith("mode=dir")


@pytest.mark.parametrize(("name", "switch"), [("fs", "list_recursive"), ("memory", "create_dir")])
def test_demo_with_switch_off_shows_unsupported(
    name: str, switch: str, request: pytest.FixtureRequest
) -> None:
    op = off(request.getfixturevalue(name))
    line = run_demo(op, switch)
    assert "✗ Unsupported:" in line
    assert switch in line


def test_unknown_switch(memory: Operator) -> None:
    with pytest.raises(KeyError):
        run_demo(memory, "teleport")


def test_text_preview_reads_only_the_head(memory: Operator) -> None:
    memory.write("big.log", b"x" * (TEXT_BYTES + 100))
    preview = preview_file(memory, "big.log")
    assert preview.kind == "text"
    assert preview.text.startswith("x" * TEXT_BYTES)
    assert preview.text.endswith("(100 B more)")
    assert preview.payload["note"] == "the first 4 KiB of 4.1 KiB"
    assert preview.html.startswith('<pre class="odl-text">')  # monospace in the fallback too


def test_preview_escapes_and_limits(memory: Operator) -> None:
    memory.write("evil.txt", b"<script>alert(1)</script>")
    assert "<script>" not in preview_file(memory, "evil.txt").to_html()
    memory.write("t.csv", b"a\n1\n")
    assert preview_file(memory, "t.csv", max_bytes=2).kind == "too-large"
    memory.write("latin.txt", "café".encode("latin-1") * 10)
    assert preview_file(memory, "latin.txt").kind == "binary"
    memory.write("empty.txt", b"")
    assert preview_file(memory, "empty.txt").kind == "text"


def test_preview_without_polars_says_which_extra(
    memory: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "polars", None)
    memory.write("t.csv", b"a\n1\n")
    preview = preview_file(memory, "t.csv")
    assert preview.kind == "error"
    assert "pip install 'opendal-lab[polars]'" in preview.text


def test_preview_json_for_the_page(memory: Operator) -> None:
    memory.write("a.csv", b"n,name\n1,x\n2,\n")
    sent = preview_file(memory, "a.csv").to_json()
    assert json.loads(json.dumps(sent)) == sent
    assert sent["icon"] == "csv"
    assert sent["table"]["dtypes"] == ["Int64", "String"]
    assert sent["table"]["rows"] == [[1, "x"], [2, None]]
    assert [row[0] for row in sent["metadata"]] == [
        "content_length",
        "etag",
        "content_type",
        "last_modified",
    ]
    memory.write("big.png", bytes(IMAGE_BYTES + 1))
    big = preview_file(memory, "big.png")
    assert big.kind == "too-large"
    assert "image" not in big.payload
    assert preview_file(memory, "missing.png").metadata == ()
