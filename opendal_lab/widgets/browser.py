"""Browser: a directory tree of any operator, listed a page at a time, and a file's metadata
and preview beside it.

::

    from opendal_lab.widgets import Browser
    b = Browser(Operator("fs", root="/data"))   # titled "fs · /data"
    b.expand("logs/")           # what clicking ``logs/`` does: its first page of entries
    b.page("logs/", token)      # the page after the one whose ``next`` is ``token``
    b.select("logs/a.csv")      # what clicking a file does: metadata and a preview

State the page draws lives in traitlets (``title``, ``paging_label``, ``open_dirs``,
``selected_path``, and the root's first page, so the tree draws at once and even where no
kernel answers); the rest is fetched on demand: ``static/browser.js`` sends a custom
message per listing page or preview, tagged with an id (``{"id", "type": "list", "path",
"token"}``, ``{"id", "type": "preview", "path"}``, ``{"id", "type": "refresh"}``), shows a
spinner, and the kernel answers with the same id (``ListingPage.to_json`` /
``Preview.to_json``, or ``{"error": ...}``). Answers are computed on two worker threads, so a
slow read does not hold a listing back. Pages and previews are kept until ``refresh()`` (the
page's refresh button) or until their directory is collapsed.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from html import escape
from typing import Any

import traitlets

from opendal_lab.core.operator import Operator
from opendal_lab.core.path import ROOT
from opendal_lab.widgets._base import FallbackRepr, anywidget, static_css, static_esm
from opendal_lab.widgets.listing import (
    PAGING,
    EntryRow,
    ListingPage,
    PagingMode,
    browser_title,
    list_all,
    list_page,
    listing_html,
    listing_text,
    paging_mode,
)
from opendal_lab.widgets.preview import MAX_PREVIEW_BYTES, Preview, preview_file

__all__ = ["Browser"]

PAGE_SIZE = 200


class Browser(FallbackRepr, anywidget.AnyWidget):
    """A lazily listed, paged tree of ``op`` from ``root``, and the selected file's preview.

    ``max_entries`` is the page size: a directory shows that many entries, then a *next
    page* control.
    """

    _esm = static_esm("browser.js")
    _css = static_css("browser.css")

    title = traitlets.Unicode().tag(sync=True)
    root = traitlets.Unicode(ROOT).tag(sync=True)
    paging = traitlets.Unicode("here").tag(sync=True)  # "service" or "here"
    paging_label = traitlets.Unicode().tag(sync=True)
    open_dirs = traitlets.List(traitlets.Unicode()).tag(sync=True)  # expanded, root excluded
    selected_path = traitlets.Unicode("").tag(sync=True)
    _generation = traitlets.Int(0).tag(sync=True)  # bumped by refresh(): the page lists again
    # The root's first page, drawn without a round trip (and where no kernel answers: a
    # notebook stored with its widget state, reopened or on nbviewer).
    _first_page = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        op: Operator,
        root: str = ROOT,
        *,
        max_entries: int = PAGE_SIZE,
        max_preview_bytes: int = MAX_PREVIEW_BYTES,
        threaded: bool = True,
    ) -> None:
        if not isinstance(op, Operator):
            raise TypeError(f"Browser needs an Operator, got {type(op).__name__}")
        if max_entries <= 0:
            raise ValueError(f"Browser: max_entries must be > 0, got {max_entries}")
        root = root.lstrip("/")
        root = root if not root or root.endswith("/") else root + "/"
        self.op = op
        self.max_entries = max_entries
        self.max_preview_bytes = max_preview_bytes
        self._cache_lock = threading.Lock()
        self._pages: dict[tuple[str, str | None], ListingPage] = {}
        self._listed: dict[str, list[EntryRow]] = {}  # whole listings, when paged here
        self._previews: dict[str, Preview] = {}
        self._pool = ThreadPoolExecutor(2, "opendal-browser") if threaded else None
        mode = paging_mode(op)
        super().__init__(
            title=browser_title(op, root),
            root=root or ROOT,
            paging=mode,
            paging_label=PAGING[mode],
        )
        self.add_class("opendal-browser")
        self._first_page = self._first_page_json()
        self.observe(self._on_open_dirs, names="open_dirs")
        self.on_msg(self._on_message)

    # -- what a click does ---------------------------------------------------------------
    @property
    def expanded(self) -> set[str]:
        """The directories shown open: the root and every expanded one."""
        return {self.root, *self.open_dirs}

    def page(self, path: str, token: str | None = None) -> ListingPage:
        """The page of directory ``path`` that ``token`` names (``None``: the first)."""
        key = (path, token)
        with self._cache_lock:
            cached = self._pages.get(key)
        if cached is not None:
            return cached
        listed = None
        if self.paging == "here":
            with self._cache_lock:
                listed = self._listed.get(path)
            if listed is None:
                listed = list_all(self.op, path)
                with self._cache_lock:
                    self._listed[path] = listed
        mode: PagingMode = "service" if self.paging == "service" else "here"
        page = list_page(self.op, path, self.max_entries, token, mode, listed)
        with self._cache_lock:
            self._pages[key] = page
        return page

    def expand(self, path: str) -> list[EntryRow]:
        """Open directory ``path`` (shown in the tree: its parent is open); its first page."""
        if path != self.root and _parent(path) not in self.expanded:
            raise KeyError(f"{path!r} is not a directory shown in the tree; expand its parent")
        if not path.endswith("/"):
            raise ValueError(f"{path!r} is a file: select() previews it")
        rows = list(self.page(path).rows)
        if path != self.root and path not in self.open_dirs:
            self.open_dirs = [*self.open_dirs, path]
        return rows

    def collapse(self, path: str) -> None:
        """Close directory ``path`` and everything open below it."""
        self.open_dirs = [p for p in self.open_dirs if not p.startswith(path)]

    def toggle(self, path: str) -> None:
        if path in self.open_dirs:
            self.collapse(path)
        else:
            self.expand(path)

    def select(self, path: str) -> Preview:
        """Preview file ``path`` (and show it on the page)."""
        preview = self._preview(path)
        self.selected_path = path
        return preview

    @property
    def selected(self) -> Preview | None:
        """The preview of the selected file, if one is selected."""
        return self._preview(self.selected_path) if self.selected_path else None

    @property
    def preview_html(self) -> str:
        """The selected file's preview as static HTML (``""`` when none is selected)."""
        selected = self.selected
        return selected.to_html() if selected is not None else ""

    def refresh(self) -> None:
        """Forget every page and preview: the page lists and reads again."""
        self._forget(lambda path: True)
        self._first_page = self._first_page_json()
        self._generation += 1

    def _preview(self, path: str) -> Preview:
        with self._cache_lock:
            cached = self._previews.get(path)
        if cached is None:
            cached = preview_file(self.op, path, self.max_preview_bytes)
            with self._cache_lock:
                self._previews[path] = cached
        return cached

    def _first_page_json(self) -> dict[str, Any]:
        try:
            return self.page(self.root).to_json()
        except Exception as err:  # the page asks again and shows the error in place
            return {"path": self.root, "error": _describe(err)}

    def _forget(self, gone: Any) -> None:
        with self._cache_lock:
            for key in [k for k in self._pages if gone(k[0])]:
                del self._pages[key]
            for path in [p for p in self._listed if gone(p)]:
                del self._listed[path]
            if gone(ROOT):
                self._previews.clear()

    def _on_open_dirs(self, change: dict[str, Any]) -> None:
        closed = set(change["old"]) - set(change["new"])
        if closed:  # listed again when opened again
            self._forget(lambda path: any(path.startswith(c) for c in closed))

    # -- the page's requests -------------------------------------------------------------
    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The reply to one request from the page (without its id)."""
        kind = request.get("type")
        if kind == "list":
            return self.page(str(request["path"]), request.get("token")).to_json()
        if kind == "preview":
            return self._preview(str(request["path"])).to_json()
        if kind == "refresh":
            self._forget(lambda path: True)
            self._first_page = self._first_page_json()
            return {}
        raise ValueError(f"unknown request type {kind!r}")

    def _reply(self, request: dict[str, Any]) -> None:
        try:
            reply = self.answer(request)
        except Exception as err:  # the page shows it where the answer would go
            reply = {"error": _describe(err)}
        self.send({**reply, "id": request["id"], "type": request.get("type")})

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict) or "id" not in content:
            return
        if self._pool is None:
            self._reply(content)
        else:
            self._pool.submit(self._reply, content)

    def close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        super().close()

    # -- fallbacks (plain HTML, no styles: see TraceViewer's) ----------------------------
    def _root_page(self) -> ListingPage | None:
        try:
            return self.page(self.root)
        except Exception:
            return None

    def _fallback_text(self) -> str:
        return listing_text(self.title, self._root_page())

    def _fallback_html(self) -> str:
        return (
            f'<div class="opendal-static opendal-browser odl-browser">'
            f"{listing_html(self.title, self._root_page())}"
            f'<p class="odl-paging">{escape(self.paging_label)}</p></div>'
        )

    def __repr__(self) -> str:
        return f"<Browser {self.title!r}: {len(self.open_dirs)} expanded>"


def _parent(path: str) -> str:
    head = path.rstrip("/").rpartition("/")[0]
    return head + "/" if head else ROOT


def _describe(err: Exception) -> str:
    message = getattr(err, "message", None) or str(err)
    return f"{type(err).__name__}: {message}"
