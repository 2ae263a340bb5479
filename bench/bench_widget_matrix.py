"""The widget benchmark (figures, not a test): redraw and first render in a real browser.

    .venv/bin/python bench/bench_widget_matrix.py [--toggles 20] [--loads 3]

Starts Voila on a free loopback port over a copy of ``widgets/`` and drives the machine's
chromium through Playwright (``bench/voila_session.py``, on the browser tests' helpers). It
measures:

* **redraw** of ``widgets/matrix_10.ipynb`` (SimulationLab over ten operators by every
  capability field) after a toggle of ``read_with_suffix``: the matrix front end's own time
  to apply the new rows (``data-update-ms``, set by ``matrix.js``) and to the next animation
  frame (``data-redraw-ms``); target under 50 ms. The whole round trip a user waits for, from
  the click through the kernel (rebuild ten stacks, compute the rows) back to the changed
  cell in the DOM, is printed beside it.
* **first render** of the matrix (``capability_matrix.ipynb``) and of the simulation lab
  (``matrix_10.ipynb``): from the widget's ``render()`` call, when its model has arrived, to
  the frame after the table is built (``data-render-ms``); target under 300 ms.

Figures go to stdout and ``artifacts/widget_bench.txt``. Absolute times on these machines are
noise next to the targets; the medians over several runs are the figure.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.browser.apps (and voila_session's tests.* imports)

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from voila_session import VIEWPORT, app_url, launch_chromium, voila  # noqa: E402

from tests.browser.apps import APP_TIMEOUT_MS, ARTIFACTS, UPDATE_TIMEOUT_MS  # noqa: E402

REPORT = ARTIFACTS / "widget_bench.txt"
SWITCH = "read_with_suffix"
CELL = "td[data-service='memory'][data-cap='read_with_suffix']"  # memory lacks suffix reads
REDRAW_TARGET_MS = 50
RENDER_TARGET_MS = 300

# Click the box; resolve once the cell shows ``want`` with the round trip in ms and the
# matrix's own update and redraw times for that change.
_TOGGLE = """
([want, timeoutMs]) => new Promise((resolve, reject) => {
    const lab = document.querySelector('.opendal-simulation-lab');
    const matrix = lab.querySelector('.opendal-capability-matrix');
    const box = lab.querySelector("input[data-switch='SWITCH']");
    const shows = () => matrix.querySelector("CELL").dataset.state === want;
    let timer = null;
    const observer = new MutationObserver(() => {
        if (!shows()) return;
        const trip = performance.now() - start;
        observer.disconnect();
        clearTimeout(timer);
        requestAnimationFrame(() => setTimeout(() => resolve({
            trip,
            update: Number(matrix.dataset.updateMs),
            redraw: Number(matrix.dataset.redrawMs),
        })));
    });
    observer.observe(matrix, {subtree: true, attributes: true, attributeFilter: ['data-state']});
    timer = setTimeout(() => {
        observer.disconnect();
        reject(new Error(`no redraw to ${want} within ${timeoutMs} ms`));
    }, timeoutMs);
    const start = performance.now();
    box.click();
})
""".replace("SWITCH", SWITCH).replace("CELL", CELL)


def _open(page: Page, url: str, root: str) -> None:
    page.goto(url)
    page.locator(f".{root} td[data-service]").first.wait_for(timeout=APP_TIMEOUT_MS)
    page.wait_for_function(
        f"[...document.querySelectorAll('.{root} .opendal-capability-matrix, "
        f".opendal-capability-matrix.{root}')].every(m => m.dataset.renderMs)",
        timeout=APP_TIMEOUT_MS,
    )


def _render_ms(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-render-ms") or "nan")


def _stats(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.1f} ms, min {min(values):.1f}, "
        f"max {max(values):.1f} (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--toggles", type=int, default=20, help="timed toggles (after warm-up)")
    parser.add_argument("--loads", type=int, default=3, help="page loads for first render")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="opendal-lab-bench-widgets-") as work:
        apps = Path(work) / "widgets"
        shutil.copytree(REPO / "widgets", apps, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        with (
            voila(apps, "voila-bench-matrix.log") as url,
            sync_playwright() as pw,
            launch_chromium(pw) as browser,
        ):
            page = browser.new_page(viewport=VIEWPORT)
            matrix_first: list[float] = []
            lab_matrix_first: list[float] = []
            lab_panel_first: list[float] = []
            for _ in range(args.loads):
                _open(page, app_url(url, "capability_matrix.ipynb"), "opendal-capability-matrix")
                matrix_first.append(_render_ms(page, ".opendal-capability-matrix"))
                _open(page, app_url(url, "matrix_10.ipynb"), "opendal-simulation-lab")
                lab_matrix_first.append(
                    _render_ms(page, ".opendal-simulation-lab .opendal-capability-matrix")
                )
                lab_panel_first.append(_render_ms(page, ".opendal-simulation-panel"))

            # matrix_10 is open: toggle the switch back and forth.
            cells = page.locator(".opendal-simulation-lab td[data-service][data-cap]").count()
            states = ["simulated", "unsupported"]
            for want in states:  # warm-up: first-use imports and caches in the kernel
                page.evaluate(_TOGGLE, [want, UPDATE_TIMEOUT_MS])
            timings = [
                page.evaluate(_TOGGLE, [states[i % 2], UPDATE_TIMEOUT_MS])
                for i in range(args.toggles)
            ]

    update = [t["update"] for t in timings]
    redraw = [t["redraw"] for t in timings]
    trip = [t["trip"] for t in timings]
    lines = [
        "widget benchmark: Voila + chromium (headless), one 2-core machine",
        f"redraw after a toggle, matrix_10.ipynb: 10 services x 65 fields ({cells} cells), "
        f"switch {SWITCH}, {len(timings)} toggles after 2 warm-up",
        f"  patch the rows (JS):        {_stats(update)}",
        f"  redraw to next frame:       {_stats(redraw)}   target < {REDRAW_TARGET_MS} ms",
        f"  click -> kernel -> cell:    {_stats(trip)}   (whole round trip, for reference)",
        f"first render, render() to the frame after the table ({args.loads} page loads each):",
        f"  CapabilityMatrix (4 x 65):  {_stats(matrix_first)}   target < {RENDER_TARGET_MS} ms",
        f"  SimulationLab matrix (10 x 65): {_stats(lab_matrix_first)}",
        f"  SimulationLab switch panel: {_stats(lab_panel_first)}",
    ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"(written to {REPORT.relative_to(REPO)})")


if __name__ == "__main__":
    main()
