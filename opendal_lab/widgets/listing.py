"""The storage browser's rows, computed without Jupyter: titles, pages of a directory, icons,
metadata.

A directory is listed a page at a time. Where the service itself pages (its *native*
capability has ``list_with_limit`` and ``list_with_start_after``), each page is one
``Operator.list(path, limit=n, start_after=last)`` cut after ``n`` entries, so a directory of
a million keys costs one page per click. Elsewhere (a simulated ``start_after`` still walks
the whole listing below) the directory is listed once, sorted, and cut into pages here.
``PAGING`` says which, in words the widget shows. Within a page, directories come first.

::

    page = list_page(op, "logs/", size=200)            # the first page
    page.rows, page.next                               # its entries; the token of the next
    list_page(op, "logs/", size=200, token=page.next)  # the next page
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, Literal

from opendal_lab.core.operator import Operator
from opendal_lab.core.path import ROOT
from opendal_lab.core.types import Entry, Metadata
from opendal_lab.widgets.tables import format_size

__all__ = [
    "KINDS",
    "PAGING",
    "EntryRow",
    "ListingPage",
    "PagingMode",
    "browser_title",
    "file_kind",
    "list_page",
    "listing_html",
    "listing_text",
    "metadata_rows",
    "paging_mode",
]

PagingMode = Literal["service", "here"]
PAGING: dict[str, str] = {
    "service": "paged by the service (limit + start_after)",
    "here": "paged here (the service lists the whole directory at once)",
}

# kind → the accessible label of its icon
KINDS: dict[str, str] = {
    "folder": "folder",
    "parquet": "Parquet file",
    "csv": "CSV file",
    "json": "JSON file",
    "text": "text file",
    "image": "image",
    "other": "file",
}
_SUFFIX_KINDS = {
    **dict.fromkeys((".parquet", ".pq"), "parquet"),
    **dict.fromkeys((".csv", ".tsv"), "csv"),
    **dict.fromkeys((".json", ".jsonl", ".ndjson", ".geojson", ".ipynb"), "json"),
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp"), "image"),
    **dict.fromkeys(
        (".txt", ".md", ".rst", ".log", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".py"), "text"
    ),
    **dict.fromkeys((".sql", ".xml", ".html", ".js", ".css", ".sh", ".r"), "text"),
}


def suffix(path: str) -> str:
    """``"a/b.CSV"`` → ``".csv"``; ``""`` when the name has no dot."""
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return name[name.rfind(".") :] if "." in name else ""


def file_kind(path: str) -> str:
    """The icon a path gets: ``folder`` for a directory, else by its suffix (``other``)."""
    if path.endswith("/"):
        return "folder"
    return _SUFFIX_KINDS.get(suffix(path), "other")


def browser_title(op: Operator, root: str = ROOT) -> str:
    """``"memory · /"``, ``"s3 · demo-bucket/prefix"``, ``"fs · /data/logs"``: the service and
    where the browser starts (its namespace, such as a bucket, then its root and ``root``)."""
    info = op.info()
    below = "/".join(p for p in (info.root.strip("/"), root.strip("/")) if p)
    if info.name and info.name != "default" and info.scheme != "memory":
        where = f"{info.name}/{below}" if below else info.name
    else:
        where = "/" + below
    return f"{info.scheme} · {where}"


@dataclass(frozen=True)
class EntryRow:
    """One child of a listed directory."""

    path: str
    name: str
    is_dir: bool
    size: int | None

    @property
    def kind(self) -> str:
        return file_kind(self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "dir": self.is_dir,
            "size": self.size,
            "size_text": None if self.size is None else format_size(self.size),
            "kind": self.kind,
            "kind_label": KINDS[self.kind],
        }


@dataclass(frozen=True)
class ListingPage:
    """One page of directory ``path``: ``rows`` from entry number ``start`` (0-based) on."""

    path: str
    rows: tuple[EntryRow, ...]
    start: int
    next: str | None  # the token of the next page, None on the last
    mode: PagingMode
    total: int | None = None  # entries in the directory, when it was listed whole

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "entries": [row.to_json() for row in self.rows],
            "start": self.start,
            "next": self.next,
            "mode": self.mode,
            "total": self.total,
        }


def paging_mode(op: Operator) -> PagingMode:
    """``"service"`` when the service pages natively (limit and start_after), else ``"here"``."""
    report = op.capability_report()
    native = all(report[f].state == "native" for f in ("list_with_limit", "list_with_start_after"))
    return "service" if native else "here"


def _children(entries: Iterable[Entry], path: str) -> Iterator[Entry]:
    # A listing yields the directory itself first: it is the node, not one of its children.
    for entry in entries:
        if entry.path not in (path, ROOT):
            yield entry


def _row(op: Operator, entry: Entry) -> EntryRow:
    size = None if entry.is_dir else entry.metadata.content_length
    if entry.is_file and size is None:  # a service that lists names only: ask
        size = op.stat(entry.path).content_length
    return EntryRow(entry.path, entry.name, entry.is_dir, size)


def _order(rows: Iterable[EntryRow]) -> list[EntryRow]:
    return sorted(rows, key=lambda r: (not r.is_dir, r.name))


def list_all(op: Operator, path: str) -> list[EntryRow]:
    """Every child of directory ``path``, directories first, each sorted by name."""
    return _order(_row(op, entry) for entry in _children(op.list(path), path))


def list_page(
    op: Operator,
    path: str,
    size: int,
    token: str | None = None,
    mode: PagingMode | None = None,
    listed: Sequence[EntryRow] | None = None,
) -> ListingPage:
    """One page of ``size`` children of directory ``path``, from ``token`` (a previous page's
    ``next``; ``None`` is the first page). ``mode`` defaults to ``paging_mode(op)``; in
    ``"here"`` mode ``listed`` may pass the whole listing already made (``list_all``)."""
    if size <= 0:
        raise ValueError(f"page size must be > 0, got {size}")
    mode = mode or paging_mode(op)
    if mode == "here":
        rows = list(listed) if listed is not None else list_all(op, path)
        start = int(token) if token else 0
        end = start + size
        following = str(end) if end < len(rows) else None
        return ListingPage(path, tuple(rows[start:end]), start, following, mode, len(rows))
    start_after, _, count = (token or "").partition("\0")
    options: dict[str, Any] = {"limit": size + 1}
    if start_after:
        options["start_after"] = start_after
    listing = op.list(path, **options)
    try:
        entries = list(itertools.islice(_children(listing, path), size + 1))
    finally:
        close = getattr(listing, "close", None)
        if close is not None:
            close()
    shown = entries[:size]
    start = int(count) if count else 0
    following = None
    if len(entries) > size:
        following = f"{shown[-1].path}\0{start + size}"
    ordered = tuple(_order(_row(op, entry) for entry in shown))
    return ListingPage(path, ordered, start, following, mode)


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(sep=" ", timespec="seconds")


def metadata_rows(meta: Metadata) -> list[tuple[str, str, str | None]]:
    """``(field, label, shown value or None)`` for the metadata panel, in a fixed order:
    size, etag, content type, last modified, then version and cache control if given."""
    size = None
    if meta.content_length is not None:
        size = f"{format_size(meta.content_length)} ({meta.content_length:,} bytes)"
    rows: list[tuple[str, str, str | None]] = [
        ("content_length", "size", size),
        ("etag", "etag", meta.etag),
        ("content_type", "content type", meta.content_type),
        ("last_modified", "last modified", _when(meta.last_modified)),
    ]
    if meta.version is not None:
        rows.append(("version", "version", meta.version))
    if meta.cache_control is not None:
        rows.append(("cache_control", "cache control", meta.cache_control))
    return rows


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def listing_text(title: str, page: ListingPage | None) -> str:
    """The browser's ``text/plain`` fallback: its title and the first page of its root."""
    out = [title]
    rows = page.rows if page is not None else ()
    for row in rows:
        size = "" if row.size is None else f"  {format_size(row.size)}"
        out.append(f"  {row.name}{size}")
    if page is not None and page.next is not None:
        out.append(f"  … more entries ({PAGING[page.mode]})")
    if page is None:
        out.append("  (could not be listed)")
    elif not rows:
        out.append("  (empty)")
    return "\n".join(out)


def entry_html(row: EntryRow) -> str:
    """One child as static HTML: the name (with ``data-path``), its kind and size in words."""
    classes = "opendal-entry opendal-dir" if row.is_dir else "opendal-entry opendal-file"
    size = f" <small>{format_size(row.size)}</small>" if row.size is not None else ""
    return (
        f'<span class="{classes}" data-path="{_attr(row.path)}" data-kind="{row.kind}">'
        f"{escape(row.name)}</span> <small>{escape(KINDS[row.kind])}</small>{size}"
    )


def listing_html(title: str, page: ListingPage | None) -> str:
    """The browser's static fallback: the title and the root's first page as a list."""
    rows = page.rows if page is not None else ()
    items = "".join(f"<li>{entry_html(row)}</li>" for row in rows)
    if page is not None and page.next is not None:
        items += f"<li>… more entries ({escape(PAGING[page.mode])})</li>"
    if page is None:
        items += "<li>(could not be listed)</li>"
    elif not rows:
        items += "<li>(empty)</li>"
    path = page.path if page is not None else ROOT
    return (
        f'<div class="opendal-listing" data-path="{_attr(path)}">'
        f'<p class="odl-title"><b>{escape(title)}</b></p><ul>{items}</ul></div>'
    )
