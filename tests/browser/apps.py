"""What the browser tests do with a page: open an app, read a matrix, screenshot it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ConsoleMessage, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
TOKEN = "opendal-lab-browser-tests"
# A kernel start plus the first import of the widgets takes seconds on a quiet machine, more
# while the rest of the suite runs beside it on two cores.
APP_TIMEOUT_MS = 90_000
# After the app is up, a round trip through the kernel (click → observer → redraw).
UPDATE_TIMEOUT_MS = 20_000

# Where a notebook's errors land in Voila and in JupyterLab.
_ERROR_OUTPUTS = (
    "[data-mime-type='application/vnd.jupyter.stderr'], "
    "[data-mime-type='application/vnd.jupyter.error']"
)


class BrowserPage:
    """A Playwright page plus the JavaScript errors it has seen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # The CDN the page may ask for is unreachable on purpose (see CHROMIUM_ARGS).
        if message.type == "error" and "ERR_NAME_NOT_RESOLVED" not in message.text:
            self.errors.append(f"console: {message.text}")

    def open(self, url: str, root: str, ready: str = "*") -> Locator:
        """Go to ``url``, wait for the live widget of class ``root`` and for ``ready`` in it
        (a selector: the content the test starts from); return the widget."""
        self.page.goto(url)
        return self.wait_for(live(root), ready)

    def wait_for(self, selector: str, ready: str = "*") -> Locator:
        found = self.page.locator(selector).first
        try:
            found.locator(ready).first.wait_for(timeout=APP_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise AssertionError(
                f"{selector} {ready} did not appear at {self.page.url}\n{self.diagnostics()}"
            ) from None
        return found

    def diagnostics(self) -> str:
        """The notebook's error outputs and the browser's errors, for a failure message."""
        outputs = self.page.locator(_ERROR_OUTPUTS).all_inner_texts()
        return "notebook errors:\n{}\nbrowser errors:\n{}".format(
            "\n".join(outputs)[-4000:] or "(none)", "\n".join(self.errors)[-2000:] or "(none)"
        )

    def shot(self, name: str, target: Locator | None = None) -> Path:
        """A screenshot of ``target`` (default: the page) in ``artifacts/screenshots/``.

        Voila and Lab scroll inside their own panels, so the window grows for the shot to
        the target's whole height, then shrinks back."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        viewport = self.page.viewport_size or {"width": 1280, "height": 900}
        if target is None:
            self.page.screenshot(path=str(path))
            return path
        height = int(target.evaluate("e => e.getBoundingClientRect().bottom + e.scrollHeight"))
        self.page.set_viewport_size({"width": viewport["width"], "height": max(height, 900)})
        try:
            target.screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(viewport)
        return path


def matrix_states(matrix: Locator) -> dict[tuple[str, str], str]:
    """Every cell of a capability matrix: ``(service, field) -> data-state``."""
    rows: list[list[str]] = matrix.locator("td[data-service][data-cap]").evaluate_all(
        "cells => cells.map(c => [c.dataset.service, c.dataset.cap, c.dataset.state])"
    )
    return {(service, cap): state for service, cap, state in rows}


def live(css_class: str) -> str:
    """The live ipywidgets view of a widget root (not its static ``text/html`` fallback)."""
    return f".jupyter-widgets.{css_class}"


def row_fields(matrix: Locator) -> list[str]:
    """The capability fields of the rows a matrix shows, top to bottom."""
    fields: list[str] = matrix.locator("tr[data-cap]").evaluate_all(
        "rows => rows.map(r => r.dataset.cap)"
    )
    return fields
