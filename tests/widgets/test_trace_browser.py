"""TraceViewer and Browser driven from Python without a kernel: their traitlets, the custom
messages the page sends (answered as the kernel would), the pure rows, the fallbacks."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import traitlets

from opendal_lab import Operator
from opendal_lab.layers import CapabilityOverrideLayer, RecorderLayer
from opendal_lab.layers.recorder import Call
from opendal_lab.widgets import Browser, TraceViewer
from opendal_lab.widgets.listing import (
    PAGING,
    EntryRow,
    ListingPage,
    browser_title,
    entry_html,
    file_kind,
    list_page,
    listing_html,
    listing_text,
)
from opendal_lab.widgets.waterfall import filter_rows, trace_html, trace_rows, trace_text
from tests.widgets.dom import select


def calls(viewer: TraceViewer) -> list[tuple[str, str, str]]:
    """What the page is sent: (operation, path, outcome) per row, oldest first."""
    return [(r["operation"], r["path"], r["outcome"]) for r in viewer._calls]


def message(widget: Any, content: dict[str, Any]) -> None:
    """What a button or a request on the page does: a custom message to the kernel."""
    widget._on_message(widget, content, [])


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.01)


# -- TraceViewer -------------------------------------------------------------------------


def test_trace_gains_a_row_per_call_and_clears(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(op, throttle=0)  # finds the recorder on the stack
    assert "opendal-trace-viewer" in viewer._dom_classes
    assert calls(viewer) == []
    op.write("a.txt", b"1")
    assert calls(viewer) == [("write", "a.txt", "ok")]
    with pytest.raises(FileNotFoundError):
        op.read("b.txt")
    assert calls(viewer)[-1] == ("read", "b.txt", "NotFound")
    assert viewer._calls[-1]["outcome_text"] == "✗ NotFound"  # a symbol and a word
    assert viewer._calls[0]["outcome_text"] == "✓ ok"
    assert viewer._total == 2
    message(viewer, {"type": "clear"})  # the page's clear button
    assert calls(viewer) == []
    assert recorder.calls == []
    viewer.close()
    op.write("c.txt", b"1")  # no longer listening
    assert calls(viewer) == []


def test_trace_updates_from_another_thread(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(recorder, throttle=0)
    worker = threading.Thread(target=op.write, args=("t.txt", b"x"))
    worker.start()
    worker.join()
    assert calls(viewer) == [("write", "t.txt", "ok")]


def test_trace_throttles_a_burst_into_one_redraw(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(recorder, throttle=0.3)
    sent: list[int] = []
    viewer.observe(lambda change: sent.append(len(change["new"])), names="_calls")
    for n in range(20):
        op.write(f"f{n}.txt", b"x")
    assert len(sent) <= 1  # at most the first call went at once; the rest wait for the timer
    eventually(lambda: len(viewer._calls) == 20)
    assert len(sent) <= 2
    assert viewer.rows[-1].path == "f19.txt"  # rows are never throttled
    viewer.close()


def test_waterfall_is_each_levels_own_time_outermost_first(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(recorder, throttle=0)
    op.write("a.txt", b"hello")
    (row,) = viewer.rows
    levels = [span.level for span in row.spans]
    assert levels[0] == "RecorderLayer"
    assert levels[-1] == "memory"
    assert levels == [name for name, _ in recorder.calls[0].levels]
    start = 0.0
    for span in row.spans:  # each bar starts where the ones above it end
        assert span.start == pytest.approx(start)
        start += span.seconds
    assert start == pytest.approx(row.duration, rel=0.05, abs=1e-6)
    sent = viewer._calls[0]["spans"]
    assert [s["label"] for s in sent][:2] == ["Recorder", "CorrectnessCheck"]
    assert all(s["text"].endswith("s") for s in sent)
    json.dumps(viewer._calls)  # what the page gets is JSON


def _call(operation: str, ms: float, outcome: str = "ok") -> Call:
    return Call(operation, "p", outcome, 0.0, ms / 1000, (("RecorderLayer", ms / 1000),))


def test_outliers_against_the_median_of_the_same_operation() -> None:
    rows = trace_rows(
        [_call("write", 1), _call("write", 1.2), _call("read", 50), _call("write", 9)]
    )
    assert [r.outlier is not None for r in rows] == [False, False, False, True]
    assert rows[-1].outlier is not None
    assert rows[-1].outlier.startswith("slow: 7.5 times the median write")
    assert rows[-1].to_json()["outlier"] == rows[-1].outlier
    # Two calls are too few to call one of them slow.
    assert all(r.outlier is None for r in trace_rows([_call("stat", 1), _call("stat", 30)]))
    # Judged against every call, even when only the newest are kept.
    assert trace_rows([_call("write", 1)] * 3 + [_call("write", 9)], limit=1)[0].outlier


def test_filters_by_operation_and_outcome(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(recorder, throttle=0)
    op.write("a.txt", b"1")
    op.read("a.txt")
    with pytest.raises(FileNotFoundError):
        op.read("gone.txt")
    viewer.operation = "read"
    assert [r.path for r in viewer.visible_rows] == ["a.txt", "gone.txt"]
    viewer.outcome = "error"
    assert [r.path for r in viewer.visible_rows] == ["gone.txt"]
    viewer.operation, viewer.outcome = "", "ok"
    assert [r.path for r in viewer.visible_rows] == ["a.txt", "a.txt"]
    assert filter_rows(viewer.rows, "write") == viewer.rows[:1]
    with pytest.raises(traitlets.TraitError):
        viewer.outcome = "failed"
    with pytest.raises(traitlets.TraitError):
        viewer.scale = "log"


def test_actions_are_buttons_and_a_failing_one_is_a_row(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(
        recorder,
        throttle=0,
        actions={"write": lambda: op.write("w.txt", b"x"), "read missing": lambda: op.read("m")},
    )
    assert viewer._actions == ["write", "read missing"]
    message(viewer, {"type": "action", "name": "write"})
    message(viewer, {"type": "action", "name": "read missing"})  # raises inside: recorded
    message(viewer, {"type": "action", "name": "no such button"})  # ignored
    assert calls(viewer) == [("write", "w.txt", "ok"), ("read", "m", "NotFound")]
    with pytest.raises(TypeError, match="must be callable"):
        TraceViewer(recorder, actions={"x": "not a function"})  # type: ignore[dict-item]


def test_trace_keeps_the_newest_rows_and_deterministic_fallback(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    viewer = TraceViewer(recorder, max_rows=2, throttle=0)
    for n in range(3):
        op.write(f"f{n}.txt", b"x")
    assert [c[1] for c in calls(viewer)] == ["f1.txt", "f2.txt"]
    data, _ = viewer._repr_mimebundle_()
    assert data["text/plain"].splitlines()[0].startswith("#2 write f1.txt (1 B): ✓ ok [Recorder")
    assert "µs" not in data["text/html"]
    assert " ms" not in data["text/html"]
    assert [r.attrs["data-path"] for r in select(data["text/html"], "tr", "opendal-call")] == [
        "f1.txt",
        "f2.txt",
    ]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert repr(viewer) == "<TraceViewer 3 calls, last: write f2.txt>"
    assert "no calls recorded yet" in trace_html([])


def test_trace_needs_a_recorder(memory: Operator) -> None:
    with pytest.raises(ValueError, match="no RecorderLayer"):
        TraceViewer(memory)
    with pytest.raises(TypeError):
        TraceViewer("memory")  # type: ignore[arg-type]


# -- Browser -----------------------------------------------------------------------------


@pytest.fixture
def tree(memory: Operator) -> Operator:
    memory.write("README.txt", b"hello browser\n")
    memory.write("data/cities.csv", b"city,pop\nLyon,522250\nOslo,709037\n")
    memory.write("data/deep/notes.md", b"# notes\n")
    memory.write("data/blob.bin", bytes(range(256)))
    return memory


class Replies:
    """The kernel's answers to the page, as the Browser sends them."""

    def __init__(self, browser: Browser) -> None:
        self.sent: list[dict[str, Any]] = []
        browser.send = lambda content, buffers=None: self.sent.append(content)  # type: ignore[method-assign]

    def last(self) -> dict[str, Any]:
        return self.sent[-1]


def paths(page: dict[str, Any]) -> list[str]:
    return [e["path"] for e in page["entries"]]


def test_browser_title_and_paging_say_what_and_how(
    tree: Operator, fs: Operator, s3: Operator
) -> None:
    b = Browser(tree)
    assert b.title == "memory · /"
    assert (b.paging, b.paging_label) == ("service", PAGING["service"])
    assert Browser(tree, "data").title == "memory · /data"
    fs_browser = Browser(fs)
    assert fs_browser.title == f"fs · {fs.info().root.rstrip('/')}"
    assert fs_browser.paging == "here"
    assert browser_title(s3) == "s3 · demo"
    prefixed = Operator("s3", **{**_s3_config(s3), "root": "/prefix"})
    assert browser_title(prefixed, "2024/") == "s3 · demo/prefix/2024"
    assert repr(b) == "<Browser 'memory · /': 0 expanded>"


def _s3_config(op: Operator) -> dict[str, Any]:
    return {
        "bucket": op.info().name,
        "endpoint": "http://127.0.0.1:9",
        "region": "us-east-1",
        "allow_anonymous": True,
    }


def test_browser_lists_root_then_expands_lazily(tree: Operator) -> None:
    b = Browser(tree, threaded=False)
    assert "opendal-browser" in b._dom_classes
    assert [r.path for r in b.page("/").rows] == ["data/", "README.txt"]  # dirs first
    with pytest.raises(KeyError, match="expand its parent"):
        b.expand("data/deep/")
    rows = b.expand("data/")
    assert [r.path for r in rows] == ["data/deep/", "data/blob.bin", "data/cities.csv"]
    assert b.open_dirs == ["data/"]
    assert b.expanded == {"/", "data/"}
    b.expand("data/deep/")
    b.collapse("data/")  # closes what is open below too
    assert b.open_dirs == []
    b.toggle("data/")
    assert b.open_dirs == ["data/"]
    with pytest.raises(ValueError, match="is a file"):
        b.expand("README.txt")


def test_the_root_page_comes_with_the_state(tree: Operator) -> None:
    """So the tree draws without a round trip, and where no kernel answers."""
    b = Browser(tree, threaded=False)
    assert b._first_page == b.page("/").to_json()
    assert b.get_state()["_first_page"]["entries"][0]["path"] == "data/"
    unlistable = tree.layer(CapabilityOverrideLayer("list=false"))
    broken = Browser(unlistable, threaded=False)
    assert broken._first_page["error"].startswith("Unsupported")


def test_browser_answers_the_pages_requests_by_id(tree: Operator) -> None:
    b = Browser(tree, threaded=False)
    replies = Replies(b)
    message(b, {"id": "v-1", "type": "list", "path": "/", "token": None})
    page = replies.last()
    assert (page["id"], page["type"]) == ("v-1", "list")
    assert paths(page) == ["data/", "README.txt"]
    readme = page["entries"][1]
    assert readme == {
        "path": "README.txt",
        "name": "README.txt",
        "dir": False,
        "size": 14,
        "size_text": "14 B",
        "kind": "text",
        "kind_label": "text file",
    }
    assert page["entries"][0]["kind"] == "folder"
    message(b, {"id": "v-2", "type": "preview", "path": "data/cities.csv"})
    preview = replies.last()
    assert preview["id"] == "v-2"
    assert preview["kind"] == "table"
    assert preview["table"]["rows"] == [["Lyon", 522250], ["Oslo", 709037]]
    assert preview["table"]["numeric"] == [False, True]
    message(b, {"id": "v-3", "type": "teleport"})
    assert replies.last() == {
        "id": "v-3",
        "type": "teleport",
        "error": "ValueError: unknown request type 'teleport'",
    }
    message(b, {"type": "list", "path": "/"})  # no id: not a request, no answer
    assert len(replies.sent) == 3
    json.dumps(replies.sent)


def test_browser_answers_on_worker_threads(tree: Operator) -> None:
    b = Browser(tree)
    replies = Replies(b)
    message(b, {"id": "a", "type": "list", "path": "data/"})
    eventually(lambda: len(replies.sent) == 1)
    assert paths(replies.last()) == ["data/deep/", "data/blob.bin", "data/cities.csv"]
    b.close()


def _many(op: Operator, n: int) -> list[str]:
    names = [f"big/part-{i:04d}.txt" for i in range(n)]
    for name in names:
        op.write(name, b"x")
    op.write("big/sub/inner.txt", b"x")
    return names


@pytest.mark.parametrize(("name", "mode"), [("memory", "service"), ("fs", "here")])
def test_paging_walks_every_entry_once(
    name: str, mode: str, request: pytest.FixtureRequest
) -> None:
    op: Operator = request.getfixturevalue(name)
    names = _many(op, 45)
    b = Browser(op, max_entries=20, threaded=False)
    assert b.paging == mode
    seen, token, starts = [], None, []
    while True:
        page = b.page("big/", token)
        starts.append(page.start)
        seen.extend(r.path for r in page.rows)
        token = page.next
        if token is None:
            break
    assert starts == [0, 20, 40]
    assert sorted(seen) == sorted([*names, "big/sub/"])
    assert len(seen) == len(set(seen))
    first = b.page("big/")
    assert first.total == (46 if mode == "here" else None)
    assert first.to_json()["mode"] == mode


def test_service_paging_asks_the_service_for_one_page_only(memory: Operator) -> None:
    _many(memory, 300)
    asked: list[dict[str, Any]] = []
    real = memory.list

    def spy(path: str = "/", **options: Any) -> Any:
        asked.append(options)
        return real(path, **options)

    memory.list = spy  # type: ignore[method-assign]
    page = list_page(memory, "big/", 50, mode="service")
    later = list_page(memory, "big/", 50, page.next, mode="service")
    assert asked == [{"limit": 51}, {"limit": 51, "start_after": "big/part-0049.txt"}]
    assert later.rows[0].path == "big/part-0050.txt"
    assert later.start == 50


def test_browser_previews_with_metadata(tree: Operator) -> None:
    b = Browser(tree, threaded=False)
    b.expand("data/")
    preview = b.select("data/cities.csv")
    assert b.selected_path == "data/cities.csv"
    assert b.selected == preview
    (shown,) = select(b.preview_html, "div", "opendal-preview")
    assert shown.attrs["data-path"] == "data/cities.csv"
    assert shown.attrs["data-kind"] == "table"
    assert "Lyon" in shown.text
    assert "2 rows x 2 columns" in shown.text
    meta = tree.stat("data/cities.csv")
    fields = {name: value for name, _, value in preview.metadata}
    assert fields["content_length"] == "33 B (33 bytes)"
    assert fields["etag"] == meta.etag
    assert meta.last_modified is not None
    assert fields["last_modified"] == meta.last_modified.isoformat(sep=" ", timespec="seconds")
    assert fields["content_type"] is None  # the memory service keeps none
    assert b.select("README.txt").payload["text"] == "hello browser\n"
    assert b.select("data/blob.bin").kind == "binary"
    assert b.select("nope.txt").kind == "error"


def test_browser_previews_parquet_ndjson_and_images(tree: Operator) -> None:
    pl = pytest.importorskip("polars")
    buffer = io.BytesIO()
    pl.DataFrame({"x": [1, 2, 3], "y": [None, "b", "c"]}).write_parquet(buffer)
    tree.write("data/t.parquet", buffer.getvalue())
    tree.write("data/e.ndjson", b'{"id": 1, "v": 0.5}\n{"id": 2, "v": null}\n')
    png = b"\x89PNG\r\n\x1a\n" + bytes(40)  # sent as it is: no need to be a real image
    tree.write("img/a.png", png)
    b = Browser(tree, threaded=False)
    parquet = b.select("data/t.parquet").to_json()
    assert parquet["kind"] == "table"
    assert parquet["note"] == "3 rows x 2 columns"
    assert parquet["table"]["rows"] == [[1, None], [2, "b"], [3, "c"]]
    ndjson = b.select("data/e.ndjson").to_json()
    assert ndjson["table"]["columns"] == ["id", "v"]
    assert ndjson["table"]["rows"] == [[1, 0.5], [2, None]]
    image = b.select("img/a.png").to_json()
    assert image["kind"] == "image"
    assert image["icon"] == "image"
    head, _, data = image["image"].partition(",")
    assert head == "data:image/png;base64"
    assert base64.b64decode(data) == png
    small = Browser(tree, max_preview_bytes=10, threaded=False)
    assert small.select("img/a.png").kind == "too-large"


def test_icons_by_kind() -> None:
    kinds = [
        file_kind(p)
        for p in ("d/", "a.parquet", "a.CSV", "a.ndjson", "a.json", "a.md", "a.png", "a.bin", "x")
    ]
    assert kinds == ["folder", "parquet", "csv", "json", "json", "text", "image", "other", "other"]


def test_refresh_lists_and_reads_again(tree: Operator) -> None:
    b = Browser(tree, threaded=False)
    assert len(b.page("/").rows) == 2
    b.select("README.txt")
    tree.write("new.txt", b"x")
    tree.write("README.txt", b"changed")
    assert len(b.page("/").rows) == 2  # kept until refreshed
    generation = b._generation
    b.refresh()
    assert b._generation == generation + 1
    assert len(b.page("/").rows) == 3
    assert [e["path"] for e in b._first_page["entries"]] == ["data/", "README.txt", "new.txt"]
    assert b.selected is not None
    assert b.selected.text == "changed"


def test_collapsing_forgets_the_pages_below(tree: Operator) -> None:
    b = Browser(tree, threaded=False)
    b.expand("data/")
    tree.write("data/late.txt", b"x")
    assert "data/late.txt" not in [r.path for r in b.page("data/").rows]
    b.collapse("data/")
    assert "data/late.txt" in [r.path for r in b.expand("data/")]


def test_browser_fallback(tree: Operator) -> None:
    b = Browser(tree)
    data, _ = b._repr_mimebundle_()
    assert data["text/plain"].splitlines() == ["memory · /", "  data/", "  README.txt  14 B"]
    html = data["text/html"]
    assert [e.attrs["data-path"] for e in select(html, cls="opendal-entry")] == [
        "data/",
        "README.txt",
    ]
    assert "opendal-browser" in html
    assert "memory · /" in html
    assert PAGING["service"] in html


def test_browser_of_a_subdirectory(tree: Operator) -> None:
    b = Browser(tree, "data")
    assert b.root == "data/"
    assert [r.path for r in b.page(b.root).rows][:1] == ["data/deep/"]
    assert b.expand("data/deep/")[0].path == "data/deep/notes.md"


def test_trace_rows_and_fallbacks_mark_each_call_and_escape(memory: Operator) -> None:
    recorder = RecorderLayer()
    op = memory.layer(recorder)
    op.write("dir/<a>.txt", b"x")
    with pytest.raises(FileNotFoundError):
        op.stat("nope")
    rows = trace_rows(recorder.calls)
    assert [(r.index, r.operation, r.path, r.outcome) for r in rows] == [
        (1, "write", "dir/<a>.txt", "ok"),
        (2, "stat", "nope", "NotFound"),
    ]
    assert rows[0].error is None
    assert rows[1].error
    assert [r.index for r in trace_rows(recorder.calls, limit=1)] == [2]  # numbered over all
    html = trace_html(rows)
    assert [
        (c.attrs["data-op"], c.attrs["data-path"], c.attrs["data-outcome"])
        for c in select(html, "tr", "opendal-call")
    ] == [("write", "dir/<a>.txt", "ok"), ("stat", "nope", "NotFound")]
    assert "<a>.txt" not in html  # escaped; the parser gives it back intact
    text = trace_text(rows)
    assert "#1 write dir/<a>.txt (1 B): ✓ ok [" in text
    assert "#2 stat nope: ✗ NotFound [" in text
    assert select(trace_html([]), "table", "opendal-trace")
    assert trace_text([]) == "no calls recorded yet"


def test_listing_fallbacks_carry_paths_sizes_and_say_empty() -> None:
    folder = EntryRow('a"b/', 'a"b/', True, None)
    file = EntryRow("x.csv", "x.csv", False, 2048)
    (span,) = select(entry_html(folder), "span", "opendal-dir")
    assert span.attrs["data-path"] == 'a"b/'  # quoted in the attribute, intact when parsed
    assert "opendal-entry" in span.classes
    page = ListingPage("/", (folder, file), 0, None, "service")
    html = listing_html("memory · /", page)
    assert [e.attrs["data-path"] for e in select(html, "span", "opendal-entry")] == [
        'a"b/',
        "x.csv",
    ]
    assert "2 KiB" in html
    assert listing_text("memory · /", page).splitlines() == [
        "memory · /",
        '  a"b/',
        "  x.csv  2 KiB",
    ]
    empty = ListingPage("/", (), 0, None, "service")
    assert "(empty)" in listing_html("memory · /", empty)
    assert "(empty)" in listing_text("memory · /", empty)
