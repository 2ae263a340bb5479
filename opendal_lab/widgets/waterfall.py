"""The trace viewer's rows, computed without Jupyter: one call, its layers as a waterfall.

``RecorderLayer`` measures each level's *own* time (what the call spent in that layer minus
what it spent in the levels below). The waterfall draws exactly that: one bar per level,
outermost first, each starting where the own time of the levels above it ends, so the bars
sum to the call's wall time and a layer that sleeps or waits (``ThrottleLayer``,
``RetryLayer``) shows as the long bar. The recorder does not know how a layer's own time
splits before and after its inner call, so the bars are a cascade of own times to scale, not
a timeline of when each layer ran.

A call is an *outlier* when it took more than ``OUTLIER_FACTOR`` times the median of the
recorded calls of the same operation (with at least ``OUTLIER_MIN_CALLS`` of them). A p95 rule
was not used: it marks the slowest 5 % of any traffic, even perfectly even traffic.

``trace_text`` and ``trace_html`` are the widget's deterministic fallbacks: no times and no
outlier marks (both depend on the clock), so nbval and nbconvert see stable output.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

from opendal_lab.layers.recorder import Call
from opendal_lab.widgets.tables import format_seconds, format_size

__all__ = [
    "OUTCOMES",
    "OUTLIER_FACTOR",
    "OUTLIER_MIN_CALLS",
    "Span",
    "TraceRow",
    "filter_rows",
    "outcome_label",
    "short_level",
    "trace_html",
    "trace_rows",
    "trace_text",
]

OUTLIER_FACTOR = 3.0
OUTLIER_MIN_CALLS = 3
# The outcome filter's choices: every call, the successful ones, the failed ones.
OUTCOMES = ("", "ok", "error")
Outcome = Literal["", "ok", "error"]


@dataclass(frozen=True)
class Span:
    """One level's bar: its own seconds, starting ``start`` seconds into the call."""

    level: str
    start: float
    seconds: float

    @property
    def label(self) -> str:
        return short_level(self.level)


@dataclass(frozen=True)
class TraceRow:
    """One recorded call, as drawn."""

    index: int  # 1-based over every call the recorder holds
    operation: str
    path: str
    outcome: str  # "ok" or the error kind
    duration: float
    spans: tuple[Span, ...]  # outermost first
    size: int | None
    error: str | None
    outlier: str | None  # why the call is marked slow, or None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_json(self) -> dict[str, Any]:
        """What the front end draws (times also as text, formatted once, here)."""
        return {
            "index": self.index,
            "operation": self.operation,
            "path": self.path,
            "outcome": self.outcome,
            "outcome_text": outcome_label(self.outcome),
            "ok": self.ok,
            "duration": self.duration,
            "duration_text": format_seconds(self.duration),
            "size_text": None if self.size is None else format_size(self.size),
            "error": self.error,
            "outlier": self.outlier,
            "spans": [
                {
                    "level": s.level,
                    "label": s.label,
                    "start": s.start,
                    "seconds": s.seconds,
                    "text": format_seconds(s.seconds),
                }
                for s in self.spans
            ],
        }


def short_level(name: str) -> str:
    """``"ErrorContextLayer"`` → ``"ErrorContext"``; a service's name stays as it is."""
    return name.removesuffix("Layer") or name


def outcome_label(outcome: str) -> str:
    """The outcome in a symbol and a word, so it reads without colour: ``✓ ok``, ``✗ NotFound``."""
    return "✓ ok" if outcome == "ok" else f"✗ {outcome}"


def _spans(levels: Sequence[tuple[str, float]]) -> tuple[Span, ...]:
    spans, start = [], 0.0
    for name, seconds in levels:
        spans.append(Span(name, start, seconds))
        start += seconds
    return tuple(spans)


def _medians(calls: Sequence[Call]) -> dict[str, tuple[float, int]]:
    by_operation: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        by_operation[call.operation].append(call.duration)
    return {op: (statistics.median(d), len(d)) for op, d in by_operation.items()}


def _outlier(call: Call, medians: dict[str, tuple[float, int]]) -> str | None:
    median, count = medians[call.operation]
    if count < OUTLIER_MIN_CALLS or median <= 0 or call.duration <= OUTLIER_FACTOR * median:
        return None
    return (
        f"slow: {call.duration / median:.1f} times the median {call.operation} "
        f"({format_seconds(median)} over {count} calls)"
    )


def trace_rows(calls: Sequence[Call], limit: int | None = None) -> list[TraceRow]:
    """The last ``limit`` calls (all if ``None``), oldest first, numbered from 1 over all;
    outliers are judged against every call given, not only the ones kept."""
    medians = _medians(calls)
    start = 0 if limit is None else max(0, len(calls) - limit)
    return [
        TraceRow(
            index + 1,
            call.operation,
            call.path,
            call.outcome,
            call.duration,
            _spans(call.levels),
            call.bytes,
            call.error,
            _outlier(call, medians),
        )
        for index, call in enumerate(calls)
        if index >= start
    ]


def filter_rows(rows: Sequence[TraceRow], operation: str = "", outcome: str = "") -> list[TraceRow]:
    """The rows of one operation (``""``: all) and one outcome (``"ok"``, ``"error"``, ``""``)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    return [
        row
        for row in rows
        if (not operation or row.operation == operation)
        and (not outcome or (outcome == "ok") == row.ok)
    ]


def _levels(row: TraceRow) -> str:
    return " > ".join(span.label for span in row.spans)


def trace_text(rows: Sequence[TraceRow]) -> str:
    """One line per call, without times: ``#1 write a.txt (1 B): ✓ ok [Recorder > ...]``."""
    if not rows:
        return "no calls recorded yet"
    out = []
    for row in rows:
        size = f" ({format_size(row.size)})" if row.size is not None else ""
        line = f"#{row.index} {row.operation} {row.path}{size}: {outcome_label(row.outcome)}"
        out.append(f"{line} [{_levels(row)}]")
    return "\n".join(out)


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def trace_html(rows: Sequence[TraceRow]) -> str:
    """The static table (the fallback): the same calls, layers named, no times."""
    head = "<tr><th>#</th><th>operation</th><th>path</th><th>outcome</th><th>layers</th></tr>"
    parts = [f'<table class="opendal-trace"><thead>{head}</thead><tbody>']
    for row in rows:
        title = f' title="{_attr(row.error)}"' if row.error else ""
        size = f" ({format_size(row.size)})" if row.size is not None else ""
        parts.append(
            f'<tr class="opendal-call" data-op="{_attr(row.operation)}" '
            f'data-path="{_attr(row.path)}" data-outcome="{_attr(row.outcome)}">'
            f"<td>{row.index}</td><td>{escape(row.operation)}</td>"
            f"<td>{escape(row.path)}{escape(size)}</td>"
            f"<td{title}>{escape(outcome_label(row.outcome))}</td>"
            f"<td>{escape(_levels(row))}</td></tr>"
        )
    if not rows:
        parts.append('<tr><td colspan="5">no calls recorded yet</td></tr>')
    parts.append("</tbody></table>")
    return "".join(parts)
