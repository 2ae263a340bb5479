"""ipywidgets over ``Operator``: capability matrix, simulation toggles, trace viewer, browser.

::

    from opendal_lab.widgets import Browser, CapabilityMatrix, SimulationLab, TraceViewer

Each widget draws rows computed by the pure modules (``tables``, ``html``, ``text``,
``preview``, ``demos``), which import without Jupyter. The widgets themselves need
ipywidgets (``pip install 'opendal-lab[widgets]'``), loaded on first use of one of them:
importing this package does not import it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opendal_lab.widgets.browser import Browser as Browser
    from opendal_lab.widgets.matrix import CapabilityMatrix as CapabilityMatrix
    from opendal_lab.widgets.simulation import SimulationLab as SimulationLab
    from opendal_lab.widgets.trace import TraceViewer as TraceViewer

_LAZY = {
    "Browser": "browser",
    "CapabilityMatrix": "matrix",
    "SimulationLab": "simulation",
    "TraceViewer": "trace",
}

__all__ = ["Browser", "CapabilityMatrix", "SimulationLab", "TraceViewer"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'opendal_lab.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"opendal_lab.widgets.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
