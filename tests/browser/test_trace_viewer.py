"""widgets/trace_viewer.ipynb in Voila: a call through the recorded operator shows as a row."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.apps import UPDATE_TIMEOUT_MS, BrowserPage
from tests.browser.conftest import Server

APP = "trace_viewer.ipynb"
ROOT = "opendal-trace-viewer"


def test_a_call_shows_and_clear_empties(voila: Server, page: BrowserPage) -> None:
    viewer = page.open(voila.app_url(APP), ROOT, "table.opendal-trace")
    calls = viewer.locator("tr.opendal-call")
    expect(calls).to_have_count(0)

    run = page.page.get_by_role("button", name="run demo call", exact=True)
    run.click()
    first = viewer.locator(
        "tr.opendal-call[data-op='write'][data-path='demo/call-1.txt'][data-outcome='ok']"
    )
    expect(first).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    run.click()
    expect(viewer.locator("tr.opendal-call[data-path='demo/call-2.txt']")).to_have_count(
        1, timeout=UPDATE_TIMEOUT_MS
    )
    # Oldest first: the first call is still the first row.
    expect(calls.first).to_have_attribute("data-path", "demo/call-1.txt")
    page.shot("trace_viewer")  # the whole app: the "run demo call" button and the viewer

    viewer.get_by_role("button", name="clear", exact=True).click()
    expect(calls).to_have_count(0, timeout=UPDATE_TIMEOUT_MS)
    expect(viewer.locator("table.opendal-trace")).to_contain_text("no calls recorded yet")
