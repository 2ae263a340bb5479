"""The notebooks as CI runs them: executed by nbconvert without widget state, and stored clean.

nbval (``make test`` runs it on ``notebooks/``) re-executes each notebook and compares the
outputs; this file checks what nbval does not: that ``jupyter nbconvert --execute`` (what a
reader or a docs build runs) gets through every cell, and that the stored notebooks carry
outputs to compare and no widget state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def test_the_six_notebooks_are_there() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert names == [
        "01_tour",
        "02_simulation",
        "03_fsspec_pandas",
        "04_datasource_polars",
        "05_reliability",
        "06_plugins",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_with_outputs_and_without_widget_state(path: Path) -> None:
    notebook = json.loads(path.read_text())
    assert "widgets" not in notebook["metadata"], "saved with widget state"
    cells = _code_cells(notebook)
    assert all(c["execution_count"] is not None for c in cells), "saved without running"
    assert sum(bool(c["outputs"]) for c in cells) >= len(cells) // 2
    for cell in cells:
        assert not [o for o in cell["outputs"] if o["output_type"] == "error"], cell["source"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbconvert_executes_every_cell(path: Path, tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.store_widget_state=False",
        "--ExecutePreprocessor.timeout=300",
        f"--output-dir={tmp_path}",
        str(path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=path.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = json.loads((tmp_path / path.name).read_text())
    assert "widgets" not in executed["metadata"]
    assert all(c["execution_count"] is not None for c in _code_cells(executed))
