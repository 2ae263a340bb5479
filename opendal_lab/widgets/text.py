"""Plain-text renderings of the widget rows: the ``text/plain`` fallbacks.

Deterministic by construction (no times, no model ids), so nbval can compare them and a
terminal or a notebook viewer without JavaScript shows the same content as the widget.
"""

from __future__ import annotations

from collections.abc import Sequence

from opendal_lab.widgets.tables import EntryRow, Matrix, MatrixCell, TraceRow, format_size

__all__ = ["listing_text", "matrix_markdown", "matrix_text", "trace_text"]

_SHORT = {"native": "yes", "simulated": "sim", "overridden": "over", "unsupported": "-"}


def _cell_text(cell: MatrixCell) -> str:
    if cell.removed:
        return "removed"
    if isinstance(cell.value, bool) or cell.value is None:
        return _SHORT[cell.state]
    return cell.text if cell.state == "native" else f"{cell.text} ({_SHORT[cell.state]})"


def matrix_text(matrix: Matrix) -> str:
    """A fixed-width table: one line per field, a ``[group]`` line before each group."""
    table = [[_cell_text(c) for c in row.cells] for row in matrix.rows]
    name_width = max([len("capability"), *(len(row.field) for row in matrix.rows)])
    widths = [
        max([len(label), *(len(line[i]) for line in table)])
        for i, label in enumerate(matrix.services)
    ]

    def line(first: str, cells: Sequence[str]) -> str:
        padded = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
        return f"{first.ljust(name_width)}  {padded}".rstrip()

    out = [line("capability", matrix.services)]
    group = None
    for row, cells in zip(matrix.rows, table, strict=True):
        if row.group != group:
            group = row.group
            out.append(f"[{group}]")
        out.append(line(row.field, cells))
    out.append("legend: yes native · sim simulated · over overridden · removed · - unsupported")
    return "\n".join(out)


def matrix_markdown(matrix: Matrix) -> str:
    """A Markdown table (README.md holds one): a bold row before each group."""
    out = [
        "| capability | " + " | ".join(f"`{s}`" for s in matrix.services) + " |",
        "|---" * (len(matrix.services) + 1) + "|",
    ]
    group = None
    blank = " |" * len(matrix.services)
    for row in matrix.rows:
        if row.group != group:
            group = row.group
            out.append(f"| **{group}** |{blank}")
        out.append(f"| `{row.field}` | " + " | ".join(_cell_text(c) for c in row.cells) + " |")
    return "\n".join(out)


def trace_text(rows: Sequence[TraceRow]) -> str:
    if not rows:
        return "no calls recorded yet"
    out = []
    for row in rows:
        size = f" ({format_size(row.size)})" if row.size is not None else ""
        levels = " > ".join(name for name, _ in row.levels)
        out.append(f"#{row.index} {row.operation} {row.path}{size}: {row.outcome} [{levels}]")
    return "\n".join(out)


def listing_text(rows: Sequence[EntryRow], truncated: bool = False, root: str = "/") -> str:
    out = [root]
    for row in rows:
        size = "" if row.size is None else f"  {format_size(row.size)}"
        out.append(f"  {row.name}{size}")
    if truncated:
        out.append("  … more entries not shown")
    if not rows:
        out.append("  (empty)")
    return "\n".join(out)
