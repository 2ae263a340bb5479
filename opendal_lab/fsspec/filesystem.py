"""The filesystem: an operator seen through fsspec's ``AbstractFileSystem``.

Bulk calls overlap their storage calls where fsspec would make them one by one: ``cat`` of
a list, glob or directory, ``get`` and ``put`` of many files, ``cat_ranges`` (and so an
FSMap's ``getitems``, which zarr v2 and kerchunk use) run on the operator's bulk pool
(``Operator.run_many``, ``opendal_lab.core.pool``): up to ``batch_size`` at once, the name
fsspec's async filesystems give it, default 32, never more than a ConcurrentLimitLayer's
permits. zarr v3 wraps this filesystem in fsspec's ``AsyncFileSystemWrapper`` and gathers
one ``cat_file`` per chunk itself, each on a thread of its event loop; the permits bound
those too.
"""

from __future__ import annotations

import errno
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fsspec.callbacks import DEFAULT_CALLBACK, Callback  # type: ignore[import-untyped]
from fsspec.spec import AbstractFileSystem, _Cached  # type: ignore[import-untyped]
from fsspec.utils import stringify_path, tokenize  # type: ignore[import-untyped]

from opendal_lab.core.errors import ConditionNotMatch, Error, NotFound, RangeNotSatisfied
from opendal_lab.core.operator import Operator
from opendal_lab.core.types import Entry, Metadata
from opendal_lab.fsspec.cache import CACHE_TYPE
from opendal_lab.fsspec.changes import Changes, changing
from opendal_lab.fsspec.file import OpendalFile
from opendal_lab.fsspec.urls import (
    ANY,
    FROM_URL,
    PREFIX,
    ROOT,
    merge_url_config,
    scheme_of,
    split_url,
    takes_root,
    url_bases,
)

__all__ = ["INFO_EXPIRY_TIME", "OpendalFileSystem", "protocol_class"]

# Keyword arguments that belong to AbstractFileSystem, not to the operator's config.
_FSSPEC_KWARGS = ("use_listings_cache", "listings_expiry_time", "max_paths", "asynchronous", "loop")
_MAGIC = re.compile(r"[*?\[]")
#: How long ``info`` is remembered, unless ``info_expiry_time=`` says otherwise.
INFO_EXPIRY_TIME = 1.0
_MAX_INFOS = 10_000  # remembered infos per filesystem; past that the memory starts over
_DIR = "directory"


class _CachedByConfig(_Cached):  # type: ignore[misc]
    """fsspec's instance cache (``_Cached``), keyed on the service config as the class reads it.

    fsspec's token is ``str()`` of the keyword arguments, taken before ``__init__`` runs, with
    no hook of its own: so the keywords are put in their one spelling first (the URL's part
    merged in, the scheme the protocol names dropped, root ``/`` made explicit, keys sorted),
    and ``"opendal+memory://x/k"`` and ``filesystem("opendal+memory", name="x")`` share an
    instance. An operator is no token (two can share a repr): built from one, never cached.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return super().__call__(*args, **cls._storage_options(bool(args), kwargs))


class OpendalFileSystem(AbstractFileSystem, metaclass=_CachedByConfig):  # type: ignore[misc]
    """An fsspec filesystem over an :class:`~opendal_lab.Operator` (see the package docstring)."""

    protocol: str | tuple[str, ...] = ANY
    #: The scheme this class's protocol names; None for ``opendal``, which serves any.
    default_scheme: str | None = None
    root_marker = ""

    @classmethod
    def _storage_options(cls, positional: bool, kwargs: dict[str, Any]) -> dict[str, Any]:
        from_url = kwargs.pop(FROM_URL, None)
        if from_url is not None:
            kwargs = merge_url_config(from_url, kwargs)
        if kwargs.get("operator") is not None or positional:
            kwargs.setdefault("skip_instance_cache", True)
        elif kwargs.get("scheme") or cls.default_scheme:
            if cls.default_scheme is not None and kwargs.get("scheme") == cls.default_scheme:
                del kwargs["scheme"]
            scheme = kwargs.get("scheme") or cls.default_scheme
            if not kwargs.get(ROOT) and takes_root(str(scheme)):
                kwargs[ROOT] = "/"  # fsspec paths are absolute: "/x/y" is /x/y, not ./x/y
        return dict(sorted(kwargs.items(), key=lambda item: item[0]))

    def __init__(
        self, operator: Operator | None = None, *, scheme: str | None = None, **config: Any
    ) -> None:
        fs_kwargs = {k: config.pop(k) for k in _FSSPEC_KWARGS if k in config}
        expiry = config.pop("info_expiry_time", INFO_EXPIRY_TIME)
        super().__init__(**fs_kwargs)
        if isinstance(expiry, bool) or not isinstance(expiry, (int, float)) or expiry < 0:
            raise ValueError(f"info_expiry_time must be a number >= 0, got {expiry!r}")
        self._info_expiry = float(expiry)
        # key -> (change count before the stat, monotonic expiry, info).
        self._infos: dict[str, tuple[int, float, dict[str, Any]]] = {}
        default = self.default_scheme
        if operator is None:
            scheme = scheme or default
            if scheme is None:
                raise ValueError("OpendalFileSystem needs operator= or scheme= (plus its config)")
            if default is not None and scheme != default:
                raise ValueError(f"{self.protocol} serves scheme {default!r}, not {scheme!r}")
            operator = Operator(scheme, **config)
        elif scheme is not None or config:
            raise ValueError("give either operator= or scheme= plus config, not both")
        elif default is not None and operator.scheme != default:
            raise ValueError(f"{self.protocol} serves scheme {default!r}, not {operator.scheme!r}")
        self.operator = operator
        self._config = config
        self._url_bases = url_bases(operator)
        self._home = split_url(self._url_bases[0]) if self._url_bases else None
        # The face's paths: keys on ``opendal``; on ``opendal+<scheme>`` what follows the
        # protocol in a URL, so they carry the store (``<name>/<key>``, ``<bucket>/<key>``).
        self._prefix = ""
        if default is not None and self._url_bases:
            self._prefix = self._url_bases[0].partition("://")[2].lstrip("/")
        # On an instance, a URL is read against this filesystem's store and root (the class's
        # _strip_protocol, which url_to_fs uses, knows neither).
        self._strip_protocol = self._strip_url  # type: ignore[method-assign]

    # -- paths ---------------------------------------------------------------------------
    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = stringify_path(path)
        protocol, sep, rest = path.partition("://")
        if sep and (protocol == ANY or scheme_of(protocol)):
            path = rest
        return path.strip("/")

    def _strip_url(self, path: Any) -> Any:
        """The face path of ``path``; a URL of this filesystem's store becomes one in its root."""
        if isinstance(path, list):
            return [self._strip_url(p) for p in path]
        split = split_url(path) if self._home is not None else None
        if split is None:
            return type(self)._strip_protocol(path)
        home_scheme, home_store, below = self._home  # type: ignore[misc]
        scheme, store, key = split
        if (scheme, store) == (home_scheme, home_store) and (key + "/").startswith(
            below + "/" if below else ""
        ):
            return self._name(key[len(below) :].strip("/"))
        raise ValueError(
            f"{stringify_path(path)!r} is not in this filesystem, which serves "
            f"{self._url_bases[0]!r}: open it through fsspec.open(url) or a filesystem of its own"
        )

    def _key(self, path: str) -> str:
        """The operator's key of a face path (both without leading or trailing ``/``)."""
        if not self._prefix or not path:  # "": the top of this filesystem, its store's root
            return path
        if not (path + "/").startswith(self._prefix):
            raise ValueError(
                f"{path!r} is not in this filesystem, whose paths start with {self._prefix!r} "
                f"({self._url_bases[0]!r})"
            )
        return path[len(self._prefix) :].strip("/")

    def _name(self, key: str) -> str:
        """The face path of an operator's key."""
        return (self._prefix + key).strip("/") if self._prefix else key

    def _k(self, path: str) -> str:
        return self._key(self._strip_protocol(path))

    @classmethod
    def _get_kwargs_from_urls(cls, path: str) -> dict[str, Any]:
        url = stringify_path(path)
        split = split_url(url)
        if split is None:
            return {}
        # The URL's path is absolute in its store: the filesystem it names is rooted at "/".
        root = {ROOT: "/"} if takes_root(split[0]) else {}
        return {FROM_URL: {"url": url, **split[1], **root}}

    def unstrip_protocol(self, name: str) -> str:
        """The URL of ``name``: ``fsspec.open`` of it opens the same object (package docstring)."""
        key = self._k(name)
        if not self._url_bases:
            return f"{ANY}://{key}"
        return self._url_bases[0] + key

    # -- metadata ------------------------------------------------------------------------
    def _dir_info(self, key: str) -> dict[str, Any]:
        return {"name": self._name(key), "size": 0, "type": _DIR}

    def _file_info(self, key: str, meta: Metadata) -> dict[str, Any]:
        if meta.is_dir:
            return self._dir_info(key)
        info: dict[str, Any] = {
            "name": self._name(key),
            "size": meta.content_length,
            "type": "file",
        }
        if meta.content_length is None:
            info["size"] = self.operator.stat(key).content_length or 0
        if meta.last_modified is not None:
            info["mtime"] = meta.last_modified
        for key in ("etag", "content_type", "version"):
            value = getattr(meta, key)
            if value is not None:
                info[key] = value
        return info

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        key = self._k(path)
        if not key:
            return self._dir_info(key)
        changes = Changes.count
        hit = self._infos.get(key)
        if hit is not None and hit[0] == changes and time.monotonic() < hit[1]:
            return dict(hit[2])
        info = self._stat_info(key)
        if self._info_expiry:
            if len(self._infos) >= _MAX_INFOS:
                self._infos.clear()
            self._infos[key] = (changes, time.monotonic() + self._info_expiry, dict(info))
        return info

    def _located(self, err: BaseException, key: str) -> None:
        """Add the URL of ``key`` to a NotFound: the key alone names neither store nor root."""
        if isinstance(err, Error) and isinstance(err, FileNotFoundError):
            err.path = self._name(key)  # the path the caller gave, which may carry the store
            err.with_context("url", self.unstrip_protocol(err.path))

    def _stat_info(self, path: str) -> dict[str, Any]:
        try:
            return self._stat_info_of(path)
        except FileNotFoundError as err:
            self._located(err, path)
            raise

    def _stat_info_of(self, path: str) -> dict[str, Any]:
        """The info of key ``path``: a file, else a directory (``stat("d/")``) where the
        operator can have one (it lists, or creates directories)."""
        missing: NotFound | None = None
        try:
            meta = self.operator.stat(path)
        except NotFound as err:
            missing = err
        except IsADirectoryError:
            pass
        else:
            if not meta.is_dir:
                return self._file_info(path, meta)
        cap = self.operator.capability()
        if missing is not None and not (cap.list or cap.create_dir):
            raise missing  # no directory can be there: not worth a second call
        try:
            self.operator.stat(path + "/")
        except NotFound as dir_missing:
            if missing is None:
                raise
            # Neither: report the path asked for, not "path/", keeping any hint on dirs.
            if "hint" in dir_missing.context:
                missing.with_context("hint", dir_missing.context["hint"])
            raise missing from missing.__cause__  # keep what the service said
        return self._dir_info(path)

    # fsspec's own isfile/isdir turn every error into False: a failing service would then
    # look like a missing file (pyarrow raises FileNotFoundError on it). Only "not found" is.
    def isfile(self, path: str) -> bool:
        try:
            return self.info(path)["type"] == "file"  # type: ignore[no-any-return]
        except FileNotFoundError:
            return False

    def isdir(self, path: str) -> bool:
        try:
            return self.info(path)["type"] == "directory"  # type: ignore[no-any-return]
        except FileNotFoundError:
            return False

    def exists(self, path: str, **kwargs: Any) -> bool:
        key = self._k(path)
        return not key or self.operator.exists(key) or self.operator.exists(key + "/")

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        key = self._k(path)
        prefix = key + "/" if key else "/"
        out = [self._entry_info(e) for e in self.operator.list(prefix) if e.path.rstrip("/") != key]
        if not out:
            info = self.info(path)  # a file lists as itself; a missing path raises
            out = [info] if info["type"] == "file" else []
        return out if detail else [o["name"] for o in out]

    def _entry_info(self, entry: Entry) -> dict[str, Any]:
        return self._file_info(entry.path.rstrip("/"), entry.metadata)

    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        if maxdepth is not None:
            return super().find(path, maxdepth, withdirs, detail, **kwargs)
        key = self._k(path)
        out: dict[str, dict[str, Any]] = {}  # by key
        for entry in self.operator.list(key + "/" if key else "/", recursive=True):
            name = entry.path.rstrip("/")
            if entry.is_dir:
                if withdirs and name != key:
                    out[name] = self._dir_info(name)
                continue
            out[name] = self._entry_info(entry)
            if withdirs:  # services without directories list only objects: add their parents
                parent = name.rpartition("/")[0]
                while parent and parent != key and parent not in out:
                    out[parent] = self._dir_info(parent)
                    parent = parent.rpartition("/")[0]
        if withdirs and key and out:
            out[key] = self._dir_info(key)
        if not out and key:
            try:
                info = self.info(self._name(key))
            except FileNotFoundError:
                info = {}
            if info.get("type") == "file" or (withdirs and info):
                out[key] = info
        names = sorted(out)
        if detail:
            return {out[n]["name"]: out[n] for n in names}
        return [out[n]["name"] for n in names]

    def modified(self, path: str) -> Any:
        info = self.info(path)
        if "mtime" not in info:
            raise NotImplementedError(f"the service gives no modification time for {path!r}")
        return info["mtime"]

    def created(self, path: str) -> Any:
        raise NotImplementedError("OpenDAL metadata has no creation time")

    def checksum(self, path: str) -> int:
        """A number that changes when the object does, the same in every process."""
        info = self.info(path)
        if info.get("etag"):
            return int(tokenize(info["name"], info["etag"], info.get("version")), 16)
        return int(tokenize(info), 16)

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget the remembered infos (listings are never cached)."""
        self._infos.clear()

    # -- reading -------------------------------------------------------------------------
    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        key = self._k(path)
        if start is None and end is None:
            try:
                return self.operator.read(key)
            except FileNotFoundError as err:
                self._located(err, key)
                raise
        return self._read_span(key, start, end, self._fresh_size)

    def _read_span(
        self, key: str, start: int | None, end: int | None, size_of: Callable[[str], int]
    ) -> bytes:
        """Bytes ``start:end`` of ``key``, sliced as fsspec slices. A span with both ends
        given, inside the object, is one read; the size (``size_of``, a stat) is asked only to
        clamp a span past the end, to count from the end, or for a directory (``b""``)."""
        if start is not None and end is not None and 0 <= start < end:
            try:
                return self.operator.read(key, offset=start, size=end - start)
            except (RangeNotSatisfied, FileNotFoundError):
                pass  # not all there, or no such object: the size decides what fsspec returns
        return self._read_range(key, size_of(key), start, end)

    def _fresh_size(self, path: str) -> int:
        # A stat, not a remembered info: a bare range read has no etag check to notice a stale one.
        return int(self._stat_info(path)["size"]) if path else 0

    def _read_range(
        self, path: str, size: int, start: int | None, end: int | None, **options: Any
    ) -> bytes:
        # Clamp as fsspec does for a file object: negative values count from the end.
        start = 0 if start is None else max(0, size + start) if start < 0 else min(start, size)
        end = size if end is None else max(0, size + end) if end < 0 else min(end, size)
        if end <= start:
            return b""
        try:
            return self.operator.read(path, offset=start, size=end - start, **options)
        except FileNotFoundError as err:
            self._located(err, path)
            raise

    def cat_ranges(
        self,
        paths: list[str],
        starts: int | list[int | None] | None,
        ends: int | list[int | None] | None,
        max_gap: int | None = None,
        on_error: str = "return",
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """Fetch the ranges concurrently, each once (``batch_size`` as in ``cat``)."""
        if not isinstance(starts, list):
            starts = [starts] * len(paths)
        if not isinstance(ends, list):
            ends = [ends] * len(paths)
        if len(starts) != len(paths) or len(ends) != len(paths):
            raise ValueError("cat_ranges: paths, starts and ends must have the same length")
        stripped = [self._k(p) for p in paths]
        sizes: dict[str, Any] = {}

        def size_of(p: str) -> int:
            if p not in sizes:
                sizes[p] = self._fresh_size(p)
            return int(sizes[p])

        def one(args: tuple[str, int | None, int | None]) -> Any:
            p, s, e = args
            return self._read_span(p, s, e, size_of)

        return self.operator.run_many(
            one,
            list(zip(stripped, starts, ends, strict=False)),
            concurrency=batch_size,
            return_exceptions=on_error == "return",
            name="cat_ranges",
            label=lambda args: repr(args[0]),
        )

    def cat(
        self,
        path: Any,
        recursive: bool = False,
        on_error: str = "raise",
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> Any:
        """fsspec's ``cat``, with the files of a list, glob or directory fetched concurrently:
        up to ``batch_size`` at once (the name fsspec's async filesystems give it; default
        32, never more than the operator's layers allow, see ``opendal_lab.core.pool``).
        ``on_error="raise"`` raises the first failure in path order."""
        paths = self.expand_path(path, recursive=recursive, **kwargs)
        one_file = len(paths) == 1 and not isinstance(path, list)
        if one_file and paths[0] == self._strip_protocol(path):
            return self.cat_file(paths[0], **kwargs)  # one file: its bytes, not a dict
        contents = self.operator.run_many(
            lambda p: self.cat_file(p, **kwargs),
            paths,
            concurrency=batch_size,
            return_exceptions=on_error != "raise",
            name="cat",
        )
        out = dict(zip(paths, contents, strict=True))
        if on_error == "omit":
            out = {p: c for p, c in out.items() if not isinstance(c, Exception)}
        return out

    # fsspec's get and put keep their path rules (globs, trailing slashes, where each file
    # lands, the containment check) and hand their (source, target) pairs to the pool in
    # place of their one-by-one loop.
    def get(
        self,
        rpath: Any,
        lpath: Any,
        recursive: bool = False,
        callback: Callback = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        """fsspec's ``get``, the files copied concurrently (``batch_size`` as in ``cat``)."""
        plan = _Plan()
        super().get(rpath, lpath, recursive, plan, maxdepth, **kwargs)
        pairs = [(remote, local) for local, remote in plan.pairs]
        self._transfer("get", self.get_file, pairs, callback, batch_size, kwargs)

    @changing
    def put(
        self,
        lpath: Any,
        rpath: Any,
        recursive: bool = False,
        callback: Callback = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        """fsspec's ``put``, the files copied concurrently (``batch_size`` as in ``cat``)."""
        plan = _Plan()
        super().put(lpath, rpath, recursive, plan, maxdepth, **kwargs)
        self._transfer("put", self.put_file, plan.pairs, callback, batch_size, kwargs)

    def _transfer(
        self,
        name: str,
        copy_file: Callable[..., Any],
        pairs: list[tuple[str, str]],
        callback: Callback,
        batch_size: int | None,
        kwargs: dict[str, Any],
    ) -> None:
        """Run ``copy_file(source, target)`` for each pair on the pool; ``callback`` counts
        the files done, each file's own progress going to the child it branches."""
        if not pairs:
            return
        callback.set_size(len(pairs))
        progress = threading.Lock()  # callbacks (tqdm's among them) are not thread-safe

        def one(pair: tuple[str, str]) -> None:
            source, target = pair
            with progress:
                child = callback.branched(source, target)
            with child:
                copy_file(source, target, callback=child, **kwargs)
            with progress:
                callback.relative_update(1)

        self.operator.run_many(
            one, pairs, concurrency=batch_size, name=name, label=lambda pair: repr(pair[0])
        )

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: Any = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> OpendalFile:
        if not autocommit:
            raise NotImplementedError("OpendalFileSystem writes commit when the file closes")
        path = self._strip_protocol(path)
        if mode == "rb":
            kwargs.setdefault("cache_type", CACHE_TYPE)
            if kwargs.get("size") is None:
                # The size comes from info(): remembered from the caller's isfile()/info() when
                # there was one, so the file itself never stats again.
                info = self.info(path)
                if info["type"] != "file":
                    raise IsADirectoryError(errno.EISDIR, "is a directory", path)
                kwargs["details"] = info
        else:
            Changes.bump()  # a writer may replace the file: forget its info now and at close
        return OpendalFile(
            self,
            path,
            mode,
            block_size="default" if block_size is None else block_size,
            cache_options=cache_options,
            **kwargs,
        )

    # -- writing -------------------------------------------------------------------------
    @changing
    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        key = self._key(path)
        if mode == "create":
            if self.operator.capability().write_with_if_not_exists:
                try:
                    self.operator.write(key, value, if_not_exists=True, **kwargs)
                except ConditionNotMatch as err:
                    raise FileExistsError(errno.EEXIST, "file exists", path) from err
                return
            if self.exists(path):
                raise FileExistsError(errno.EEXIST, "file exists", path)
        elif mode != "overwrite":
            raise ValueError(f"pipe_file: mode must be 'overwrite' or 'create', got {mode!r}")
        self.operator.write(key, value, **kwargs)

    @changing
    def put_file(
        self,
        lpath: str,
        rpath: str,
        callback: Callback = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        """fsspec's ``put_file`` without its ``mkdirs`` of the parent, which cost two stats
        and a ``create_dir`` per file: a write makes its parents on every service (a
        directory on fs, a key prefix elsewhere). A file up to ``blocksize`` is one write."""
        if mode != "overwrite" or os.path.isdir(lpath):
            super().put_file(lpath, rpath, callback=callback, mode=mode, **kwargs)
            return
        with open(lpath, "rb") as source:
            size = source.seek(0, os.SEEK_END)
            source.seek(0)
            callback.set_size(size)
            if size <= self.blocksize:
                self.pipe_file(rpath, source.read(), **kwargs)
                callback.relative_update(size)
                return
            with self.open(rpath, "wb", **kwargs) as target:
                while chunk := source.read(self.blocksize):
                    target.write(chunk)
                    callback.relative_update(len(chunk))

    @changing
    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        try:
            self.operator.copy(self._key(path1), self._key(path2))
        except (FileNotFoundError, IsADirectoryError) as err:
            if not self.isdir(path1):
                self._located(err, self._key(path1))
                raise
            self.makedirs(path2, exist_ok=True)

    @changing
    def mv(
        self,
        path1: Any,
        path2: Any,
        recursive: bool = False,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        if (
            isinstance(path1, str)
            and isinstance(path2, str)
            and not recursive
            and not path2.endswith("/")
            and self.operator.capability().rename
        ):
            p1, p2 = self._strip_protocol(path1), self._strip_protocol(path2)
            if p1 != p2 and not self.isdir(p2):
                try:
                    self.operator.rename(self._key(p1), self._key(p2))
                    return
                except (FileNotFoundError, IsADirectoryError):
                    pass  # a directory or a glob: fsspec's copy and delete handle those
        super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)

    @changing
    def rm_file(self, path: str) -> None:
        self.operator.delete(self._k(path))

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    @changing
    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        if (
            isinstance(path, str)
            and recursive
            and maxdepth is None
            and not _MAGIC.search(path)
            and self.operator.capability().delete_with_recursive
        ):
            p = self._strip_protocol(path)
            key = self._key(p)
            if key:
                info = self.info(p)  # FileNotFoundError for a missing path, as fsspec does
                self.operator.delete(key + "/" if info["type"] == _DIR else key, recursive=True)
                return
        found = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        dirs: list[str] = []
        files: list[str] = []
        for p in found:
            (dirs if self.isdir(p) else files).append(p)
        if files:
            self.operator.delete_many([self._key(f) for f in files])
        for d in sorted(dirs, key=len, reverse=True):
            if self._key(d):
                self.operator.delete(self._key(d) + "/")

    @changing
    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        if self.exists(path):
            raise FileExistsError(errno.EEXIST, "file exists", path)
        parent = self._parent(path)
        if not create_parents and parent and not self.isdir(parent):
            raise FileNotFoundError(errno.ENOENT, "parent directory does not exist", parent)
        self._create_dir(path)

    @changing
    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        if not self._key(path):
            return
        if self.isfile(path) or (not exist_ok and self.isdir(path)):
            raise FileExistsError(errno.EEXIST, "file exists", path)
        self._create_dir(path)

    def _create_dir(self, path: str) -> None:
        """What a directory is comes from the operator's capability: with ``create_dir`` a real
        one (fs, the bridges) or the marker the SimulateLayer writes (memory, s3); without,
        ``create_dir`` raises ``NotImplementedError`` naming the field and the switch."""
        self.operator.create_dir(self._key(path) + "/")

    @changing
    def rmdir(self, path: str) -> None:
        path = self._strip_protocol(path)
        if not self.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such directory", path)
        if self.ls(path, detail=False):
            raise OSError(errno.ENOTEMPTY, "directory not empty", path)
        self.operator.delete(self._key(path) + "/")


class _Plan(Callback):  # type: ignore[misc]
    """The callback handed to fsspec's own ``get``/``put``: it keeps the (local, remote)
    pairs their loop would copy one by one and gives the loop nothing to run. Should a
    later fsspec stop iterating through ``wrap``, its loop copies the files itself: still
    right, only not concurrent (tests/fsspec/test_concurrency.py would say so)."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []

    def wrap(self, iterable: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        self.pairs = list(iterable)
        return iter(())


_PROTOCOL_CLASSES: dict[str, type[OpendalFileSystem]] = {}


def class_name(scheme: str) -> str:
    """``OpendalMemoryFileSystem`` for ``memory``: the public name of a protocol's class."""
    return f"Opendal{scheme.capitalize()}FileSystem"


def protocol_class(scheme: str) -> type[OpendalFileSystem]:
    """The class of the ``opendal+<scheme>`` protocol: an :class:`OpendalFileSystem` whose
    scheme is that one, so only the service's config is left to give. One per scheme, made
    on first use and found again by name (pickle, entry points) in ``opendal_lab.fsspec``."""
    cls = _PROTOCOL_CLASSES.get(scheme)
    if cls is None:
        name = class_name(scheme)
        namespace = {
            "__module__": __name__.rpartition(".")[0],
            "__qualname__": name,
            "__doc__": f"``{PREFIX}{scheme}``: an OpendalFileSystem on service {scheme!r}.",
            "protocol": PREFIX + scheme,
            "default_scheme": scheme,
        }
        cls = _CachedByConfig(name, (OpendalFileSystem,), namespace)
        _PROTOCOL_CLASSES[scheme] = cls
    return cls
