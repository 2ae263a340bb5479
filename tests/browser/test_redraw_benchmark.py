"""The redraw benchmark (reported, not pass/fail): widgets/matrix_10.ipynb, ten operators by
every capability field; the time from a checkbox click to the changed cell in the DOM.

The time covers the whole round trip a user waits for: the click reaches the kernel, the lab
rebuilds all ten operator stacks and renders the table, the new HTML comes back and replaces
the old. Measured in the page with ``performance.now()`` and a MutationObserver; "frame" adds
the wait for the next animation frame after that (the table painted). The issue's target is
under 100 ms. Written to ``artifacts/widget_redraw.txt`` and printed.
"""

from __future__ import annotations

import statistics

import pytest
from playwright.sync_api import Locator

from opendal_lab import Operator
from tests.browser import expected
from tests.browser.apps import ARTIFACTS, UPDATE_TIMEOUT_MS, BrowserPage, matrix_states
from tests.browser.conftest import Server

APP = "matrix_10.ipynb"
ROOT = "opendal-simulation-lab"
SWITCH = "read_with_suffix"
CELL = ("memory", "read_with_suffix")  # memory has no suffix reads: the switch simulates them
TOGGLES = 10
REPORT = ARTIFACTS / "widget_redraw.txt"

# Click the box, resolve with the milliseconds until the cell shows ``want`` (and until the
# next animation frame after that).
_TIME_TOGGLE = """
(input, [selector, want, timeoutMs]) => new Promise((resolve, reject) => {
    const root = input.closest('.opendal-simulation-lab');
    const shows = () => {
        const cell = root.querySelector(selector);
        return cell !== null && cell.dataset.state === want;
    };
    let timer = null;
    const observer = new MutationObserver(() => {
        if (!shows()) return;
        const dom = performance.now() - start;
        observer.disconnect();
        clearTimeout(timer);
        requestAnimationFrame(() => resolve({dom, frame: performance.now() - start}));
    });
    observer.observe(root, {subtree: true, childList: true, attributes: true});
    timer = setTimeout(() => {
        observer.disconnect();
        reject(new Error(`no redraw to ${want} within ${timeoutMs} ms`));
    }, timeoutMs);
    const start = performance.now();
    input.click();
})
"""


def _toggle(box: Locator, want: str) -> dict[str, float]:
    service, field = CELL
    selector = f"td[data-service='{service}'][data-cap='{field}']"
    timing: dict[str, float] = box.evaluate(_TIME_TOGGLE, [selector, want, UPDATE_TIMEOUT_MS])
    return timing


def test_ten_service_matrix_redraw(
    voila: Server, page: BrowserPage, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = page.open(voila.app_url(APP), ROOT, "td[data-service][data-cap]")
    shown = matrix_states(lab)
    services = {service for service, _ in shown}
    fields = {field for _, field in shown}
    assert len(services) == 10, services
    before = expected.with_switches({"memory": Operator("memory")})[CELL]
    after = expected.with_switches({"memory": Operator("memory")}, (SWITCH,))[CELL]
    assert (before, after) == ("unsupported", "simulated")
    assert shown[CELL] == before

    box = lab.get_by_role("checkbox", name=f"simulate {SWITCH}", exact=True)
    _toggle(box, after)  # warm-up: the first redraw pays for first-use imports and caches
    _toggle(box, before)
    timings = [_toggle(box, after if i % 2 == 0 else before) for i in range(TOGGLES)]
    assert box.is_checked() == (TOGGLES % 2 == 1)

    dom = [t["dom"] for t in timings]
    frame = [t["frame"] for t in timings]
    lines = [
        f"widget redraw, {len(services)} services x {len(fields)} capability fields "
        f"({len(shown)} cells), checkbox click -> cell state in the DOM, Voila + chromium",
        f"toggles: {TOGGLES} (after one warm-up on/off), switch: simulate {SWITCH}",
        f"to DOM change:   median {statistics.median(dom):.1f} ms, "
        f"min {min(dom):.1f} ms, max {max(dom):.1f} ms",
        f"to next frame:   median {statistics.median(frame):.1f} ms, "
        f"min {min(frame):.1f} ms, max {max(frame):.1f} ms",
        "each (DOM ms): " + ", ".join(f"{t:.1f}" for t in dom),
        "target (issue 7): under 100 ms; reported, not a pass/fail threshold",
    ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    with capsys.disabled():
        print("\n" + "\n".join(lines) + f"\n(written to {REPORT.relative_to(ARTIFACTS.parent)})")
    page.shot("matrix_10", lab)
