"""fs metadata built from a ``stat_result``, its ``datetime`` and etag only when read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from opendal_lab.core.types import EntryMode, Metadata

__all__ = ["StatMetadata", "dir_metadata", "etag", "file_metadata"]


def etag(st: os.stat_result) -> str:
    # Inode, modification time and size: a write here replaces the inode (temp file + rename)
    # and an append moves size and mtime, so a changed file changes its etag.
    return f'"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"'


class StatMetadata(Metadata):
    """A ``Metadata`` whose ``last_modified`` and ``etag`` are derived from its stat when read.

    Most callers of stat and list want the mode and the length only; building a ``datetime``
    and an etag string for every one of them cost more than the syscall. The tuple keeps the
    ``stat_result`` in those two slots, and every way of reading the fields (attributes,
    indexing, iteration, ``==``, ``hash``, ``repr``, ``_asdict``, ``replace``, pickling)
    sees the derived values, so it is a ``Metadata`` like any other to its users. A copy
    (``replace``, pickling) is a plain ``Metadata``. The values are derived on each read,
    not kept: a ``__dict__`` to keep them in would cost every instance more than the rare
    second read saves.
    """

    __slots__ = ()

    @property
    def last_modified(self) -> datetime | None:
        raw: Any = tuple.__getitem__(self, 2)
        if isinstance(raw, os.stat_result):
            return datetime.fromtimestamp(raw.st_mtime, timezone.utc)
        return raw  # type: ignore[no-any-return]  # a copy built from derived values

    @property
    def etag(self) -> str | None:
        raw: Any = tuple.__getitem__(self, 3)
        return etag(raw) if isinstance(raw, os.stat_result) else raw

    def _values(self) -> tuple[Any, ...]:
        head = tuple.__getitem__(self, slice(0, 2))
        return (*head, self.last_modified, self.etag, *tuple.__getitem__(self, slice(4, None)))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values())

    def __getitem__(self, index: Any) -> Any:
        return self._values()[index]

    def __eq__(self, other: object) -> bool:
        return self._values() == (other._values() if isinstance(other, StatMetadata) else other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return repr(self.plain())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Metadata, self._values())

    def plain(self) -> Metadata:
        """The same fields in a plain ``Metadata``."""
        return Metadata._make(self._values())

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self._values(), strict=True))

    def _replace(self, **changes: Any) -> Metadata:  # type: ignore[override]
        return self.plain()._replace(**changes)

    def replace(self, **changes: Any) -> Metadata:
        return self.plain()._replace(**changes)


_new_tuple = tuple.__new__
_FILE, _DIR = EntryMode.FILE, EntryMode.DIR


# The fields after etag are spelled out (unset): a literal tuple is the cheapest to build.
def file_metadata(st: os.stat_result) -> Metadata:
    """A file's metadata: length now, last_modified and etag from ``st`` when read."""
    return _new_tuple(
        StatMetadata,
        (_FILE, st.st_size, st, st, None, None, None, None, None, None, None, None, False),
    )


def dir_metadata(st: os.stat_result) -> Metadata:
    """A directory's metadata: last_modified from ``st`` when read."""
    fields = (_DIR, None, st, None, None, None, None, None, None, None, None, None, False)
    return _new_tuple(StatMetadata, fields)
