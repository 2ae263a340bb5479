"""What every widget shares: ipywidgets loaded on first use, and the static fallbacks.

ipywidgets is imported here, and only the widget modules import this one, so
``import opendal_lab`` (and ``import opendal_lab.widgets``) never pays for it; a missing
ipywidgets names the extra that installs it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FallbackRepr", "ipywidgets"]

try:
    import ipywidgets  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised by the import-hint test in a subprocess
    raise ImportError(
        "opendal_lab.widgets needs ipywidgets: pip install 'opendal-lab[widgets]'"
    ) from None


class FallbackRepr:
    """Adds ``text/plain`` and ``text/html`` to a widget's mime bundle.

    ipywidgets 8 returns ``text/plain`` (its trait repr) and the widget-view mimetype; the
    frontends that run widgets render the view, and everything else (nbconvert, GitHub,
    an untrusted notebook, a closed kernel) picks the richest fallback instead.
    """

    def _fallback_text(self) -> str:
        raise NotImplementedError

    def _fallback_html(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})  # type: ignore[misc]
        bundle["text/plain"] = self._fallback_text()
        bundle["text/html"] = self._fallback_html()
        return bundle
