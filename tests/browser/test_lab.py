"""JupyterLab, the main way in: the widget notebooks run there draw the live widgets, readable
in Lab's light and dark themes, at 1280 and 420 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from tests.browser import expected
from tests.browser.apps import (
    APP_TIMEOUT_MS,
    HEIGHT,
    THEMES,
    UPDATE_TIMEOUT_MS,
    WIDTHS,
    BrowserPage,
    assert_fits,
    assert_readable,
    matrix_states,
    theme_is_dark,
)
from tests.browser.conftest import Server

LAB_THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
TEXTS = "table.opendal-matrix td, table.opendal-matrix th, .opendal-legend span"


def run_in_lab(lab: Server, page: BrowserPage, notebook: str, theme: str, root: str) -> Locator:
    """Open ``notebook`` in Lab, switch to ``theme`` (a Lab setting, kept by the server, so
    every test sets its own), run every cell and return the live widget of class ``root``."""
    page.page.goto(lab.app_url(notebook))
    page.page.wait_for_function("window.jupyterapp !== undefined", timeout=APP_TIMEOUT_MS)
    status = page.page.locator("#jp-main-statusbar")
    expect(status).to_contain_text("Idle", timeout=APP_TIMEOUT_MS)  # the kernel is up
    page.page.evaluate(
        "name => window.jupyterapp.commands.execute('apputils:change-theme', {theme: name})",
        LAB_THEMES[theme],
    )
    light = "true" if theme == "light" else "false"
    page.page.wait_for_function(
        f"document.body.dataset.jpThemeLight === '{light}'", timeout=UPDATE_TIMEOUT_MS
    )
    # The side panels would take most of a narrow window: the notebook gets it all.
    page.page.evaluate(
        "() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }"
    )
    # Drop any saved outputs (their static fallback would be found too), then run every cell.
    page.page.evaluate(
        """async () => {
            await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }"""
    )
    return page.wait_for(f".jp-OutputArea :is(.jupyter-widgets, .opendal-widget).{root}", "td")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_capability_matrix_in_lab(lab: Server, page: BrowserPage, theme: str, width: int) -> None:
    page.page.set_viewport_size({"width": width, "height": HEIGHT})
    matrix = run_in_lab(lab, page, "capability_matrix.ipynb", theme, "opendal-capability-matrix")
    assert theme_is_dark(page.page) == (theme == "dark")
    assert matrix_states(matrix) == expected.states(expected.capability_matrix_operators())
    assert_readable(matrix, f"lab matrix {theme} {width}", TEXTS)
    assert_fits(matrix, matrix.locator(".odl-scroll"))
    # Enter on a focused cell explains it: the notebook's own Enter (edit mode) stays out.
    cell = matrix.locator("td[data-service='fs'][data-cap='list_with_recursive']")
    cell.focus()
    page.page.keyboard.press("Enter")
    expect(matrix.locator(".odl-detail")).to_contain_text("Set by: SimulateLayer")
    matrix.scroll_into_view_if_needed()
    page.shot(f"lab-matrix-{theme}-{width}")  # the whole Lab window, the matrix in view


def test_simulation_lab_in_lab_dark(lab: Server, page: BrowserPage) -> None:
    widget = run_in_lab(lab, page, "simulation_lab.ipynb", "dark", "opendal-simulation-lab")
    widget.locator("input[data-switch='list_recursive']").check()
    summary = widget.locator(".opendal-summary")
    expect(summary).to_contain_text("fs · list_with_recursive: unsupported → simulated")
    expect(summary).to_be_in_viewport()
    cell = widget.locator("td[data-service='fs'][data-cap='list_with_recursive']")
    expect(cell).to_have_attribute("data-changed", "true")
    assert_readable(widget, "lab simulation dark 1280", TEXTS)
    page.shot("lab-simulation-dark-1280")
