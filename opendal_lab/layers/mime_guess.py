"""MimeGuessLayer: a content type from the file name where nobody gave one.

Writes without ``content_type`` get the type ``mimetypes`` guesses from the path's
extension, when the stack below can store one (``write_with_content_type``); on other
services the write is left as it was rather than refused. Metadata from ``stat`` and from
listings that carries no content type is given the guess too, so ``a.csv`` reads as
``text/csv`` on every service. A type the caller or the service gave always wins; a path
with no known extension stays untyped::

    op = Operator("s3", bucket="b").layer(MimeGuessLayer())
    op.write("report.parquet", data)      # stored with content_type=application/vnd.apache.parquet
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections.abc import Iterator, Mapping
from typing import Annotated

from opendal_lab.core.access import BaseLayer, LayeredAccess, Writer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.options import ListOptions, StatOptions, WriteOptions
from opendal_lab.core.types import Entry, Metadata

__all__ = ["MimeGuessLayer", "guess_type"]

# Types data people store that the stdlib table lacks (or only knows on some platforms).
_EXTRA: dict[str, str] = {
    ".parquet": "application/vnd.apache.parquet",
    ".arrow": "application/vnd.apache.arrow.file",
    ".feather": "application/vnd.apache.arrow.file",
    ".avro": "application/avro",
    ".orc": "application/x-orc",
    ".ndjson": "application/x-ndjson",
    ".jsonl": "application/jsonl",
    ".ipynb": "application/x-ipynb+json",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
}


def guess_type(path: str, extra: Mapping[str, str] = _EXTRA) -> str | None:
    """The content type of ``path`` by its extension, or ``None``."""
    name = path.rsplit("/", 1)[-1].lower()
    dot = name.rfind(".")
    if dot <= 0:
        return None
    known = extra.get(name[dot:])
    return known if known is not None else mimetypes.guess_type(name, strict=False)[0]


class _MimeGuessAccess(LayeredAccess):
    layer: MimeGuessLayer

    def _typed(self, path: str, opts: WriteOptions) -> WriteOptions:
        if (
            opts.content_type is not None
            or not self._access_info.capability.write_with_content_type
        ):
            return opts
        guessed = guess_type(path, self.layer.types)
        return opts if guessed is None else dataclasses.replace(opts, content_type=guessed)

    def _fill(self, path: str, meta: Metadata) -> Metadata:
        if meta.content_type is not None or not meta.is_file:
            return meta
        guessed = guess_type(path, self.layer.types)
        return meta if guessed is None else meta.replace(content_type=guessed)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._fill(path, self.inner.write(path, data, self._typed(path, opts)))

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return self.inner.writer(path, self._typed(path, opts))

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._fill(path, self.inner.stat(path, opts))

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        for entry in self.inner.list(path, opts):
            meta = self._fill(entry.path, entry.metadata)
            yield entry if meta is entry.metadata else Entry(entry.path, meta)


class MimeGuessLayer(BaseLayer):
    """Fills in content types from file extensions (``types`` adds or replaces guesses)."""

    access_class = _MimeGuessAccess

    @checked("MimeGuessLayer", quoted=False)
    def __init__(
        self,
        types: Annotated[Mapping[str, str] | None, Check(expected="a mapping of '.ext' → type")] = (
            None
        ),
    ) -> None:
        for ext in types or {}:
            if not isinstance(ext, str) or not ext.startswith("."):
                raise ConfigInvalid(f"MimeGuessLayer: extension {ext!r} must start with '.'")
        self.types: dict[str, str] = {**_EXTRA, **{k.lower(): v for k, v in (types or {}).items()}}
