"""Every widget app in ``widgets/`` runs top to bottom and shows its widget with fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

APPS = Path(__file__).resolve().parents[2] / "widgets"
NOTEBOOKS = sorted(APPS.glob("*.ipynb"))
ROOT_CLASS = {
    "capability_matrix": "opendal-capability-matrix",
    "simulation_lab": "opendal-simulation-lab",
    "matrix_10": "opendal-simulation-lab",
    "trace_viewer": "opendal-trace-viewer",
    "browser": "opendal-browser",
}


def test_every_app_is_here() -> None:
    assert {p.stem for p in NOTEBOOKS} == set(ROOT_CLASS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_app_is_saved_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata  # no saved widget state
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_app_runs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(APPS)}}
    )
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    (shown,) = [o for o in nb.cells[-1].outputs if o.output_type == "execute_result"]
    data = shown["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert ROOT_CLASS[path.stem] in data["text/html"]
    assert data["text/plain"]
    assert not data["text/plain"].startswith("<")
