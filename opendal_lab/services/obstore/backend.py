"""ObstoreService: each operation on an obstore store (see the package docstring for what
is native and what is normalized)."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import IO, Any
from urllib.parse import urlsplit

from opendal_lab.core.access import AccessInfo, Failures, PresignOperation, Service
from opendal_lab.core.config import build_config, configured
from opendal_lab.core.errors import (
    ConfigInvalid,
    Error,
    IsADirectory,
    NotFound,
    RangeNotSatisfied,
)
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.path import ROOT
from opendal_lab.core.registry import NATIVE_PREFIX
from opendal_lab.core.spool import SpoolWriter
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata, PresignedRequest
from opendal_lab.services.obstore.config import ObstoreConfig, build_store, store_url
from opendal_lab.services.obstore.core import SCHEME, capability_for, map_error

__all__ = ["ObstoreService"]

_PRESIGN = {"read": "GET", "stat": "HEAD", "write": "PUT", "delete": "DELETE"}
# obstore attribute names of the write options (anything else is user metadata).
_ATTRIBUTES = {
    "content_type": "Content-Type",
    "content_disposition": "Content-Disposition",
    "content_encoding": "Content-Encoding",
    "cache_control": "Cache-Control",
}
_STANDARD = {*_ATTRIBUTES.values(), "Content-Language", "Storage-Class"}
# Kinds whose listings come back in key order (a local store lists in directory order).
_SORTED_KINDS = ("s3", "gcs", "azure", "memory")


@configured()
class ObstoreService(Service):
    scheme = SCHEME
    config_class = ObstoreConfig
    native = capability_for("s3")  # each instance replaces it with its store's

    def __init__(self, *args: Any, **values: Any) -> None:
        """The fields of ``ObstoreConfig`` (or one ``ObstoreConfig``), checked; the
        signature shown is theirs."""
        import obstore

        cfg: ObstoreConfig = build_config(ObstoreConfig, args, values, SCHEME)
        self._cfg = cfg
        self._store, self._kind = build_store(cfg)
        self._obs: Any = obstore  # its stubs want TypedDicts; options are built as dicts
        cap = capability_for(self._kind)
        self._cap = cap
        below = urlsplit(store_url(cfg)).path.strip("/")
        root = "/" + below + "/" if below else "/"
        name = urlsplit(cfg.url).netloc
        super().__init__(root=root, name=name)
        self._access_info = AccessInfo(SCHEME, root, name, cap, cap)
        self._sorted = self._kind in _SORTED_KINDS

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        """``obstore+SCHEME://host/path``: obstore's store for ``SCHEME://host/path``."""
        if not subscheme:
            raise ConfigInvalid(
                "the obstore bridge needs a store scheme: 'obstore+s3://bucket/prefix', "
                "'obstore+az://container/prefix', 'obstore+gs://bucket/prefix', "
                "'obstore+file:///abs/dir', 'obstore+memory:///' "
                f"('{NATIVE_PREFIX}+<scheme>://' is opendal_lab's own service <scheme>)",
                service=SCHEME,
            )
        return {"url": f"{subscheme}://{host}{path}"}

    @property
    def store(self) -> Any:
        """The obstore store underneath."""
        return self._store

    @property
    def kind(self) -> str:
        """``s3``, ``gcs``, ``azure``, ``http``, ``local`` or ``memory``."""
        return self._kind

    def __repr__(self) -> str:
        return f"ObstoreService(url={self._cfg.url!r}, root={self._access_info.root!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A store built from the same config: the same bucket (a memory store starts empty).
        return (_rebuild, ({f.name: getattr(self._cfg, f.name) for f in _FIELDS},))

    def _error(self, err: Exception, operation: str, path: str | None) -> Error:
        return map_error(err, operation, path)

    # -- stat & read -------------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        if path == ROOT:
            return DIR_METADATA
        if path[-1] == "/":
            # No store here keeps directories: `d/` is there when anything is below it.
            if self._has_below(path, "stat"):
                return DIR_METADATA
            raise NotFound("no object below this prefix", service=SCHEME, path=path)
        options = _get_options(opts)
        options["head"] = True
        try:
            got = self._obs.get(self._store, path, options=options)
        except Exception as err:
            raise self._error(err, "stat", path) from err
        return _metadata(got.meta, got.attributes)

    def _has_below(self, path: str, operation: str) -> bool:
        try:
            for chunk in self._store.list(path[:-1], chunk_size=1):
                if chunk:
                    return True
        except Exception as err:
            raise self._error(err, operation, path) from err
        return False

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if path[-1] == "/":
            raise IsADirectory("read of a directory path", service=SCHEME, path=path)
        options = _get_options(opts)
        offset, size, suffix = opts.offset, opts.size, opts.suffix
        if suffix is not None:
            options["range"] = {"suffix": suffix}
        elif size == 0:
            length = self.stat(path, opts.as_stat()).content_length or 0
            if offset and offset >= length:
                raise RangeNotSatisfied(
                    f"offset {offset} is past the end ({length} bytes)", service=SCHEME, path=path
                )
            return b""
        elif size is not None:
            options["range"] = (offset, offset + size)
        elif offset:
            options["range"] = {"offset": offset}
        try:
            return bytes(self._obs.get(self._store, path, options=options or None).bytes())
        except Exception as err:
            mapped = self._error(err, "read", path)
            if suffix is None or "non-partial response" not in mapped.message:
                raise mapped from err
        # S3 answers a suffix range of an empty object with the whole (empty) object, which
        # obstore refuses; the object is small or empty, so read it whole.
        del options["range"]
        try:
            data = bytes(self._obs.get(self._store, path, options=options or None).bytes())
        except Exception as err:
            raise self._error(err, "read", path) from err
        return data[-suffix:] if suffix else b""

    # -- write -------------------------------------------------------------------------
    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if self._dir_marker(path, len(data)):
            return DIR_METADATA
        kw = self._put_kw(opts)
        part = opts.chunk or self._cfg.part_size
        try:
            out = self._store.put(path, data, use_multipart=len(data) > part, **kw)
        except Exception as err:
            raise self._error(err, "write", path) from err
        return Metadata(
            EntryMode.FILE, content_length=len(data), etag=out["e_tag"], version=out["version"]
        )

    def writer(self, path: str, opts: WriteOptions) -> SpoolWriter:
        if path[-1] == "/":
            raise IsADirectory("cannot write to a directory path", service=SCHEME, path=path)
        return SpoolWriter(self, path, opts)

    def write_spooled(
        self, path: str, source: IO[bytes], size: int, opts: WriteOptions
    ) -> Metadata:
        """A spooled writer's data, as obstore's multipart upload with parts in parallel."""
        kw = self._put_kw(opts)
        concurrency = opts.concurrent if opts.concurrent > 1 else self._cfg.write_concurrency
        source.seek(0)
        try:
            out = self._store.put(
                path,
                source,
                use_multipart=True,
                chunk_size=opts.chunk or self._cfg.part_size,
                max_concurrency=concurrency,
                **kw,
            )
        except Exception as err:
            raise self._error(err, "write", path) from err
        return Metadata(
            EntryMode.FILE, content_length=size, etag=out["e_tag"], version=out["version"]
        )

    def _dir_marker(self, path: str, size: int) -> bool:
        """Whether a write is SimulateLayer's ``d/`` marker, which is accepted and stores
        nothing: object_store drops a trailing ``/`` from every key (``d/`` would be the
        file ``d``), and directories here are prefixes, as s3fs's ``mkdir`` has them."""
        if path[-1] != "/":
            return False
        if size:
            raise IsADirectory("cannot write data to a directory path", service=SCHEME, path=path)
        return True

    def _put_kw(self, opts: WriteOptions) -> dict[str, Any]:
        kw: dict[str, Any] = {}
        if opts.if_not_exists:
            kw["mode"] = "create"
        elif opts.if_match is not None:
            kw["mode"] = {"e_tag": opts.if_match}
        if self._cap.write_with_content_type:  # a store without attributes drops them
            attributes: dict[str, str] = {
                name: getattr(opts, key)
                for key, name in _ATTRIBUTES.items()
                if getattr(opts, key) is not None
            }
            attributes.update(opts.user_metadata or {})
            if attributes:
                kw["attributes"] = attributes
        return kw

    # -- list ----------------------------------------------------------------------------
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        if path[-1] == "/":
            return self._list_dir(path, opts)
        return self._list_prefix(path, opts)

    def _list_dir(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        """``d/`` itself first (when anything is below it; the root always), then below it."""
        after = opts.start_after
        prefix = None if path == ROOT else path[:-1]
        entries = (
            self._walk(prefix, opts) if opts.recursive else iter(self._level(prefix, "list", path))
        )
        first = next(entries, None)
        if (path == ROOT or first is not None) and (after is None or path > after):
            yield Entry(path, DIR_METADATA)
        if first is None:
            return
        if after is None:
            yield first
            yield from entries
            return
        for entry in _chain(first, entries):
            if entry.path > after:
                yield entry

    def _walk(self, prefix: str | None, opts: ListOptions) -> Iterator[Entry]:
        """Every object below ``prefix``, in key order, from ``start_after`` on."""
        after = opts.start_after
        # obstore's offset is "keys after": a dir key is sent without its `/` (a smaller
        # key, so nothing after start_after is skipped; the rest is filtered here).
        offset = after.rstrip("/") or None if after and after != ROOT else None
        try:
            stream = self._store.list(prefix, offset=offset, chunk_size=opts.limit or 1000)
            if not self._sorted:
                yield from sorted(_object_entries(stream.collect()), key=_by_path)
                return
            for chunk in stream:
                yield from _object_entries(chunk)
        except Exception as err:
            raise self._error(err, "list", prefix) from err

    def _level(self, prefix: str | None, operation: str, path: str) -> builtins.list[Entry]:
        """One level below ``prefix``: objects and common prefixes (as dirs), sorted."""
        try:
            found = self._store.list_with_delimiter(prefix)
        except Exception as err:
            raise self._error(err, operation, path) from err
        entries = _object_entries(found["objects"])
        entries += [Entry(p + "/", DIR_METADATA) for p in found["common_prefixes"]]
        entries.sort(key=_by_path)
        return entries

    def _list_prefix(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        """A file path ``p/y`` lists by prefix: ``p/y``, ``p/yy``, ``p/y/`` and below."""
        cut = path.rfind("/")
        parent = path[:cut] if cut > 0 else None
        after = opts.start_after
        if opts.recursive:
            entries: Iterator[Entry] = self._walk(parent, opts)
        else:
            entries = iter(self._level(parent, "list", path))
        seen = False
        for entry in entries:
            if entry.path.startswith(path):
                seen = True
                if after is None or entry.path > after:
                    yield entry
            elif seen or entry.path > path:
                return  # keys with the prefix are one run in key order

    # -- delete, copy, rename ------------------------------------------------------------
    def delete(self, path: str, opts: DeleteOptions) -> None:
        if path[-1] == "/":
            return  # no directory objects: a dir is gone once nothing is below it
        try:
            self._store.delete(path)
        except FileNotFoundError:
            pass  # Azure says so; a missing path is not an error here
        except Exception as err:
            mapped = self._error(err, "delete", path)
            if not isinstance(mapped, NotFound):
                raise mapped from err

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        paths = [p for p, _ in items if p[-1] != "/"]
        if not paths:
            return []
        try:
            self._store.delete(paths)  # S3 and Azure batch natively, others concurrently
            return []
        except Exception:  # the batch does not say which key failed: ask each
            pass
        failures: Failures = []
        for path in paths:
            try:
                self.delete(path, DeleteOptions())
            except Error as err:
                failures.append((path, err))
        return failures

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        try:
            self._store.copy(source, target, overwrite=not opts.if_not_exists)
        except Exception as err:
            raise self._error(err, "copy", source).with_context("to", target) from err

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        try:
            self._store.rename(source, target, overwrite=not opts.if_not_exists)
        except Exception as err:
            raise self._error(err, "rename", source).with_context("to", target) from err

    # -- presign -----------------------------------------------------------------------
    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        if not self._cap.presign:
            raise self._unsupported(f"presign_{operation}", path)
        method = _PRESIGN[operation]
        try:
            url = self._obs.sign(self._store, method, path, timedelta(seconds=expire))
        except Exception as err:
            raise self._error(err, f"presign_{operation}", path) from err
        return PresignedRequest(method, url, {})


_FIELDS = dataclasses.fields(ObstoreConfig)


def _rebuild(config: dict[str, Any]) -> ObstoreService:
    return ObstoreService(**config)


def _chain(first: Entry, rest: Iterator[Entry]) -> Iterator[Entry]:
    yield first
    yield from rest


def _by_path(entry: Entry) -> str:
    return entry.path


def _get_options(opts: StatOptions | ReadOptions) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if opts.if_match is not None:
        options["if_match"] = opts.if_match
    if opts.if_none_match is not None:
        options["if_none_match"] = opts.if_none_match
    if opts.if_modified_since is not None:
        options["if_modified_since"] = opts.if_modified_since
    if opts.if_unmodified_since is not None:
        options["if_unmodified_since"] = opts.if_unmodified_since
    return options


def _object_entries(objects: Any) -> list[Entry]:
    # Positional Metadata: a listing builds one per object (keywords cost a third more).
    file = EntryMode.FILE
    return [
        Entry(o["path"], Metadata(file, o["size"], o["last_modified"], o["e_tag"]))
        if o.get("version") is None
        else Entry(
            o["path"],
            Metadata(file, o["size"], o["last_modified"], o["e_tag"], version=o["version"]),
        )
        for o in objects
    ]


def _metadata(meta: Any, attributes: dict[str, str]) -> Metadata:
    user = {k: v for k, v in attributes.items() if k not in _STANDARD}
    return Metadata(
        EntryMode.FILE,
        content_length=meta["size"],
        last_modified=meta["last_modified"],
        etag=meta["e_tag"],
        content_type=attributes.get("Content-Type"),
        content_disposition=attributes.get("Content-Disposition"),
        content_encoding=attributes.get("Content-Encoding"),
        cache_control=attributes.get("Cache-Control"),
        version=meta.get("version"),
        user_metadata=user or None,
    )
