"""The notebooks as stored and as executed: outputs, widget state, kernelspec, links, prose.

nbval (``make test`` runs it on ``notebooks/``) re-executes each notebook and compares the
outputs; this file checks what nbval does not: that ``jupyter nbconvert --execute`` (what
``make notebooks`` and a docs build run) gets through every cell and stores the widget state,
that every stored notebook (the tutorials in ``notebooks/`` and the apps in ``widgets/``) can
draw each widget it shows without a kernel (the widget's model in the saved state, and a
text fallback beside it), that each names the kernelspec Jupyter has installed (or JupyterLab
marks it modified on opening), that the tutorials link one to the next, and that their prose
quotes what their seeded cells print.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import importlib
import json
import logging
import re
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import dask_client

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
APPS = sorted((ROOT / "widgets").glob("*.ipynb"))
EVERY_NOTEBOOK = NOTEBOOKS + APPS
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def _source(cell: dict[str, Any]) -> str:
    return "".join(cell["source"])


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


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
def test_stored_executed_with_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text())
    cells = _code_cells(notebook)
    assert all(c["execution_count"] is not None for c in cells), "saved without running"
    assert sum(bool(c["outputs"]) for c in cells) >= len(cells) // 2
    for cell in cells:
        assert not [o for o in cell["outputs"] if o["output_type"] == "error"], cell["source"]
        # `make notebooks` records no timing: a re-run changes only what the cells print.
        assert "execution" not in cell["metadata"], "cell timing metadata: run `make notebooks`"


# -- widgets drawn without a kernel -------------------------------------------------------


def widget_views(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    """Every output of the notebook that shows a widget."""
    return [
        output
        for cell in _code_cells(notebook)
        for output in cell["outputs"]
        if WIDGET_VIEW in output.get("data", {})
    ]


def saved_widget_state(notebook: dict[str, Any]) -> dict[str, Any]:
    """The widget models saved in the notebook's metadata, by model id."""
    saved = notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {})
    state: dict[str, Any] = saved.get("state", {})
    return state


def missing_widget_state(notebook: dict[str, Any]) -> list[str]:
    """What keeps a stored widget from being drawn without a kernel: a view whose model is
    not in the saved state, or one without a text fallback (for viewers with no widgets)."""
    state = saved_widget_state(notebook)
    problems = []
    for output in widget_views(notebook):
        model_id = output["data"][WIDGET_VIEW].get("model_id")
        if model_id not in state:
            problems.append(f"widget view {model_id}: its model is not in the saved widget state")
        fallback = [output["data"].get(m) for m in ("text/html", "text/plain")]
        if not any(fallback):
            problems.append(f"widget view {model_id}: no text/html or text/plain fallback")
    return problems


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=_name)
def test_every_widget_view_has_its_saved_state_and_a_fallback(path: Path) -> None:
    """JupyterLab (on reopening), nbviewer and the widget HTML manager draw a stored widget
    from the notebook's saved widget state; everything else shows the fallback."""
    problems = missing_widget_state(json.loads(path.read_text()))
    assert problems == [], f"{_name(path)}: run `make notebooks`\n" + "\n".join(problems)


def test_missing_widget_state_is_caught() -> None:
    """The check above fails on a view without its model, and on one without a fallback."""
    view = {"model_id": "ab12", "version_major": 2, "version_minor": 0}
    cell = {
        "cell_type": "code",
        "source": "w",
        "outputs": [{"output_type": "execute_result", "data": {WIDGET_VIEW: view}}],
    }
    notebook: dict[str, Any] = {"cells": [cell], "metadata": {}}
    assert len(missing_widget_state(notebook)) == 2
    cell["outputs"][0]["data"]["text/plain"] = "Widget"
    notebook["metadata"]["widgets"] = {WIDGET_STATE: {"state": {"ab12": {}}}}
    assert missing_widget_state(notebook) == []


def test_make_notebooks_reexecutes_every_notebook_with_widget_state() -> None:
    """`make notebooks`: nbconvert in place over notebooks/ and widgets/, state stored."""
    dry_run = subprocess.run(
        ["make", "-n", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    command = dry_run.replace("\\\n", " ").split("nbconvert", 1)[1]
    for flag in (
        "--execute",
        "--inplace",
        "--ExecutePreprocessor.store_widget_state=True",
        "--ExecutePreprocessor.record_timing=False",
    ):
        assert flag in command.split(), flag
    named = {ROOT / word for word in command.split() if word.endswith(".ipynb")}
    assert named == set(EVERY_NOTEBOOK)


# -- the kernelspec Jupyter has installed --------------------------------------------------


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=_name)
def test_kernelspec_is_the_installed_one(path: Path) -> None:
    """JupyterLab rewrites a notebook's kernelspec to the installed one when it starts the
    kernel, and marks the notebook modified if that changed anything."""
    from jupyter_client.kernelspec import KernelSpecManager

    installed = KernelSpecManager().get_kernel_spec("python3")
    kernelspec = json.loads(path.read_text())["metadata"]["kernelspec"]
    assert kernelspec["name"] == "python3"
    assert kernelspec["display_name"] == installed.display_name
    assert kernelspec["language"] == installed.language


# -- links and prose ------------------------------------------------------------------------


def _markdown(path: Path) -> list[str]:
    return [
        _source(c) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"
    ]


def test_each_notebook_links_to_the_next() -> None:
    """The last cell of each tutorial names the next one; the last names the widget gallery."""
    for path, following in zip(NOTEBOOKS, [*NOTEBOOKS[1:], None], strict=True):
        cells = json.loads(path.read_text())["cells"]
        assert cells[-1]["cell_type"] == "markdown", path.stem
        last = _source(cells[-1])
        named = re.findall(r"`([\w.]+\.ipynb)`", last.partition("Next:")[2])
        if following is not None:
            assert "Next:" in last, path.stem
            assert named[:1] == [following.name], f"{path.stem}: {last!r}"
        else:
            assert "(../widgets/index.ipynb)" in last, f"{path.stem}: {last!r}"
    assert (ROOT / "widgets" / "index.ipynb").exists()


def _printed(path: Path, marker: str) -> str:
    """The text printed by the code cell whose source contains ``marker``."""
    for cell in _code_cells(json.loads(path.read_text())):
        if marker in _source(cell):
            return "".join("".join(o.get("text", "")) for o in cell["outputs"])
    raise AssertionError(f"{path.stem}: no cell with {marker!r}")


def _numbers(pattern: str, text: str) -> list[int]:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return [int(group) for group in found.groups()]


def test_chaos_prose_quotes_what_the_seeded_cells_print() -> None:
    """Seeded ChaosLayers fail the same calls every run; the prose gives their numbers."""
    nb03, nb05 = NOTEBOOKS[2], NOTEBOOKS[4]

    printed = _printed(nb03, "reads: 20, failed")
    calls, injected = _numbers(r"storage calls: (\d+), failed by ChaosLayer: (\d+)", printed)
    (reads_failed,) = _numbers(r"reads: 20, failed: (\d+)", printed)
    prose = " ".join(next(m for m in _markdown(nb03) if "is not one storage call" in m).split())
    quoted = f"{injected} of {calls} storage calls fail, and with them {reads_failed} of the 20"
    assert quoted in prose

    printed = _printed(nb05, "of 30 writes failed")
    (failed,) = _numbers(r"^(\d+) of 30 writes failed; storage calls: \{'write': 30\}", printed)
    prose = next(m for m in _markdown(nb05) if m.startswith("## Chaos alone"))
    assert f"{failed} of 30" in prose
    assert abs(failed / 30 - 0.33) < 0.05, "the seed should show the rate the prose names"


# -- the helpers the notebooks import -------------------------------------------------------


def test_demo_servers_start_moto_is_ready_at_once_and_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """notebooks/demo_servers.py, imported as 03 does (by name, from the notebook's folder):
    one call starts moto on a free port with the buckets asked for; the server answers at
    once; stop() ends it."""
    pytest.importorskip("moto")
    import opendal_lab as od

    monkeypatch.syspath_prepend(str(ROOT / "notebooks"))
    monkeypatch.delitem(sys.modules, "demo_servers", raising=False)
    demo_servers = importlib.import_module("demo_servers")
    assert Path(demo_servers.__file__) == ROOT / "notebooks" / "demo_servers.py"

    with demo_servers.start_moto(buckets=["one", "two"]) as moto:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", moto.endpoint)
        s3 = od.Operator("s3", bucket="two", **moto.options)
        s3.write("k.txt", b"v")
        assert s3.read("k.txt") == b"v"
        assert sorted(b["Name"] for b in moto.client().list_buckets()["Buckets"]) == ["one", "two"]
    assert moto.process.returncode == 0
    moto.stop()  # twice is fine


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbconvert_executes_every_cell_and_stores_widget_state(path: Path, tmp_path: Path) -> None:
    """What `make notebooks` runs, on one notebook, into a temporary folder (the kernel still
    starts in the notebook's folder, as nbconvert does for a notebook given by path)."""
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.store_widget_state=True",
        "--ExecutePreprocessor.record_timing=False",
        "--ExecutePreprocessor.timeout=300",
        f"--output-dir={tmp_path}",
        str(path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = json.loads((tmp_path / path.name).read_text())
    assert all(c["execution_count"] is not None for c in _code_cells(executed))
    assert missing_widget_state(executed) == []
    assert bool(widget_views(executed)) == bool(widget_views(json.loads(path.read_text())))


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
