"""Would these calls run elsewhere? The calls a notebook made, checked against other stacks.

::

    recorder = RecorderLayer()
    op = Operator("memory").layer(recorder)
    ...                                   # the notebook works on op
    table = check_portability(recorder.calls, {"fs": fs_op, "s3": s3_op, "http": http_op})
    print(portability_text(table))   # per call and target: ✓ native, ≈ simulated, ✗ unsupported

Each recorded call is mapped to the capability fields it needs: its operation (``list`` →
``list``, ``presign_read`` → ``presign`` and ``presign_read``), each option it set (``list``
with ``recursive`` → ``list_with_recursive``, ``read`` with ``suffix`` → ``read_with_suffix``,
``write`` with ``append`` → ``write_can_append``) and what its arguments imply (a write of 0
bytes → ``write_can_empty``; ``stat("d/")`` → ``stat`` plus SimulateLayer's ``stat_dir``
switch where the target has no real directories). Each target's state per field is its
``capability_report()``, never recomputed here: a field simulated there names its switch,
whose cost in storage calls comes from ``SWITCH_INFO``; a field the target lacks, or that a
layer removed, makes the call unsupported there, with the reason. Calls with the same
operation and needs share a row, counted.

A recorded ``Call`` carries the options it was made with (``Call.options``, the
``(name, value)`` pairs that were set); a mapping or an options dataclass works too.
``Request`` states a call by hand, options included.

Pure: imports without Jupyter. ``portability_text`` and ``portability_html`` render the
table (the ``PortabilityCheck`` widget's fallbacks); ``PortabilityTable.to_json`` is what the
widget sends to its page.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any, Literal

from opendal_lab.core.capability import Capability
from opendal_lab.core.layers.simulate import (
    SWITCH_FIELDS,
    SWITCH_INFO,
    SimulateLayer,
    needed_switches,
)
from opendal_lab.core.operator import CapabilityReport, Operator
from opendal_lab.core.options import _Options
from opendal_lab.core.path import ROOT
from opendal_lab.layers.recorder import Call
from opendal_lab.widgets.assets import static_css
from opendal_lab.widgets.tables import Operators, label_operators

__all__ = [
    "STATES",
    "PortabilityCell",
    "PortabilityRow",
    "PortabilityState",
    "PortabilityTable",
    "Request",
    "TargetTotals",
    "check_portability",
    "portability_html",
    "portability_text",
]

PortabilityState = Literal["native", "simulated", "unsupported"]

# state -> (symbol, what it means): meaning never rests on colour alone.
STATES: Mapping[str, tuple[str, str]] = {
    "native": ("✓", "the target does it itself"),
    "simulated": ("≈", "SimulateLayer builds it there from other calls"),
    "unsupported": ("✗", "the call would fail there"),
}

_FIELDS = frozenset(Capability.field_names())
_SWITCH_OF = {field: switch for switch, field in SWITCH_FIELDS.items()}
_PRESIGN = ("presign_read", "presign_stat", "presign_write", "presign_delete")
# The fields each recorded operation needs before any option.
_BASE: dict[str, tuple[str, ...]] = {
    "stat": ("stat",),
    "read": ("read",),
    "write": ("write",),
    "writer": ("write",),
    "list": ("list",),
    "delete": ("delete",),
    "delete_many": ("delete",),
    "create_dir": ("create_dir",),
    "copy": ("copy",),
    "rename": ("rename",),
    **{name: ("presign", name) for name in _PRESIGN},
}
# Options whose field does not follow ``<operation>_with_<option>``.
_OPTION_FIELDS = {"append": "write_can_append"}
# Fields of options that only decorate a result: without them the call runs, the option is
# dropped (CapabilityCheckLayer refuses them instead).
_DECORATIVE = frozenset(
    f
    for f in _FIELDS
    if f.startswith(("write_with_content_", "write_with_cache_control", "write_with_user_"))
    or "_with_override_" in f
)
_DELETE_MANY = re.compile(r"^(\d+) paths$")  # how RecorderLayer names a delete_many


# -- what was called -------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One call to check: its operation (as ``RecorderLayer`` names it), path and options.

    ``options`` holds only the options that were set, as ``(name, value)`` pairs; ``size``
    is the bytes written (``write``, ``writer``) or the paths of a ``delete_many``;
    ``outcome`` is how the call ended where it was recorded (``"ok"`` or an error kind).
    """

    operation: str
    path: str = ""
    options: tuple[tuple[str, Any], ...] = ()
    size: int | None = None
    outcome: str = "ok"

    def __post_init__(self) -> None:
        if self.operation not in _BASE:
            raise ValueError(
                f"unknown operation {self.operation!r}; the portability check knows "
                f"{', '.join(_BASE)}"
            )

    @classmethod
    def of(cls, operation: str, path: str = "", **options: Any) -> Request:
        """``Request.of("list", "data/", recursive=True)``: options as keywords."""
        return cls(operation, path, _set_options(options))

    @classmethod
    def from_call(cls, call: Call) -> Request:
        """The request a recorded call made (its options, if the call kept them)."""
        size = call.bytes if call.operation in ("write", "writer") else None
        if call.operation == "delete_many":
            counted = _DELETE_MANY.match(call.path)
            size = int(counted.group(1)) if counted else None
        raw = getattr(call, "options", None)
        return cls(call.operation, call.path, _set_options(raw), size, call.outcome)

    @property
    def needs(self) -> tuple[str, ...]:
        """The capability fields this call needs, operation first."""
        group = "write" if self.operation == "writer" else self.operation
        fields = list(_BASE[self.operation])
        for name, _ in self.options:
            field = _OPTION_FIELDS.get(name, f"{group}_with_{name}")
            if field in _FIELDS and field not in fields:
                fields.append(field)
        if group == "write" and self.size == 0:
            fields.append("write_can_empty")
        return tuple(fields)

    @property
    def is_dir_stat(self) -> bool:
        return self.operation == "stat" and self.path.endswith("/") and self.path != ROOT

    @property
    def label(self) -> str:
        """What the call is, without its path: ``list (recursive)``, ``stat of a directory``."""
        if self.is_dir_stat:
            return "stat of a directory"
        names = [name for name, _ in self.options]
        if self.operation in ("write", "writer") and self.size == 0:
            names.append("0 bytes")
        return f"{self.operation} ({', '.join(names)})" if names else self.operation


def _set_options(raw: object) -> tuple[tuple[str, Any], ...]:
    """The options that were set, sorted by name, from a mapping or an options dataclass."""
    if raw is None:
        return ()
    if isinstance(raw, _Options):
        items = dict(raw.given())
    elif isinstance(raw, (Mapping, tuple)):  # a tuple: Call.options, (name, value) pairs
        items = dict(raw)
    else:
        raise TypeError(f"options must be a mapping or an options dataclass, got {raw!r}")
    return tuple(sorted((k, v) for k, v in items.items() if v is not None and v is not False))


# -- what a target makes of it ---------------------------------------------------------


@dataclass(frozen=True)
class PortabilityCell:
    """One target's verdict on one row of calls."""

    target: str
    state: PortabilityState
    fields: tuple[str, ...]  # the fields that decided the state
    switches: tuple[str, ...]  # the SimulateLayer switches that would act
    extra_calls: int  # the fewest storage calls added over all the row's calls
    extra: str  # those calls in words ("" when none)
    reason: str

    @property
    def symbol(self) -> str:
        return STATES[self.state][0]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "state": self.state,
            "symbol": self.symbol,
            "fields": list(self.fields),
            "switches": list(self.switches),
            "extra_calls": self.extra_calls,
            "extra": self.extra,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PortabilityRow:
    """The calls that share an operation and needs, and each target's verdict on them."""

    index: int
    call: str  # Request.label
    operation: str
    example: str  # the first call's path
    count: int
    failed_here: int  # of those calls, how many failed where they were recorded
    fields: tuple[str, ...]  # every field the calls need
    cells: tuple[PortabilityCell, ...]

    def cell(self, target: str) -> PortabilityCell:
        for cell in self.cells:
            if cell.target == target:
                return cell
        raise KeyError(f"no target {target!r}; targets: {', '.join(c.target for c in self.cells)}")

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "call": self.call,
            "operation": self.operation,
            "example": self.example,
            "count": self.count,
            "failed_here": self.failed_here,
            "fields": list(self.fields),
            "cells": [cell.to_json() for cell in self.cells],
        }


@dataclass(frozen=True)
class TargetTotals:
    """One target's verdict over every recorded call (each call counted, not each row)."""

    target: str
    native: int
    simulated: int
    unsupported: int
    extra_calls: int

    @property
    def text(self) -> str:
        extra = ""
        if self.extra_calls:
            extra = f" (+{self.extra_calls} call{'s' if self.extra_calls > 1 else ''})"
        return (
            f"{self.native} native · {self.simulated} simulated{extra} · "
            f"{self.unsupported} unsupported"
        )

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "text": self.text}


@dataclass(frozen=True)
class PortabilityTable:
    """Rows of recorded calls (first seen first) by target operators (columns, by label)."""

    targets: tuple[str, ...]
    rows: tuple[PortabilityRow, ...]

    def row(self, call: str) -> PortabilityRow:
        """The row of ``call`` (a ``Request.label``, such as ``"list (recursive)"``)."""
        for row in self.rows:
            if row.call == call:
                return row
        raise KeyError(f"no row {call!r}; rows: {', '.join(r.call for r in self.rows)}")

    def totals(self) -> tuple[TargetTotals, ...]:
        out = []
        for target in self.targets:
            counts = dict.fromkeys(STATES, 0)
            extra = 0
            for row in self.rows:
                cell = row.cell(target)
                counts[cell.state] += row.count
                extra += cell.extra_calls
            out.append(
                TargetTotals(
                    target, counts["native"], counts["simulated"], counts["unsupported"], extra
                )
            )
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "rows": [row.to_json() for row in self.rows],
            "totals": [t.to_json() for t in self.totals()],
        }


@dataclass(frozen=True)
class _Target:
    """What the check reads from one target operator, once."""

    label: str
    report: CapabilityReport
    simulators: frozenset[str]  # the names of its SimulateLayer levels
    stat_dir: Literal["native", "simulated", "off"]

    @classmethod
    def of(cls, label: str, op: Operator) -> _Target:
        names = frozenset(lv.name for lv in op.stack if isinstance(lv.layer, SimulateLayer))
        return cls(label, op.capability_report(), names, _stat_dir(op))


def _stat_dir(op: Operator) -> Literal["native", "simulated", "off"]:
    """How ``op`` answers ``stat("d/")``: by the service, by SimulateLayer, or not at all.

    stat_dir turns no field on (it completes ``stat``), so the report cannot say; the
    answer is the SimulateLayer's own (``active``) on the capability beneath it.
    """
    below = op.native_capability()
    for under, level in zip(op.stack, op.stack[1:], strict=False):
        if isinstance(level.layer, SimulateLayer):
            if level.layer.active(under.capability)["stat_dir"]:
                return "simulated"
            below = under.capability
            break
    return "off" if needed_switches(below)["stat_dir"] else "native"


def check_portability(calls: Iterable[Call | Request], targets: Operators) -> PortabilityTable:
    """For each kind of recorded call and each target: native, simulated or unsupported.

    ``calls`` are ``RecorderLayer.calls`` (or ``Request`` objects); ``targets`` an operator,
    a list of them or a mapping label → operator, as for the capability matrix.
    """
    prepared = [_Target.of(label, op) for label, op in label_operators(targets).items()]
    groups: dict[tuple[str, tuple[str, ...], bool], list[Request]] = {}
    for item in calls:
        request = item if isinstance(item, Request) else Request.from_call(item)
        key = (request.operation, request.needs, request.is_dir_stat)
        groups.setdefault(key, []).append(request)
    rows = []
    for index, requests in enumerate(groups.values(), start=1):
        first = requests[0]
        rows.append(
            PortabilityRow(
                index,
                first.label,
                first.operation,
                first.path,
                len(requests),
                sum(r.outcome != "ok" for r in requests),
                first.needs,
                tuple(_judge(requests, target) for target in prepared),
            )
        )
    return PortabilityTable(tuple(t.label for t in prepared), tuple(rows))


def _judge(requests: list[Request], target: _Target) -> PortabilityCell:
    first, report, name = requests[0], target.report, target.label
    refused = _refusal(requests, target)
    if refused is not None:
        fields, reason = refused
        return PortabilityCell(name, "unsupported", fields, (), 0, "", reason)
    simulated = [f for f in first.needs if report[f].state == "simulated"]
    switches = [
        _SWITCH_OF[f] for f in simulated if f in _SWITCH_OF and report[f].layer in target.simulators
    ]
    others = [f for f in simulated if _SWITCH_OF.get(f) not in switches]
    if first.is_dir_stat and target.stat_dir == "simulated":
        switches.append("stat_dir")
    extra_calls, per = 0, []
    for switch in switches:
        info = SWITCH_INFO[switch]
        extra_calls += info.extra_calls * len(requests)
        if info.per:
            per.append(f"+1 per {info.per}")
    batch_extra, batch_note = _delete_many_extra(requests, report)
    extra_calls += batch_extra
    counted = [f"+{extra_calls} call{'s' if extra_calls > 1 else ''}"] if extra_calls else []
    extra = ", ".join(counted + per)
    if switches or others:
        how = [f"SimulateLayer's '{s}' switch ({SWITCH_INFO[s].cost})" for s in switches]
        how += [f"{report[f].layer} simulates {f}" for f in others]
        missing = [*simulated, *(["stat of a directory"] if "stat_dir" in switches else [])]
        reason = f"{name} has no native {_and(missing)}: {'; '.join(how)}"
        return PortabilityCell(
            name,
            "simulated",
            tuple(simulated) or ("stat",),
            tuple(switches),
            extra_calls,
            extra,
            reason + batch_note + ".",
        )
    reason = f"{name} does {_and(list(first.needs))} itself"
    if first.is_dir_stat:
        reason += " (it answers stat('d/') without SimulateLayer)"
    claimed = [f for f in first.needs if report[f].state == "overridden"]
    if claimed:
        reason += f"; {_and(claimed)} only declared by {_layers(report, claimed)}"
    return PortabilityCell(
        name, "native", first.needs, (), extra_calls, extra, reason + batch_note + "."
    )


def _refusal(requests: list[Request], target: _Target) -> tuple[tuple[str, ...], str] | None:
    """Why the calls would not run on ``target`` (the fields at fault, the reason), if so."""
    first, report, name = requests[0], target.report, target.label
    missing = [f for f in first.needs if report[f].effective in (False, None)]
    removed = [f for f in missing if report[f].state == "removed"]
    if removed:
        field = removed[0]
        return tuple(missing), f"{name}: {field} is turned off by {report[field].layer}."
    if missing:
        reason = f"{name} lacks {_and(missing)}, and no layer on its stack adds it"
        if all(f in _DECORATIVE for f in missing):
            reason += (
                ": by default the option is dropped without an error "
                "(CapabilityCheckLayer refuses it)"
            )
        return tuple(missing), reason + "."
    too_big = _over_limit(requests, report)
    if too_big:
        return ("write_total_max_size",), f"{name}: {too_big}."
    if first.is_dir_stat and target.stat_dir == "off":
        return ("stat",), (
            f"{name} has no directories of its own and SimulateLayer's 'stat_dir' switch is "
            "off there: stat('d/') finds only an object named 'd/'."
        )
    return None


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _layers(report: CapabilityReport, fields: list[str]) -> str:
    return ", ".join(sorted({str(report[f].layer) for f in fields}))


def _over_limit(requests: list[Request], report: CapabilityReport) -> str:
    limit = report["write_total_max_size"].effective
    if limit is None or requests[0].operation not in ("write", "writer"):
        return ""
    biggest = max((r.size or 0) for r in requests)
    if biggest <= limit:
        return ""
    return f"a write of {biggest:,} bytes is over write_total_max_size ({limit:,} bytes)"


def _delete_many_extra(requests: list[Request], report: CapabilityReport) -> tuple[int, str]:
    """Storage calls beyond one per ``delete_many``: one per path where the target has no
    batch delete, one per ``delete_max_size`` paths where it has."""
    if requests[0].operation != "delete_many":
        return 0, ""
    batch = report["delete_max_size"].effective
    extra = 0
    for request in requests:
        if request.size:
            calls = request.size if batch is None else math.ceil(request.size / batch)
            extra += calls - 1
    if not extra:
        return 0, ""
    how = "one delete per path" if batch is None else f"batches of {batch:,} paths"
    return extra, f" ({how}: +{extra} call{'s' if extra > 1 else ''})"


# -- renderings ------------------------------------------------------------------------


def _cell_words(cell: PortabilityCell) -> str:
    extra = f" {cell.extra}" if cell.extra else ""
    return f"{cell.symbol} {cell.state}{extra}"


def portability_text(table: PortabilityTable) -> str:
    """A fixed-width table, the targets' totals, a legend, then why each cell is not native."""
    if not table.rows:
        return "no calls recorded yet"
    head = ["call", "calls", *table.targets]
    body = [[row.call, str(row.count), *(_cell_words(c) for c in row.cells)] for row in table.rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(head), *(line(cells) for cells in body)]
    for totals in table.totals():
        out.append(f"{totals.target}: {totals.text}")
    out.append("legend: " + " · ".join(f"{sym} {word}" for word, (sym, _) in STATES.items()))
    for row in table.rows:
        for cell in row.cells:
            if cell.state != "native":
                out.append(f"{row.call} → {cell.target}: {cell.state}: {cell.reason}")
    return "\n".join(out)


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


@cache
def _legend_html() -> str:
    items = "".join(
        f'<span data-state="{word}" title="{_attr(meaning)}">'
        f'<span class="odl-sym" aria-hidden="true">{sym}</span> {word}</span>'
        for word, (sym, meaning) in STATES.items()
    )
    return f'<div class="opendal-legend">{items}</div>'


def _cell_html(cell: PortabilityCell) -> str:
    extra = f' <small class="odl-extra odl-num">{escape(cell.extra)}</small>' if cell.extra else ""
    return (
        f'<td data-target="{_attr(cell.target)}" data-state="{cell.state}" '
        f'data-fields="{_attr(" ".join(cell.fields))}" title="{_attr(cell.reason)}">'
        f'<span class="odl-sym" aria-hidden="true">{cell.symbol}</span> '
        f'<span class="odl-word">{cell.state}</span>{extra}</td>'
    )


def portability_html(table: PortabilityTable, *, style: bool = True) -> str:
    """The legend and one table (calls as rows, targets as columns, totals in the footer);
    ``style`` wraps them in ``div.opendal-static`` with the stylesheet, for fallbacks."""
    head = "".join(f'<th data-target="{_attr(t)}">{escape(t)}</th>' for t in table.targets)
    parts = [
        _legend_html(),
        '<div class="odl-scroll"><table class="opendal-portability">',
        f"<thead><tr><th>call</th><th>calls</th><th>needs</th>{head}</tr></thead><tbody>",
    ]
    for row in table.rows:
        failed = f' <small class="odl-failed">({row.failed_here} failed here)</small>'
        parts.append(
            f'<tr data-op="{_attr(row.operation)}" data-call="{_attr(row.call)}">'
            f'<th title="{_attr(row.example)}">{escape(row.call)}'
            f"{failed if row.failed_here else ''}</th>"
            f'<td class="odl-num">{row.count}</td>'
            f'<td class="odl-needs">{escape(", ".join(row.fields))}</td>'
            + "".join(_cell_html(cell) for cell in row.cells)
            + "</tr>"
        )
    width = len(table.targets) + 3
    if not table.rows:
        parts.append(f'<tr><td colspan="{width}">no calls recorded yet</td></tr>')
    totals = "".join(
        f'<td data-target="{_attr(t.target)}" class="odl-num">{escape(t.text)}</td>'
        for t in table.totals()
    )
    parts.append(f'</tbody><tfoot><tr><th colspan="3">all calls</th>{totals}</tr></tfoot>')
    parts.append("</table></div>")
    body = "".join(parts)
    if not style:
        return body
    return (
        f'<div class="opendal-static opendal-portability-check">'
        f"<style>{static_css('portability.css')}</style>{body}</div>"
    )
