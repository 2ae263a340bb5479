"""CapabilityMatrix: operators by capability fields, one table, drawn in the browser.

::

    from opendal_lab.widgets import CapabilityMatrix
    m = CapabilityMatrix({"memory": Operator("memory"), "fs": Operator("fs", root="/tmp/x")})
    m.group = "list"; m.only_differences = True; m.search = "recursive"   # what the UI sets
    m.to_csv(); m.to_markdown()                                            # the rows shown
    m.explain("fs", "list_with_recursive")   # who set the cell, what would change it

Each cell says whether the field is native, simulated, overridden, removed or unsupported
with a symbol and a word (never colour alone), its tooltip naming the layer responsible;
size limits show their value. Everything drawn comes from ``Operator.capability_report()``
through ``tables.build_matrix``: Python sends the rows (states, texts, tooltips, the field
descriptions) as JSON in the ``data`` traitlet and ``static/matrix.js`` only draws, filters,
sorts and searches them. A click on a cell (or Enter on a focused one) asks the kernel for
``tables.explain_cell`` over a custom message; the CSV and Markdown buttons ask for
``to_csv()`` / ``to_markdown()`` the same way.

``update(operators)`` recomputes the matrix and marks the cells that changed (SimulationLab
calls it after each toggle); the front end then patches those cells in place instead of
drawing the table again, which keeps a redraw of a ten-operator matrix to a few
milliseconds. The filters are traitlets (``group``, ``only_differences``, ``search``,
``sort_by``/``sort_descending``), so Python and the page always agree on what is shown.
"""

from __future__ import annotations

from typing import Any

import traitlets

from opendal_lab.core.capability import describe
from opendal_lab.widgets._base import FallbackRepr, anywidget, static_css, static_esm
from opendal_lab.widgets.html import matrix_html
from opendal_lab.widgets.tables import (
    ALL_GROUPS,
    CellChange,
    Matrix,
    MatrixCell,
    Operators,
    build_matrix,
    explain_cell,
    filter_matrix,
    matrix_changes,
    search_matrix,
)
from opendal_lab.widgets.text import (
    STATES,
    change_text,
    matrix_csv,
    matrix_markdown,
    matrix_text,
    state_word,
)

__all__ = ["CapabilityMatrix", "matrix_data"]


def _cell_json(cell: MatrixCell) -> dict[str, Any]:
    word = state_word(cell)
    flag = isinstance(cell.value, bool) or cell.value is None
    return {
        "state": cell.state,  # data-state: the DOM contract's four states
        "word": word,  # the five words of the legend ("removed" included)
        "text": "" if flag else cell.text,  # a limit's value, drawn before the word
        "value": None if flag else cell.value,
        "tooltip": cell.tooltip,
    }


def matrix_data(matrix: Matrix, changed: list[CellChange] | tuple[()] = ()) -> dict[str, Any]:
    """What ``matrix.js`` draws: the JSON of the ``data`` traitlet."""
    return {
        "services": list(matrix.services),
        "groups": list(matrix.groups),
        "legend": [
            {"word": word, "symbol": symbol, "meaning": meaning}
            for word, (symbol, meaning) in STATES.items()
        ],
        "rows": [
            {
                "field": row.field,
                "group": row.group,
                "description": describe(row.field),
                "differs": row.differs,
                "cells": [_cell_json(cell) for cell in row.cells],
            }
            for row in matrix.rows
        ],
        "changed": [[c.service, c.field] for c in changed],
    }


class CapabilityMatrix(FallbackRepr, anywidget.AnyWidget):
    """The capability matrix of one operator or several (a mapping gives the column labels)."""

    _esm = static_esm("matrix.js")
    _css = static_css("matrix.css")

    data = traitlets.Dict().tag(sync=True)
    group = traitlets.Unicode(ALL_GROUPS).tag(sync=True)
    only_differences = traitlets.Bool(False).tag(sync=True)
    search = traitlets.Unicode("").tag(sync=True)
    sort_by = traitlets.Unicode("").tag(sync=True)  # a column label, or "" for field order
    sort_descending = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        operators: Operators,
        *,
        group: str = ALL_GROUPS,
        only_differences: bool = False,
        search: str = "",
    ) -> None:
        self._matrix = build_matrix(operators)
        self.changes: list[CellChange] = []
        super().__init__(
            data=matrix_data(self._matrix),
            group=group,
            only_differences=only_differences,
            search=search,
        )
        self.add_class("opendal-widget")
        self.add_class("opendal-capability-matrix")
        self.on_msg(self._on_message)

    @traitlets.validate("group")
    def _valid_group(self, proposal: dict[str, Any]) -> str:
        group = str(proposal["value"])
        if group != ALL_GROUPS and group not in self._matrix.groups:
            raise ValueError(
                f"unknown group {group!r}; one of {', '.join([ALL_GROUPS, *self._matrix.groups])}"
            )
        return group

    @traitlets.validate("sort_by")
    def _valid_sort(self, proposal: dict[str, Any]) -> str:
        column = str(proposal["value"])
        if column and column not in self._matrix.services:
            raise ValueError(
                f"unknown column {column!r}; one of {', '.join(self._matrix.services)}"
            )
        return column

    # -- data --------------------------------------------------------------------------
    @property
    def matrix(self) -> Matrix:
        """The whole matrix (before filters)."""
        return self._matrix

    @property
    def visible(self) -> Matrix:
        """The rows the group, differences and search filters let through, in field order."""
        kept = filter_matrix(self._matrix, self.group, self.only_differences)
        return search_matrix(kept, self.search)

    def update(self, operators: Operators) -> list[CellChange]:
        """Recompute the matrix for ``operators``, mark the cells that changed, redraw
        (filters are kept) and return the changes."""
        matrix = build_matrix(operators)
        self.changes = matrix_changes(self._matrix, matrix)
        self._matrix = matrix
        if self.group != ALL_GROUPS and self.group not in matrix.groups:
            self.group = ALL_GROUPS
        self.data = matrix_data(matrix, self.changes)
        return self.changes

    def change_lines(self) -> list[str]:
        """The last update's changes: ``memory · create_dir: unsupported → simulated``."""
        return [change_text(c.service, c.field, c.before, c.after) for c in self.changes]

    def explain(self, service: str, field: str) -> str:
        """Which layer set the cell and which switch or layer would change it."""
        return explain_cell(self._matrix.cell(service, field), self._matrix).text

    def to_csv(self) -> str:
        """The visible rows as CSV (the CSV button downloads this)."""
        return matrix_csv(self.visible)

    def to_markdown(self) -> str:
        """The visible rows as a Markdown table (the Markdown button copies this)."""
        return matrix_markdown(self.visible, labels=True)

    # -- the page's requests -------------------------------------------------------------
    def _on_message(self, widget: Any, content: dict[str, Any], buffers: list[bytes]) -> None:
        kind = content.get("type")
        if kind == "explain":
            service, field = str(content.get("service")), str(content.get("field"))
            try:
                lines = explain_cell(self._matrix.cell(service, field), self._matrix).lines
            except (KeyError, ValueError) as err:
                lines = (f"{service} · {field}: no such cell ({err})",)
            self.send({"type": "explain", "service": service, "field": field, "lines": lines})
        elif kind == "export":
            fmt = content.get("format")
            text = self.to_csv() if fmt == "csv" else self.to_markdown()
            name = "capability-matrix." + ("csv" if fmt == "csv" else "md")
            self.send({"type": "export", "format": fmt, "text": text, "filename": name})

    # -- fallbacks -----------------------------------------------------------------------
    def _fallback_text(self) -> str:
        return matrix_text(self.visible)

    def _fallback_html(self) -> str:
        # No stylesheet: symbols and words carry the states, and stored outputs stay the same
        # when the CSS changes (the saved widget state draws the styled widget).
        body = matrix_html(self.visible, style=False)
        return f'<div class="opendal-static opendal-capability-matrix">{body}</div>'

    def __repr__(self) -> str:
        m = self._matrix
        return (
            f"<CapabilityMatrix {', '.join(m.services)}: {len(m.rows)} fields "
            f"in {len(m.groups)} groups>"
        )
