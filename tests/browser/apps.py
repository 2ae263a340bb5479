"""What the browser tests do with a page: open an app, read a matrix, screenshot it, and
measure what a reader sees (text contrast, what fits in the window)."""

from __future__ import annotations

import contextlib
import fcntl
import json
from pathlib import Path
from typing import Any

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
    """The live view of a widget root (not its static ``text/html`` fallback, which is
    neither): an ipywidgets container, or an anywidget view (``opendal-widget``)."""
    return f":is(.jupyter-widgets, .opendal-widget).{css_class}"


def row_fields(matrix: Locator, visible: bool = False) -> list[str]:
    """The capability fields of a matrix's rows, top to bottom (``visible``: only those
    the filters let through)."""
    rows = "tr[data-cap]:not([hidden])" if visible else "tr[data-cap]"
    fields: list[str] = matrix.locator(rows).evaluate_all("rows => rows.map(r => r.dataset.cap)")
    return fields


# -- themes and widths -------------------------------------------------------------------

THEMES = ("light", "dark")
WIDTHS = (1280, 420)
HEIGHT = 900
MIN_CONTRAST = 4.5  # WCAG AA for normal text
CONTRAST_REPORT = ARTIFACTS / "contrast.txt"
_CONTRAST_DATA = ARTIFACTS / "contrast.json"

# For each element matched by ``selector`` inside the root: the WCAG contrast ratio of its
# text colour against its effective background, from computed styles. The background is
# the first opaque one up the ancestors, with every translucent one on the way blended over
# it (white if none is opaque); a translucent text colour is blended over that. Colours go
# through a canvas, so every CSS syntax (rgb(), color(srgb ...), color-mix results) reads.
_CONTRAST_JS = """
(root, selector) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    const rgba = (css) => {
        ctx.clearRect(0, 0, 1, 1);
        ctx.fillStyle = '#000';
        ctx.fillStyle = css;
        ctx.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
        return [r, g, b, a / 255];
    };
    const over = (top, bottom) => {
        const a = top[3];
        return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
    };
    const background = (el) => {
        const layers = [];
        for (let node = el; node; node = node.parentElement) {
            const c = rgba(getComputedStyle(node).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] >= 1) break;
        }
        let base = [255, 255, 255, 1];
        for (const layer of layers.reverse()) base = over(layer, base);
        return base;
    };
    const lum = ([r, g, b]) => {
        const f = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const out = [];
    for (const el of root.querySelectorAll(selector)) {
        if (!el.textContent.trim() || el.closest('[hidden]')) continue;
        const bg = background(el);
        const fg = over(rgba(getComputedStyle(el).color), bg);
        const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        const name = el.dataset.cap
            ? `${el.tagName.toLowerCase()} ${el.dataset.service || ''}/${el.dataset.cap}`
            : `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}"`;
        out.push([(hi + 0.05) / (lo + 0.05), name]);
    }
    return out;
}
"""


def contrasts(root: Locator, selector: str) -> list[tuple[float, str]]:
    """``(ratio, element)`` for each element with text matching ``selector`` in ``root``."""
    found: list[list[Any]] = root.evaluate(_CONTRAST_JS, selector)
    return [(float(ratio), str(name)) for ratio, name in found]


def record_contrast(case: str, ratios: list[tuple[float, str]]) -> tuple[float, str]:
    """Keep this case's minimum in ``artifacts/contrast.txt`` (with every other case's, one
    line each, and the minimum over all) and return it."""
    lowest = min(ratios)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / ".contrast.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers write the same files
        cases: dict[str, list[Any]] = {}
        with contextlib.suppress(FileNotFoundError, ValueError):
            cases = json.loads(_CONTRAST_DATA.read_text())
        cases[case] = [round(lowest[0], 2), lowest[1], len(ratios)]
        _CONTRAST_DATA.write_text(json.dumps(cases, indent=1, sort_keys=True))
        worst = min(cases.items(), key=lambda item: item[1][0])
        lines = [
            "WCAG contrast of widget text against its effective background (computed styles)",
            f"minimum over all cases: {worst[1][0]:.2f} ({worst[0]}: {worst[1][1]})",
            f"required: >= {MIN_CONTRAST}",
            *(
                f"{name}: min {ratio:.2f} at {where} ({n} elements)"
                for name, (ratio, where, n) in sorted(cases.items())
            ),
        ]
        CONTRAST_REPORT.write_text("\n".join(lines) + "\n")
    return lowest


def assert_readable(root: Locator, case: str, selector: str) -> float:
    """Every text in ``selector`` reaches ``MIN_CONTRAST``; returns the minimum."""
    ratios = contrasts(root, selector)
    assert ratios, f"{case}: nothing matched {selector}"
    lowest, _ = record_contrast(case, ratios)
    poor = sorted(r for r in ratios if r[0] < MIN_CONTRAST)
    assert not poor, f"{case}: {len(poor)} texts under {MIN_CONTRAST}:1, worst {poor[:5]}"
    return lowest


def theme_is_dark(page: Page) -> bool:
    """What JupyterLab's theme manager (Lab and Voila) says about the page's theme."""
    light: str | None = page.evaluate("document.body.dataset.jpThemeLight")
    return light == "false"


def assert_fits(widget: Locator, scroller: Locator) -> None:
    """The widget is no wider than the window; what its scroll box holds can be reached:
    scrolled to the end, the table's last column ends inside the box."""
    geometry: dict[str, float] = widget.evaluate(
        """(w) => {
            const r = w.getBoundingClientRect();
            return {left: r.left, right: r.right, window: document.documentElement.clientWidth};
        }"""
    )
    assert geometry["left"] >= 0
    assert geometry["right"] <= geometry["window"] + 0.5, geometry
    reach: dict[str, float] = scroller.evaluate(
        """(box) => {
            box.scrollLeft = box.scrollWidth;
            const cells = box.querySelectorAll('thead th');
            const last = cells[cells.length - 1].getBoundingClientRect();
            const r = box.getBoundingClientRect();
            const out = {lastRight: last.right, boxRight: r.right, scrolled: box.scrollLeft,
                         overflow: box.scrollWidth - box.clientWidth,
                         style: getComputedStyle(box).overflowX};
            box.scrollLeft = 0;
            return out;
        }"""
    )
    assert reach["style"] in ("auto", "scroll"), reach
    assert reach["lastRight"] <= reach["boxRight"] + 0.5, reach
    if reach["overflow"] > 0:
        assert reach["scrolled"] > 0, reach  # the box scrolls: nothing is cut off
