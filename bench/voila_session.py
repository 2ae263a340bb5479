"""Voila on loopback and the machine's chromium, for the widget benchmarks (not a test).

The browser tests' own helpers (``tests/browser/conftest.py``) do the work: ``_serve`` runs
the server and awaits its readiness (``tests.servers.wait_for``), ``CHROMIUM_ARGS`` and
``chromium_path()`` launch Debian's chromium headless (``playwright install`` is never used).

    with voila(folder) as base, sync_playwright() as pw, launch_chromium(pw) as browser:
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(app_url(base, "matrix_10.ipynb"))
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the browser tests' helpers live in tests/browser

from playwright.sync_api import Browser, Playwright, ViewportSize  # noqa: E402

from tests.browser.apps import TOKEN  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, LOGS, _serve, chromium_path  # noqa: E402
from tests.servers import free_port  # noqa: E402

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}


@contextlib.contextmanager
def voila(folder: Path, log_name: str = "voila-bench.log") -> Iterator[str]:
    """Voila in tree mode over ``folder`` on a free loopback port, with a token; yields its
    base URL once it answers. Jupyter's and IPython's user folders are in a temporary folder
    (nothing from ``~``); the server's log is ``artifacts/logs/<log_name>``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = LOGS / log_name
    cmd = [
        sys.executable,
        "-m",
        "voila",
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        f"--Voila.token={TOKEN}",
        str(folder),
    ]
    with (
        tempfile.TemporaryDirectory(prefix="opendal-lab-bench-jupyter-") as home,
        contextlib.ExitStack() as stack,
    ):
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": f"{home}/config",
            "JUPYTER_DATA_DIR": f"{home}/data",
            "JUPYTER_RUNTIME_DIR": f"{home}/runtime",
            "IPYTHONDIR": f"{home}/ipython",
            "JUPYTER_PLATFORM_DIRS": "1",
        }
        try:
            stack.enter_context(_serve(cmd, env, f"{base}/?token={TOKEN}", log))
        except RuntimeError as err:  # exited or never answered; the message has the log's tail
            sys.exit(f"voila did not start (log: {log}): {err}")
        yield base


def launch_chromium(pw: Playwright) -> Browser:
    """Headless chromium, the machine's (``$CHROMIUM`` overrides); a ``with`` closes it."""
    try:
        executable = chromium_path()
    except pytest.fail.Exception:
        sys.exit("no chromium here: `make chromium` installs it (apt-get install -y chromium)")
    return pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def app_url(base: str, notebook: str, theme: str | None = None) -> str:
    """One notebook rendered by Voila (``theme``: Voila's ``?theme=light|dark``)."""
    query = f"&theme={theme}" if theme else ""
    return f"{base}/voila/render/{notebook}?token={TOKEN}{query}"
