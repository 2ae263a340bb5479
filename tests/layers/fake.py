"""A fake service for testing layers in isolation: it records every call and keeps a dict.

``FakeService(native=Capability(...))`` declares whatever native capability a test needs.
It behaves like a small object store (sorted keys, directories as key prefixes or ``d/``
marker objects) and, like a sloppy backend, silently ignores an option its native
capability lacks, so a test sees what a layer forwarded and what would go wrong without
the layer. Every call lands in ``fake.calls`` as a ``Call(operation, path, options)``.

Knobs for failure tests:

- ``fail[op] = exc``: raise ``exc`` when ``op`` is called (``stat``, ``read``, ``write``,
  ``writer``, ``list``, ``delete``, ``delete_many``, ``create_dir``, ``copy``, ``rename``),
  ``list.next`` (after the first listed entry), ``writer.write``, ``writer.close``.
- ``short_read = n``: reads return ``n`` bytes fewer than they should.
- ``short_store = n``: writes store (and report) ``n`` bytes fewer than given.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from opendal_lab import AccessInfo, Capability, Entry, EntryMode, Metadata, NotFound, Service
from opendal_lab.core.access import Failures
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)

__all__ = ["BASIC", "Call", "FakeService", "FakeWriter"]

#: A plain object store: no recursive list, no create_dir, no suffix, no recursive delete.
BASIC = Capability(
    stat=True,
    read=True,
    write=True,
    write_can_empty=True,
    write_can_multi=True,
    delete=True,
    list=True,
    copy=True,
    rename=True,
)

DIR = Metadata(EntryMode.DIR)


@dataclass
class Call:
    """One call the fake received; ``options`` is the options object (or the data size)."""

    operation: str
    path: str
    options: Any = None
    target: str | None = None


@dataclass(eq=False)
class FakeService(Service):
    """A recording, dict-backed service with a configurable native capability."""

    scheme: ClassVar[str] = "fake"

    native_cap: Capability = BASIC
    data: dict[str, bytes] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    fail: dict[str, BaseException] = field(default_factory=dict)
    short_read: int = 0
    short_store: int = 0

    def __post_init__(self) -> None:
        self._access_info = AccessInfo(self.scheme, "/", "fake", self.native_cap, self.native_cap)

    # -- helpers for tests ------------------------------------------------------------
    def ops(self) -> list[str]:
        """The operation names received, in order."""
        return [c.operation for c in self.calls]

    def calls_of(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    def reset(self) -> None:
        self.calls.clear()

    def _enter(
        self, operation: str, path: str, options: Any = None, target: str | None = None
    ) -> None:
        self.calls.append(Call(operation, path, options, target))
        if operation in self.fail:
            raise self.fail[operation]

    # -- Access ----------------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        self._enter("stat", path, opts)
        if path == "/":
            return DIR
        if path not in self.data:
            raise NotFound("no such key", service=self.scheme, path=path)
        if path.endswith("/"):
            return DIR
        return Metadata(EntryMode.FILE, content_length=len(self.data[path]))

    def read(self, path: str, opts: ReadOptions) -> bytes:
        self._enter("read", path, opts)
        if path not in self.data:
            raise NotFound("no such key", service=self.scheme, path=path)
        data = self.data[path]
        if opts.suffix is not None and self.native_cap.read_with_suffix:
            data = data[max(0, len(data) - opts.suffix) :]
        else:
            end = None if opts.size is None else opts.offset + opts.size
            data = data[opts.offset : end]
        return data[: max(0, len(data) - self.short_read)]

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        self._enter("write", path, opts)
        return self._store(path, data, opts)

    def _store(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if opts.append and self.native_cap.write_can_append:
            data = self.data.get(path, b"") + data
        stored = data[: max(0, len(data) - self.short_store)]
        self.data[path] = stored
        return Metadata(EntryMode.FILE, content_length=len(stored))

    def writer(self, path: str, opts: WriteOptions) -> FakeWriter:
        self._enter("writer", path, opts)
        return FakeWriter(self, path, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        self._enter("list", path, opts)
        return self._listing(path, opts)

    def _listing(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        cap = self.native_cap
        recursive = opts.recursive and cap.list_with_recursive
        after = opts.start_after if cap.list_with_start_after else None
        if path.endswith("/"):
            dir_path, prefix = path, "" if path == "/" else path
        else:
            cut = path.rfind("/")
            dir_path, prefix = (path[: cut + 1] if cut >= 0 else "/"), path
        base = "" if dir_path == "/" else dir_path
        found: dict[str, Metadata] = {}
        if path.endswith("/") and (path == "/" or any(k.startswith(path) for k in self.data)):
            found[path] = DIR
        for key in sorted(self.data):
            if not key.startswith(prefix) or (key == path and path.endswith("/")):
                continue
            cut = -1 if recursive else key.find("/", len(base))
            if cut != -1 and cut != len(key) - 1:
                found.setdefault(key[: cut + 1], DIR)
            elif key.endswith("/"):
                found[key] = DIR
            else:
                found[key] = Metadata(EntryMode.FILE, content_length=len(self.data[key]))
        yielded = 0
        for entry_path, meta in sorted(found.items()):
            if after is not None and entry_path <= after:
                continue
            if yielded and "list.next" in self.fail:
                raise self.fail["list.next"]
            yielded += 1
            yield Entry(entry_path, meta)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._enter("delete", path, opts)
        self._delete(path, opts)

    def _delete(self, path: str, opts: DeleteOptions) -> None:
        self.data.pop(path, None)
        if opts.recursive and self.native_cap.delete_with_recursive:
            prefix = "" if path == "/" else path.rstrip("/") + "/"
            for key in [k for k in self.data if k.startswith(prefix)]:
                del self.data[key]

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        self._enter("delete_many", "", [p for p, _ in items])
        for path, opts in items:
            self._delete(path, opts)
        return []

    def create_dir(self, path: str) -> None:
        self._enter("create_dir", path)
        self.data[path] = b""

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._enter("copy", source, opts, target)
        if source not in self.data:
            raise NotFound("no such key", service=self.scheme, path=source)
        self.data[target] = self.data[source]

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._enter("rename", source, opts, target)
        if source not in self.data:
            raise NotFound("no such key", service=self.scheme, path=source)
        self.data[target] = self.data.pop(source)

    def __repr__(self) -> str:
        return f"FakeService({self.native_cap!r})"


class FakeWriter:
    """Gathers chunks; stores them at ``close`` (``short_store`` bytes fewer if set)."""

    def __init__(self, service: FakeService, path: str, opts: WriteOptions) -> None:
        self.service = service
        self.path = path
        self.opts = opts
        self.chunks: list[bytes] = []
        self.closed = 0
        self.aborted = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.service._enter("writer.write", self.path, len(data))
        self.chunks.append(bytes(data))

    def close(self) -> Metadata:
        self.closed += 1
        self.service._enter("writer.close", self.path)
        return self.service._store(self.path, b"".join(self.chunks), self.opts)

    def abort(self) -> None:
        self.aborted += 1
        self.service._enter("writer.abort", self.path)
        self.chunks.clear()
