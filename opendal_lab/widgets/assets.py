"""The widgets' front-end files, shipped in the package (no npm build step).

``static/`` holds one ESM module and one CSS file per widget, beside what they share:
``theme.css`` (the ``--odl-*`` colour vocabulary over JupyterLab's ``--jp-*`` variables) and
``dom.js`` (the DOM helper). anywidget loads a module from a string, where a relative import
cannot resolve, so the shared files are prepended here. Pure: imports without Jupyter, so
the static fallbacks (``html.py``, ``portability.py``) read the same vocabulary.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["STATIC", "static_css", "static_esm", "theme_css"]

STATIC = Path(__file__).with_name("static")


@cache
def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def theme_css() -> str:
    """The colour vocabulary (``--odl-*`` over JupyterLab's ``--jp-*`` variables)."""
    return _read("theme.css")


def static_css(name: str) -> str:
    """A widget's stylesheet preceded by the shared vocabulary: anywidget's ``_css``."""
    return theme_css() + "\n" + _read(name)


def static_esm(name: str) -> str:
    """A widget's ESM module preceded by the shared DOM helper: anywidget's ``_esm``."""
    return _read("dom.js") + "\n" + _read(name)
