"""widgets/trace_viewer.ipynb in Voila, light and dark at 1280 and 420 px: each call a row
with one bar per layer to scale, the slow call marked, filters, buttons in one row, live
rows, clear."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.apps import (
    HEIGHT,
    THEMES,
    UPDATE_TIMEOUT_MS,
    WIDTHS,
    BrowserPage,
    assert_readable,
    theme_is_dark,
)
from tests.browser.conftest import Server

APP = "trace_viewer.ipynb"
ROOT = "opendal-trace-viewer"
READY = ".odl-toolbar button.opendal-trace-clear"
# Every text whose contrast the theme must keep readable.
TEXTS = (
    ".odl-toolbar label span, .odl-toolbar button, .odl-toolbar select, .odl-head span,"
    " .opendal-call summary > span, .odl-outlier, .odl-level span, .odl-legend, .odl-empty"
)

# Per bar of every call row: its width, and the width its share of the call's time gives
# (own seconds / call seconds x the track's width).
_BARS = """
(root) => [...root.querySelectorAll('.opendal-call')].flatMap(call => {
    const duration = Number(call.dataset.duration);
    const track = call.querySelector('summary .odl-waterfall').getBoundingClientRect().width;
    return [...call.querySelectorAll('summary .odl-bar')].map(bar => ({
        level: bar.dataset.level,
        width: bar.getBoundingClientRect().width,
        expected: Number(bar.dataset.seconds) / duration * track,
        track,
    }));
})
"""


def button(viewer: Locator, name: str) -> Locator:
    return viewer.get_by_role("button", name=name, exact=True)


def run_calls(viewer: Locator) -> Locator:
    """Three small writes, the slow one, a failed read: five rows."""
    calls = viewer.locator(".opendal-call")
    for n, name in enumerate(["write", "write", "write", "slow write", "read missing"], 1):
        button(viewer, name).click()
        expect(calls).to_have_count(n, timeout=UPDATE_TIMEOUT_MS)  # live: each call a row
    return calls


def tops(viewer: Locator) -> list[float]:
    found: list[float] = viewer.locator("button").evaluate_all(
        "buttons => buttons.map(b => b.getBoundingClientRect().top)"
    )
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_waterfalls_outlier_and_layout_in_each_theme_and_width(
    voila: Server, page: BrowserPage, theme: str, width: int
) -> None:
    page.page.set_viewport_size({"width": width, "height": HEIGHT})
    viewer = page.open(voila.app_url(APP, theme), ROOT, READY)
    assert theme_is_dark(page.page) == (theme == "dark")
    expect(viewer.locator(".odl-empty")).to_have_text("no calls recorded yet")
    calls = run_calls(viewer)
    expect(calls.first).to_have_attribute("data-path", "demo/call-1.txt")  # oldest first

    # One bar per layer, each as wide as its share of the call's time.
    bars: list[dict[str, Any]] = viewer.evaluate(_BARS)
    levels = {bar["level"] for bar in bars}
    assert {"RecorderLayer", "ThrottleLayer", "CorrectnessCheckLayer", "memory"} <= levels
    assert len(bars) == 5 * len(levels)
    for bar in bars:
        assert bar["track"] > 50, bar
        # 1 px of rounding; a bar never shrinks below 1 px, so it stays visible.
        assert abs(bar["width"] - max(bar["expected"], 1.0)) <= 1.5, bar

    # The slow write is marked in symbol and word, and its ThrottleLayer bar fills its row.
    slow = viewer.locator(".opendal-call[data-path='demo/large-4.bin']")
    expect(slow).to_have_attribute("data-outlier", "true")
    expect(slow.locator(".odl-outlier")).to_have_text("⚠ slow")
    reason = re.compile(r"^slow: [\d.]+ times the median write")
    expect(slow.locator(".odl-outlier")).to_have_attribute("title", reason)
    throttle = [b for b in bars if b["level"] == "ThrottleLayer"]
    assert max(b["width"] for b in throttle) > 0.9 * throttle[0]["track"]
    failed = viewer.locator(".opendal-call[data-outcome='NotFound']")
    expect(failed.locator(".odl-outcome")).to_have_text("✗ NotFound")

    # Every button (the actions and clear) on one line, at either width.
    assert len(set(tops(viewer))) == 1, tops(viewer)
    # Nothing wider than the window.
    right: float = viewer.evaluate("v => v.getBoundingClientRect().right")
    assert right <= width + 0.5

    # A call opened names its layers with their times.
    slow.locator("summary").click()
    expect(slow.locator(".odl-level-name").nth(1)).to_have_text("Throttle")
    assert_readable(viewer, f"voila trace {theme} {width}", TEXTS)
    page.shot(f"trace-{theme}-{width}", viewer)
    assert not page.errors, page.errors


def test_filters_live_rows_and_clear(voila: Server, page: BrowserPage) -> None:
    viewer = page.open(voila.app_url(APP), ROOT, READY)
    calls = run_calls(viewer)

    viewer.get_by_label("operation").select_option("read")
    expect(calls).to_have_count(1)
    expect(calls.first).to_have_attribute("data-path", "demo/missing.txt")
    viewer.get_by_label("operation").select_option("")
    viewer.get_by_label("outcome").select_option("error")
    expect(calls).to_have_count(1)
    expect(calls.first).to_have_attribute("data-outcome", "NotFound")
    viewer.get_by_label("outcome").select_option("ok")
    expect(calls).to_have_count(4)
    expect(viewer.locator(".odl-count")).to_have_text("4 shown of 5 calls recorded")
    # A new call shows at once, through the filter.
    button(viewer, "write").click()
    expect(calls).to_have_count(5, timeout=UPDATE_TIMEOUT_MS)
    viewer.get_by_label("operation").select_option("read")  # the only read failed
    expect(viewer.locator(".odl-empty")).to_have_text("no call matches the filters")
    viewer.get_by_label("operation").select_option("")
    viewer.get_by_label("outcome").select_option("")

    # One scale for all calls: the slow write's bars span the track, the others are short.
    viewer.get_by_label("bar scale").select_option("shared")
    widths: list[float] = viewer.locator(".opendal-call summary .odl-waterfall").evaluate_all(
        """tracks => tracks.map(t => {
            const bars = [...t.querySelectorAll('.odl-bar')].map(b => b.getBoundingClientRect());
            return (Math.max(...bars.map(b => b.right)) - t.getBoundingClientRect().left)
                / t.getBoundingClientRect().width;
        })"""
    )
    assert widths[3] > 0.95
    assert max(widths[:3] + widths[4:]) < 0.5

    button(viewer, "clear").click()
    expect(calls).to_have_count(0, timeout=UPDATE_TIMEOUT_MS)
    expect(viewer.locator(".odl-empty")).to_have_text("no calls recorded yet")
    assert not page.errors, page.errors
