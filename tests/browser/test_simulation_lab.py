"""widgets/simulation_lab.ipynb in Voila: a checkbox turns exactly the cells the core says from
unsupported to simulated, and unchecking turns them back."""

from __future__ import annotations

from playwright.sync_api import expect

from opendal_lab.layers.simulate import SWITCHES
from tests.browser import expected
from tests.browser.apps import UPDATE_TIMEOUT_MS, BrowserPage, matrix_states
from tests.browser.conftest import Server

APP = "simulation_lab.ipynb"
ROOT = "opendal-simulation-lab"
CELLS = "td[data-service][data-cap]"


def test_each_switch_turns_the_right_cells_on_and_off(voila: Server, page: BrowserPage) -> None:
    lab = page.open(voila.app_url(APP), ROOT, CELLS)
    operators = expected.simulation_lab_operators()
    native = expected.with_switches(operators)  # the lab starts with every switch off
    assert matrix_states(lab) == native

    checked: list[str] = []
    for switch in SWITCHES:
        simulated = expected.with_switches(operators, (switch,))
        changed = {cell for cell in native if native[cell] != simulated[cell]}
        assert all((native[c], simulated[c]) == ("unsupported", "simulated") for c in changed)
        box = lab.get_by_role("checkbox", name=f"simulate {switch}", exact=True)
        demo = lab.locator(".opendal-demo")

        box.check()
        expect(demo).to_contain_text(f"simulate {switch}: on", timeout=UPDATE_TIMEOUT_MS)
        for service, field in changed:
            cell = lab.locator(f"td[data-service='{service}'][data-cap='{field}']")
            expect(cell).to_have_attribute("data-state", "simulated")
        assert matrix_states(lab) == simulated
        if changed and not checked:
            page.shot("simulation_lab", lab)

        box.uncheck()
        expect(demo).to_contain_text(f"simulate {switch}: off", timeout=UPDATE_TIMEOUT_MS)
        for service, field in changed:
            cell = lab.locator(f"td[data-service='{service}'][data-cap='{field}']")
            expect(cell).to_have_attribute("data-state", "unsupported")
        assert matrix_states(lab) == native
        if changed:
            checked.append(switch)
    # Both columns gain something from some switch: memory and fs lack different things.
    assert len(checked) >= 4, checked


def test_demo_call_and_counters(voila: Server, page: BrowserPage) -> None:
    lab = page.open(voila.app_url(APP), ROOT, CELLS)
    counters = lab.locator(".opendal-counters")
    expect(counters).to_contain_text("no simulation ran")

    lab.get_by_role("checkbox", name="simulate list_recursive", exact=True).check()
    demo = lab.locator(".opendal-demo")
    # fs lists recursively only through the simulation, and the counter says it ran.
    expect(demo).to_contain_text("fs: list(", timeout=UPDATE_TIMEOUT_MS)
    expect(demo).to_contain_text("sub/c.txt")
    expect(counters).to_contain_text("list_recursive=1")

    lab.get_by_role("checkbox", name="simulate list_recursive", exact=True).uncheck()
    expect(demo).to_contain_text("Unsupported", timeout=UPDATE_TIMEOUT_MS)
