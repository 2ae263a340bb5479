"""widgets/capability_matrix.ipynb in Voila: the states the core reports, in light and dark
themes at 1280 and 420 px; legend, filters, search, sort, explanations, keyboard, export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from opendal_lab.core.capability import GROUPS, describe
from tests.browser import expected
from tests.browser.apps import (
    HEIGHT,
    THEMES,
    UPDATE_TIMEOUT_MS,
    WIDTHS,
    BrowserPage,
    assert_fits,
    assert_readable,
    matrix_states,
    row_fields,
    theme_is_dark,
)
from tests.browser.conftest import Server

APP = "capability_matrix.ipynb"
ROOT = "opendal-capability-matrix"
CELLS = "td[data-service][data-cap]"
# Every text of the table and legend whose contrast the theme must keep readable.
TEXTS = "table.opendal-matrix td, table.opendal-matrix th, .opendal-legend span, .odl-detail"
WORDS = ["native", "simulated", "overridden", "removed", "unsupported"]


def test_matrix_shows_the_states_the_core_reports(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    shown = matrix_states(matrix)

    assert {service for service, _ in shown} >= {"memory", "fs", "s3"}
    assert shown == expected.states(expected.capability_matrix_operators())
    # Every state is drawn somewhere: each comes from the report, none is a default.
    assert set(shown.values()) == {"native", "simulated", "overridden", "unsupported"}
    # The tooltip names the layer responsible; the cell says its state in a word.
    simulated = matrix.locator("td[data-service='memory'][data-state='simulated']").first
    expect(simulated).to_have_attribute("title", re.compile("SimulateLayer"))
    expect(simulated).to_contain_text("≈ simulated")
    removed = matrix.locator("td[data-service='memory-readonly'][data-cap='write']")
    expect(removed).to_have_attribute("data-state", "overridden")
    expect(removed).to_have_attribute("data-removed", "true")
    expect(removed).to_have_text("✗ removed")
    expect(removed).to_have_attribute("title", re.compile("CapabilityOverrideLayer"))
    # The legend comes first, with a symbol and a word per state.
    legend = matrix.locator(".opendal-legend [data-state]")
    assert legend.evaluate_all("items => items.map(i => i.dataset.state)") == WORDS
    expect(legend.nth(0)).to_have_text("✓ native")
    above: bool = matrix.evaluate(
        "m => m.querySelector('.opendal-legend').getBoundingClientRect().bottom"
        " <= m.querySelector('table.opendal-matrix').getBoundingClientRect().top"
    )
    assert above
    assert not page.errors, page.errors


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_readable_and_whole_in_each_theme_and_width(
    voila: Server, page: BrowserPage, theme: str, width: int
) -> None:
    page.page.set_viewport_size({"width": width, "height": HEIGHT})
    matrix = page.open(voila.app_url(APP, theme), ROOT, CELLS)
    assert theme_is_dark(page.page) == (theme == "dark")
    assert_readable(matrix, f"voila matrix {theme} {width}", TEXTS)
    scroller = matrix.locator(".odl-scroll")
    assert_fits(matrix, scroller)
    # The header row stays on top as the table scrolls in its box, the field names on the left.
    stuck: dict[str, float] = scroller.evaluate(
        """(box) => {
            box.scrollTop = 400; box.scrollLeft = 200;
            const b = box.getBoundingClientRect();
            const head = box.querySelector('thead th:last-child').getBoundingClientRect();
            const rows = [...box.querySelectorAll('tbody th.odl-field')];
            const field = rows.find(th => th.getBoundingClientRect().top > head.bottom)
                .getBoundingClientRect();
            const out = {boxTop: b.top, headTop: head.top, boxLeft: b.left, fieldLeft: field.left,
                         scrolledTop: box.scrollTop, scrolledLeft: box.scrollLeft};
            box.scrollTop = 0; box.scrollLeft = 0;
            return out;
        }"""
    )
    assert stuck["scrolledTop"] > 0
    assert abs(stuck["headTop"] - stuck["boxTop"]) <= 2, stuck
    if stuck["scrolledLeft"] > 0:
        assert abs(stuck["fieldLeft"] - stuck["boxLeft"]) <= 2, stuck
    page.shot(f"matrix-{theme}-{width}", matrix)
    assert not page.errors, page.errors


def test_group_differences_and_search_filters(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    rows = matrix.locator("tr[data-cap]:not([hidden])")
    expect(rows).to_have_count(sum(len(fields) for fields in GROUPS.values()))

    matrix.get_by_label("group").select_option("read")
    expect(rows).to_have_count(len(GROUPS["read"]))
    assert row_fields(matrix, visible=True) == list(GROUPS["read"])

    matrix.get_by_label("group").select_option("all")
    matrix.get_by_role("checkbox", name="only differences").check()
    differing = expected.differing_fields(expected.capability_matrix_operators())
    expect(rows).to_have_count(len(differing))
    assert set(row_fields(matrix, visible=True)) == differing
    matrix.get_by_role("checkbox", name="only differences").uncheck()

    # The search reads field names and their explanations.
    search = matrix.get_by_role("searchbox", name="search capability fields")
    search.fill("last bytes")
    wanted = [
        f
        for fields in GROUPS.values()
        for f in fields
        if all(w in f"{f} {describe(f)}".lower() for w in ("last", "bytes"))
    ]
    assert wanted
    expect(rows).to_have_count(len(wanted))
    assert row_fields(matrix, visible=True) == wanted
    search.fill("no such capability at all")
    expect(matrix.locator("tr.odl-empty")).to_be_visible()
    expect(matrix.locator(".odl-count")).to_have_text(re.compile(r"^0 of \d+ fields$"))


def test_sort_by_a_service_column(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    header = matrix.locator("thead th[data-service='memory']")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    order = ["native", "simulated", "overridden", "removed", "unsupported"]
    words: list[list[str]] = matrix.locator("tr[data-cap][data-group='read']").evaluate_all(
        """rows => rows.map(r => {
            const td = r.querySelector("td[data-service='memory']");
            return td.dataset.removed ? 'removed' : td.dataset.state;
        })"""
    )
    assert words == sorted(words, key=order.index)
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "none")
    assert row_fields(matrix) == [f for fields in GROUPS.values() for f in fields]


def test_fields_and_cells_explain_themselves(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    detail = matrix.locator(".odl-detail")
    field = matrix.locator("th.odl-field[data-cap='read_with_suffix']")
    expect(field).to_have_attribute("title", describe("read_with_suffix"))
    field.hover()
    expect(detail).to_contain_text(describe("read_with_suffix"))

    # A click asks the kernel which layer set the cell and what would change it.
    matrix.locator("td[data-service='memory'][data-cap='read_with_suffix']").click()
    expect(detail).to_contain_text("Set by: SimulateLayer", timeout=UPDATE_TIMEOUT_MS)
    expect(detail).to_contain_text("read_with_suffix=False")
    matrix.locator("td[data-service='memory-readonly'][data-cap='write']").click()
    expect(detail).to_contain_text("CapabilityOverrideLayer")


def test_keyboard_reaches_search_and_cells(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    reached: list[str] = []
    for _ in range(40):
        page.page.keyboard.press("Tab")
        focused: str = page.page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || !el.closest('.opendal-capability-matrix')) return '';
                if (el.matches('input[type=search]')) return 'search';
                if (el.matches('td[data-cap]')) return 'cell';
                return el.tagName.toLowerCase();
            }"""
        )
        reached.append(focused)
        if focused == "cell":
            break
    assert "search" in reached, reached
    assert reached[-1] == "cell", reached
    # Focus explains, Enter asks the kernel, arrows move between cells.
    detail = matrix.locator(".odl-detail")
    expect(detail).to_contain_text("Press Enter")
    page.page.keyboard.press("Enter")
    expect(detail).to_contain_text("Set by:", timeout=UPDATE_TIMEOUT_MS)
    page.page.keyboard.press("ArrowDown")
    below: list[str] = page.page.evaluate(
        "() => [document.activeElement.dataset.service, document.activeElement.dataset.cap]"
    )
    assert below == ["memory", list(GROUPS["stat"])[1]]
    page.page.keyboard.press("ArrowLeft")
    expect(detail).to_contain_text(describe(below[1]))


def test_csv_export_downloads_the_rows_shown(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    matrix.get_by_label("group").select_option("create_dir")
    with page.page.expect_download(timeout=UPDATE_TIMEOUT_MS) as download:
        matrix.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "capability-matrix.csv"
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    operators = expected.capability_matrix_operators()
    assert rows[0] == ["capability", "group", *operators]
    assert [r[0] for r in rows[1:]] == list(GROUPS["create_dir"])
