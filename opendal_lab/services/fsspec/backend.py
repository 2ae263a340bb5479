"""FsspecService: the operations, over an fsspec filesystem (see the package docstring)."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from opendal_lab.core.access import Service
from opendal_lab.core.errors import (
    ConditionNotMatch,
    ConfigInvalid,
    IsADirectory,
    NotADirectory,
    NotFound,
    PermissionDenied,
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
from opendal_lab.core.path import ROOT, parent
from opendal_lab.core.registry import coerce_config
from opendal_lab.core.spool import SpoolWriter
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata, PresignedRequest
from opendal_lab.services.fsspec.capability import derive_capability
from opendal_lab.services.fsspec.core import (
    SCHEME,
    filesystem,
    metadata,
    raise_mapped,
)

__all__ = ["SCHEME", "FsspecConfig", "FsspecService"]

_CHUNK = 4 * 1024 * 1024
_Entries = list[Entry]  # spelled here: inside the service, `list` is the operation


@dataclass
class FsspecConfig:
    """The keys every fsspec bridge takes; any other key is a storage option."""

    protocol: str = ""
    root: str = "/"


class FsspecService(Service):
    scheme = SCHEME
    config_class = None  # protocol and root are checked here; any other key is an option

    def __init__(
        self,
        protocol: str | None = None,
        root: str = "/",
        *,
        fs: Any = None,
        storage_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        known = coerce_config(SCHEME, FsspecConfig, {"protocol": protocol or "", "root": root})
        protocol, root = known["protocol"], known["root"]
        if fs is None:
            fs = filesystem(protocol, {**(storage_options or {}), **options})
        elif storage_options or options:
            raise ConfigInvalid("pass storage options or a filesystem, not both", service=SCHEME)
        if not protocol:
            proto = fs.protocol
            protocol = proto if isinstance(proto, str) else proto[0]
        self._fs = fs
        self._protocol = protocol
        self._base = fs._strip_protocol(root).rstrip("/") if root.strip("/") else ""
        self._top = self._base or fs.root_marker or ""
        self._cap = derive_capability(fs)
        super().__init__(root=root if root.startswith("/") else "/" + root, name=protocol)
        self._access_info = dataclasses.replace(
            self._access_info, native_capability=self._cap, capability=self._cap
        )

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        """``fsspec+PROTOCOL://HOST/PATH``: the root is ``HOST/PATH`` in that filesystem."""
        if not subscheme:
            raise ConfigInvalid(
                "the fsspec bridge needs an fsspec protocol: 'fsspec+memory://', "
                "'fsspec+file:///abs/dir', 'fsspec+s3://bucket/prefix'",
                service=SCHEME,
            )
        return {"protocol": subscheme, "root": host + path or "/"}

    @property
    def fs(self) -> Any:
        """The fsspec filesystem underneath."""
        return self._fs

    def __reduce__(self) -> tuple[object, ...]:
        # fsspec filesystems pickle as class + storage options; the root comes along.
        return (_rebuild, (self._fs, self._protocol, self._access_info.root))

    def __repr__(self) -> str:
        return f"FsspecService(protocol={self._protocol!r}, root={self._access_info.root!r})"

    # -- paths -------------------------------------------------------------------------
    def _path(self, path: str, operation: str) -> str:
        if path == ROOT:
            return self._top
        rel = path.rstrip("/")
        if ".." in rel.split("/"):
            raise PermissionDenied(
                "path has a '..' segment, which could leave the root",
                operation=operation,
                service=SCHEME,
                path=path,
            )
        return f"{self._base}/{rel}"

    def _entry(self, info: Mapping[str, Any]) -> Entry | None:
        name = str(info.get("name", ""))
        prefix = self._base + "/"
        if not name.startswith(prefix):
            return None  # the root itself, or something outside it
        rel = name[len(prefix) :]
        if not rel.strip("/"):
            return None
        if info.get("type") == "directory" or rel.endswith("/"):  # s3fs lists `d/` markers
            return Entry(rel.rstrip("/") + "/", DIR_METADATA)
        return Entry(rel, metadata(info))

    # -- stat & read ---------------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        if path == ROOT:
            return DIR_METADATA
        fspath = self._path(path, "stat")
        try:
            info = self._fs.info(fspath)
        except NotADirectoryError as err:  # a parent is a file: no such object
            raise NotFound("no such file", service=SCHEME, path=path) from err
        except Exception as err:
            raise_mapped(err, "stat", path)
        if info.get("type") == "directory":
            return DIR_METADATA
        if path.endswith("/"):
            raise NotFound(
                "stat of a directory path, but a file is there", service=SCHEME, path=path
            )
        return metadata(info)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if path.endswith("/"):
            raise IsADirectory("read of a directory path", service=SCHEME, path=path)
        fspath = self._path(path, "read")
        offset, size = opts.offset, opts.size
        try:
            if opts.suffix is not None:
                return bytes(self._fs.cat_file(fspath, start=-opts.suffix))
            if size == 0:
                length = self._fs.info(fspath)["size"]
                if offset and offset >= length:
                    raise RangeNotSatisfied(f"offset {offset} is past the end ({length} bytes)")
                return b""
            end = None if size is None else offset + size
            data = bytes(self._fs.cat_file(fspath, start=offset or None, end=end))
        except NotADirectoryError as err:
            raise NotFound("no such file", service=SCHEME, path=path) from err
        except Exception as err:
            raise_mapped(err, "read", path)
        if not data and (offset or size):  # fsspec slices quietly; a range past the end is not
            raise RangeNotSatisfied(
                f"nothing at offset {offset} (the object ends before it)", service=SCHEME, path=path
            )
        return data

    # -- write -------------------------------------------------------------------------
    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        fspath = self._target(path)
        self._retry_with_parents(path, lambda: self._put(fspath, data, opts), "write", opts)
        if path.endswith("/"):
            return DIR_METADATA
        return Metadata(EntryMode.FILE, content_length=None if opts.append else len(data))

    def writer(self, path: str, opts: WriteOptions) -> SpoolWriter:
        if path.endswith("/"):
            raise IsADirectory("cannot write to a directory path", service=SCHEME, path=path)
        return SpoolWriter(self, path, opts)

    def _target(self, path: str) -> str:
        fspath = self._path(path, "write")
        if not path.endswith("/"):
            return fspath
        if self._cap.create_dir:  # real directories: a `d/` object would be a file
            raise IsADirectory("cannot write to a directory path", service=SCHEME, path=path)
        return fspath + "/"  # an empty `d/` marker from SimulateLayer's create_dir

    def _put(self, fspath: str, data: bytes, opts: WriteOptions) -> None:
        if opts.append:
            with self._fs.open(fspath, "ab") as f:
                f.write(data)
        elif opts.if_not_exists:
            self._fs.pipe_file(fspath, data, mode="create")
        else:
            self._fs.pipe_file(fspath, data)

    def write_spooled(
        self, path: str, source: IO[bytes], size: int, opts: WriteOptions
    ) -> Metadata:
        """Copy a spooled file to ``path`` through ``fs.open`` (for writers past the spool)."""
        fspath = self._target(path)
        mode = "ab" if opts.append else "xb" if opts.if_not_exists else "wb"

        def copy() -> None:
            source.seek(0)
            with self._fs.open(fspath, mode) as f:
                shutil.copyfileobj(source, f, _CHUNK)

        self._retry_with_parents(path, copy, "write", opts)
        return Metadata(EntryMode.FILE, content_length=None if opts.append else size)

    def _retry_with_parents(
        self, path: str, put: Any, operation: str, opts: WriteOptions | None = None
    ) -> None:
        """Run ``put``; where directories are real, create a missing parent and run it again."""
        try:
            try:
                put()
            except FileNotFoundError:
                if not self._cap.create_dir:
                    raise  # object stores need no parents: the bucket itself is missing
                self._fs.makedirs(self._path(parent(path), operation), exist_ok=True)
                put()
        except FileExistsError as err:
            if opts is not None and opts.if_not_exists:
                raise ConditionNotMatch("target already exists", service=SCHEME, path=path) from err
            raise NotADirectory(
                "a file is in the way of a parent directory", service=SCHEME, path=path
            ) from err
        except Exception as err:
            raise_mapped(err, operation, path)

    # -- list ----------------------------------------------------------------------------
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        if path.endswith("/"):
            return iter(self._list_dir(path, opts.recursive))
        entries = self._list_dir(parent(path), opts.recursive, include_self=False)
        return (e for e in entries if e.path.startswith(path))

    def _list_dir(self, path: str, recursive: bool, include_self: bool = True) -> _Entries:
        fspath = self._path(path, "list")
        try:
            if recursive:
                infos: Iterable[Any] = self._fs.find(fspath, withdirs=True, detail=True).values()
            else:
                infos = self._fs.ls(fspath, detail=True)
            listed = True
        except (FileNotFoundError, NotADirectoryError):
            infos, listed = [], False
        except Exception as err:
            raise_mapped(err, "list", path)
        found: dict[str, Entry] = {}
        exists = path == ROOT or (listed and not recursive)
        for info in infos:
            entry = self._entry(info)
            if entry is None:
                continue
            if entry.path == path:
                exists = True  # the dir itself (memory's find, an s3 `d/` marker)
            elif entry.path == path[:-1]:
                return []  # ls of a file lists the file: not a directory
            elif entry.path.startswith(path) or path == ROOT:
                found[entry.path] = entry
        if not (exists or found) and (not recursive or not self._isdir(fspath)):
            return []
        head = [Entry(path, DIR_METADATA)] if include_self else []
        return head + sorted(found.values(), key=lambda e: e.path)

    def _isdir(self, fspath: str) -> bool:
        try:
            return bool(self._fs.isdir(fspath))
        except FileNotFoundError:
            return False
        except Exception as err:
            raise_mapped(err, "list", fspath)

    # -- delete, create_dir, copy, rename -------------------------------------------------
    def delete(self, path: str, opts: DeleteOptions) -> None:
        fspath = self._path(path, "delete")
        try:
            if opts.recursive:
                self._delete_tree(path, fspath)
            elif not path.endswith("/"):
                self._fs.rm_file(fspath)
            elif path != ROOT:
                if self._cap.create_dir:
                    self._fs.rmdir(fspath)
                else:
                    self._fs.rm_file(fspath + "/")  # a `d/` marker, if one was written
        except FileNotFoundError:
            return
        except Exception as err:  # ENOTEMPTY: Conflict, with the hint to delete recursively
            raise_mapped(err, "delete", path)

    def _delete_tree(self, path: str, fspath: str) -> None:
        if path == ROOT:  # empty the root, keep it (for a bucket root, rm would drop the bucket)
            for entry in self._list_dir(ROOT, recursive=False, include_self=False):
                self._delete_tree(entry.path, self._path(entry.path, "delete"))
            return
        if not path.endswith("/") and self._fs.isfile(fspath):
            self._fs.rm_file(fspath)  # `x` and everything under `x/`, never `xy`
        if not _has_magic(fspath):
            with contextlib.suppress(FileNotFoundError):  # nothing (more) under `x/`
                self._fs.rm(fspath, recursive=True)
            return
        # rm() would glob these characters: delete what we list, deepest first, one by one.
        for entry in reversed(self._list_dir(path.rstrip("/") + "/", recursive=True)):
            target = self._path(entry.path, "delete")
            if not entry.path.endswith("/"):
                self._fs.rm_file(target)
            elif self._cap.create_dir:
                with contextlib.suppress(FileNotFoundError):  # implied dirs go with their files
                    self._fs.rmdir(target)
            elif self._fs.isfile(target + "/"):
                self._fs.rm_file(target + "/")  # a `d/` marker

    def create_dir(self, path: str) -> None:
        if not self._cap.create_dir:
            raise self._unsupported("create_dir", path)
        fspath = self._path(path, "create_dir")
        try:
            self._fs.makedirs(fspath, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as err:
            raise NotADirectory(
                "a file is in the way of the directory", service=SCHEME, path=path
            ) from err
        except Exception as err:
            raise_mapped(err, "create_dir", path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._transfer("copy", source, target, self._fs.cp_file)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._transfer("rename", source, target, self._fs.mv)

    def _transfer(self, operation: str, source: str, target: str, move: Any) -> None:
        src, dst = self._path(source, operation), self._path(target, operation)
        try:
            info = self._fs.info(src)
        except Exception as err:
            raise_mapped(err, operation, source)
        if info.get("type") == "directory":
            raise IsADirectory("source is a directory", service=SCHEME, path=source)
        self._retry_with_parents(target, lambda: move(src, dst), operation)

    # -- presign -----------------------------------------------------------------------
    def presign(self, operation: str, path: str, expire: float, opts: Any) -> PresignedRequest:
        if operation != "read" or not self._cap.presign_read:
            raise self._unsupported(f"presign_{operation}", path)
        try:
            url = self._fs.sign(self._path(path, "presign_read"), expiration=int(expire))
        except Exception as err:
            raise_mapped(err, "presign_read", path)
        return PresignedRequest("GET", str(url))


def _has_magic(path: str) -> bool:
    return any(c in path for c in "*?[")


def _rebuild(fs: Any, protocol: str, root: str) -> FsspecService:
    return FsspecService(protocol, root, fs=fs)
