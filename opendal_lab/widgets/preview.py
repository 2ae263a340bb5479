"""Previews of small files for the storage browser, without Jupyter.

Parquet, CSV and NDJSON are read by Polars (imported on first use; a missing Polars says
which extra installs it) and previewed as their first rows, sent to the page as JSON (column
names, types and cell values) for a table drawn in the widget's own theme; a text file shows
its first few KiB, in monospace; an image up to ``IMAGE_BYTES`` is shown as an image (a
base64 data URL); anything else, or anything larger than ``max_bytes``, says what it is
instead of downloading it. Each preview carries the file's metadata (``listing.metadata_rows``)
for the panel beside it.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any, Literal

from opendal_lab.core.operator import Operator
from opendal_lab.core.types import Metadata
from opendal_lab.widgets.listing import file_kind, metadata_rows, suffix
from opendal_lab.widgets.tables import format_size

__all__ = [
    "IMAGE_BYTES",
    "MAX_PREVIEW_BYTES",
    "TABLE_ROWS",
    "TEXT_BYTES",
    "Preview",
    "preview_file",
]

MAX_PREVIEW_BYTES = 8 * 1024 * 1024  # tables: read whole, so keep them small
TEXT_BYTES = 4096  # text: only the head is read
IMAGE_BYTES = 1024 * 1024  # images: sent whole to the page, base64
TABLE_ROWS = 20

_TABLES = {
    **dict.fromkeys((".parquet", ".pq"), "parquet"),
    **dict.fromkeys((".csv", ".tsv"), "csv"),
    **dict.fromkeys((".ndjson", ".jsonl"), "ndjson"),
}
_IMAGES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".svg": "image/svg+xml",  # inside <img> an SVG runs no script
}

Kind = Literal["table", "text", "image", "binary", "too-large", "error"]
MetadataRows = tuple[tuple[str, str, str | None], ...]


@dataclass(frozen=True)
class Preview:
    """What the browser shows for one file.

    ``text`` always (the plain fallback), ``html`` a static rendering, ``payload`` what the
    live widget draws (JSON: ``table`` / ``text`` / ``image`` / ``message``), ``metadata`` the
    panel's rows.
    """

    path: str
    kind: Kind
    size: int | None
    text: str
    html: str
    payload: dict[str, Any] = field(default_factory=dict)
    metadata: MetadataRows = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "icon": file_kind(self.path),
            "size_text": None if self.size is None else format_size(self.size),
            "metadata": [list(row) for row in self.metadata],
            **self.payload,
        }

    def to_html(self) -> str:
        header = f"<b>{escape(self.path)}</b>"
        if self.size is not None:
            header += f" <small>{format_size(self.size)}</small>"
        meta = "".join(
            f'<dt>{escape(label)}</dt><dd data-field="{name}">{escape(value or "—")}</dd>'
            for name, label, value in self.metadata
        )
        panel = f'<dl class="odl-meta">{meta}</dl>' if meta else ""
        return (
            f'<div class="opendal-preview" data-path="{escape(self.path, quote=True)}" '
            f'data-kind="{self.kind}">{header}{panel}{self.html}</div>'
        )


def _polars() -> Any:
    try:
        import polars
    except ImportError:
        raise ImportError(
            "previewing parquet/csv/ndjson needs polars: pip install 'opendal-lab[polars]'"
        ) from None
    return polars


def _cell(value: Any) -> Any:
    """A cell as JSON: numbers, booleans and None as they are, anything else as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _table_html(columns: list[str], dtypes: list[str], rows: list[list[Any]], note: str) -> str:
    head = "".join(
        f'<th title="{escape(t, quote=True)}">{escape(c)}</th>'
        for c, t in zip(columns, dtypes, strict=True)
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return (
        f'<p class="odl-note">{escape(note)}</p>'
        f'<table class="opendal-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _table(path: str, data: bytes, fmt: str, size: int) -> Preview:
    pl = _polars()
    buffer = io.BytesIO(data)
    if fmt == "parquet":
        frame = pl.read_parquet(buffer)
    elif fmt == "ndjson":
        frame = pl.read_ndjson(buffer)
    else:
        frame = pl.read_csv(buffer, separator="\t" if suffix(path) == ".tsv" else ",")
    head = frame.head(TABLE_ROWS)
    columns = [str(c) for c in head.columns]
    dtypes = [str(t) for t in head.dtypes]
    numeric = [bool(t.is_numeric()) for t in head.dtypes]
    rows = [[_cell(v) for v in row] for row in head.rows()]
    note = f"{frame.height} rows x {frame.width} columns"
    if frame.height > head.height:
        note += f", the first {head.height} shown"
    payload = {
        "table": {"columns": columns, "dtypes": dtypes, "numeric": numeric, "rows": rows},
        "note": note,
    }
    text = f"{note}\n{head}"
    return Preview(path, "table", size, text, _table_html(columns, dtypes, rows, note), payload)


def _text(path: str, data: bytes, size: int) -> Preview | None:
    head = data[:TEXT_BYTES]
    if b"\0" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a character cut at the end
            return None
        text = head[: err.start].decode("utf-8")
    note = None
    if size > len(head):
        note = f"the first {format_size(len(head))} of {format_size(size)}"
        text += f"\n… ({format_size(size - len(head))} more)"
    html = f'<pre class="odl-text">{escape(text)}</pre>'
    return Preview(path, "text", size, text, html, {"text": text, "note": note})


def _image(path: str, data: bytes, mime: str, size: int) -> Preview:
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    text = f"{mime} image, {format_size(size)}"
    html = f'<img class="odl-image" alt="{escape(path, quote=True)}" src="{url}">'
    return Preview(path, "image", size, text, html, {"image": url, "mime": mime})


def _note(path: str, kind: Kind, size: int | None, message: str) -> Preview:
    html = f'<p class="odl-note"><i>{escape(message)}</i></p>'
    return Preview(path, kind, size, message, html, {"message": message})


def _preview(op: Operator, path: str, meta: Metadata, max_bytes: int) -> Preview:
    size = meta.content_length or 0
    ext = suffix(path)
    fmt = _TABLES.get(ext)
    if fmt is not None:
        if size > max_bytes:
            return _note(path, "too-large", size, f"{fmt} file larger than the preview limit")
        return _table(path, op.read(path), fmt, size)
    mime = _IMAGES.get(ext)
    if mime is not None:
        if size > min(max_bytes, IMAGE_BYTES):
            limit = format_size(min(max_bytes, IMAGE_BYTES))
            return _note(path, "too-large", size, f"image larger than {limit}: not previewed")
        return _image(path, op.read(path), mime, size)
    data = op.read(path, offset=0, size=min(size, TEXT_BYTES)) if size else b""
    preview = _text(path, data, size)
    if preview is not None:
        return preview
    if file_kind(path) in ("text", "json") or not ext:
        return _note(path, "binary", size, "not UTF-8 text")
    return _note(path, "binary", size, "binary file: no preview")


def preview_file(op: Operator, path: str, max_bytes: int = MAX_PREVIEW_BYTES) -> Preview:
    """A preview of file ``path`` on ``op``; errors become a preview saying what failed."""
    try:
        meta = op.stat(path)
        rows = tuple(metadata_rows(meta))
    except Exception as err:
        return _note(path, "error", None, f"{type(err).__name__}: {err}")
    try:
        preview = _preview(op, path, meta, max_bytes)
    except Exception as err:  # a preview must not break the browser: show what went wrong
        preview = _note(path, "error", meta.content_length, f"{type(err).__name__}: {err}")
    return replace(preview, metadata=rows)
