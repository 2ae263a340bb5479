"""What storage hands back: entry modes, object metadata and list entries."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from opendal_lab.core.path import basename

__all__ = ["Entry", "EntryMode", "Metadata", "PresignedRequest"]


class EntryMode(str, enum.Enum):
    FILE = "file"
    DIR = "dir"
    UNKNOWN = "unknown"

    def is_dir(self) -> bool:
        """Whether this is ``DIR`` (a method, as on the opendal binding's ``EntryMode``)."""
        return self is EntryMode.DIR

    def is_file(self) -> bool:
        """Whether this is ``FILE`` (a method, as on the opendal binding's ``EntryMode``)."""
        return self is EntryMode.FILE


class Metadata(NamedTuple):
    """Metadata of one object or directory; frozen, so one instance can be shared.

    ``None`` means the service did not say; ``content_length`` of a directory is ``None``.
    For a changed copy, ``meta.replace(content_type=...)``. A named tuple rather than a
    frozen dataclass: services build one per stat, write and listed entry, and a frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field) costs four times as much.
    """

    mode: EntryMode
    content_length: int | None = None
    last_modified: datetime | None = None
    etag: str | None = None
    content_type: str | None = None
    content_disposition: str | None = None
    content_encoding: str | None = None
    cache_control: str | None = None
    content_md5: str | None = None
    version: str | None = None
    user_metadata: dict[str, str] | None = None
    is_current: bool | None = None
    is_deleted: bool = False

    @property
    def is_file(self) -> bool:
        return self.mode is EntryMode.FILE

    @property
    def is_dir(self) -> bool:
        return self.mode is EntryMode.DIR

    def replace(self, **changes: Any) -> Metadata:
        """A copy with ``changes`` applied (the fields keep their names)."""
        return self._replace(**changes)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(
            f"cannot assign to field {name!r}: Metadata is frozen"
        )


# The metadata of a directory nothing more is known of; frozen, so every service hands out
# this one instance.
DIR_METADATA = Metadata(EntryMode.DIR)

_new_tuple = tuple.__new__
_FILE = EntryMode.FILE


def file_metadata(
    content_length: int, last_modified: datetime | None, etag: str | None
) -> Metadata:
    """A file's ``Metadata`` with just these three known, what a plain write returns.

    Built as a literal tuple (the other fields spelled out unset): the keyword constructor
    is a Python call with thirteen parameters and cost a fifth of a memory write.
    """
    fields = (_FILE, content_length, last_modified, etag)
    return _new_tuple(Metadata, (*fields, None, None, None, None, None, None, None, None, False))


@dataclass(slots=True)
class Entry:
    """One listed path and what the listing knew of it."""

    path: str
    metadata: Metadata

    @property
    def name(self) -> str:
        """The last path segment, with its trailing ``/`` for a directory (``/`` for the root)."""
        return basename(self.path)

    @property
    def is_dir(self) -> bool:
        return self.metadata.mode is EntryMode.DIR

    @property
    def is_file(self) -> bool:
        return self.metadata.mode is EntryMode.FILE


@dataclass(frozen=True, slots=True)
class PresignedRequest:
    """A request anyone can send before ``expires_at`` to perform one operation."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
