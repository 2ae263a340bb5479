"""CapabilityMatrix: operators by capability fields, one HTML table, with filters.

::

    from opendal_lab.widgets import CapabilityMatrix
    CapabilityMatrix({"memory": Operator("memory"), "fs": Operator("fs", root="/tmp/x")})

Each cell says whether the field is native, simulated, overridden (or removed) or
unsupported, with a tooltip naming the layer responsible; size limits show their value.
Everything drawn comes from ``Operator.capability_report()`` through ``tables.build_matrix``.
The filters (a ``group`` dropdown, an ``only differences`` checkbox) only hide rows of the
matrix already computed; ``update(operators)`` recomputes it (SimulationLab calls it after
rebuilding its operators).
"""

from __future__ import annotations

from typing import Any

from opendal_lab.widgets._base import FallbackRepr, ipywidgets
from opendal_lab.widgets.html import matrix_html
from opendal_lab.widgets.tables import (
    ALL_GROUPS,
    Matrix,
    Operators,
    build_matrix,
    filter_matrix,
)
from opendal_lab.widgets.text import matrix_text

__all__ = ["CapabilityMatrix"]


class CapabilityMatrix(FallbackRepr, ipywidgets.VBox):  # type: ignore[misc]
    """The capability matrix of one operator or several (a mapping gives the column labels)."""

    def __init__(
        self, operators: Operators, *, group: str = ALL_GROUPS, only_differences: bool = False
    ) -> None:
        self._matrix = build_matrix(operators)
        if group != ALL_GROUPS and group not in self._matrix.groups:
            raise ValueError(
                f"unknown group {group!r}; one of {', '.join([ALL_GROUPS, *self._matrix.groups])}"
            )
        self.group = ipywidgets.Dropdown(
            description="group", options=[ALL_GROUPS, *self._matrix.groups], value=group
        )
        self.only_differences = ipywidgets.Checkbox(
            description="only differences", value=only_differences, indent=False
        )
        self.table = ipywidgets.HTML()
        self.table.add_class("opendal-matrix-view")
        filters = ipywidgets.HBox([self.group, self.only_differences])
        super().__init__(children=[filters, self.table])
        self.add_class("opendal-capability-matrix")
        self.group.observe(self._on_filter, names="value")
        self.only_differences.observe(self._on_filter, names="value")
        self._draw()

    # -- data --------------------------------------------------------------------------
    @property
    def matrix(self) -> Matrix:
        """The whole matrix (before filters)."""
        return self._matrix

    @property
    def visible(self) -> Matrix:
        """The rows the filters let through."""
        return filter_matrix(self._matrix, self.group.value, self.only_differences.value)

    def update(self, operators: Operators) -> None:
        """Recompute the matrix for ``operators`` and redraw (filters are kept)."""
        self._matrix = build_matrix(operators)
        self._draw()

    # -- drawing -----------------------------------------------------------------------
    def _on_filter(self, change: dict[str, Any]) -> None:
        self._draw()

    def _draw(self) -> None:
        self.table.value = matrix_html(self.visible)

    def _fallback_text(self) -> str:
        return matrix_text(self.visible)

    def _fallback_html(self) -> str:
        return f'<div class="opendal-capability-matrix">{matrix_html(self.visible)}</div>'

    def __repr__(self) -> str:
        m = self._matrix
        return (
            f"<CapabilityMatrix {', '.join(m.services)}: {len(m.rows)} fields "
            f"in {len(m.groups)} groups>"
        )
