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

import pytest

from tests.venvs import run, uv

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"

# Not in a fresh clone: what .gitignore leaves out, and git's own directory.
CLEAN_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".venv-spark",  # tests/datasource/test_spark_jvm.py's JVM Spark, over a gigabyte
    ".tools",  # npm tools the tests run (Azurite, `make azurite`)
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


MOTO_PROBE = """
import opendal_lab as od
from demo_servers import start_moto
with start_moto(buckets=["binder"]) as moto:
    s3 = od.Operator("s3", bucket="binder", **moto.options)
    s3.write("a.txt", b"ok")
    assert s3.read("a.txt") == b"ok"
print("moto ok")
"""

# -- Voila's front end ------------------------------------------------------------------------
# Voila's page (share/jupyter/voila/templates/base/static) is a JupyterLab application that
# provides @jupyterlab/* packages at one version; each extension it loads asks for a range of
# them (webpack module federation). One that asks for more than the page has makes the
# browser console warn "Unsatisfied version ... of shared singleton module" (the browser
# checks it: tests/browser/test_console_versions.py); here it is read from the files.
_PROVIDED = re.compile(r'"(@jupyterlab/[a-z-]+)","(\d+)\.(\d+)\.(\d+)"')
_REQUIRED = (
    # minified: "@jupyterlab/x",!1,[1,4,5,10] or ("default","@jupyterlab/x",[1,4,2,4]), where
    # a leading 1 is a caret range; unminified: loadSingletonVersion(..., [1,4,4,6])
    re.compile(r'"(@jupyterlab/[a-z-]+)"[^\[\]"{}]{0,40}\[1,(\d+),(\d+),(\d+)\]'),
    # or written out: shareKey:"@jupyterlab/x",...,requiredVersion:"^4.6.2"
    re.compile(r'shareKey:"(@jupyterlab/[a-z-]+)",[^{}]*?requiredVersion:"\^(\d+)\.(\d+)\.(\d+)"'),
)
# Extensions Voila never loads (voila/utils.py), and its manager for ipywidgets 7.
_NOT_LOADED = ("jupyterlab-preview", "collaboration", "widgets-manager7")


def _versions(pattern: re.Pattern[str], text: str) -> dict[str, tuple[int, int, int]]:
    found: dict[str, tuple[int, int, int]] = {}
    for name, *numbers in pattern.findall(text):
        major, minor, patch = map(int, numbers)
        found[name] = max(found.get(name, (0, 0, 0)), (major, minor, patch))
    return found


def voila_version_mismatches(prefix: Path) -> list[str]:
    """Each @jupyterlab package an extension Voila loads asks for at a version Voila's page
    does not have, in the environment at ``prefix``."""
    share = prefix / "share" / "jupyter"
    provided: dict[str, tuple[int, int, int]] = {}
    for script in (share / "voila" / "templates" / "base" / "static").glob("*.js"):
        provided.update(_versions(_PROVIDED, script.read_text(errors="replace")))
    assert provided, f"no Voila page under {share}"
    entries = [
        entry
        for folder in (share / "labextensions", share / "voila" / "labextensions")
        for entry in folder.rglob("remoteEntry*.js")
        if not any(skip in str(entry) for skip in _NOT_LOADED)
    ]
    assert any("widgets-manager8" in str(e) for e in entries), "Voila's widget manager"
    assert any("jupyterlab-manager" in str(e) for e in entries), "jupyterlab_widgets' manager"
    problems = []
    for entry in entries:
        text = entry.read_text(errors="replace")
        for pattern in _REQUIRED:
            for name, (major, minor, patch) in _versions(pattern, text).items():
                have = provided.get(name)
                if have is not None and (have[0] != major or have[1:] < (minor, patch)):
                    problems.append(
                        f"{entry.parent.parent.name} asks for {name} ^{major}.{minor}.{patch}; "
                        f"Voila's page has {'.'.join(map(str, have))}"
                    )
    return sorted(set(problems))


def test_voila_front_end_asks_for_no_newer_jupyterlab_than_its_page() -> None:
    """The environment these tests run in (the dev extra pins the same as binder/)."""
    if not (Path(sys.prefix) / "share" / "jupyter" / "voila").is_dir():
        pytest.skip("voila is not installed here")
    assert voila_version_mismatches(Path(sys.prefix)) == []


def test_the_version_check_reads_every_format(tmp_path: Path) -> None:
    page = tmp_path / "share" / "jupyter" / "voila" / "templates" / "base" / "static"
    page.mkdir(parents=True)
    (page / "voila.js").write_text(
        'r("@jupyterlab/services","7.2.5"),r("@jupyterlab/notebook","4.2.5")'
    )
    extensions = tmp_path / "share" / "jupyter" / "labextensions"
    manager8 = tmp_path / "share" / "jupyter" / "voila" / "labextensions" / "widgets-manager8"
    written = {
        manager8: '"@jupyterlab/services",!1,[1,7,2,1]',
        extensions / "jupyterlab-manager": 'shareKey:"@jupyterlab/notebook",import:null,'
        'requiredVersion:"^4.6.2",strictVersion:!1',
        extensions
        / "other": 'loadSingletonVersion("default", "@jupyterlab/services", false, [1,7,4,6])',
        extensions / "old": 'y("default","@jupyterlab/notebook",[1,4,2,4])',
    }
    for folder, text in written.items():
        (folder / "static").mkdir(parents=True)
        (folder / "static" / "remoteEntry.1.js").write_text(text)
    assert voila_version_mismatches(tmp_path) == [
        "jupyterlab-manager asks for @jupyterlab/notebook ^4.6.2; Voila's page has 4.2.5",
        "other asks for @jupyterlab/services ^7.4.6; Voila's page has 7.2.5",
    ]


def test_binder_pins_the_front_end_as_the_dev_extra_does() -> None:
    requirements = (BINDER / "requirements.txt").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    for package in ("voila", "jupyterlab_widgets", "ipywidgets"):
        pinned = re.findall(rf"^{package}([<>=!~][^\s#]*)$", requirements, re.M)
        in_dev = re.findall(rf'^\s*"{package}([<>=!~][^"]*)",$', pyproject, re.M)
        assert pinned, package
        assert pinned == in_dev, package
        assert "<" in pinned[0], f"{package}: an upper bound, the newest release that matches"


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

    # Notebook 03's S3 server, as its kernel starts it: from the notebook's folder.
    out = run([str(python), "-c", MOTO_PROBE], cwd=repo / "notebooks").splitlines()[-1]
    assert out == "moto ok"
    # What Voila's page loads there asks for no newer JupyterLab than the page is.
    assert voila_version_mismatches(venv) == []
