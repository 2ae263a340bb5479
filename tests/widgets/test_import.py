"""ipywidgets and anywidget load only with a widget; a missing one names the extra."""

from __future__ import annotations

import json
import subprocess
import sys

import opendal_lab.widgets

PROBE = """
import json, sys
import opendal_lab, opendal_lab.widgets
import opendal_lab.widgets.tables, opendal_lab.widgets.html, opendal_lab.widgets.text
import opendal_lab.widgets.demos, opendal_lab.widgets.preview
before = sorted(sys.modules)
from opendal_lab.widgets import CapabilityMatrix
print(json.dumps({"before": before, "after": sorted(sys.modules)}))
"""

MISSING = """
import sys
sys.modules["ipywidgets"] = None
import opendal_lab.widgets
try:
    opendal_lab.widgets.SimulationLab
except ImportError as err:
    print(err)
"""


def run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_widgets_load_ipywidgets_on_first_use() -> None:
    modules = json.loads(run(PROBE))
    assert "ipywidgets" not in modules["before"]
    assert "anywidget" not in modules["before"]
    assert "polars" not in modules["before"]
    assert "ipywidgets" in modules["after"]
    assert "anywidget" in modules["after"]


def test_missing_ipywidgets_names_the_extra() -> None:
    assert "pip install 'opendal-lab[widgets]'" in run(MISSING)
    assert "pip install 'opendal-lab[widgets]'" in run(
        MISSING.replace('"ipywidgets"', '"anywidget"')
    )


def test_exports() -> None:
    assert opendal_lab.widgets.__all__ == [
        "Browser",
        "CapabilityMatrix",
        "PortabilityCheck",
        "SimulationLab",
        "TraceViewer",
        "check_portability",
    ]
    for name in opendal_lab.widgets.__all__:
        assert getattr(opendal_lab.widgets, name).__name__ == name
    assert set(opendal_lab.widgets.__all__) <= set(dir(opendal_lab.widgets))
