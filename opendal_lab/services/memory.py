"""memory: objects in a process-wide store, named so every operator built with the same
``name`` (in this thread, another thread, or after pickling) sees the same data.

It does not declare ``shared`` ("other processes and machines ... see the same files"), as
upstream OpenDAL's memory service does not: the store lives in this process, so an operator
rebuilt in another one (a worker process, a Dask or Spark executor) finds its own empty store.

The store behaves like an object store: keys are sorted, directories exist implicitly
as prefixes of keys (or as empty ``d/`` objects), listing is a prefix scan and so is
natively recursive, ordered, and able to start after a key. It has no native
``create_dir`` (SimulateLayer writes ``d/`` markers) and no suffix reads or recursive
delete (SimulateLayer builds them from stat, read, list and delete).

Config: ``name`` (store name, default ``"default"``), ``root`` (a prefix inside the store).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from opendal_lab.core.access import Service
from opendal_lab.core.capability import Capability
from opendal_lab.core.config import Check, build_config, configured
from opendal_lab.core.errors import ConditionNotMatch, NotFound, RangeNotSatisfied
from opendal_lab.core.options import (
    DEFAULT_STAT,
    DEFAULT_WRITE,
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.path import ROOT
from opendal_lab.core.prefix_scan import list_keys
from opendal_lab.core.registry import Registry, refuse_subscheme
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata, file_metadata

__all__ = ["SCHEME", "MemoryConfig", "MemoryService", "MemoryStore", "clear_stores", "register"]

SCHEME = "memory"
_PAGE = 1000  # keys copied per lock hold while listing
Plain = tuple[int, datetime, str]  # a plain file's length, last_modified, etag


@dataclass
class MemoryConfig:
    """The memory service's config: its one declaration (``MemoryService``'s signature, the
    keys ``Operator("memory", ...)`` and ``memory://`` URIs take, and their checks)."""

    name: Annotated[str, Check(doc="the store: operators with the same name share it")] = "default"
    root: Annotated[str, Check(doc="a prefix inside the store")] = "/"


class MemoryStore:
    """Keys and their (data, metadata), guarded by one lock, listed in sorted order.

    A write must stay flat at a million keys, so a new key costs a set insert: it waits in
    ``pending`` and joins the sorted keys (a ``SortedList``, O(log n) a key) when something
    lists. A listing after n writes sorts those n once, instead of paying at every write.

    Nothing kept per key may be an object the garbage collector walks: at a million keys its
    full passes would cost more than the writes (1.3 µs a key measured). So bytes and
    metadata sit in two dicts, not one of pairs, and a plain file's metadata is kept as
    ``(length, last_modified, etag)``, a tuple of atoms the collector stops tracking, and
    made a ``Metadata`` when first asked for (``metadata``). Writers hold the lock; a reader
    that needs bytes and metadata of one version (a conditional read) takes it too.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.data: dict[str, bytes] = {}
        self.meta: dict[str, Metadata | Plain] = {}
        self.keys: SortedList = SortedList()
        self.pending: set[str] = set()  # keys in data, not yet in keys

    def metadata(self, key: str) -> Metadata | None:
        """The key's metadata, a plain file's made whole (once: it replaces the tuple)."""
        meta = self.meta.get(key)
        if meta is None or type(meta) is not tuple:
            return meta  # type: ignore[return-value]  # Metadata: a tuple subclass
        whole = file_metadata(*meta)
        with self.lock:
            if self.meta.get(key) is meta:  # unless a write came in between
                self.meta[key] = whole
        return whole

    def put(self, key: str, data: bytes, meta: Metadata | Plain) -> None:
        if key not in self.meta:
            self.pending.add(key)
        self.data[key] = data
        self.meta[key] = meta

    def pop(self, key: str) -> None:
        if self.meta.pop(key, None) is not None:
            del self.data[key]
            if key in self.pending:
                self.pending.discard(key)
            else:
                self.keys.remove(key)

    def keys_from(self, start: str) -> Iterator[str]:
        """The keys ``>= start`` in order, copied ``_PAGE`` at a time under the lock."""
        while True:
            with self.lock:
                if self.pending:
                    self.keys.update(self.pending)
                    self.pending.clear()
                i = self.keys.bisect_left(start)
                page = list(self.keys.islice(i, i + _PAGE))
            yield from page
            if len(page) < _PAGE:
                return
            start = page[-1] + "\0"


_STORES: dict[str, MemoryStore] = {}
_STORES_LOCK = threading.Lock()


def _store(name: str) -> MemoryStore:
    with _STORES_LOCK:
        return _STORES.setdefault(name, MemoryStore())


def clear_stores() -> None:
    """Forget every named store (tests use it to start clean)."""
    with _STORES_LOCK:
        _STORES.clear()


@configured()
class MemoryService(Service):
    scheme = SCHEME
    config_class = MemoryConfig
    native = Capability(
        stat=True,
        read=True,
        write=True,
        write_can_empty=True,
        write_can_multi=True,
        write_can_append=True,
        write_with_if_not_exists=True,
        write_with_if_match=True,
        write_with_if_none_match=True,
        write_with_content_type=True,
        write_with_content_disposition=True,
        write_with_content_encoding=True,
        write_with_cache_control=True,
        write_with_user_metadata=True,
        stat_with_if_match=True,
        stat_with_if_none_match=True,
        read_with_if_match=True,
        read_with_if_none_match=True,
        delete=True,
        copy=True,
        copy_with_if_not_exists=True,
        rename=True,
        rename_with_if_not_exists=True,
        list=True,
        list_with_recursive=True,
        list_with_start_after=True,
        list_with_limit=True,
        # not shared: one store per process (module docstring)
    )

    def __init__(self, *args: Any, **values: Any) -> None:
        """``MemoryService(name="x", root="/a")`` or ``MemoryService(MemoryConfig(...))``:
        the fields of ``MemoryConfig``, checked (the signature shown is theirs)."""
        config: MemoryConfig = build_config(MemoryConfig, args, values, SCHEME)
        root = "/" + config.root.strip("/") + "/" if config.root.strip("/") else "/"
        super().__init__(root=root, name=config.name)
        self._store = _store(config.name)
        # stat and plain reads look keys up without the lock
        self._data, self._meta = self._store.data, self._store.meta
        # Keys are stored under the root prefix so several roots share one store.
        self._prefix = root.lstrip("/")

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        """``memory://`` is the default store; ``memory://NAME/PREFIX`` a named one."""
        refuse_subscheme(SCHEME, subscheme)
        return {"name": host or "default", "root": path or "/"}

    def __reduce__(self) -> tuple[object, ...]:
        # The store is process-wide by name: rebuilding by name finds the same data.
        return (MemoryService, (MemoryConfig(self._access_info.name, self._access_info.root),))

    def _key(self, path: str) -> str:
        return self._prefix if path == ROOT else self._prefix + path

    # -- stat & read ---------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        meta = self._meta.get(self._prefix + path)
        if type(meta) is not Metadata:  # missing, or a plain file's tuple met the first time
            meta = self._store.metadata(self._prefix + path)
            if meta is None:
                if path == ROOT:  # the root's key is the prefix itself (maybe a `d/` marker)
                    return self._store.metadata(self._prefix) or DIR_METADATA
                raise NotFound("object not found", service=SCHEME, path=path)
        if opts is not DEFAULT_STAT:
            _check_etag(meta, opts.if_match, opts.if_none_match, path)
        return meta

    def read(self, path: str, opts: ReadOptions) -> bytes:
        key = self._prefix + path
        if opts.if_match is None and opts.if_none_match is None:
            data = self._data.get(key)
        else:
            with self._store.lock:  # the bytes of the version whose etag is checked
                data, meta = self._data.get(key), self._store.metadata(key)
                if meta is not None:
                    _check_etag(meta, opts.if_match, opts.if_none_match, path)
        if data is None:
            raise NotFound("object not found", service=SCHEME, path=path)
        offset, size = opts.offset, opts.size
        if offset == 0 and size is None:
            return data
        if offset >= len(data) and (offset or size):
            raise RangeNotSatisfied(
                f"offset {offset} is past the end ({len(data)} bytes)",
                service=SCHEME,
                path=path,
            )
        return data[offset : None if size is None else offset + size]

    # -- write -------------------------------------------------------------------
    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        key = self._prefix + path
        store = self._store
        with store.lock:
            if opts is DEFAULT_WRITE and path[-1] != "/":  # most writes: a file, no options
                plain = (len(data), _now(_UTC), _etag())
                store.put(key, bytes(data), plain)
                return file_metadata(*plain)
            old = store.metadata(key)
            if old is not None:
                if opts.if_not_exists:
                    raise ConditionNotMatch("object already exists", service=SCHEME, path=path)
                if opts.if_none_match is not None and opts.if_none_match in ("*", old.etag):
                    raise ConditionNotMatch("etag matches if_none_match", service=SCHEME, path=path)
                if opts.append:
                    data = store.data[key] + data
            if opts.if_match is not None and (old is None or old.etag != opts.if_match):
                raise ConditionNotMatch("etag does not match if_match", service=SCHEME, path=path)
            meta = _metadata(path, data, opts)
            store.put(key, bytes(data), meta)
        return meta

    # -- list ----------------------------------------------------------------------
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        """A prefix scan of the sorted keys, one locked page at a time."""
        return list_keys(
            self._store.keys_from,
            self._store.metadata,
            path,
            opts.recursive,
            opts.start_after,
            self._prefix,
        )

    # -- delete, copy, rename -----------------------------------------------------
    def delete(self, path: str, opts: DeleteOptions) -> None:
        with self._store.lock:
            self._store.pop(self._key(path))

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._transfer(source, target, opts.if_not_exists, keep_source=True)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._transfer(source, target, opts.if_not_exists, keep_source=False)

    def _transfer(self, source: str, target: str, if_not_exists: bool, keep_source: bool) -> None:
        store = self._store
        with store.lock:
            meta = store.metadata(self._key(source))
            if meta is None:
                raise NotFound("source not found", service=SCHEME, path=source)
            if if_not_exists and self._key(target) in store.meta:
                raise ConditionNotMatch("target already exists", service=SCHEME, path=target)
            store.put(self._key(target), store.data[self._key(source)], _copied(meta))
            if not keep_source:
                store.pop(self._key(source))

    def __repr__(self) -> str:
        return f"MemoryService(name={self._access_info.name!r}, root={self._access_info.root!r})"


# Every write gets a new etag. A counter, not a digest: hashing each write would cost more
# than the write (md5 of 1 MiB ~1.5 ms) and nothing here needs content addressing.
_ETAGS = itertools.count(1)
_FILE, _DIR, _UTC, _now = EntryMode.FILE, EntryMode.DIR, timezone.utc, datetime.now


def _etag() -> str:
    return f'"{next(_ETAGS):x}"'


def _metadata(path: str, data: bytes, opts: WriteOptions) -> Metadata:
    is_dir = path.endswith("/")  # a `d/` marker written by simulated create_dir
    return Metadata(
        _DIR if is_dir else _FILE,
        content_length=None if is_dir else len(data),  # a directory has no length
        last_modified=_now(_UTC),
        etag=_etag(),
        content_type=opts.content_type,
        content_disposition=opts.content_disposition,
        content_encoding=opts.content_encoding,
        cache_control=opts.cache_control,
        user_metadata=dict(opts.user_metadata) if opts.user_metadata else None,
    )


def _copied(meta: Metadata) -> Metadata:
    return meta.replace(
        last_modified=datetime.now(timezone.utc),
        user_metadata=dict(meta.user_metadata) if meta.user_metadata else None,
    )


def _check_etag(meta: Metadata, if_match: str | None, if_none_match: str | None, path: str) -> None:
    if if_match is not None and if_match not in ("*", meta.etag):
        raise ConditionNotMatch("etag does not match if_match", service=SCHEME, path=path)
    if if_none_match is not None and if_none_match in ("*", meta.etag):
        raise ConditionNotMatch("etag matches if_none_match", service=SCHEME, path=path)


def register(registry: Registry) -> None:
    """Make the scheme known (the entry point ``opendal_lab.services`` calls this)."""
    registry.add_service(SCHEME, MemoryService)
