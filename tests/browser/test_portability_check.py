"""widgets/portability_check.ipynb in Voila, light and dark at 1280 and 420 px: each cell the
verdict ``check_portability`` gives here for the same calls and targets, in a symbol and a
word, readable, nothing cut off; the filter hides the calls native everywhere; a click or
Enter on a cell says why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Locator, expect

from opendal_lab.widgets import check_portability
from opendal_lab.widgets.portability import STATES, PortabilityTable
from tests.browser.apps import (
    HEIGHT,
    REPO,
    THEMES,
    WIDTHS,
    BrowserPage,
    assert_fits,
    assert_readable,
    theme_is_dark,
)
from tests.browser.conftest import Server

APP = "portability_check.ipynb"
ROOT = "opendal-portability-check"
CELLS = "td[data-target][data-state]"
# Every text whose contrast the theme must keep readable: cells, headers, the legend, the
# toolbar and the explanation of the selected cell.
TEXTS = (
    "table.opendal-portability td, table.opendal-portability th, .odl-extra, .odl-needs,"
    " .opendal-legend span, .odl-toolbar label, .odl-totals, .odl-detail"
)
# The rows and their cells in the page: (call, target) -> data-state.
_CELLS_JS = """
(root) => [...root.querySelectorAll('tr[data-call]')].flatMap(row =>
    [...row.querySelectorAll('td[data-target][data-state]')].map(td =>
        [row.dataset.call, td.dataset.target, td.dataset.state]))
"""


def notebook_table() -> PortabilityTable:
    """The app's recorded calls and targets, built by running the notebook's own code here
    (every code cell before the widget's), then checked in this process."""
    notebook = json.loads((REPO / "widgets" / APP).read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code[-1].startswith("PortabilityCheck(recorder, targets)"), code[-1]
    namespace: dict[str, Any] = {}
    for source in code[:-1]:
        exec(compile(source, APP, "exec"), namespace)  # the repository's own notebook
    return check_portability(namespace["recorder"].calls, namespace["targets"])


@pytest.fixture(scope="module")
def table() -> PortabilityTable:
    found = notebook_table()
    # What the app is for: every state, and real recordings of the calls with options.
    states = {cell.state for row in found.rows for cell in row.cells}
    assert states == set(STATES)
    assert {"list (recursive)", "read (suffix)", "write (append)"} <= {r.call for r in found.rows}
    assert any(all(c.state == "native" for c in row.cells) for row in found.rows)
    return found


def expected_cells(table: PortabilityTable) -> dict[tuple[str, str], str]:
    return {(row.call, cell.target): cell.state for row in table.rows for cell in row.cells}


def shown_cells(widget: Locator) -> dict[tuple[str, str], str]:
    found: list[list[str]] = widget.evaluate(_CELLS_JS)
    return {(call, target): state for call, target, state in found}


def open_app(voila: Server, page: BrowserPage, theme: str | None = None) -> Locator:
    return page.open(voila.app_url(APP, theme), ROOT, CELLS)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_verdicts_readable_and_whole_in_each_theme_and_width(
    voila: Server, page: BrowserPage, table: PortabilityTable, theme: str, width: int
) -> None:
    page.page.set_viewport_size({"width": width, "height": HEIGHT})
    widget = open_app(voila, page, theme)
    assert theme_is_dark(page.page) == (theme == "dark")

    # The verdicts are the ones check_portability gives here, row by row, in the same order.
    assert shown_cells(widget) == expected_cells(table)
    rows: list[str] = widget.locator("tr[data-call]").evaluate_all(
        "rows => rows.map(r => r.dataset.call)"
    )
    assert rows == [row.call for row in table.rows]
    # Each cell in a symbol and a word: meaning never rests on colour alone.
    for state, (symbol, _) in STATES.items():
        cells = widget.locator(f"td[data-state='{state}']")
        for cell in cells.all():
            expect(cell.locator(".odl-sym")).to_have_text(symbol)
            expect(cell.locator(".odl-word")).to_have_text(state)
    words: list[list[str]] = widget.locator(CELLS).evaluate_all(
        "cells => cells.map(c => [c.dataset.state, c.innerText.trim()])"
    )
    assert words
    wrong = [(s, t) for s, t in words if not t.startswith(f"{STATES[s][0]} {s}")]
    assert wrong == [], wrong
    legend = widget.locator(".opendal-legend [data-state]")
    assert legend.evaluate_all("items => items.map(i => i.dataset.state)") == list(STATES)
    for n, (state, (symbol, _)) in enumerate(STATES.items()):
        expect(legend.nth(n)).to_have_text(f"{symbol} {state}")

    # A simulated cell selected, so that its explanation is measured too.
    widget.locator("td[data-state='simulated']").first.click()
    expect(widget.locator(".odl-detail")).not_to_be_empty()
    assert_readable(widget, f"voila portability {theme} {width}", TEXTS)
    assert_fits(widget, widget.locator(".odl-scroll"))
    # Outside the table's scroll box (legend, toolbar, explanation), nothing runs off the
    # window's right edge either.
    overflow: list[str] = widget.evaluate(
        """(w) => {
            const right = document.documentElement.clientWidth + 0.5;
            return [...w.querySelectorAll('*')]
                .filter(e => !e.closest('.odl-scroll') && e.getBoundingClientRect().right > right)
                .map(e => e.className || e.tagName);
        }"""
    )
    assert overflow == [], overflow
    page.shot(f"portability-{theme}-{width}", widget)
    assert not page.errors, page.errors


def test_filter_hides_the_calls_native_everywhere(
    voila: Server, page: BrowserPage, table: PortabilityTable
) -> None:
    widget = open_app(voila, page)
    rows = widget.locator("tr[data-call]")
    expect(rows).to_have_count(len(table.rows))
    problems = [r.call for r in table.rows if any(c.state != "native" for c in r.cells)]
    assert 0 < len(problems) < len(table.rows)

    widget.get_by_role("checkbox", name="only calls that are not native everywhere").check()
    expect(rows).to_have_count(len(problems))
    shown: list[str] = rows.evaluate_all("rows => rows.map(r => r.dataset.call)")
    assert shown == problems
    expect(widget.locator(".odl-totals")).to_have_text(
        f"{len(problems)} of {len(table.rows)} kinds of call shown"
    )
    # The verdicts of the rows left are unchanged.
    wanted = {k: v for k, v in expected_cells(table).items() if k[0] in problems}
    assert shown_cells(widget) == wanted

    widget.get_by_role("checkbox", name="only calls that are not native everywhere").uncheck()
    expect(rows).to_have_count(len(table.rows))
    assert not page.errors, page.errors


def test_click_and_enter_on_a_cell_say_why(
    voila: Server, page: BrowserPage, table: PortabilityTable
) -> None:
    widget = open_app(voila, page)
    detail = widget.locator(".odl-detail")
    expect(detail).to_be_empty()

    # A click on an unsupported cell: its reason and the fields at fault.
    row, cell = next((r, c) for r in table.rows for c in r.cells if c.state == "unsupported")
    td = widget.locator(f"tr[data-call='{row.call}'] td[data-target='{cell.target}']")
    td.click()
    expect(td).to_have_attribute("aria-selected", "true")
    expect(detail).to_contain_text(f"{row.call} → {cell.target}: ✗ unsupported")
    expect(detail).to_contain_text(cell.reason)
    expect(detail).to_contain_text(f"Fields: {', '.join(cell.fields)}")

    # Enter on another (focused) cell, a simulated one: its reason and the calls it costs.
    row, cell = next((r, c) for r in table.rows for c in r.cells if c.extra)
    assert cell.state == "simulated"
    other = widget.locator(f"tr[data-call='{row.call}'] td[data-target='{cell.target}']")
    other.focus()
    page.page.keyboard.press("Enter")
    expect(other).to_have_attribute("aria-selected", "true")
    expect(td).to_have_attribute("aria-selected", "false")
    expect(detail).to_contain_text(f"{row.call} → {cell.target}: ≈ simulated")
    expect(detail).to_contain_text(cell.reason)
    expect(detail).to_contain_text(f"Extra storage calls: {cell.extra}")
    assert not page.errors, page.errors
