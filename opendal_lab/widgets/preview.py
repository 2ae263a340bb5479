"""Previews of small files for the storage browser, without Jupyter.

Parquet and CSV are read by Polars (imported on first use; a missing Polars says which extra
installs it) and shown as the first rows; a text file shows its first few KiB; anything
else, or anything larger than ``max_bytes``, says what it is instead of downloading it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

from opendal_lab.core.operator import Operator
from opendal_lab.widgets.tables import format_size

__all__ = ["MAX_PREVIEW_BYTES", "Preview", "preview_file"]

MAX_PREVIEW_BYTES = 8 * 1024 * 1024  # tables: read whole, so keep them small
TEXT_BYTES = 4096  # text: only the head is read
TABLE_ROWS = 10

_TABLES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv"}
_TEXTS = frozenset(
    {".txt", ".md", ".rst", ".json", ".jsonl", ".ndjson", ".log", ".yaml", ".yml", ".toml"}
    | {".ini", ".cfg", ".py", ".sql", ".xml", ".html", ".js", ".sh", ".r", ".ipynb"}
)

Kind = Literal["table", "text", "binary", "too-large", "error"]


@dataclass(frozen=True)
class Preview:
    """What the browser shows for one file: ``text`` always, ``html`` richer where it can."""

    path: str
    kind: Kind
    size: int | None
    text: str
    html: str

    def to_html(self) -> str:
        header = f"<b>{escape(self.path)}</b>"
        if self.size is not None:
            header += f" <small>{format_size(self.size)}</small>"
        return (
            f'<div class="opendal-preview" data-path="{escape(self.path, quote=True)}" '
            f'data-kind="{self.kind}">{header}{self.html}</div>'
        )


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    return name[name.rfind(".") :] if "." in name else ""


def _polars() -> Any:
    try:
        import polars
    except ImportError:
        raise ImportError(
            "previewing parquet/csv needs polars: pip install 'opendal-lab[polars]'"
        ) from None
    return polars


def _table(path: str, data: bytes, fmt: str, size: int) -> Preview:
    pl = _polars()
    buffer = io.BytesIO(data)
    if fmt == "parquet":
        frame = pl.read_parquet(buffer)
    else:
        frame = pl.read_csv(buffer, separator="\t" if path.lower().endswith(".tsv") else ",")
    head = frame.head(TABLE_ROWS)
    note = f"{frame.height} rows x {frame.width} columns"
    return Preview(
        path, "table", size, f"{note}\n{head}", f"<div>{escape(note)}</div>{head._repr_html_()}"
    )


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
    if size > len(head):
        text += f"\n… ({format_size(size - len(head))} more)"
    return Preview(path, "text", size, text, f"<pre>{escape(text)}</pre>")


def preview_file(op: Operator, path: str, max_bytes: int = MAX_PREVIEW_BYTES) -> Preview:
    """A preview of file ``path`` on ``op``; errors become a preview saying what failed."""
    try:
        size = op.stat(path).content_length or 0
        fmt = _TABLES.get(_suffix(path))
        if fmt is not None:
            if size > max_bytes:
                return _note(path, "too-large", size, f"{fmt} file larger than the preview limit")
            return _table(path, op.read(path), fmt, size)
        looks_text = _suffix(path) in _TEXTS or not _suffix(path)
        data = op.read(path, offset=0, size=min(size, TEXT_BYTES)) if size else b""
        preview = _text(path, data, size)
        if preview is not None:
            return preview
        if looks_text:
            return _note(path, "binary", size, "not UTF-8 text")
        return _note(path, "binary", size, "binary file: no preview")
    except Exception as err:  # a preview must not break the browser: show what went wrong
        return _note(path, "error", None, f"{type(err).__name__}: {err}")


def _note(path: str, kind: Kind, size: int | None, message: str) -> Preview:
    return Preview(path, kind, size, message, f"<div><i>{escape(message)}</i></div>")
