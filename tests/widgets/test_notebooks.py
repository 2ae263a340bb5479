"""The widget apps in ``widgets/``: each runs top to bottom and shows its widget with fallbacks,
each is stored executed with its widget state, and the gallery (``widgets/index.ipynb``, what
the README's Voila badge opens) links and describes every one of them.

The links are relative (``capability_matrix.ipynb``): under Voila the gallery is
``/voila/render/index.ipynb`` and a link opens ``/voila/render/capability_matrix.ipynb``, the
app rendered; in JupyterLab it opens the notebook. tests/browser/test_console_versions.py
follows them on a real Voila server.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_notebooks import missing_widget_state, saved_widget_state, widget_views

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

APPS = Path(__file__).resolve().parents[2] / "widgets"
GALLERY = APPS / "index.ipynb"
NOTEBOOKS = sorted(p for p in APPS.glob("*.ipynb") if p != GALLERY)
ROOT_CLASS = {
    "capability_matrix": "opendal-capability-matrix",
    "simulation_lab": "opendal-simulation-lab",
    "matrix_10": "opendal-simulation-lab",
    "trace_viewer": "opendal-trace-viewer",
    "browser": "opendal-browser",
    "portability_check": "opendal-portability-check",
}
# A gallery entry: a heading that links the app, then what it shows.
ENTRY = re.compile(r"^## \[(?P<title>[^\]]+)\]\((?P<target>[^)]+)\)\n\n(?P<text>.+)", re.S)


def test_every_app_is_here() -> None:
    assert {p.stem for p in NOTEBOOKS} == set(ROOT_CLASS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_app_is_stored_executed_with_its_widget_state(path: Path) -> None:
    """So JupyterLab (on reopening) and nbviewer draw the app without a kernel; Voila runs it
    anew either way. `make notebooks` stores them so."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    hint = f"{path.name} is stored without its outputs and widget state: run `make notebooks`"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), hint
    views = widget_views(nb)
    assert views, hint
    assert views[-1] in code[-1].outputs, "the app ends in its widget"
    assert saved_widget_state(nb), hint
    assert missing_widget_state(nb) == []
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert errors == []


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
    assert missing_widget_state(nb) == []  # nbclient stores the state, as `make notebooks`


# -- the gallery ------------------------------------------------------------------------------


def gallery_entries() -> list[dict[str, str]]:
    nb = nbformat.read(GALLERY, as_version=4)
    found = [ENTRY.match(cell.source) for cell in nb.cells if cell.cell_type == "markdown"]
    return [m.groupdict() for m in found if m]


def test_gallery_is_markdown_with_a_title() -> None:
    nb = nbformat.read(GALLERY, as_version=4)
    nbformat.validate(nb)
    assert all(cell.cell_type == "markdown" for cell in nb.cells)
    assert nb.cells[0].source.startswith("# ")


def test_gallery_links_every_app_once_with_a_description() -> None:
    """A new app without a gallery entry fails here."""
    entries = gallery_entries()
    assert sorted(e["target"] for e in entries) == sorted(p.name for p in NOTEBOOKS)
    for entry in entries:
        assert (APPS / entry["target"]).is_file(), entry["target"]
        # Relative and in this folder, so Voila's /voila/render/... resolves it beside the
        # gallery, and Binder's copy of the repository has it.
        assert re.fullmatch(r"[a-z0-9_]+\.ipynb", entry["target"]), entry["target"]
        assert len(entry["text"].split()) >= 15, f"{entry['title']}: say what the app shows"


def test_gallery_links_nothing_outside_widgets() -> None:
    """Voila in tree mode over widgets/ (``voila widgets/``) serves nothing else."""
    text = "\n".join(cell.source for cell in nbformat.read(GALLERY, as_version=4).cells)
    targets = re.findall(r"\]\(([^)]+)\)", text)
    assert targets
    assert [t for t in targets if "/" in t or t.startswith(".")] == []
