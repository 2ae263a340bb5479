"""The fallback mime bundle for anywidget widgets.

``AnyWidget._repr_mimebundle_`` returns ``(data, metadata)``, not the plain dict of
``ipywidgets.DOMWidget`` that ``_base.FallbackRepr`` expects, so this mixin (listed before
``FallbackRepr``) accepts both: it adds ``text/plain`` and ``text/html`` to the data and keeps
the metadata.
"""

from __future__ import annotations

from typing import Any

from opendal_lab.widgets._base import FallbackRepr

__all__ = ["AnyFallbackRepr"]


class AnyFallbackRepr(FallbackRepr):
    """``FallbackRepr`` for a widget whose bundle may come with its metadata."""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super(FallbackRepr, self)._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, None)
        data = {**data, "text/plain": self._fallback_text(), "text/html": self._fallback_html()}
        return data if metadata is None else (data, metadata)
