"""What every widget shares: ipywidgets and anywidget loaded on first use, the static
fallbacks, and the front-end files (``assets.py``: an ESM module and a CSS file per widget,
each preceded by what they share).

ipywidgets and anywidget are imported here, and only the widget modules import this one, so
``import opendal_lab`` (and ``import opendal_lab.widgets``) never pays for them; a missing one
names the extra that installs it.
"""

from __future__ import annotations

from typing import Any

from opendal_lab.widgets.assets import static_css, static_esm

__all__ = ["FallbackRepr", "anywidget", "ipywidgets", "static_css", "static_esm"]

try:
    import anywidget
    import ipywidgets  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised by the import-hint test in a subprocess
    raise ImportError(
        "opendal_lab.widgets needs ipywidgets and anywidget: pip install 'opendal-lab[widgets]'"
    ) from None


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
