"""widgets/browser.ipynb in Voila: a directory expands on click, a file shows a preview."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.apps import UPDATE_TIMEOUT_MS, BrowserPage
from tests.browser.conftest import Server

APP = "browser.ipynb"
ROOT = "opendal-browser"


def test_expand_a_directory_and_preview_a_file(voila: Server, page: BrowserPage) -> None:
    tree = page.open(voila.app_url(APP), ROOT, ".opendal-entry[data-path='README.txt']")
    data = tree.locator(".opendal-dir[data-path='data/']")
    expect(data).to_be_visible()
    # Listed lazily: nothing below data/ until it is expanded.
    below = tree.locator(".opendal-entry[data-path^='data/']:not([data-path='data/'])")
    expect(below).to_have_count(0)

    data.click()
    for child in ("data/cities.csv", "data/nested/", "data/table.parquet"):
        entry = tree.locator(f".opendal-entry[data-path='{child}']")
        expect(entry).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    expect(tree.locator(".opendal-dir[data-path='data/nested/']")).to_be_visible()

    tree.locator(".opendal-entry[data-path='data/cities.csv']").click()
    preview = tree.locator(".opendal-preview")
    expect(preview).to_contain_text("Lyon", timeout=UPDATE_TIMEOUT_MS)
    page.shot("browser", tree)
