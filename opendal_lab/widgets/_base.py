"""What every widget shares: ipywidgets and anywidget loaded on first use, the static
fallbacks, and the front-end files (an ESM module and a CSS file per widget, beside the
shared colour vocabulary in ``static/theme.css``).

ipywidgets and anywidget are imported here, and only the widget modules import this one, so
``import opendal_lab`` (and ``import opendal_lab.widgets``) never pays for them; a missing one
names the extra that installs it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["STATIC", "FallbackRepr", "anywidget", "ipywidgets", "static_css", "theme_css"]

try:
    import anywidget
    import ipywidgets  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised by the import-hint test in a subprocess
    raise ImportError(
        "opendal_lab.widgets needs ipywidgets and anywidget: pip install 'opendal-lab[widgets]'"
    ) from None

# The widgets' ESM modules and CSS files, shipped in the package: no npm build step.
STATIC = Path(__file__).with_name("static")


@cache
def theme_css() -> str:
    """The colour vocabulary (``--odl-*`` over JupyterLab's ``--jp-*`` variables)."""
    return (STATIC / "theme.css").read_text(encoding="utf-8")


def static_css(name: str) -> str:
    """A widget's stylesheet preceded by the shared vocabulary: anywidget's ``_css``."""
    return theme_css() + "\n" + (STATIC / name).read_text(encoding="utf-8")


class FallbackRepr:
    """Adds ``text/plain`` and ``text/html`` to a widget's mime bundle.

    The frontends that run widgets render the widget view; everything else (nbconvert,
    GitHub, an untrusted notebook, a closed kernel) picks the richest fallback instead.
    ipywidgets returns the bundle alone and anywidget a ``(data, metadata)`` pair: both work.
    """

    def _fallback_text(self) -> str:
        raise NotImplementedError

    def _fallback_html(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        fallbacks = {"text/plain": self._fallback_text(), "text/html": self._fallback_html()}
        return {**data, **fallbacks}, metadata
