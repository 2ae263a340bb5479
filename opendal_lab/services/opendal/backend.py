"""OpendalService: each operation on the binding's ``Operator``, normalized (see the package
docstring for what and why)."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import urlsplit

from opendal_lab.core.access import Service
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
from opendal_lab.core.spool import SpoolWriter
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata, PresignedRequest
from opendal_lab.services.opendal.core import (
    SCHEME,
    binding_options,
    config_error,
    map_capability,
    map_error,
    run_async,
    set_only,
)

__all__ = ["SCHEME", "OpendalService"]

_CHUNK = 4 * 1024 * 1024


class OpendalService(Service):
    scheme = SCHEME
    config_class = None  # every option goes to the binding, which checks them

    def __init__(self, scheme: str = "", uri: str | None = None, **options: Any) -> None:
        import opendal

        if not isinstance(scheme, str) or not (scheme or uri):
            raise ConfigInvalid(
                "the opendal bridge needs scheme= (e.g. 'memory', 'fs', 's3') or uri=",
                service=SCHEME,
            )
        strings = binding_options(options)
        try:
            if uri is not None:
                op = opendal.Operator.from_uri(uri, **strings)
            else:
                op = opendal.Operator(scheme, **strings)
        except Exception as err:
            raise config_error(err, uri or scheme) from err
        self._op = op
        self._scheme_name = scheme or urlsplit(uri or "").scheme
        self._cap = map_capability(op.capability(), opendal.types.Metadata)
        root = strings.get("root") or (urlsplit(uri).path if uri else "") or "/"
        super().__init__(root=root, name=self._scheme_name)
        self._access_info = dataclasses.replace(
            self._access_info, native_capability=self._cap, capability=self._cap
        )
        # path -> when this service wrote it; only for a store no one else can write to.
        self._written: dict[str, datetime] | None = None if self._cap.shared else {}

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        """``opendal-rs+SCHEME://...``: the binding reads ``SCHEME://...`` its own way.

        (``opendal+SCHEME://`` is this package's own service ``SCHEME``, not the binding's.)
        """
        if not subscheme:
            raise ConfigInvalid(
                "the opendal bridge needs a binding scheme: 'opendal-rs+memory://', "
                "'opendal-rs+fs:///abs/dir', 'opendal-rs+s3://bucket/prefix' "
                "('opendal+<scheme>://' is opendal_lab's own service <scheme>)",
                service=SCHEME,
            )
        return {"scheme": subscheme, "uri": f"{subscheme}://{host}{path}"}

    @property
    def binding(self) -> Any:
        """The ``opendal.Operator`` underneath."""
        return self._op

    def __repr__(self) -> str:
        return f"OpendalService(scheme={self._scheme_name!r}, root={self._access_info.root!r})"

    def _call(self, operation: str, path: str | None, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except Error:
            raise
        except Exception as err:
            raise map_error(err, operation, path) from err

    def _meta(self, path: str, meta: Any) -> Metadata:
        if meta.mode.is_dir():
            return DIR_METADATA
        modified = meta.last_modified
        if modified is None and self._written is not None:
            modified = self._written.get(path)
        return Metadata(
            EntryMode.FILE,
            content_length=meta.content_length,
            last_modified=modified,
            etag=meta.etag,
            content_type=meta.content_type,
            content_disposition=meta.content_disposition,
            content_encoding=getattr(meta, "content_encoding", None),
            cache_control=getattr(meta, "cache_control", None),
            content_md5=meta.content_md5,
            version=meta.version,
            user_metadata=meta.user_metadata or None,
        )

    def _touch(self, path: str) -> datetime:
        now = datetime.now(timezone.utc)
        if self._written is not None:
            self._written[path] = now
        return now

    # -- stat & read -------------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        kw = _read_kw(opts)
        return self._meta(path, self._call("stat", path, self._op.stat, path, **kw))

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if path.endswith("/"):
            raise IsADirectory("read of a directory path", service=SCHEME, path=path)
        kw = _read_kw(opts)
        offset, size = opts.offset, opts.size
        if size == 0:
            length = self.stat(path, StatOptions()).content_length or 0
            if offset and offset >= length:
                raise RangeNotSatisfied(
                    f"offset {offset} is past the end ({length} bytes)", service=SCHEME, path=path
                )
            return b""
        data: bytes = self._call(
            "read", path, self._op.read, path, **kw, **set_only(offset=offset or None, size=size)
        )
        if not data and offset:  # the binding returns b"" from an offset past the end
            raise RangeNotSatisfied(
                f"nothing at offset {offset} (the object ends before it)", service=SCHEME, path=path
            )
        return data

    # -- write -------------------------------------------------------------------------
    def _write_kw(self, opts: WriteOptions) -> dict[str, Any]:
        return set_only(
            append=opts.append or None,
            if_not_exists=opts.if_not_exists or None,
            if_match=opts.if_match,
            if_none_match=opts.if_none_match,
            content_type=opts.content_type,
            content_disposition=opts.content_disposition,
            content_encoding=opts.content_encoding,
            cache_control=opts.cache_control,
            user_metadata=opts.user_metadata,
            chunk=opts.chunk,
            concurrent=opts.concurrent if opts.concurrent > 1 else None,
        )

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        self._call("write", path, self._op.write, path, data, **self._write_kw(opts))
        modified = self._touch(path)
        length = None if opts.append else len(data)
        return Metadata(EntryMode.FILE, content_length=length, last_modified=modified)

    def writer(self, path: str, opts: WriteOptions) -> SpoolWriter:
        if path.endswith("/"):
            raise IsADirectory("cannot write to a directory path", service=SCHEME, path=path)
        return SpoolWriter(self, path, opts)

    def write_spooled(
        self, path: str, source: IO[bytes], size: int, opts: WriteOptions
    ) -> Metadata:
        def copy() -> None:
            source.seek(0)
            with self._op.open(path, "wb", **self._write_kw(opts)) as f:
                shutil.copyfileobj(source, f, _CHUNK)

        self._call("write", path, copy)
        modified = self._touch(path)
        return Metadata(
            EntryMode.FILE, content_length=None if opts.append else size, last_modified=modified
        )

    # -- list ----------------------------------------------------------------------------
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        kw = set_only(
            recursive=opts.recursive or None,
            start_after=opts.start_after if self._cap.list_with_start_after else None,
            limit=opts.limit if self._cap.list_with_limit else None,
            versions=opts.versions or None,
            deleted=opts.deleted or None,
        )

        def collect() -> list[Entry]:
            return [
                Entry(e.path, self._meta(e.path, e.metadata)) for e in self._op.list(path, **kw)
            ]

        listed = self._call("list", path, collect)
        after = opts.start_after
        if not path.endswith("/"):  # a file path lists by prefix in its parent
            found = [e for e in listed if e.path.startswith(path)]
        else:
            found = [
                e for e in listed if e.path != path and (path == ROOT or e.path.startswith(path))
            ]
            # Anything listed (children, or the dir itself) means the dir exists; an empty
            # listing may still be an empty dir, which only stat can tell.
            if not (path == ROOT or listed or self._mode(path) == "dir"):
                return iter(())
            found.append(Entry(path, DIR_METADATA))
        found.sort(key=lambda e: (e.path != path, e.path))  # the dir itself first
        return iter([e for e in found if after is None or e.path > after])

    def _mode(self, path: str) -> str | None:
        """``"dir"`` or ``"file"`` for what is at ``path``, ``None`` if nothing is."""
        try:
            mode = self._op.stat(path).mode
        except Exception as err:
            mapped = map_error(err, "stat", path)
            if isinstance(mapped, NotFound):
                return None
            raise mapped from err
        return "dir" if mode.is_dir() else "file"

    # -- delete, create_dir, copy, rename -------------------------------------------------
    def delete(self, path: str, opts: DeleteOptions) -> None:
        kw = set_only(version=opts.version, if_match=opts.if_match)
        if not opts.recursive:
            self._call("delete", path, self._op.delete, path, **kw)
            self._forget(path, subtree=False)
            return
        if path == ROOT:  # empty the root but keep it
            for entry in self._call("delete", path, lambda: list(self._op.list(path))):
                if entry.path != ROOT:  # files one by one: a recursive `f` would take `ff`
                    recursive = entry.path.endswith("/")
                    self._call("delete", path, self._op.delete, entry.path, recursive=recursive)
        else:
            if not path.endswith("/") and self._mode(path) == "file":  # `x` and `x/...`, never `xy`
                self._call("delete", path, self._op.delete, path)
            self._call("delete", path, self._op.delete, path.rstrip("/") + "/", recursive=True)
        self._forget(path, subtree=True)

    def _forget(self, path: str, subtree: bool) -> None:
        if self._written is None:
            return
        self._written.pop(path, None)
        if subtree:
            prefix = "" if path == ROOT else path.rstrip("/") + "/"
            for key in [k for k in self._written if k.startswith(prefix)]:
                del self._written[key]

    def create_dir(self, path: str) -> None:
        self._call("create_dir", path, self._op.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._call("copy", source, self._op.copy, source, target)
        self._touch(target)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._call("rename", source, self._op.rename, source, target)
        self._forget(source, subtree=False)
        self._touch(target)

    # -- presign -----------------------------------------------------------------------
    def presign(self, operation: str, path: str, expire: float, opts: Any) -> PresignedRequest:
        if not getattr(self._cap, f"presign_{operation}", False):
            raise self._unsupported(f"presign_{operation}", path)
        # The binding presigns on its async operator only; signing makes no request.
        sign = getattr(self._op.to_async_operator(), f"presign_{operation}")
        req = self._call(f"presign_{operation}", path, run_async, sign, path, int(expire))
        return PresignedRequest(req.method, req.url, dict(req.headers))


def _read_kw(opts: StatOptions | ReadOptions) -> dict[str, Any]:
    """The version, conditions and overrides shared by stat and read, as the binding names them."""
    return set_only(
        version=opts.version,
        if_match=opts.if_match,
        if_none_match=opts.if_none_match,
        if_modified_since=opts.if_modified_since,
        if_unmodified_since=opts.if_unmodified_since,
        content_type=opts.override_content_type,
        cache_control=opts.override_cache_control,
        content_disposition=opts.override_content_disposition,
    )
