"""widgets/capability_matrix.ipynb in Voila: the states the core reports, the legend, filters."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from opendal_lab.core.capability import GROUPS
from tests.browser import expected
from tests.browser.apps import UPDATE_TIMEOUT_MS, BrowserPage, matrix_states, row_fields
from tests.browser.conftest import Server

APP = "capability_matrix.ipynb"
ROOT = "opendal-capability-matrix"
CELLS = "td[data-service][data-cap]"


def test_matrix_shows_the_states_the_core_reports(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    shown = matrix_states(matrix)

    assert {service for service, _ in shown} >= {"memory", "fs", "s3"}
    assert shown == expected.states(expected.capability_matrix_operators())
    # Every state is drawn somewhere: each comes from the report, none is a default.
    assert set(shown.values()) == {"native", "simulated", "overridden", "unsupported"}
    # The tooltip names the layer responsible.
    simulated = matrix.locator("td[data-service='memory'][data-state='simulated']").first
    expect(simulated).to_have_attribute("title", re.compile("SimulateLayer"))
    removed = matrix.locator("td[data-service='memory-readonly'][data-cap='write']")
    expect(removed).to_have_attribute("data-state", "overridden")
    expect(removed).to_have_attribute("title", re.compile("CapabilityOverrideLayer"))
    legend = matrix.locator(".opendal-legend [data-state]")
    assert legend.evaluate_all("items => items.map(i => i.dataset.state)") == [
        "native",
        "simulated",
        "overridden",
        "unsupported",
    ]
    page.shot("capability_matrix", matrix)


def test_group_and_only_differences_filters(voila: Server, page: BrowserPage) -> None:
    matrix = page.open(voila.app_url(APP), ROOT, CELLS)
    rows = matrix.locator("tr[data-cap]")
    expect(rows).to_have_count(sum(len(fields) for fields in GROUPS.values()))

    matrix.get_by_label("group").select_option("read")
    expect(rows).to_have_count(len(GROUPS["read"]), timeout=UPDATE_TIMEOUT_MS)
    assert row_fields(matrix) == list(GROUPS["read"])

    matrix.get_by_label("group").select_option("all")
    matrix.get_by_role("checkbox", name="only differences").check()
    differing = expected.differing_fields(expected.capability_matrix_operators())
    expect(rows).to_have_count(len(differing), timeout=UPDATE_TIMEOUT_MS)
    assert set(row_fields(matrix)) == differing
