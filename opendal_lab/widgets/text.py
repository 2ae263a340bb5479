"""Plain-text renderings of the capability matrix: its ``text/plain`` fallback and exports
(CSV, Markdown), and the words and symbols of every cell state.

Deterministic by construction (no times, no model ids), so nbval can compare them and a
terminal or a notebook viewer without JavaScript shows the same content as the widget. The
trace viewer's text is ``waterfall.trace_text``, the browser's ``listing.listing_text``.

Each cell state has a symbol and a word (``STATES``), used by every rendering, live or
static, so meaning never rests on colour alone: ``✓ native``, ``≈ simulated``,
``◆ overridden``, ``✗ removed``, ``— unsupported``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from opendal_lab.core.capability import describe
from opendal_lab.widgets.tables import Matrix, MatrixCell

__all__ = [
    "STATES",
    "cell_label",
    "change_text",
    "matrix_csv",
    "matrix_markdown",
    "matrix_text",
    "state_word",
]

# word -> (symbol, what it means), in the legend's order. "removed" is drawn as
# data-state="overridden" (a layer changed it) with data-removed="true".
STATES: dict[str, tuple[str, str]] = {
    "native": ("✓", "the service does it"),
    "simulated": ("≈", "SimulateLayer builds it from other operations"),
    "overridden": ("◆", "a layer declared it different"),
    "removed": ("✗", "a layer took it away"),
    "unsupported": ("—", "neither the service nor a layer"),
}

# The README's compact tokens (matrix_markdown's default).
_SHORT = {"native": "yes", "simulated": "sim", "overridden": "over", "unsupported": "-"}


def _cell_text(cell: MatrixCell) -> str:
    if cell.removed:
        return "removed"
    if isinstance(cell.value, bool) or cell.value is None:
        return _SHORT[cell.state]
    return cell.text if cell.state == "native" else f"{cell.text} ({_SHORT[cell.state]})"


def state_word(cell: MatrixCell) -> str:
    """The cell's state as a word: one of ``STATES`` (``removed`` included)."""
    return "removed" if cell.removed else cell.state


def _is_flag(cell: MatrixCell) -> bool:
    return isinstance(cell.value, bool) or cell.value is None


def cell_label(cell: MatrixCell) -> str:
    """Symbol, value (for a limit) and word: ``✓ native``, ``◆ 100 overridden``."""
    word = state_word(cell)
    symbol = STATES[word][0]
    return f"{symbol} {word}" if _is_flag(cell) else f"{symbol} {cell.text} {word}"


def change_text(service: str, field: str, before: MatrixCell, after: MatrixCell) -> str:
    """``memory · create_dir: unsupported → simulated`` (limits keep their values)."""

    def show(cell: MatrixCell) -> str:
        return state_word(cell) if _is_flag(cell) else f"{cell.text} ({state_word(cell)})"

    return f"{service} · {field}: {show(before)} → {show(after)}"


def matrix_text(matrix: Matrix) -> str:
    """A fixed-width table: one line per field, a ``[group]`` line before each group."""
    table = [[cell_label(c) for c in row.cells] for row in matrix.rows]
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
    out.append("legend: " + " · ".join(f"{sym} {word}" for word, (sym, _) in STATES.items()))
    if matrix.rows:  # what each field shown means: the live widget's hover text
        out.append("fields:")
        out.extend(f"  {row.field.ljust(name_width)}  {describe(row.field)}" for row in matrix.rows)
    return "\n".join(out)


def matrix_csv(matrix: Matrix) -> str:
    """CSV: ``capability,group`` then one column per operator; a cell is its state word,
    preceded by the exact number for a limit (``5368709120 native``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["capability", "group", *matrix.services])
    for row in matrix.rows:
        writer.writerow(
            [
                row.field,
                row.group,
                *(
                    state_word(c) if _is_flag(c) else f"{c.value} {state_word(c)}"
                    for c in row.cells
                ),
            ]
        )
    return out.getvalue()


def matrix_markdown(matrix: Matrix, *, labels: bool = False) -> str:
    """A Markdown table (README.md holds one): a bold row before each group.

    Cells are the README's short tokens (``yes``, ``sim``, ``over``, ``removed``, ``-``);
    ``labels=True`` writes symbol and word instead (``✓ native``), as the widget exports."""
    show = cell_label if labels else _cell_text
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
        out.append(f"| `{row.field}` | " + " | ".join(show(c) for c in row.cells) + " |")
    return "\n".join(out)
