"""TraceViewer: the RecorderLayer's last calls as a live table, with a clear button.

::

    recorder = RecorderLayer()
    op = Operator("memory").layer(recorder)
    TraceViewer(recorder)          # or TraceViewer(op): the recorder is found in its stack
    op.write("a.txt", b"hi")       # a row appears: write, a.txt, per-layer time, ok

The viewer listens to the recorder (``RecorderLayer.listen``), so each call redraws the
table as it finishes, from whichever thread made it (ipywidgets sends the new value to the
frontend from there). ``close()`` stops listening.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opendal_lab.core.operator import Operator
from opendal_lab.layers.recorder import Call, RecorderLayer
from opendal_lab.widgets._base import FallbackRepr, ipywidgets
from opendal_lab.widgets.html import trace_html
from opendal_lab.widgets.tables import TraceRow, trace_rows
from opendal_lab.widgets.text import trace_text

__all__ = ["TraceViewer", "find_recorder"]


def find_recorder(op: Operator) -> RecorderLayer:
    """The outermost RecorderLayer on ``op``'s stack."""
    for level in reversed(op.stack):
        if isinstance(level.layer, RecorderLayer):
            return level.layer
    raise ValueError(
        f"{op!r} has no RecorderLayer: build it with op.layer(RecorderLayer()) and pass that"
    )


class TraceViewer(FallbackRepr, ipywidgets.VBox):  # type: ignore[misc]
    """Live table of a RecorderLayer's calls (the newest ``max_rows``, newest last)."""

    def __init__(self, source: RecorderLayer | Operator, *, max_rows: int = 50) -> None:
        if isinstance(source, Operator):
            source = find_recorder(source)
        if not isinstance(source, RecorderLayer):
            raise TypeError(
                f"TraceViewer needs a RecorderLayer or an Operator, got {type(source).__name__}"
            )
        self.recorder = source
        self.max_rows = max_rows
        self.table = ipywidgets.HTML()
        self.clear_button = ipywidgets.Button(description="clear", tooltip="forget every call")
        self.clear_button.add_class("opendal-trace-clear")
        self.clear_button.on_click(self._on_clear)
        super().__init__(children=[self.clear_button, self.table])
        self.add_class("opendal-trace-viewer")
        self._stop: Callable[[], None] | None = source.listen(self._on_call)
        self.refresh()

    @property
    def rows(self) -> list[TraceRow]:
        return trace_rows(self.recorder.calls, self.max_rows)

    def refresh(self) -> None:
        self.table.value = trace_html(self.rows)

    def clear(self) -> None:
        """Forget every recorded call and empty the table."""
        self.recorder.clear()
        self.refresh()

    def _on_clear(self, button: Any) -> None:
        self.clear()

    def _on_call(self, call: Call) -> None:
        self.refresh()

    def close(self) -> None:
        stop, self._stop = getattr(self, "_stop", None), None
        if stop is not None:
            stop()
        super().close()

    def _fallback_text(self) -> str:
        return trace_text(self.rows)

    def _fallback_html(self) -> str:
        return f'<div class="opendal-trace-viewer">{trace_html(self.rows, timings=False)}</div>'

    def __repr__(self) -> str:
        calls = self.recorder.calls
        last = f", last: {calls[-1].operation} {calls[-1].path}" if calls else ""
        return f"<TraceViewer {len(calls)} calls{last}>"
