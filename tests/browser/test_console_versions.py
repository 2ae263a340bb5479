"""The Voila pages themselves: a console free of version warnings, a gallery opening every app.

Voila's page is a JupyterLab 4.2.5 application; the widget managers it loads (its own
``@voila-dashboards/widgets-manager8``, jupyterlab_widgets' ``@jupyter-widgets/jupyterlab-manager``)
share JupyterLab's packages with it through webpack module federation. A manager built against
a newer JupyterLab asks for, say, ``@jupyterlab/services ^7.6.2``, and the browser console then
says "Unsatisfied version 7.2.5 ... of shared singleton module" once per package: the page
works on, but on versions its extensions were never built for. The dev extra and
binder/requirements.txt pin the releases that match; this checks the console.

``widgets/index.ipynb`` is the gallery the README's Voila badge opens; its relative links must
open each rendered app (``/voila/render/<app>.ipynb``), and it must list every app.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from tests.browser.apps import APP_TIMEOUT_MS, BrowserPage
from tests.browser.conftest import APPS, Server

VERSION_WARNING = re.compile(r"Unsatisfied version|No satisfying version")
# What must be on every Voila page for the check to mean anything: the two widget managers.
MANAGERS = {"@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8"}
GALLERY = "index.ipynb"


def _console(page: BrowserPage) -> list[str]:
    """Every console message the page logs from now on (``type: text``)."""
    messages: list[str] = []
    page.page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    return messages


def _federated_extensions(page: BrowserPage) -> set[str]:
    """The JupyterLab extensions Voila told this page to load (its page config)."""
    config = json.loads(page.page.locator("#jupyter-config-data").text_content() or "{}")
    return {extension["name"] for extension in config.get("federated_extensions", [])}


@pytest.mark.parametrize(
    ("notebook", "ready"),
    [
        ("capability_matrix.ipynb", ".opendal-capability-matrix"),  # an app: a live widget
        (GALLERY, "h1"),  # the gallery: markdown only, the same extensions
    ],
    ids=["capability_matrix", "gallery"],
)
def test_console_has_no_version_warning(
    voila: Server, page: BrowserPage, notebook: str, ready: str
) -> None:
    messages = _console(page)
    page.page.goto(voila.app_url(notebook))
    # The extensions load (and warn) before any widget can draw, so once the app's widget is
    # there, every such warning has been logged.
    page.page.locator(ready).first.wait_for(timeout=APP_TIMEOUT_MS)
    assert _federated_extensions(page) >= MANAGERS
    warnings = [m for m in messages if VERSION_WARNING.search(m)]
    assert warnings == [], "\n".join(warnings)


def _app_name(href: str) -> str:
    return urlsplit(href).path.rsplit("/", 1)[-1]


def test_gallery_links_open_every_rendered_app(voila: Server, page: BrowserPage) -> None:
    page.page.goto(voila.app_url(GALLERY))
    links = page.page.locator("a[href$='.ipynb']")
    links.first.wait_for(timeout=APP_TIMEOUT_MS)
    hrefs: list[str] = links.evaluate_all("anchors => anchors.map(a => a.href)")  # resolved

    apps = sorted(p.name for p in APPS.glob("*.ipynb") if p.name != GALLERY)
    assert sorted(_app_name(href) for href in hrefs) == apps, "the gallery lists every app once"
    for href in hrefs:
        assert urlsplit(href).path == f"/voila/render/{_app_name(href)}", href
        response = page.page.request.get(href)  # the token's login cookie goes along
        assert response.status == 200, f"{href}: {response.status}"

    # A click opens the app itself, rendered, with its live widget.
    page.page.get_by_role("link", name="Capability matrix").click()
    page.page.wait_for_url(re.compile(r"/voila/render/capability_matrix\.ipynb"))
    page.page.locator(".opendal-capability-matrix").first.wait_for(timeout=APP_TIMEOUT_MS)
