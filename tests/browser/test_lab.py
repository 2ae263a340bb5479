"""JupyterLab, the main way in: a widget notebook run there draws the live matrix."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import expected
from tests.browser.apps import APP_TIMEOUT_MS, BrowserPage, matrix_states
from tests.browser.conftest import Server


def test_capability_matrix_notebook_runs_in_lab(lab: Server, page: BrowserPage) -> None:
    page.page.goto(lab.app_url("capability_matrix.ipynb"))
    page.page.wait_for_function("window.jupyterapp !== undefined", timeout=APP_TIMEOUT_MS)
    status = page.page.locator("#jp-main-statusbar")
    expect(status).to_contain_text("Idle", timeout=APP_TIMEOUT_MS)  # the kernel is up
    # Drop any saved outputs (their static fallback would match too), then run every cell.
    page.page.evaluate(
        """async () => {
            await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }"""
    )
    matrix = page.wait_for(
        ".jp-OutputArea .jupyter-widgets.opendal-capability-matrix", "td[data-service]"
    )
    assert matrix_states(matrix) == expected.states(expected.capability_matrix_operators())
    matrix.scroll_into_view_if_needed()
    page.shot("lab_capability_matrix")  # the whole Lab window, the matrix in view
