"""TraceViewer: the RecorderLayer's last calls, live, each with a waterfall of its layers.

::

    recorder = RecorderLayer()
    op = Operator("memory").layer(recorder)
    viewer = TraceViewer(recorder)  # or TraceViewer(op): the recorder is found in its stack
    op.write("a.txt", b"hi")        # a row appears: write, a.txt, ✓ ok, its time, its bars
    viewer.operation = "write"      # the filters are traitlets: Python and the page share them
    TraceViewer(recorder, actions={"write": lambda: op.write("b.txt", b"x")})  # buttons

The rows are computed by ``waterfall.trace_rows`` (one bar per level, its own time to scale,
outliers marked) and sent to ``static/trace.js`` as JSON in one synced traitlet; the page
filters and draws them. The viewer listens to the recorder (``RecorderLayer.listen``): each
call schedules a redraw, sent at most once per ``throttle`` seconds (the first at once, the
rest of a burst together at the end of the interval), from whichever thread made the call.
The page's buttons are custom messages: *clear* (``{"type": "clear"}``) and one button per
entry of ``actions`` (``{"type": "action", "name": ...}``), all in one row; an action that
raises is recorded like any call and does not break the viewer. ``close()`` stops listening.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

import traitlets

from opendal_lab.core.operator import Operator
from opendal_lab.layers.recorder import RecorderLayer
from opendal_lab.widgets._base import FallbackRepr, anywidget, static_css, static_esm
from opendal_lab.widgets.redraw import FollowsRecorder, ThrottledRedraw
from opendal_lab.widgets.waterfall import (
    OUTCOMES,
    TraceRow,
    filter_rows,
    trace_html,
    trace_rows,
    trace_text,
)

__all__ = ["TraceViewer", "find_recorder"]

THROTTLE_SECONDS = 0.1


def find_recorder(op: Operator) -> RecorderLayer:
    """The outermost RecorderLayer on ``op``'s stack."""
    for level in reversed(op.stack):
        if isinstance(level.layer, RecorderLayer):
            return level.layer
    raise ValueError(
        f"{op!r} has no RecorderLayer: build it with op.layer(RecorderLayer()) and pass that"
    )


class TraceViewer(FollowsRecorder, FallbackRepr, anywidget.AnyWidget):
    """Live list of a RecorderLayer's calls (the newest ``max_rows``, newest last)."""

    _esm = static_esm("trace.js")
    _css = static_css("trace.css")

    # The rows as JSON (waterfall.TraceRow.to_json), oldest first.
    _calls = traitlets.List(traitlets.Dict()).tag(sync=True)
    _total = traitlets.Int(0).tag(sync=True)  # calls the recorder holds, shown or not
    _actions = traitlets.List(traitlets.Unicode()).tag(sync=True)  # button labels
    operation = traitlets.Unicode("").tag(sync=True)  # filter: "" is every operation
    outcome = traitlets.Unicode("").tag(sync=True)  # filter: "", "ok" or "error"
    scale = traitlets.Unicode("call").tag(sync=True)  # "call": each call fills the track;
    # "shared": one scale for every call shown, so calls compare by length

    def __init__(
        self,
        source: RecorderLayer | Operator,
        *,
        max_rows: int = 50,
        throttle: float = THROTTLE_SECONDS,
        actions: Mapping[str, Callable[[], object]] | None = None,
    ) -> None:
        if isinstance(source, Operator):
            source = find_recorder(source)
        if not isinstance(source, RecorderLayer):
            raise TypeError(
                f"TraceViewer needs a RecorderLayer or an Operator, got {type(source).__name__}"
            )
        self.recorder = source
        self.max_rows = max_rows
        self.actions = dict(actions or {})
        for name, action in self.actions.items():
            if not callable(action):
                raise TypeError(f"TraceViewer: action {name!r} must be callable")
        self._redraws = ThrottledRedraw(self._redraw, throttle)
        super().__init__(_actions=list(self.actions))
        self.add_class("opendal-trace-viewer")
        self.on_msg(self._on_message)
        self._redraws.now()
        self._redraws.follow(source)

    @traitlets.validate("outcome")
    def _valid_outcome(self, proposal: Any) -> str:
        if proposal["value"] not in OUTCOMES:
            raise traitlets.TraitError(f"outcome must be one of {OUTCOMES}")
        return str(proposal["value"])

    @traitlets.validate("scale")
    def _valid_scale(self, proposal: Any) -> str:
        if proposal["value"] not in ("call", "shared"):
            raise traitlets.TraitError("scale must be 'call' or 'shared'")
        return str(proposal["value"])

    # -- what the page shows ---------------------------------------------------------------
    @property
    def rows(self) -> list[TraceRow]:
        """The newest ``max_rows`` calls, as of now (not throttled)."""
        return trace_rows(self.recorder.calls, self.max_rows)

    @property
    def visible_rows(self) -> list[TraceRow]:
        """``rows`` through the operation and outcome filters."""
        return filter_rows(self.rows, self.operation, self.outcome)

    def _redraw(self) -> None:
        calls = self.recorder.calls
        rows = trace_rows(calls, self.max_rows)
        self.set_trait("_total", len(calls))
        self.set_trait("_calls", [row.to_json() for row in rows])

    def clear(self) -> None:
        """Forget every recorded call and empty the list."""
        self.recorder.clear()
        self.refresh()

    def run(self, name: str) -> None:
        """What the page's button ``name`` does: run that action."""
        action = self.actions[name]
        with contextlib.suppress(Exception):  # a failed call shows as a row: that is the point
            action()

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "clear":
            self.clear()
        elif content.get("type") == "action" and content.get("name") in self.actions:
            self.run(content["name"])

    # -- fallbacks -------------------------------------------------------------------------
    # Where these show (GitHub, an untrusted notebook) <style> is stripped anyway, and
    # elsewhere the stored widget state draws the widget itself: so plain HTML without styles,
    # and a stored output that does not change with the CSS.
    def _fallback_text(self) -> str:
        return trace_text(self.rows)

    def _fallback_html(self) -> str:
        return (
            f'<div class="opendal-static opendal-trace-viewer odl-trace">'
            f"<p><b>Trace</b> · {escape(str(len(self.recorder.calls)))} calls recorded "
            f"(layers outermost first; times in the live widget)</p>"
            f"{trace_html(self.rows)}</div>"
        )

    def __repr__(self) -> str:
        calls = self.recorder.calls
        last = f", last: {calls[-1].operation} {calls[-1].path}" if calls else ""
        return f"<TraceViewer {len(calls)} calls{last}>"
