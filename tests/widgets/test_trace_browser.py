"""TraceViewer and Browser state changes, driven from Python without a kernel."""

from __future__ import annotations

import io
import threading

import pytest

from opendal_lab import Operator
from opendal_lab.layers import RecorderLayer
from opendal_lab.widgets import Browser, TraceViewer
from tests.widgets.dom import select


def calls(html: str) -> list[tuple[str, str, str]]:
    return [
        (r.attrs["data-op"], r.attrs["data-path"], r.attrs["data-outcome"])
        for r in select(html, "tr", "opendal-call")
    ]


def test_trace_gains_a_row_per_call_and_clears(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(op)  # finds the recorder on the stack
    assert "opendal-trace-viewer" in viewer._dom_classes
    assert viewer.clear_button.description == "clear"
    assert calls(viewer.table.value) == []
    op.write("a.txt", b"1")
    assert calls(viewer.table.value) == [("write", "a.txt", "ok")]
    with pytest.raises(FileNotFoundError):
        op.read("b.txt")
    assert calls(viewer.table.value)[-1] == ("read", "b.txt", "NotFound")
    viewer.clear_button.click()
    assert calls(viewer.table.value) == []
    assert recorder.calls == []
    viewer.close()
    op.write("c.txt", b"1")  # no longer listening
    assert calls(viewer.table.value) == []


def test_trace_updates_from_another_thread(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(recorder)
    worker = threading.Thread(target=op.write, args=("t.txt", b"x"))
    worker.start()
    worker.join()
    assert calls(viewer.table.value) == [("write", "t.txt", "ok")]


def test_trace_keeps_the_newest_rows_and_deterministic_fallback(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(recorder, max_rows=2)
    for n in range(3):
        op.write(f"f{n}.txt", b"x")
    assert [c[1] for c in calls(viewer.table.value)] == ["f1.txt", "f2.txt"]
    bundle = viewer._repr_mimebundle_()
    assert bundle["text/plain"].splitlines()[0].startswith("#2 write f1.txt")
    assert "µs" not in bundle["text/html"]
    assert repr(viewer) == "<TraceViewer 3 calls, last: write f2.txt>"


def test_trace_needs_a_recorder(memory: Operator) -> None:
    with pytest.raises(ValueError, match="no RecorderLayer"):
        TraceViewer(memory)
    with pytest.raises(TypeError):
        TraceViewer("memory")  # type: ignore[arg-type]


@pytest.fixture
def tree(memory: Operator) -> Operator:
    memory.write("README.txt", b"hello browser\n")
    memory.write("data/cities.csv", b"city,pop\nLyon,522250\nOslo,709037\n")
    memory.write("data/deep/notes.md", b"# notes\n")
    memory.write("data/blob.bin", bytes(range(256)))
    return memory


def paths(widget: Browser, cls: str = "opendal-entry") -> list[str]:
    """Every ``data-path`` the tree's HTML widgets show, in tree order."""
    found: list[str] = []

    def walk(w: object) -> None:
        value = getattr(w, "value", None)
        if isinstance(value, str):
            found.extend(e.attrs["data-path"] for e in select(value, cls=cls))
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget.children[1])
    return found


def test_browser_lists_root_then_expands_lazily(tree: Operator) -> None:
    b = Browser(tree)
    assert "opendal-browser" in b._dom_classes
    assert paths(b) == ["/", "data/", "README.txt"]
    assert paths(b, "opendal-dir") == ["/", "data/"]
    b._buttons["data/"].click()  # what clicking the name relays to
    assert "data/" in b.expanded
    assert paths(b) == [
        "/",
        "data/",
        "data/deep/",
        "data/blob.bin",
        "data/cities.csv",
        "README.txt",
    ]
    b._buttons["data/"].click()
    assert "data/" not in b.expanded
    assert paths(b) == ["/", "data/", "README.txt"]


def test_browser_shows_sizes(tree: Operator) -> None:
    b = Browser(tree)
    sizes = [e.text for e in select(_all_html(b), "small", "opendal-size")]
    assert sizes == ["14 B"]


def test_browser_previews(tree: Operator) -> None:
    b = Browser(tree)
    b.expand("data/")
    b._buttons["data/cities.csv"].click()
    (preview,) = select(b.preview.value, "div", "opendal-preview")
    assert preview.attrs["data-path"] == "data/cities.csv"
    assert preview.attrs["data-kind"] == "table"
    assert "Lyon" in preview.text
    assert "2 rows x 2 columns" in preview.text
    assert b.select("README.txt").text == "hello browser\n"
    assert "hello browser" in b.preview.value
    assert b.select("data/blob.bin").kind == "binary"


def test_browser_previews_parquet(tree: Operator) -> None:
    pl = pytest.importorskip("polars")
    buffer = io.BytesIO()
    pl.DataFrame({"x": [1, 2, 3]}).write_parquet(buffer)
    tree.write("data/t.parquet", buffer.getvalue())
    preview = Browser(tree).select("data/t.parquet")
    assert preview.kind == "table"
    assert "3 rows x 1 columns" in preview.text


def test_browser_fallback_and_errors(tree: Operator) -> None:
    b = Browser(tree)
    bundle = b._repr_mimebundle_()
    assert bundle["text/plain"].splitlines() == ["/", "  data/", "  README.txt  14 B"]
    assert [e.attrs["data-path"] for e in select(bundle["text/html"], cls="opendal-entry")] == [
        "data/",
        "README.txt",
    ]
    with pytest.raises(KeyError, match="expand its parent"):
        b.expand("data/deep/")
    assert b.select("nope.txt").kind == "error"
    assert repr(b) == "<Browser memory root='/': 1 expanded>"


def test_browser_of_a_subdirectory(tree: Operator) -> None:
    b = Browser(tree, "data")
    assert b.root == "data/"
    assert paths(b)[:2] == ["data/", "data/deep/"]


def _all_html(widget: object) -> str:
    parts = [getattr(widget, "value", "") or ""]
    for child in getattr(widget, "children", ()):
        parts.append(_all_html(child))
    return "".join(p for p in parts if isinstance(p, str))
