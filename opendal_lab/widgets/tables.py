"""The capability matrix's rows, computed without Jupyter, and the size and time formats
every widget shares.

The matrix comes from ``Operator.capability_report()`` (never recomputed: a cell's state and
the layer named in its tooltip are the report's; ``explain_cell`` says what would change it).
``html.py`` and ``text.py`` render these rows; the widgets only wire them to the page, so
everything a user sees is unit-tested here without a kernel. The trace viewer's rows are in
``waterfall.py``, the browser's in ``listing.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from opendal_lab.core.capability import GROUPS, Capability, describe
from opendal_lab.core.layers.simulate import SWITCH_FIELDS, SWITCH_INFO
from opendal_lab.core.operator import FieldState, Operator

__all__ = [
    "ALL_GROUPS",
    "CellChange",
    "CellExplanation",
    "CellState",
    "Matrix",
    "MatrixCell",
    "MatrixRow",
    "build_matrix",
    "explain_cell",
    "filter_matrix",
    "format_limit",
    "format_seconds",
    "format_size",
    "label_operators",
    "matrix_changes",
    "search_matrix",
]

CellState = Literal["native", "simulated", "overridden", "unsupported"]
Operators = Operator | Mapping[str, Operator] | Sequence[Operator]

ALL_GROUPS = "all"
# Limits that count bytes; delete_max_size counts paths and is shown as a plain number.
_BYTE_LIMITS = frozenset(
    f for f in Capability.field_names() if f.endswith("_size") and not f.startswith("delete")
)


@dataclass(frozen=True)
class MatrixCell:
    """One operator's answer for one field, as drawn."""

    service: str
    field: str
    state: CellState
    removed: bool  # a layer turned the field off: drawn as overridden, said in the tooltip
    value: bool | int | None
    text: str
    tooltip: str
    layer: str | None


@dataclass(frozen=True)
class MatrixRow:
    field: str
    group: str
    cells: tuple[MatrixCell, ...]

    @property
    def differs(self) -> bool:
        """Whether the operators disagree on this field (for one operator: a layer changed it)."""
        if len(self.cells) == 1:
            return self.cells[0].layer is not None
        return len({(c.state, c.removed, c.value) for c in self.cells}) > 1


@dataclass(frozen=True)
class Matrix:
    """Operators (columns, by label) by capability fields (rows, in group order)."""

    services: tuple[str, ...]
    rows: tuple[MatrixRow, ...]

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups that have at least one row, in ``GROUPS`` order."""
        present = {row.group for row in self.rows}
        return tuple(g for g in GROUPS if g in present)

    def cell(self, service: str, field: str) -> MatrixCell:
        for row in self.rows:
            if row.field == field:
                return row.cells[self.services.index(service)]
        raise KeyError(field)


def label_operators(operators: Operators) -> dict[str, Operator]:
    """Labels for the columns: a mapping keeps its labels; otherwise each operator's scheme,
    with ``-2``, ``-3``... added when two operators share one."""
    if isinstance(operators, Operator):
        return {operators.scheme: operators}
    given: object = operators  # notebooks pass anything: check what the type hint promises
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise TypeError(
            "operators must be an Operator, a list of them or a mapping label -> Operator, "
            f"got {type(given).__name__}"
        )
    if isinstance(operators, Mapping):
        labelled = dict(operators)
    else:
        labelled = {}
        for op in operators:
            label, n = op.scheme, 1
            while label in labelled:
                n += 1
                label = f"{op.scheme}-{n}"
            labelled[label] = op
    for label, op in labelled.items():
        if not isinstance(op, Operator):
            raise TypeError(f"operator {label!r} must be an Operator, got {type(op).__name__}")
    if not labelled:
        raise ValueError("at least one operator is needed")
    return labelled


def format_size(n: int) -> str:
    """``5242880`` → ``"5 MiB"``; exact multiples only lose no information, others keep one
    decimal."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def format_seconds(seconds: float) -> str:
    """``2.1e-06`` → ``"2.1 µs"``: three significant figures at most."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def format_limit(field: str, value: int) -> str:
    return format_size(value) if field in _BYTE_LIMITS else f"{value:,}"


def _cell(label: str, state: FieldState) -> MatrixCell:
    value = state.effective
    removed = state.state == "removed"
    drawn: CellState = "overridden" if removed else state.state  # type: ignore[assignment]
    if isinstance(value, bool) or value is None:
        text = "✓" if value else ("✗" if removed else "—")
    else:
        text = format_limit(state.field, value)
    return MatrixCell(
        label, state.field, drawn, removed, value, text, _tooltip(label, state), state.layer
    )


def _show(field: str, value: bool | int | None) -> str:
    if isinstance(value, bool) or value is None:
        return "yes" if value else "no"
    return f"{format_limit(field, value)} ({value})" if field in _BYTE_LIMITS else str(value)


def _tooltip(label: str, s: FieldState) -> str:
    head = f"{label} · {s.field}"
    if s.state == "native":
        return f"{head}: native to the service ({_show(s.field, s.effective)})"
    if s.state == "unsupported":
        return f"{head}: unsupported (the service lacks it and no layer adds it)"
    native = _show(s.field, s.native)
    if s.state == "removed":
        return f"{head}: removed by {s.layer} (native: {native})"
    return f"{head}: {s.state} by {s.layer} ({_show(s.field, s.effective)}; native: {native})"


def build_matrix(operators: Operators) -> Matrix:
    """The whole matrix, one column per operator, rows in ``Capability`` order."""
    labelled = label_operators(operators)
    reports = {label: op.capability_report() for label, op in labelled.items()}
    rows = tuple(
        MatrixRow(
            field,
            group,
            tuple(_cell(label, report[field]) for label, report in reports.items()),
        )
        for group, fields in GROUPS.items()
        for field in fields
    )
    return Matrix(tuple(labelled), rows)


def filter_matrix(
    matrix: Matrix, group: str | None = None, only_differences: bool = False
) -> Matrix:
    """Keep one group's rows (``None`` or ``"all"``: every group) and, if asked, only rows
    where the operators differ."""
    if group not in (None, ALL_GROUPS) and group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; groups: {', '.join(GROUPS)}")
    rows = tuple(
        row
        for row in matrix.rows
        if (group in (None, ALL_GROUPS) or row.group == group)
        and (not only_differences or row.differs)
    )
    return replace(matrix, rows=rows)


def search_matrix(matrix: Matrix, query: str) -> Matrix:
    """Keep the rows whose field name or description holds every word of ``query``
    (case-insensitive); the matrix widget's search box keeps the same rows in the page."""
    words = query.lower().split()
    if not words:
        return matrix
    rows = tuple(
        row
        for row in matrix.rows
        if all(word in f"{row.field} {describe(row.field)}".lower() for word in words)
    )
    return replace(matrix, rows=rows)


@dataclass(frozen=True)
class CellChange:
    """One cell that differs between two matrices (state, removal or value)."""

    service: str
    field: str
    before: MatrixCell
    after: MatrixCell


def matrix_changes(old: Matrix, new: Matrix) -> list[CellChange]:
    """The cells of ``new`` whose state or value differ from ``old``'s, in row then column
    order (a column or field only one side has is not compared)."""
    before = {(c.service, c.field): c for row in old.rows for c in row.cells}
    changes = []
    for row in new.rows:
        for cell in row.cells:
            was = before.get((cell.service, cell.field))
            if was is not None and (was.state, was.removed, was.value) != (
                cell.state,
                cell.removed,
                cell.value,
            ):
                changes.append(CellChange(cell.service, cell.field, was, cell))
    return changes


# -- what a cell means ---------------------------------------------------------------

# The switch that simulates each field, the other way round from SWITCH_FIELDS.
_SWITCH_OF = {field: switch for switch, field in SWITCH_FIELDS.items()}
_LIMITS = frozenset(f for f in Capability.field_names() if getattr(Capability(), f) is None)


@dataclass(frozen=True)
class CellExplanation:
    """What one matrix cell means, who set it and what would change it (shown on click)."""

    service: str
    field: str
    state: CellState
    meaning: str  # the field's sentence, from FIELD_DESCRIPTIONS
    set_by: str  # the service or the layer the capability report names, and how
    change: str  # the SimulateLayer switch or the layer that would change the cell
    switch: str | None  # the SimulateLayer switch that simulates this field, if any

    @property
    def lines(self) -> tuple[str, ...]:
        return (
            f"{self.service} · {self.field}: {self.state}",
            f"Means: {self.meaning}",
            f"Set by: {self.set_by}",
            f"To change it: {self.change}",
        )

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def explain_cell(cell: MatrixCell, matrix: Matrix | None = None) -> CellExplanation:
    """Say what ``cell`` means, which layer set its state and what would change it.

    The state and the layer are the capability report's, as the cell carries them; the
    switch is found through ``SWITCH_FIELDS``. Given the ``matrix`` the cell comes from, an
    unsupported field that a switch could build says whether the service has what the
    switch builds on (read from the same matrix, so nothing is recomputed).
    """
    field, service = cell.field, cell.service
    switch = _SWITCH_OF.get(field)
    override = f"CapabilityOverrideLayer('{field}=false')"
    if cell.state == "native":
        set_by = f"{service} itself: the service does it natively"
        change = f"{override} turns it off, to see how an application does without it."
        if field in _LIMITS:
            set_by = f"{service} itself: the service declares this limit"
            change = f"CapabilityOverrideLayer('{field}=N') declares another limit."
    elif cell.state == "simulated":
        info = SWITCH_INFO[switch] if switch is not None else None
        if info is None:  # a simulating layer other than SimulateLayer
            set_by = f"{cell.layer}, which simulates it"
            change = f"leave {cell.layer} out to see {service} alone."
        else:
            set_by = (
                f"{cell.layer}, switch '{switch}' ({info.label}): {info.description} "
                f"Cost: {info.cost}."
            )
            change = (
                f"op.with_simulate(SimulateLayer({switch}=False)) turns the switch off, "
                f"to see {service} alone."
            )
    elif cell.removed:
        set_by = f"{cell.layer}, which turns it off whatever the service can do"
        change = f"leave {cell.layer} out (or drop '{field}=false' from it) to get it back."
    elif cell.state == "overridden":
        set_by = f"{cell.layer}, which declares it (a claim: the service below does it or not)"
        change = f"leave {cell.layer} out to see what {service} declares itself."
    elif field in _LIMITS:
        set_by = f"nobody: neither {service} nor a layer sets this limit, so there is none"
        change = f"CapabilityOverrideLayer('{field}=N') declares one."
    else:
        set_by = f"nobody: neither {service} nor any layer on its stack provides it"
        change = _unsupported_change(cell, switch, matrix)
    return CellExplanation(service, field, cell.state, describe(field), set_by, change, switch)


def _unsupported_change(cell: MatrixCell, switch: str | None, matrix: Matrix | None) -> str:
    if switch is None:
        return (
            "no layer simulates it: it takes a service that does it natively "
            f"(CapabilityOverrideLayer('{cell.field}=true') only claims it)."
        )
    info = SWITCH_INFO[switch]
    builds_on = ", ".join(info.requires)
    named = f"SimulateLayer's '{switch}' switch ({info.label})"
    if matrix is None:
        return f"{named} simulates it where the service has {builds_on}."
    lacking = [r for r in info.requires if matrix.cell(cell.service, r).state == "unsupported"]
    if lacking:
        return (
            f"{named} builds it from {builds_on}, and {cell.service} lacks "
            f"{', '.join(lacking)}: no switch can add it here."
        )
    return (
        f"{named} would simulate it ({info.cost}): the switch is off on this stack; "
        f"op.with_simulate(SimulateLayer({switch}=True)) turns it on."
    )
