"""Browser: a directory tree of any operator, listed lazily, with file sizes and previews.

::

    from opendal_lab.widgets import Browser
    b = Browser(Operator("fs", root="/data"))
    b.expand("logs/")           # what clicking the name ``logs/`` does
    b.select("logs/a.csv")      # what clicking a file does: a preview (Polars for csv/parquet)

A directory is listed only when it is expanded. Each node is a row of a small button (the
ipywidgets part: a click reaches Python) and the entry's name in an HTML span that carries
``class="opendal-entry opendal-dir"`` (or ``opendal-file``) and ``data-path``; clicking the
name clicks the row's button, so the name is what a user clicks. Previews come from
``preview.preview_file`` and appear in a ``class="opendal-preview"`` element.
"""

from __future__ import annotations

from html import escape
from typing import Any

from opendal_lab.core.operator import Operator
from opendal_lab.core.path import ROOT
from opendal_lab.widgets._base import FallbackRepr, ipywidgets
from opendal_lab.widgets.html import entry_html, listing_html, message_html
from opendal_lab.widgets.preview import MAX_PREVIEW_BYTES, Preview, preview_file
from opendal_lab.widgets.tables import EntryRow, listing_rows
from opendal_lab.widgets.text import listing_text

__all__ = ["Browser"]

_BUTTON = "opendal-node-button"  # the class an entry's name relays its clicks to


class Browser(FallbackRepr, ipywidgets.VBox):  # type: ignore[misc]
    """A lazily listed tree of ``op`` from ``root``, and a preview of the selected file."""

    def __init__(
        self,
        op: Operator,
        root: str = ROOT,
        *,
        max_entries: int = 500,
        max_preview_bytes: int = MAX_PREVIEW_BYTES,
    ) -> None:
        if not isinstance(op, Operator):
            raise TypeError(f"Browser needs an Operator, got {type(op).__name__}")
        self.op = op
        self.root = root if root.endswith("/") else root + "/"
        self.max_entries = max_entries
        self.max_preview_bytes = max_preview_bytes
        self.expanded: set[str] = set()
        self.selected: Preview | None = None
        self._buttons: dict[str, Any] = {}  # path → its node's button
        self._children: dict[str, Any] = {}  # dir path → the box its children go in
        self.preview = ipywidgets.HTML()
        self.preview.add_class("opendal-preview-view")
        root_row = EntryRow(self.root, self.root, True, None)
        tree = self._node(root_row)
        tree.add_class("opendal-tree")
        header = ipywidgets.HTML(f"<b>{escape(repr(op))}</b>")
        super().__init__(children=[header, tree, self.preview])
        self.add_class("opendal-browser")
        self.expand(self.root)

    # -- what a click does ---------------------------------------------------------------
    def expand(self, path: str) -> list[EntryRow]:
        """List directory ``path`` into its node (its parents must be expanded)."""
        box = self._box(path)
        try:
            rows, truncated = listing_rows(self.op, path, self.max_entries)
        except Exception as err:  # a failed listing shows in place of the children
            box.children = [ipywidgets.HTML(message_html("opendal-error", [_describe(err)]))]
            return []
        nodes = [self._node(row) for row in rows]
        if truncated:
            nodes.append(ipywidgets.HTML(f"<i>… more than {self.max_entries} entries</i>"))
        if not rows:
            nodes.append(ipywidgets.HTML("<i>(empty)</i>"))
        box.children = nodes
        self.expanded.add(path)
        self._buttons[path].description = "▾"
        return rows

    def collapse(self, path: str) -> None:
        box = self._box(path)
        box.children = []
        for known in [p for p in self.expanded if _under(p, path)]:
            self.expanded.discard(known)
        for gone in [p for p in self._buttons if _under(p, path) and p != path]:
            del self._buttons[gone]
            self._children.pop(gone, None)
        self._buttons[path].description = "▸"

    def toggle(self, path: str) -> None:
        if path in self.expanded:
            self.collapse(path)
        else:
            self.expand(path)

    def select(self, path: str) -> Preview:
        """Preview file ``path``."""
        self.selected = preview_file(self.op, path, self.max_preview_bytes)
        self.preview.value = self.selected.to_html()
        return self.selected

    # -- building nodes ------------------------------------------------------------------
    def _box(self, path: str) -> Any:
        if path not in self._children:
            raise KeyError(f"{path!r} is not a directory shown in the tree; expand its parent")
        return self._children[path]

    def _node(self, row: EntryRow) -> Any:
        button = ipywidgets.Button(
            description="▸" if row.is_dir else "·",
            tooltip=("expand " if row.is_dir else "preview ") + row.path,
            layout=ipywidgets.Layout(width="2.2em", height="1.8em", padding="0"),
        )
        button.add_class(_BUTTON)
        label = ipywidgets.HTML(entry_html(row, relay=_BUTTON))
        line = ipywidgets.HBox([button, label])
        line.add_class("opendal-node")
        self._buttons[row.path] = button
        if not row.is_dir:
            button.on_click(lambda _: self.select(row.path))
            return line
        button.on_click(lambda _: self.toggle(row.path))
        children = ipywidgets.VBox(layout=ipywidgets.Layout(margin="0 0 0 1.6em"))
        self._children[row.path] = children
        return ipywidgets.VBox([line, children])

    # -- fallbacks -----------------------------------------------------------------------
    def _root_listing(self) -> tuple[list[EntryRow], bool]:
        try:
            return listing_rows(self.op, self.root, self.max_entries)
        except Exception:
            return [], False

    def _fallback_text(self) -> str:
        return listing_text(*self._root_listing(), root=self.root)

    def _fallback_html(self) -> str:
        rows, truncated = self._root_listing()
        return f'<div class="opendal-browser">{listing_html(rows, truncated, self.root)}</div>'

    def __repr__(self) -> str:
        return f"<Browser {self.op.scheme} root={self.root!r}: {len(self.expanded)} expanded>"


def _under(path: str, directory: str) -> bool:
    return directory == ROOT or path.startswith(directory)


def _describe(err: Exception) -> str:
    message = getattr(err, "message", None) or str(err)
    return f"{type(err).__name__}: {message}"
