"""Widgets over ``Operator``: capability matrix, simulation lab, trace viewer, browser, and
the portability check (recorded calls against other operators' capability).

::

    from opendal_lab.widgets import Browser, CapabilityMatrix, SimulationLab, TraceViewer
    from opendal_lab.widgets import PortabilityCheck, check_portability

Each widget is an anywidget: a Python class holding the state in traitlets, and an ESM
module and a CSS file in ``static/`` (no build step), so the same widget runs in JupyterLab,
Notebook 7, Voila, VS Code and Colab. Every colour comes from one vocabulary
(``static/theme.css``: ``--odl-*`` names over JupyterLab's ``--jp-*`` variables), so the
dark theme works, and no meaning rests on colour alone. The rows they draw are computed by
the pure modules (``tables``, ``html``, ``text``, ``preview``, ``demos``, ``portability``),
which import without Jupyter and give the ``text/plain`` and ``text/html`` fallbacks. The
widgets need ipywidgets and anywidget (``pip install 'opendal-lab[widgets]'``), loaded on
first use of one of them: importing this package does not import them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opendal_lab.widgets.browser import Browser as Browser
    from opendal_lab.widgets.matrix import CapabilityMatrix as CapabilityMatrix
    from opendal_lab.widgets.portability import check_portability as check_portability
    from opendal_lab.widgets.portability_check import PortabilityCheck as PortabilityCheck
    from opendal_lab.widgets.simulation import SimulationLab as SimulationLab
    from opendal_lab.widgets.trace import TraceViewer as TraceViewer

_LAZY = {
    "Browser": "browser",
    "CapabilityMatrix": "matrix",
    "PortabilityCheck": "portability_check",
    "SimulationLab": "simulation",
    "check_portability": "portability",
    "TraceViewer": "trace",
}

__all__ = [
    "Browser",
    "CapabilityMatrix",
    "PortabilityCheck",
    "SimulationLab",
    "TraceViewer",
    "check_portability",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'opendal_lab.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"opendal_lab.widgets.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
