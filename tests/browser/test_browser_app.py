"""widgets/browser.ipynb in Voila (light and dark, 1280 and 420 px) and JupyterLab: the title,
tree and preview side by side or stacked, icons with labels, a spinner while the throttled
operator reads, a 10,000-entry directory a page at a time, the metadata panel against
op.stat in the same kernel, tables, monospace text and images."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from opendal_lab import Operator
from opendal_lab.widgets.listing import PAGING, paging_mode
from tests.browser.apps import (
    APP_TIMEOUT_MS,
    HEIGHT,
    THEMES,
    UPDATE_TIMEOUT_MS,
    WIDTHS,
    BrowserPage,
    assert_readable,
    theme_is_dark,
)
from tests.browser.conftest import Server

APP = "browser.ipynb"
ROOT = "opendal-browser"
READY = ".opendal-entry[data-path='README.txt']"
TEXTS = (
    ".odl-title, .odl-paging, .odl-refresh, .odl-name, .odl-size, .odl-meta dt, .odl-meta dd,"
    " .odl-note, .odl-table th, .odl-table td, .odl-placeholder, .odl-pager span"
)
CITIES = [["Lyon", "FR", "522250"], ["Oslo", "NO", "709037"]]


def entry(browser: Locator, path: str) -> Locator:
    return browser.locator(f".opendal-entry[data-path='{path}']")


def open_file(browser: Locator, *path: str) -> Locator:
    """Click each directory then the file; the preview of that file, once drawn."""
    *dirs, file = path
    for directory in dirs:
        if entry(browser, directory).get_attribute("aria-expanded") != "true":
            entry(browser, directory).click()
    entry(browser, file).click()
    preview = browser.locator(f".odl-side .opendal-preview[data-path='{file}']")
    expect(preview).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    return preview


def table_rows(preview: Locator) -> list[list[str]]:
    rows: list[list[str]] = preview.locator("table.odl-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    return rows


def boxes(browser: Locator) -> dict[str, Any]:
    found: dict[str, Any] = browser.evaluate(
        """(b) => {
            const box = (e) => { const r = e.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
            return {widget: box(b), tree: box(b.querySelector('.odl-tree')),
                    side: box(b.querySelector('.odl-side')),
                    overflow: b.scrollWidth - b.clientWidth,
                    window: document.documentElement.clientWidth};
        }"""
    )
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_title_layout_icons_and_a_table_in_each_theme_and_width(
    voila: Server, page: BrowserPage, theme: str, width: int
) -> None:
    page.page.set_viewport_size({"width": width, "height": HEIGHT})
    browser = page.open(voila.app_url(APP, theme), ROOT, READY)
    assert theme_is_dark(page.page) == (theme == "dark")
    expect(browser.locator(".odl-title")).to_have_text("memory · /")
    expect(browser.locator(".odl-paging")).to_have_text(PAGING[paging_mode(Operator("memory"))])
    # The root, directories first; each icon says what it stands for.
    paths: list[str] = browser.locator(".odl-tree > .odl-node > .opendal-entry").evaluate_all(
        "rows => rows.map(r => r.dataset.path)"
    )
    assert paths[:4] == ["data/", "images/", "logs/", "many/"]
    assert paths[-1] == "README.txt"
    labels = {
        path: entry(browser, path).locator(".odl-icon").get_attribute("aria-label")
        for path in ("data/", "README.txt")
    }
    assert labels == {"data/": "folder", "README.txt": "text file"}
    # Listed lazily: nothing below data/ until it is opened.
    expect(
        browser.locator(".opendal-entry[data-path^='data/']:not([data-path='data/'])")
    ).to_have_count(0)

    preview = open_file(browser, "data/", "data/cities.csv")
    expect(entry(browser, "data/")).to_have_attribute("aria-expanded", "true")
    labels = {
        path: entry(browser, path).locator(".odl-icon").get_attribute("aria-label")
        for path in ("data/nested/", "data/table.parquet", "data/events.ndjson", "data/cities.csv")
    }
    assert labels == {
        "data/nested/": "folder",
        "data/table.parquet": "Parquet file",
        "data/events.ndjson": "JSON file",
        "data/cities.csv": "CSV file",
    }
    assert table_rows(preview) == CITIES
    expect(preview.locator(".odl-note")).to_have_text("2 rows x 3 columns")
    meta = browser.locator(".odl-meta")
    expect(meta.locator("dd[data-field='content_length']")).to_have_text("54 B (54 bytes)")
    expect(meta.locator("dd[data-field='content_type']")).to_have_text("text/csv")
    expect(entry(browser, "data/cities.csv")).to_have_attribute("aria-current", "true")

    geometry = boxes(browser)
    tree, side = geometry["tree"], geometry["side"]
    if width >= 1280:  # side by side: the preview right of the tree, tops aligned
        assert side["left"] >= tree["right"], geometry
        assert abs(side["top"] - tree["top"]) <= 2, geometry
    else:  # stacked under 600 px, nothing cut off
        assert side["top"] >= tree["bottom"], geometry
    assert geometry["overflow"] <= 1, geometry
    assert geometry["widget"]["right"] <= geometry["window"] + 0.5, geometry
    assert side["right"] <= geometry["widget"]["right"] + 0.5, geometry
    assert_readable(browser, f"voila browser {theme} {width}", TEXTS)
    page.shot(f"browser-{theme}-{width}", browser)
    assert not page.errors, page.errors


def test_spinner_pages_and_previews(voila: Server, page: BrowserPage) -> None:
    browser = page.open(voila.app_url(APP), ROOT, READY)
    side = browser.locator(".odl-side")

    # The throttled operator takes seconds over logs/big.csv: a spinner holds its place.
    entry(browser, "logs/").click()
    entry(browser, "logs/big.csv").click()
    spinner = side.locator(".odl-loading[role='status']")
    expect(spinner).to_be_visible()
    expect(spinner).to_have_text("reading logs/big.csv…")
    expect(side.locator(".opendal-preview[data-path='logs/big.csv']")).to_be_visible(
        timeout=UPDATE_TIMEOUT_MS
    )
    expect(spinner).to_have_count(0)
    big = side.locator(".opendal-preview")
    assert table_rows(big)[:2] == [["0", "0"], ["1", "1"]]
    expect(big.locator(".odl-note")).to_have_text("70000 rows x 2 columns, the first 20 shown")

    # 10,000 files: the first page and a way to the next.
    entry(browser, "many/").click()
    files = browser.locator(".opendal-entry[data-path^='many/part-']")
    expect(files).to_have_count(200, timeout=UPDATE_TIMEOUT_MS)
    expect(files.first).to_have_attribute("data-path", "many/part-00000.txt")
    expect(files.last).to_have_attribute("data-path", "many/part-00199.txt")
    expect(browser.locator(".odl-pager span")).to_have_text("entries 1\u2013200")
    browser.get_by_role("button", name="next page of many/").click()
    expect(files.first).to_have_attribute("data-path", "many/part-00200.txt")
    expect(files).to_have_count(200)
    expect(browser.locator(".odl-pager span")).to_have_text("entries 201\u2013400")
    browser.get_by_role("button", name="previous page of many/").click()
    expect(files.first).to_have_attribute("data-path", "many/part-00000.txt")
    entry(browser, "many/").click()  # closed again
    expect(files).to_have_count(0)

    # Parquet and NDJSON as tables, text in the code font, an image as an image.
    parquet = open_file(browser, "data/", "data/table.parquet")
    assert table_rows(parquet) == [["1", "a"], ["2", "b"], ["3", "c"]]
    assert parquet.locator("thead th").all_inner_texts() == ["x\nInt64", "y\nString"]
    ndjson = open_file(browser, "data/", "data/events.ndjson")
    assert table_rows(ndjson) == [["0", "open"], ["1", "read"], ["2", "close"]]
    text = open_file(browser, "README.txt")
    pre = text.locator("pre.odl-text")
    expect(pre).to_have_text("Sample files for the opendal_lab storage browser.\n")
    fonts: list[str] = pre.evaluate(
        """(pre) => [getComputedStyle(pre).fontFamily,
                     getComputedStyle(pre.closest('.odl-browser')).fontFamily]"""
    )
    assert "monospace" in fonts[0].lower(), fonts
    assert fonts[0] != fonts[1], fonts  # not the widget's own (proportional) font
    image = open_file(browser, "images/", "images/gradient.png").locator("img.odl-image")
    expect(image).to_have_attribute("alt", "preview of images/gradient.png")
    size: list[int] = image.evaluate(
        """(img) => img.decode().then(() => [img.naturalWidth, img.naturalHeight])"""
    )
    assert size == [64, 48]
    page.shot("browser-previews", browser)
    assert not page.errors, page.errors


_RUN_CELL = """async (code) => {
    const app = window.jupyterapp;
    const notebook = app.shell.currentWidget.content;
    notebook.activeCellIndex = notebook.widgets.length - 1;
    await app.commands.execute('notebook:insert-cell-below');
    notebook.activeCell.model.sharedModel.setSource(code);
    await app.commands.execute('notebook:run-cell');
}"""


def test_metadata_panel_matches_op_stat_in_lab(lab: Server, page: BrowserPage) -> None:
    page.page.goto(lab.app_url(APP))
    page.page.wait_for_function("window.jupyterapp !== undefined", timeout=APP_TIMEOUT_MS)
    expect(page.page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=APP_TIMEOUT_MS)
    page.page.evaluate(
        """async () => {
            await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }"""
    )
    browser = page.wait_for(f".jp-OutputArea .opendal-widget.{ROOT}", READY)
    open_file(browser, "data/", "data/cities.csv")
    shown: list[list[str]] = browser.locator(".odl-meta dd").evaluate_all(
        "dds => dds.map(d => [d.dataset.field, d.dataset.missing ? null : d.textContent])"
    )
    # The same kernel says what op.stat returns, through the same formatting.
    page.page.evaluate(
        _RUN_CELL,
        "import json\n"
        "from opendal_lab.widgets.listing import metadata_rows\n"
        'rows = metadata_rows(op.stat("data/cities.csv"))\n'
        'print("STAT " + json.dumps([[field, value] for field, _, value in rows]))',
    )
    output = page.page.locator(".jp-OutputArea-output:has-text('STAT ')").last
    expect(output).to_be_visible(timeout=UPDATE_TIMEOUT_MS)
    stat = json.loads(output.inner_text().split("STAT ", 1)[1])
    assert shown == stat
    fields = dict((field, value) for field, value in stat)
    assert fields["content_type"] == "text/csv"
    assert fields["etag"]
    assert fields["last_modified"]
    browser.scroll_into_view_if_needed()
    page.shot("lab-browser")
