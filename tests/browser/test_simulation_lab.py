"""widgets/simulation_lab.ipynb in Voila: a switch turns exactly the cells the core says from
unsupported to simulated and back, marks them and says so at the top, in light and dark
themes at 1280 and 420 px; the demo shows its storage calls; the counters add up."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from opendal_lab.core.layers.simulate import SWITCH_INFO, SWITCHES
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
    theme_is_dark,
)
from tests.browser.conftest import Server

APP = "simulation_lab.ipynb"
ROOT = "opendal-simulation-lab"
CELLS = "td[data-service][data-cap]"
TEXTS = "table.opendal-matrix td, table.opendal-matrix th, .opendal-legend span"


def switch(lab: Locator, name: str) -> Locator:
    return lab.locator(f"input[type=checkbox][data-switch='{name}']")


def changed_cells(lab: Locator) -> set[tuple[str, str]]:
    found: list[list[str]] = lab.locator("td[data-changed]").evaluate_all(
        "cells => cells.map(c => [c.dataset.service, c.dataset.cap])"
    )
    return {(service, field) for service, field in found}


def test_each_switch_turns_the_right_cells_on_and_off(voila: Server, page: BrowserPage) -> None:
    lab = page.open(voila.app_url(APP), ROOT, CELLS)
    operators = expected.simulation_lab_operators()
    native = expected.with_switches(operators)  # the lab starts with every switch off
    assert matrix_states(lab) == native
    summary = lab.locator(".opendal-summary")

    checked: list[str] = []
    for name in SWITCHES:
        simulated = expected.with_switches(operators, (name,))
        changed = {cell for cell in native if native[cell] != simulated[cell]}
        assert all((native[c], simulated[c]) == ("unsupported", "simulated") for c in changed)
        card = lab.locator(f"label.odl-switch[data-switch='{name}']")
        expect(card).to_contain_text(SWITCH_INFO[name].label)
        expect(card).to_contain_text(SWITCH_INFO[name].description)
        expect(card).to_contain_text(SWITCH_INFO[name].cost)

        switch(lab, name).check()
        expect(summary).to_contain_text(f"simulate {name}: on", timeout=UPDATE_TIMEOUT_MS)
        for service, field in changed:
            cell = lab.locator(f"td[data-service='{service}'][data-cap='{field}']")
            expect(cell).to_have_attribute("data-state", "simulated")
            expect(summary).to_contain_text(f"{service} · {field}: unsupported → simulated")
        assert matrix_states(lab) == simulated
        assert changed_cells(lab) == changed

        switch(lab, name).uncheck()
        expect(summary).to_contain_text(f"simulate {name}: off", timeout=UPDATE_TIMEOUT_MS)
        for service, field in changed:
            cell = lab.locator(f"td[data-service='{service}'][data-cap='{field}']")
            expect(cell).to_have_attribute("data-state", "unsupported")
        assert matrix_states(lab) == native
        assert changed_cells(lab) == changed
        if changed:
            checked.append(name)
    # Both columns gain something from some switch: memory and fs lack different things.
    assert len(checked) >= 4, checked
    assert not page.errors, page.errors


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_a_toggle_is_seen_in_each_theme_and_width(
    voila: Server, page: BrowserPage, theme: str, width: int
) -> None:
    page.page.set_viewport_size({"width": width, "height": HEIGHT})
    lab = page.open(voila.app_url(APP, theme), ROOT, CELLS)
    assert theme_is_dark(page.page) == (theme == "dark")

    # memory has no suffix reads: the switch simulates them, in a row far down the matrix.
    switch(lab, "read_with_suffix").check()
    summary = lab.locator(".opendal-summary")
    expect(summary).to_contain_text(
        "memory · read_with_suffix: unsupported → simulated", timeout=UPDATE_TIMEOUT_MS
    )
    cell = lab.locator("td[data-service='memory'][data-cap='read_with_suffix']")
    expect(cell).to_have_attribute("data-changed", "true")
    expect(cell.locator(".odl-mark")).to_have_text("Δ")  # a symbol, not colour alone
    assert changed_cells(lab) == {("memory", "read_with_suffix")}
    # The answer is in view: the summary in the window, the changed cell in the table's box.
    expect(summary).to_be_in_viewport()
    shown: bool = lab.locator(".odl-scroll").evaluate(
        """(box) => {
            const b = box.getBoundingClientRect();
            const c = box.querySelector('td[data-changed]').getBoundingClientRect();
            return c.top >= b.top && c.bottom <= b.bottom;
        }"""
    )
    assert shown

    assert_readable(lab, f"voila simulation {theme} {width}", TEXTS)
    assert_fits(lab, lab.locator(".odl-scroll"))
    page.shot(f"simulation-{theme}-{width}", lab)
    assert not page.errors, page.errors


def test_demo_shows_storage_calls_and_counters_add_up(voila: Server, page: BrowserPage) -> None:
    lab = page.open(voila.app_url(APP), ROOT, CELLS)
    counters = lab.locator(".opendal-counters")
    expect(counters).to_contain_text("no simulation ran")
    demo = lab.locator(".opendal-demo pre")

    switch(lab, "create_dir").check()
    # memory has no directories: the simulation writes an empty object instead.
    expect(demo).to_contain_text("memory: create_dir('simulation-lab/made/')")
    expect(demo).to_contain_text("↳ write('simulation-lab/made/', 0 B)")
    expect(demo).to_contain_text("↳ create_dir('simulation-lab/made/')")  # fs does it natively
    assert demo.evaluate("p => getComputedStyle(p).fontFamily").lower().find("mono") >= 0
    expect(counters).to_contain_text("memory: create_dir=1")

    switch(lab, "list_recursive").check()
    expect(demo).to_contain_text("fs: list(", timeout=UPDATE_TIMEOUT_MS)
    expect(demo).to_contain_text("sub/c.txt")
    expect(demo).to_contain_text("↳ list('simulation-lab/sub/')")
    # The counters add up across toggles.
    expect(counters).to_contain_text("memory: create_dir=1")
    expect(counters).to_contain_text("fs: list_recursive=1")

    switch(lab, "list_recursive").uncheck()
    expect(demo).to_contain_text("Unsupported", timeout=UPDATE_TIMEOUT_MS)
    expect(counters).to_contain_text("fs: list_recursive=1")
    lab.get_by_role("button", name="reset counters").click()
    expect(counters.locator("pre")).to_have_text("no simulation ran")
