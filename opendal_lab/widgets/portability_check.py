"""PortabilityCheck: would the calls this notebook made run on other storage?

::

    recorder = RecorderLayer()
    op = Operator("memory").layer(recorder)
    ...                                                    # the notebook works on op
    PortabilityCheck(recorder, {"fs": fs_op, "s3": s3_op, "http": http_op})

One row per kind of recorded call (``list (recursive)``, ``stat of a directory``...), one
column per target: ✓ native, ≈ simulated (with the SimulateLayer switch and the extra
storage calls it costs) or ✗ unsupported (with the reason). Clicking a cell says why. The
rows come from ``portability.check_portability`` and go to ``static/portability.js`` as JSON
in synced traitlets. Given a RecorderLayer (or an Operator with one), the widget listens to
it and redraws at most once per ``throttle`` seconds while calls come in; ``refresh()``
redraws now and ``close()`` stops listening. Given calls, it draws them once.
"""

from __future__ import annotations

from collections.abc import Iterable

import traitlets

from opendal_lab.core.operator import Operator
from opendal_lab.layers.recorder import Call, RecorderLayer
from opendal_lab.widgets._base import FallbackRepr, anywidget, static_css, static_esm
from opendal_lab.widgets.portability import (
    STATES,
    PortabilityTable,
    Request,
    check_portability,
    portability_html,
    portability_text,
)
from opendal_lab.widgets.redraw import FollowsRecorder, ThrottledRedraw
from opendal_lab.widgets.tables import Operators, label_operators
from opendal_lab.widgets.trace import find_recorder

__all__ = ["PortabilityCheck"]

THROTTLE_SECONDS = 0.1


class PortabilityCheck(FollowsRecorder, FallbackRepr, anywidget.AnyWidget):
    """Recorded calls (rows) against target operators (columns): native, simulated or not."""

    _esm = static_esm("portability.js")
    _css = static_css("portability.css")

    targets = traitlets.List(traitlets.Unicode()).tag(sync=True)  # column labels
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)  # PortabilityRow.to_json()
    totals = traitlets.List(traitlets.Dict()).tag(sync=True)  # TargetTotals.to_json()
    legend = traitlets.List(traitlets.List()).tag(sync=True)  # [state, symbol, meaning]
    only_problems = traitlets.Bool(False).tag(sync=True)  # hide rows native everywhere

    def __init__(
        self,
        source: RecorderLayer | Operator | Iterable[Call | Request],
        targets: Operators,
        *,
        throttle: float = THROTTLE_SECONDS,
    ) -> None:
        if isinstance(source, Operator):
            source = find_recorder(source)
        self.recorder: RecorderLayer | None = None
        self._calls: list[Call | Request] = []
        given: object = source  # notebooks pass anything: check what the hint promises
        if isinstance(given, RecorderLayer):
            self.recorder = given
        elif isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
            raise TypeError(
                "PortabilityCheck needs a RecorderLayer, an Operator with one, or recorded "
                f"calls, got {type(given).__name__}"
            )
        else:
            self._calls = list(given)
        self._targets = label_operators(targets)
        self._redraws = ThrottledRedraw(self._redraw, throttle)
        super().__init__(legend=[[state, sym, meaning] for state, (sym, meaning) in STATES.items()])
        self.add_class("opendal-portability-check")
        self._redraws.now()
        if self.recorder is not None:
            self._redraws.follow(self.recorder)

    def _current(self) -> list[Call | Request]:
        return list(self.recorder.calls) if self.recorder is not None else self._calls

    def _draw(self, table: PortabilityTable) -> None:
        data = table.to_json()
        self.set_trait("targets", data["targets"])
        self.set_trait("rows", data["rows"])
        self.set_trait("totals", data["totals"])

    def _redraw(self) -> None:
        self.table = check_portability(self._current(), self._targets)
        self._draw(self.table)

    # -- fallbacks -------------------------------------------------------------------------
    def _fallback_text(self) -> str:
        return portability_text(self.table)

    def _fallback_html(self) -> str:
        # No stylesheet, as CapabilityMatrix: the stored output stays put when the CSS changes.
        body = portability_html(self.table, style=False)
        return f'<div class="opendal-static opendal-portability-check">{body}</div>'

    def __repr__(self) -> str:
        calls = sum(row.count for row in self.table.rows)
        return (
            f"<PortabilityCheck {calls} calls in {len(self.table.rows)} rows against "
            f"{', '.join(self.table.targets)}>"
        )
