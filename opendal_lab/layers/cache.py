"""CacheLayer: keeps recent reads in a bounded amount of memory.

::

    op = Operator("s3", bucket="lake").layer(CacheLayer(max_bytes=256 * 2**20))
    op.read("dim/country.parquet")      # from s3
    op.read("dim/country.parquet")      # from memory
    op.read("dim/country.parquet", offset=100, size=50)   # sliced from the cached whole

Entries are keyed by path, version and range; a ranged read is also served from a cached
whole object. The least recently used entries go first once ``max_bytes`` is reached;
an object larger than ``max_item_bytes`` is never kept. Reads with conditions
(``if_match``, ``if_modified_since``…) or response overrides always go below.

Writes, deletes, copies and renames **through this operator** drop what they touch (a
recursive delete, everything below). Changes made by anyone else are not seen: the layer
is for data that does not change under you (reference tables, past partitions), or for
one writer. ``stats`` counts hits, misses and evictions.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from opendal_lab.core.access import Access, BaseLayer, Failures, LayeredAccess, Writer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ReadOptions,
    RenameOptions,
    WriteOptions,
)
from opendal_lab.core.types import Metadata

__all__ = ["CacheLayer", "CacheStats"]

# (path, version, offset, size); size None = to the end
_Key = tuple[str, "str | None", int, "int | None"]


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    bytes: int = 0
    entries: int = 0


def _cacheable(opts: ReadOptions) -> bool:
    # Only the range and version may be set: anything else may change the answer per call.
    return (
        opts.suffix is None
        and opts.if_match is None
        and opts.if_none_match is None
        and opts.if_modified_since is None
        and opts.if_unmodified_since is None
        and opts.override_content_type is None
        and opts.override_cache_control is None
        and opts.override_content_disposition is None
    )


class _CacheAccess(LayeredAccess):
    layer: CacheLayer

    def read(self, path: str, opts: ReadOptions) -> bytes:
        layer = self.layer
        if not _cacheable(opts):
            return self.inner.read(path, opts)
        key: _Key = (path, opts.version, opts.offset, opts.size)
        data = layer._get(key)
        if data is not None:
            return data
        generation = layer._generation(path)
        data = self.inner.read(path, opts)
        layer._put(key, data, generation)
        return data

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        try:
            return self.inner.write(path, data, opts)
        finally:
            self.layer.invalidate(path)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _InvalidatingWriter(self.inner.writer(path, opts), self.layer, path)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        try:
            self.inner.delete(path, opts)
        finally:
            self.layer.invalidate(path, below=opts.recursive or path.endswith("/"))

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        try:
            return self.inner.delete_many(items)
        finally:
            for path, opts in items:
                self.layer.invalidate(path, below=opts.recursive or path.endswith("/"))

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        try:
            self.inner.copy(source, target, opts)
        finally:
            self.layer.invalidate(target)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        try:
            self.inner.rename(source, target, opts)
        finally:
            self.layer.invalidate(source)
            self.layer.invalidate(target)


class _InvalidatingWriter:
    __slots__ = ("_inner", "_layer", "_path")

    def __init__(self, inner: Writer, layer: CacheLayer, path: str) -> None:
        self._inner = inner
        self._layer = layer
        self._path = path

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._inner.write(data)

    def close(self) -> Metadata:
        try:
            return self._inner.close()
        finally:
            self._layer.invalidate(self._path)

    def abort(self) -> None:
        self._inner.abort()


class CacheLayer(BaseLayer):
    """A bounded LRU of read results, dropped by writes through the same operator."""

    access_class = _CacheAccess

    @checked("CacheLayer", quoted=False, articles=False)
    def __init__(
        self,
        max_bytes: Annotated[int, Check(gt=0)] = 64 * 2**20,
        *,
        max_item_bytes: Annotated[int | None, Check(gt=0)] = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_item_bytes = max_bytes // 4 if max_item_bytes is None else max_item_bytes
        self._setup()

    def _setup(self) -> None:
        self._lru: OrderedDict[_Key, bytes] = OrderedDict()
        self._by_path: dict[str, set[_Key]] = {}
        # Bumped on every invalidation of a path: a read that started before a write
        # finished must not store what it read.
        self._generations: dict[str, int] = {}
        self._epoch = 0  # bumped by invalidations of whole prefixes
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def wrap(self, inner: Access) -> Access:
        return _CacheAccess(inner, self)

    # -- the store -----------------------------------------------------------------------
    def _get(self, key: _Key) -> bytes | None:
        path, version, offset, size = key
        with self._lock:
            data = self._lru.get(key)
            if data is None:
                whole = self._lru.get((path, version, 0, None))
                if whole is not None and (size is None or offset + size <= len(whole)):
                    self._lru.move_to_end((path, version, 0, None))
                    data = whole[offset:] if size is None else whole[offset : offset + size]
            else:
                self._lru.move_to_end(key)
            if data is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
            return data

    def _generation(self, path: str) -> tuple[int, int]:
        with self._lock:
            return self._epoch, self._generations.get(path, 0)

    def _put(self, key: _Key, data: bytes, generation: tuple[int, int]) -> None:
        if len(data) > self.max_item_bytes:
            return
        path = key[0]
        with self._lock:
            if (self._epoch, self._generations.get(path, 0)) != generation or key in self._lru:
                return
            self._lru[key] = data
            self._by_path.setdefault(path, set()).add(key)
            self.stats.bytes += len(data)
            while self.stats.bytes > self.max_bytes:
                old, evicted = self._lru.popitem(last=False)
                self._forget(old, evicted)
                self.stats.evictions += 1
            self.stats.entries = len(self._lru)

    def _forget(self, key: _Key, data: bytes) -> None:
        self.stats.bytes -= len(data)
        keys = self._by_path.get(key[0])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_path[key[0]]

    def invalidate(self, path: str | None = None, *, below: bool = False) -> None:
        """Drop ``path`` (``below``: and everything under it as a prefix); ``None``: all."""
        with self._lock:
            if path is None:
                self._lru.clear()
                self._by_path.clear()
                self.stats.bytes = self.stats.entries = 0
                self._epoch += 1
                return
            prefix = path if path.endswith("/") or path == "/" else path + "/"
            paths = [p for p in self._by_path if p == path or (below and p.startswith(prefix))]
            if below and path in ("/", ""):
                paths = list(self._by_path)
            for p in paths:
                for key in list(self._by_path.get(p, ())):
                    self._forget(key, self._lru.pop(key))
            if below:
                self._epoch += 1
            else:
                self._generations[path] = self._generations.get(path, 0) + 1
            self.stats.entries = len(self._lru)

    def __getstate__(self) -> dict[str, Any]:
        return {"max_bytes": self.max_bytes, "max_item_bytes": self.max_item_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def __repr__(self) -> str:
        return f"CacheLayer(max_bytes={self.max_bytes})"
