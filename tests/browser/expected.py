"""What the widget apps should show, computed here from the core, not from the widgets.

The operators are built as the app notebooks in ``widgets/`` build them (their configuration
can change a capability); the states come from ``Operator.capability_report()``, with the one
mapping the DOM contract makes: a field a layer *removed* is drawn as ``overridden``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

from opendal_lab import Operator
from opendal_lab.core.layers.simulate import SWITCHES, SimulateLayer
from opendal_lab.layers import CapabilityOverrideLayer

Cells = dict[tuple[str, str], str]

# The s3 operator of capability_matrix.ipynb and matrix_10.ipynb: building it sends nothing.
S3: dict[str, Any] = {
    "bucket": "demo",
    "endpoint": "http://127.0.0.1:9",
    "region": "us-east-1",
    "allow_anonymous": True,
}


def capability_matrix_operators() -> dict[str, Operator]:
    """The columns of ``widgets/capability_matrix.ipynb``."""
    return {
        "memory": Operator("memory"),
        "fs": Operator("fs", root=tempfile.mkdtemp(prefix="opendal-lab-browser-test-")),
        "s3": Operator("s3", **S3),
        "memory-readonly": Operator("memory").layer(
            CapabilityOverrideLayer("write=false,delete=false,delete_max_size=100")
        ),
    }


def simulation_lab_operators() -> dict[str, Operator]:
    """The columns of ``widgets/simulation_lab.ipynb``."""
    return {
        "memory": Operator("memory"),
        "fs": Operator("fs", root=tempfile.mkdtemp(prefix="opendal-lab-browser-test-")),
    }


def states(operators: Mapping[str, Operator]) -> Cells:
    """``(column, field) -> data-state`` for every cell of the matrix of ``operators``."""
    cells: Cells = {}
    for label, op in operators.items():
        for field, report in op.capability_report().items():
            cells[label, field] = "overridden" if report.state == "removed" else report.state
    return cells


def with_switches(operators: Mapping[str, Operator], on: tuple[str, ...] = ()) -> Cells:
    """The states once SimulationLab rebuilds ``operators`` with only the switches ``on``."""
    switches = {name: name in on for name in SWITCHES}
    layer = SimulateLayer(**switches, warn_unneeded=False)
    return states({label: op.with_simulate(layer) for label, op in operators.items()})


def differing_fields(operators: Mapping[str, Operator]) -> set[str]:
    """The rows the "only differences" filter keeps: the columns disagree on the field."""
    reports = [op.capability_report() for op in operators.values()]
    return {
        field
        for field in reports[0]
        if len({(r[field].state, r[field].effective) for r in reports}) > 1
    }
