"""Fixtures shared by every test folder: the real servers live in tests/servers.py."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import importlib.metadata
import importlib.util
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.servers"]

PLUGIN_DIR = Path(__file__).parent / "plugin_pkg"
PLUGIN_DIST = "opendal-lab-plugin-demo"
PLUGIN_MODULE = "opendal_lab_plugin_demo"


def _plugin_installed() -> bool:
    importlib.invalidate_caches()  # also forgets importlib.metadata's cached listings
    try:
        importlib.metadata.distribution(PLUGIN_DIST)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@contextlib.contextmanager
def _file_lock(name: str) -> Iterator[None]:
    """An exclusive lock shared by every process on this machine (xdist workers)."""
    path = Path(tempfile.gettempdir()) / name
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install_plugin() -> str:
    """Install tests/plugin_pkg editable into this interpreter's environment, quietly, with
    uv when there is one, else pip; what went wrong, or ``""``."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    # --no-deps: its one dependency, opendal-lab, is what these tests run.
    if uv:
        command = [uv, "pip", "install", "--python", sys.executable, "-q", "--no-deps"]
    else:
        command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
    try:
        done = subprocess.run(
            [*command, "-e", str(PLUGIN_DIR)], capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{Path(command[0]).name}: {err}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[-1] if lines else f"{Path(command[0]).name} exited {done.returncode}"
    return ""


@pytest.fixture(scope="session")
def demo_plugin() -> None:
    """The third-party plugin in tests/plugin_pkg (service ``demo-kv``, layer ``upper-path``),
    found through its entry points. ``make test`` installs it beforehand; a plain ``pytest``
    run installs it here, once per environment (under a file lock, for xdist workers)."""
    from opendal_lab.core import registry

    if not _plugin_installed():
        key = hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]
        with _file_lock(f"opendal-lab-plugin-{key}.lock"):
            problem = "" if _plugin_installed() else _install_plugin()  # another worker's?
        if problem or not _plugin_installed():
            pytest.fail(
                f"the test plugin is not installed and installing it failed ({problem}); "
                f"run `make test`, or: uv pip install --python {sys.executable} -e {PLUGIN_DIR}",
                pytrace=False,
            )
    if importlib.util.find_spec(PLUGIN_MODULE) is None:
        # Installed after this interpreter started: its editable .pth file was never read.
        site.addsitedir(sysconfig.get_paths()["purelib"])
        importlib.invalidate_caches()
    registry.refresh_plugins()
