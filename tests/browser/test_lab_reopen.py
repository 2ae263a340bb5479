"""A stored notebook reopened in JupyterLab, no cell run: every widget it shows is drawn from
the widget state saved in the notebook, and none says "Error displaying widget".

Every notebook of ``widgets/`` and ``notebooks/`` whose stored outputs show a widget is
opened as it is in the repository (copied beside the apps the ``lab`` fixture serves, so
nothing another test ran or saved there counts). The kernel Lab starts is left alone.

* Trusted (the reader ran or trusted it, ``jupyter trust``): each widget output is the live
  widget, built in the page from the saved state (its root class, its content drawn).
* Untrusted (a fresh clone): Lab runs no widget code and shows the ``text/html`` fallback;
  still no error.

A notebook stored without its widget state (or with a view whose model is not in it) fails
here: `make notebooks` stores them with it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.apps import APP_TIMEOUT_MS, REPO, BrowserPage, live
from tests.browser.conftest import Server
from tests.test_notebooks import WIDGET_VIEW, saved_widget_state, widget_views

# Folders of stored notebooks, relative to the repository.
FOLDERS = ("widgets", "notebooks")
# Beside the served apps: each run's copies of the stored notebooks, as the repository has them.
TRUSTED = "reopen-trusted"
UNTRUSTED = "reopen-untrusted"
STRIPPED = "widgets/capability_matrix.ipynb"  # stored without its state: what the guard sees
# What a widget has drawn once it is up, by root class ("*": anything).
CONTENT = {
    "opendal-capability-matrix": "td[data-state]",
    "opendal-simulation-lab": "td[data-state]",
    "opendal-portability-check": "td[data-state]",
    "opendal-trace-viewer": ".opendal-call, .odl-empty",  # its rows, or "no calls yet"
    "opendal-browser": ".odl-node",
}
DRAWN = re.compile(r"\S")  # some text on screen (innerText: what is drawn)
ERRORS = ("Error displaying widget", "model not found")
# The notebook on screen (Lab keeps the others in the DOM, hidden).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
OUTPUTS = f"{PANEL} .jp-OutputArea-output"


@dataclass(frozen=True)
class View:
    """One stored widget output: its model, and the root class its saved state gives."""

    model_id: str
    root: str | None  # None: the model is not in the saved state


def stored_views(path: Path) -> list[View]:
    notebook: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    state = saved_widget_state(notebook)
    views = []
    for output in widget_views(notebook):
        model_id = output["data"][WIDGET_VIEW]["model_id"]
        classes = state.get(model_id, {}).get("state", {}).get("_dom_classes", [])
        roots = [c for c in classes if c.startswith("opendal-") and c != "opendal-widget"]
        views.append(View(model_id, roots[-1] if roots else None))
    return views


STORED = [
    path.relative_to(REPO)
    for folder in FOLDERS
    for path in sorted((REPO / folder).glob("*.ipynb"))
    if stored_views(path)
]


def _ids(path: Path) -> str:
    return path.with_suffix("").as_posix()


def _copy(path: Path, target: Path, change: str = "") -> None:
    """``path`` (relative to the repository) to ``target``; ``change``: ``"mark"`` adds a
    metadata key (a different signature), ``"strip"`` drops the saved widget state."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not change:
        shutil.copyfile(REPO / path, target)
        return
    notebook = json.loads((REPO / path).read_text(encoding="utf-8"))
    if change == "mark":
        notebook["metadata"]["opendal_lab_test"] = "an untrusted copy"
    else:
        notebook["metadata"].pop("widgets", None)
    target.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def reopened(apps_dir: Path, jupyter_env: dict[str, str]) -> Path:
    """The stored notebooks, copied under the served folder: trusted ones signed in this
    session's Jupyter data folder (as ``jupyter trust`` does for a reader), untrusted ones
    changed by one metadata key so that their signature is not the trusted copies'; and the
    capability matrix without its widget state, trusted, for the guard's own check."""
    for path in STORED:
        _copy(path, apps_dir / TRUSTED / path)
        _copy(path, apps_dir / UNTRUSTED / path, "mark")
    _copy(Path(STRIPPED), apps_dir / TRUSTED / "stripped" / STRIPPED, "strip")
    signed = [apps_dir / TRUSTED / path for path in STORED]
    signed.append(apps_dir / TRUSTED / "stripped" / STRIPPED)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", *map(str, signed)],
        env=jupyter_env,
        check=True,
        capture_output=True,
    )
    return apps_dir


def open_without_running(lab: Server, page: BrowserPage, notebook: str, outputs: int) -> None:
    """Open ``notebook`` in Lab, wait for its kernel to be idle (Lab starts one; no cell is
    sent to it) and for ``outputs`` outputs to be drawn, widgets or errors."""
    page.page.goto(lab.app_url(notebook))
    page.page.wait_for_function("window.jupyterapp !== undefined", timeout=APP_TIMEOUT_MS)
    expect(page.page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=APP_TIMEOUT_MS)
    page.page.evaluate(
        "() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }"
    )
    expect(page.page.locator(OUTPUTS)).not_to_have_count(0, timeout=APP_TIMEOUT_MS)
    page.page.wait_for_function(
        """([selector, errors, wanted]) => {
            const drawn = [...document.querySelectorAll(selector)].filter(out =>
                out.querySelector('.jupyter-widgets, .opendal-widget, .opendal-static')
                || errors.some(e => out.textContent.includes(e)));
            return drawn.length >= wanted;
        }""",
        arg=[OUTPUTS, list(ERRORS), outputs],
        timeout=APP_TIMEOUT_MS,
    )


def error_texts(page: BrowserPage) -> list[str]:
    """Every widget error the notebook on screen shows."""
    found: list[str] = page.page.evaluate(
        """([selector, errors]) => [...document.querySelectorAll(selector)]
            .map(out => out.textContent.trim())
            .filter(text => errors.some(e => text.includes(e)))
            .map(text => text.slice(0, 300))""",
        [OUTPUTS, list(ERRORS)],
    )
    return found


def kernel_ran_nothing(page: BrowserPage) -> bool:
    """No cell was run in this page: every execution prompt is the stored one or empty, and
    none says ``[*]`` (queued or running)."""
    prompts: list[str] = page.page.locator(f"{PANEL} .jp-InputPrompt").all_inner_texts()
    return not any("*" in prompt for prompt in prompts)


@pytest.mark.parametrize("path", STORED, ids=_ids)
def test_trusted_notebook_reopened_draws_its_widgets_from_saved_state(
    lab: Server, page: BrowserPage, reopened: Path, path: Path
) -> None:
    views = stored_views(REPO / path)
    notebook = f"{TRUSTED}/{path.as_posix()}"
    open_without_running(lab, page, notebook, len(views))

    errors = error_texts(page)
    assert errors == [], f"{notebook} reopened shows widget errors: {errors}"
    missing = [v.model_id for v in views if v.root is None]
    assert missing == [], f"{notebook}: views with no saved model (run `make notebooks`)"
    for root in sorted({v.root for v in views if v.root}):
        widgets = page.page.locator(f"{OUTPUTS} {live(root)}")
        expect(widgets).to_have_count(sum(v.root == root for v in views))
        for widget in widgets.all():
            # Lab skips drawing what is off screen (content-visibility): scroll to it.
            widget.scroll_into_view_if_needed()
            shown = widget.locator(f"{CONTENT.get(root, '*')} >> visible=true")
            expect(shown.first).to_be_visible()
            expect(widget).to_have_text(DRAWN, use_inner_text=True)
    # The live widget, not its fallback: no output fell back to the static HTML.
    expect(page.page.locator(f"{OUTPUTS} .opendal-static")).to_have_count(0)
    assert kernel_ran_nothing(page)
    if path.stem == "capability_matrix":
        matrix = page.page.locator(f"{OUTPUTS} {live('opendal-capability-matrix')}")
        matrix.scroll_into_view_if_needed()
        page.shot("lab-reopen-capability_matrix")
    assert error_texts(page) == []  # still none once the kernel has been idle a while
    assert not page.errors, page.errors


@pytest.mark.parametrize("path", STORED, ids=_ids)
def test_untrusted_notebook_reopened_shows_its_fallback(
    lab: Server, page: BrowserPage, reopened: Path, path: Path
) -> None:
    views = stored_views(REPO / path)
    notebook = f"{UNTRUSTED}/{path.as_posix()}"
    open_without_running(lab, page, notebook, len(views))

    errors = error_texts(page)
    assert errors == [], f"{notebook} reopened untrusted shows widget errors: {errors}"
    fallbacks = page.page.locator(OUTPUTS).filter(has=page.page.locator(".opendal-static"))
    expect(fallbacks).to_have_count(len(views))
    for fallback in fallbacks.all():
        fallback.scroll_into_view_if_needed()
        expect(fallback).to_have_text(DRAWN, use_inner_text=True)
    assert kernel_ran_nothing(page)
    assert not page.errors, page.errors


def test_the_guard_sees_a_notebook_stored_without_its_widget_state(
    lab: Server, page: BrowserPage, reopened: Path
) -> None:
    """What the tests above look for is what Lab shows when the state is missing."""
    open_without_running(lab, page, f"{TRUSTED}/stripped/{STRIPPED}", 1)
    errors = error_texts(page)
    assert len(errors) == 1, errors
    assert "Error displaying widget" in errors[0]
    assert "model not found" in errors[0]
    expect(page.page.locator(f"{OUTPUTS} {live('opendal-capability-matrix')}")).to_have_count(0)
