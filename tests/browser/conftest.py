"""Real-browser fixtures: Voila and JupyterLab on loopback, Debian's chromium through Playwright.

* ``voila``: ``voila`` serving a copy of the top-level ``widgets/`` folder (tree mode); each
  app is one URL, ``voila.app_url("capability_matrix.ipynb")``, and each page load gets its own
  kernel. ``lab``: JupyterLab on the same copy. Each is started once per pytest process (per
  xdist worker) on first use, on a free loopback port with a token, and stopped at the end.
* ``browser`` / ``page``: headless chromium (the machine's, never ``playwright install``). A
  page collects the browser's JavaScript errors; a failed test leaves a screenshot.

The servers run the notebooks on this interpreter: the kernelspec ``python3`` says ``python``,
which jupyter_client replaces with the server's ``sys.executable`` (the venv's). The notebooks
are copied to a temporary folder first, so neither Lab's autosave nor a demo that writes files
changes the repository. Server logs go to ``artifacts/logs/``, screenshots to
``artifacts/screenshots/`` (both kept by CI).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.browser.apps import (
    ARTIFACTS,
    REPO,
    SCREENSHOTS,
    TOKEN,
    UPDATE_TIMEOUT_MS,
    BrowserPage,
)
from tests.servers import free_port, wait_for

APPS = REPO / "widgets"
LOGS = ARTIFACTS / "logs"
# Headless in a container: no sandbox (root), no GPU, a small /dev/shm; nothing phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Hermetic: only loopback resolves, so nothing waits on the network (ipywidgets asks a
    # CDN for Font Awesome's CSS; without it the icons are missing, nothing else).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SERVER_TIMEOUT_S = 90.0
# Every `expect(...)` waits for a kernel round trip, which the rest of the suite can slow.
expect.set_options(timeout=UPDATE_TIMEOUT_MS)


def chromium_path() -> str:
    """Debian's chromium (``make test`` installs it when missing); ``$CHROMIUM`` overrides."""
    candidates = [
        os.environ.get("CHROMIUM"),
        "/usr/lib/chromium/chromium",  # the binary behind Debian's /usr/bin/chromium wrapper
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("no chromium here: `make test` installs it (apt-get install -y chromium)")


@dataclass(frozen=True)
class Server:
    """A running notebook server on loopback."""

    kind: str  # "voila" or "lab"
    url: str
    log: Path

    def app_url(self, notebook: str, theme: str | None = None) -> str:
        """One widget app rendered by Voila (``theme``: Voila's ``?theme=light|dark``), or
        the notebook opened in JupyterLab (whose theme is a setting: ``set_lab_theme``)."""
        if self.kind == "voila":
            query = f"&theme={theme}" if theme else ""
            return f"{self.url}/voila/render/{notebook}?token={TOKEN}{query}"
        return f"{self.url}/lab/tree/{notebook}?token={TOKEN}&reset"


@contextlib.contextmanager
def _serve(cmd: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[None]:
    """Run ``cmd`` until the block ends: SIGTERM (the server shuts its kernels down), then
    SIGKILL to its process group if it hangs."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(ready, SERVER_TIMEOUT_S, proc=proc, log=log)
            yield
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def apps_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the top-level ``widgets/`` folder, served by both servers."""
    if not APPS.is_dir():
        pytest.fail(f"{APPS} is missing: the widget apps are what these tests open")
    target = tmp_path_factory.mktemp("apps") / "widgets"
    shutil.copytree(APPS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


@pytest.fixture(scope="session")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Jupyter's and IPython's user folders in a temporary folder: nothing from ``~``."""
    home = tmp_path_factory.mktemp("jupyter")
    config = home / "config"
    # JupyterLab's "get notified about Jupyter news?" toast could cover a widget.
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }


@pytest.fixture(scope="session")
def voila(apps_dir: Path, jupyter_env: dict[str, str]) -> Iterator[Server]:
    """Voila in tree mode over the widget apps: ``voila widgets/``, loopback and a token."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "voila",
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        f"--Voila.token={TOKEN}",
        "--VoilaConfiguration.show_tracebacks=True",
        str(apps_dir),
    ]
    log = LOGS / f"voila-{_worker()}.log"
    with _serve(cmd, jupyter_env, f"{url}/?token={TOKEN}", log):
        yield Server("voila", url, log)


@pytest.fixture(scope="session")
def lab(apps_dir: Path, jupyter_env: dict[str, str]) -> Iterator[Server]:
    """JupyterLab over the widget apps, as ``make lab`` would run it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={apps_dir}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run cells by command
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = LOGS / f"lab-{_worker()}.log"
    with _serve(cmd, jupyter_env, f"{url}/api/status?token={TOKEN}", log):
        yield Server("lab", url, log)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


_FAILED = pytest.StashKey[bool]()  # whether a test's call phase failed (for its screenshot)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    """A fresh browser context and page; on failure, a screenshot named after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        wrapped = BrowserPage(context.new_page())
        yield wrapped
        if request.node.stash.get(_FAILED, False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                wrapped.page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"))
    finally:
        context.close()
