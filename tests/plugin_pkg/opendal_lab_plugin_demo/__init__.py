"""A plugin package: a dict-backed service and a layer, found through entry points."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from opendal_lab import (
    BaseLayer,
    Capability,
    Entry,
    EntryMode,
    LayeredAccess,
    Metadata,
    NotFound,
    Service,
)


@dataclass
class DictConfig:
    bucket: str = "demo"


class DictService(Service):
    """Flat keys in a per-instance dict: stat, read, write, delete and a flat list."""

    scheme = "demo-kv"
    config_class = DictConfig
    native = Capability(
        stat=True,
        read=True,
        write=True,
        write_can_empty=True,
        delete=True,
        list=True,
        list_with_recursive=True,
    )

    def __init__(self, bucket: str = "demo") -> None:
        super().__init__(root="/", name=bucket)
        self.data: dict[str, bytes] = {}

    def stat(self, path, opts):  # type: ignore[no-untyped-def]
        if path in self.data:
            return Metadata(
                EntryMode.FILE,
                content_length=len(self.data[path]),
                last_modified=datetime.now(timezone.utc),
            )
        raise NotFound("no such key", path=path)

    def read(self, path, opts):  # type: ignore[no-untyped-def]
        if path not in self.data:
            raise NotFound("no such key", path=path)
        end = None if opts.size is None else opts.offset + opts.size
        return self.data[path][opts.offset : end]

    def write(self, path, data, opts):  # type: ignore[no-untyped-def]
        self.data[path] = data
        return Metadata(EntryMode.FILE, content_length=len(data))

    def delete(self, path, opts):  # type: ignore[no-untyped-def]
        self.data.pop(path, None)

    def list(self, path, opts) -> Iterator[Entry]:  # type: ignore[no-untyped-def]
        prefix = "" if path == "/" else path
        for key in sorted(self.data):
            if key.startswith(prefix):
                yield Entry(key, Metadata(EntryMode.FILE, content_length=len(self.data[key])))


class _UpperPathAccess(LayeredAccess):
    def read(self, path, opts):  # type: ignore[no-untyped-def]
        return self.inner.read(path, opts).upper()


class UpperPathLayer(BaseLayer):
    """Upper-cases everything read (a visible, testable effect)."""

    access_class = _UpperPathAccess
