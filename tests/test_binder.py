"""The Binder recipe works: a fresh virtualenv, binder/requirements.txt, every module imported.

mybinder.org (repo2docker) builds the image from ``binder/``: ``runtime.txt`` picks the Python,
``pip install -r binder/requirements.txt`` runs from the repository root, then ``postBuild``.
This test does the same from a clean copy of the repository (what a clone holds: no virtualenv,
no caches, nothing ``.gitignore`` leaves out) into a new virtualenv, with ``uv pip`` for speed
(it resolves the same requirements as pip), then imports every module of ``opendal_lab`` and
what the notebooks and the widget apps need, and runs ``postBuild``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

from tests.venvs import run, uv

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"

# Not in a fresh clone: what .gitignore leaves out, and git's own directory.
CLEAN_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".venv-spark",  # tests/datasource/test_spark_jvm.py's JVM Spark, over a gigabyte
    "__pycache__",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "dist",
    "build",
    "artifacts",
    "results",
)

# Imported in the new environment: every module of the package, found by walking it, and what
# JupyterLab, Voila, the widget apps and the notebooks need besides.
IMPORT_PROBE = """
import importlib, json, pkgutil, sys, traceback
import opendal_lab
names = ["opendal_lab"] + sorted(
    m.name for m in pkgutil.walk_packages(opendal_lab.__path__, "opendal_lab.")
)
names += ["jupyterlab", "voila", "ipywidgets", "ipykernel", "matplotlib", "moto.server"]
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc(limit=3)
print(json.dumps({"file": opendal_lab.__file__, "modules": names, "failed": failed}))
"""


def test_binder_files_are_what_repo2docker_reads() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.(1[0-9])", runtime), runtime  # without it Binder picks 3.10
    requirements = (BINDER / "requirements.txt").read_text().splitlines()
    assert "-e .[all]" in requirements
    for needed in ("jupyterlab", "voila", "ipywidgets"):
        assert any(line.startswith(needed) for line in requirements), needed
    assert os.access(BINDER / "postBuild", os.X_OK)


def test_fresh_virtualenv_installs_binder_requirements_and_imports_everything(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=CLEAN_COPY_IGNORE, symlinks=True)
    assert not (repo / ".venv").exists()
    venv = tmp_path / "venv"
    run([uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"

    # As repo2docker does: from the repository root, so `-e .[all]` is this copy.
    install = [uv(), "pip", "install", "--quiet", "--python", str(python)]
    run([*install, "-r", "binder/requirements.txt"], cwd=repo)

    out = json.loads(run([str(python), "-c", IMPORT_PROBE], cwd=tmp_path).splitlines()[-1])
    assert not out["failed"], "\n".join(f"{k}:\n{v}" for k, v in out["failed"].items())
    assert Path(out["file"]).is_relative_to(repo / "opendal_lab")  # the clean copy, editable
    modules = set(out["modules"])
    for expected in ("opendal_lab.fsspec", "opendal_lab.datasource.spark", "opendal_lab.layers"):
        assert expected in modules
    assert len([m for m in modules if m.startswith("opendal_lab.")]) > 50

    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    assert "imports" in run(["bash", "binder/postBuild"], cwd=repo, env=env)
