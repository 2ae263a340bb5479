"""What storage hands back: entry modes, object metadata and list entries."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Entry", "EntryMode", "Metadata", "PresignedRequest"]


class EntryMode(str, enum.Enum):
    FILE = "file"
    DIR = "dir"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Metadata:
    """Metadata of one object or directory. Treat it as read-only.

    ``None`` means the service did not say; ``content_length`` of a directory is ``None``.
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


DIR_METADATA = Metadata(EntryMode.DIR)


@dataclass(slots=True)
class Entry:
    """One listed path and what the listing knew of it."""

    path: str
    metadata: Metadata

    @property
    def name(self) -> str:
        """The last path segment, with its trailing ``/`` for a directory."""
        trimmed = self.path[:-1] if self.path.endswith("/") else self.path
        name = trimmed.rsplit("/", 1)[-1]
        return name + "/" if self.path.endswith("/") and name else name or "/"

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
