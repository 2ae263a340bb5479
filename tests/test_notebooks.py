"""The notebooks as CI runs them: executed by nbconvert without widget state, and stored clean.

nbval (``make test`` runs it on ``notebooks/``) re-executes each notebook and compares the
outputs; this file checks what nbval does not: that ``jupyter nbconvert --execute`` (what a
reader or a docs build runs) gets through every cell, and that the stored notebooks carry
outputs to compare and no widget state.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import json
import logging
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import dask_client

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


# -- Dask clusters: free ports only, nothing on stderr ------------------------------------


def _cluster_statements() -> list[tuple[str, str]]:
    """``(notebook, source)`` of each ``cluster = distributed.LocalCluster(...)`` statement
    in the notebooks, as written there."""
    found: list[tuple[str, str]] = []
    for path in NOTEBOOKS:
        for cell in _code_cells(json.loads(path.read_text())):
            source = "".join(cell["source"])
            if "LocalCluster" not in source:
                continue
            for node in ast.parse(source).body:
                call = getattr(node, "value", None)
                if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("LocalCluster"):
                    found.append((path.stem, ast.get_source_segment(source, node) or ""))
    return found


CLUSTERS = _cluster_statements()


@contextlib.contextmanager
def port_8787_taken() -> Iterator[None]:
    """Dask's default dashboard port held for the duration (or already held by another)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        try:
            sock.bind(("", 8787))
            sock.listen()
        except OSError as err:  # someone holds it already: just as good
            if err.errno != errno.EADDRINUSE:
                raise
        yield
    finally:
        sock.close()


def test_every_notebook_cluster_is_found() -> None:
    """Each LocalCluster of the notebooks is checked below, and each Client is given one
    (a bare ``Client()`` starts its own cluster on the default ports)."""
    texts = {p.stem: p.read_text() for p in NOTEBOOKS}
    assert len(CLUSTERS) == sum(t.count("LocalCluster(") for t in texts.values()) >= 2
    for path in NOTEBOOKS:
        for cell in _code_cells(json.loads(path.read_text())):
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("Client"):
                    assert node.args or node.keywords, f"{path.stem}: {ast.unparse(node)}"


@pytest.mark.parametrize(("notebook", "statement"), CLUSTERS, ids=[n for n, _ in CLUSTERS])
def test_notebook_cluster_binds_free_ports_quietly(
    notebook: str, statement: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """The notebook's own LocalCluster call, run with port 8787 taken: no "Port 8787 is
    already in use" warning on stderr (which nbval would see as a changed output)."""
    distributed = pytest.importorskip("distributed")
    namespace: dict[str, Any] = {"distributed": distributed, "logging": logging}
    with port_8787_taken(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(statement, notebook, "exec"), namespace)
        cluster = namespace["cluster"]
        try:
            client = distributed.Client(cluster)
            try:
                assert client.submit(sum, [1, 2]).result() == 3
                assert cluster.scheduler.http_server.port != 8787
            finally:
                client.close()
        finally:
            cluster.close()
    assert [str(w.message) for w in caught] == []
    out, err = capfd.readouterr()
    assert err == ""
    assert out == ""


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_test_clusters_bind_free_ports_quietly(
    processes: bool, capfd: pytest.CaptureFixture[str]
) -> None:
    """tests/servers.py's clusters, the ones the Dask tests use, likewise."""
    pytest.importorskip("distributed")
    with port_8787_taken(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with dask_client(processes=processes) as client:
            assert client.submit(sum, [1, 2]).result() == 3
            assert client.cluster.scheduler.http_server.port != 8787
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr().err == ""
