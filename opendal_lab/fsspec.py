"""The operator seen as an fsspec filesystem: pandas, pyarrow, dask and polars read through it.

Build one from an operator or from a scheme plus its config::

    fs = OpendalFileSystem(operator=Operator("memory", name="lab"))
    fs = fsspec.filesystem("opendal", scheme="s3", bucket="b", endpoint="http://...")
    fs = fsspec.filesystem("opendal+memory", name="lab")  # the protocol names the scheme

``opendal`` serves any scheme and so needs ``operator=`` or ``scheme=``; each
``opendal+<scheme>`` protocol has its own subclass (``OpendalMemoryFileSystem``,
``OpendalFsFileSystem``, ``OpendalS3FileSystem``) whose scheme is that one, so only the
service's config is left to give.

URLs name the service in the protocol, ``opendal+<scheme>://``, and what the service needs to be
found in the part before the first ``/``:

- ``opendal+memory://<name>/<key>``: the memory store ``name`` (``opendal+memory:///<key>``:
  the store an unnamed ``Operator("memory")`` uses, ``default``);
- ``opendal+fs:///abs/dir/file``: the local file system, rooted at ``/``: the path is the
  absolute OS path, as with fsspec's ``file://``;
- ``opendal+s3://<bucket>/<key>``: an S3 bucket (endpoint, region, credentials as options);
- ``opendal://<key>``: any service, given as ``scheme=`` plus config in ``storage_options``.

So ``pd.read_parquet("opendal+s3://b/x.parquet", storage_options={"endpoint": ...})`` works with
one string. The protocols are registered with fsspec through the ``fsspec.specs`` entry points and
again when this module is imported.

A URL and ``storage_options`` never silently disagree: a key both set (``name`` for memory,
``bucket`` for s3, ``root`` for fs, which an ``opendal+fs`` URL sets to ``/``) is accepted when
both say the same and refused with ``ConfigInvalid`` naming both values when they differ.
An ``opendal+fs`` filesystem built without ``root`` (``fsspec.filesystem("opendal+fs")``) is
rooted at ``/`` too, so ``pipe("/x/y")`` writes ``/x/y``, never a path below the current
directory (the fs service itself has no default root).

Every URL the filesystem hands out (``unstrip_protocol``, so ``OpenFile.full_name`` and what
dask writes down) opens the same object again, both through ``fsspec.open(url)`` and through
this filesystem: ``opendal+memory://<name>/<root>/<key>``, ``opendal+fs://<abs root>/<key>``,
``opendal+s3://<bucket>/<root>/<key>`` (with the same endpoint and credentials given as
options, as for s3fs). A URL names the service and where its data lies, not the operator's
layers: one built from an operator with layers reopens the same objects without them (pass
``layers`` in ``storage_options`` to get them back). Where no URL can name the data (a service
without its own protocol, a memory store named ``""`` or with a ``/`` in its name) the URL is
``opendal://<key>``, which opens nothing without the same ``scheme=`` and config as options
rather than some other object.

On object stores (s3 and its kin, ``OBJECT_STORES``) a directory exists only while objects lie
below it, as with s3fs: ``mkdir`` and ``makedirs`` write no marker there (``Operator.create_dir``
still does, for those who want one).

Paths given to and returned by the filesystem are keys relative to the operator's root, without
leading or trailing ``/``. A prefix with objects below is a directory; ``info`` of a directory
asks the operator for ``stat("d/")``, which costs at most a one-entry listing.

Few storage calls per read. pyarrow through ``FSSpecHandler`` (what ``pd.read_parquet`` uses)
asks ``info`` once, then ``isfile`` and ``open`` for the footer, then ``isfile`` and ``open`` again
for the data: five stats of one file, a few milliseconds apart. So:

- ``info`` is remembered for ``info_expiry_time`` seconds (default 1; 0 turns it off).
  Any change made through an ``OpendalFileSystem`` of this process (write, copy, move, delete,
  mkdir) forgets every remembered info at once, as does ``invalidate_cache()``; a change made
  by another process or straight through an ``Operator`` can go unseen for that long.
- ``open`` takes the size from that info: at most one stat per file, and none when the caller
  gives ``size=``. Where the service checks etags (s3, memory, fs) the file's reads carry
  ``if_match``, so a stale info is never read torn: an object replaced before the file read
  anything is taken afresh (size and etag) at the first read; one replaced after bytes were
  read from it fails with ``ConditionNotMatch`` (an ``OSError``). On a service without etag
  checks a file that grew reads at its old size for as long as the info is remembered.
  ``cat_file`` with a range and ``cat_ranges`` always stat afresh.
- Files read with the ``"opendal-readahead"`` cache: small reads fetch a block ahead as fsspec's
  ``"readahead"`` does, but a read of half a block or more (pyarrow's column chunks) is fetched
  exactly as asked, in one call, without the block of read-ahead that nearly doubled a
  single-column read. Pass ``cache_type=`` to pick another.
"""

from __future__ import annotations

import errno
import functools
import io
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import fsspec  # type: ignore[import-untyped]
from fsspec.caching import BaseCache, register_cache  # type: ignore[import-untyped]
from fsspec.spec import (  # type: ignore[import-untyped]
    AbstractBufferedFile,
    AbstractFileSystem,
)
from fsspec.utils import stringify_path, tokenize  # type: ignore[import-untyped]

from opendal_lab.core.errors import ConditionNotMatch, ConfigInvalid, Error, NotFound
from opendal_lab.core.operator import Operator
from opendal_lab.core.types import Entry, Metadata

__all__ = [
    "OpendalFile",
    "OpendalFileSystem",
    "OpendalFsFileSystem",
    "OpendalMemoryFileSystem",
    "OpendalS3FileSystem",
    "ReadaheadExactCache",
]

PROTOCOLS = ("opendal", "opendal+memory", "opendal+fs", "opendal+s3")
# Keyword arguments that belong to AbstractFileSystem, not to the operator's config.
_FSSPEC_KWARGS = ("use_listings_cache", "listings_expiry_time", "max_paths", "asynchronous", "loop")
_MAX_WORKERS = 16
# Object stores: a directory exists only while objects lie below it, as in s3fs.
OBJECT_STORES = frozenset({"s3", "gcs", "azblob", "oss", "cos", "obs", "b2", "r2"})
_MAGIC = re.compile(r"[*?\[]")
#: How long ``info`` is remembered, unless ``info_expiry_time=`` says otherwise.
INFO_EXPIRY_TIME = 1.0
_MAX_INFOS = 10_000  # remembered infos per filesystem; past that the memory starts over
_CACHE_TYPE = "opendal-readahead"
# _get_kwargs_from_urls puts what the URL names under this key, not beside storage_options'
# own keys: fsspec would merge the two with dict(**a, **b), a TypeError when both set one.
_FROM_URL = "_opendal_from_url"


F = TypeVar("F", bound=Callable[..., Any])


class _Changes:
    """Counts the changes made through every OpendalFileSystem of this process.

    A remembered ``info`` is good only while the count is the one read before its stat, so a
    write through one instance (a pickled copy, the one fsspec caches for a URL) is seen by all.
    """

    count = 0

    @classmethod
    def bump(cls) -> None:
        cls.count += 1


def _changing(method: F) -> F:
    """Mark a method that changes storage: remembered infos are dropped when it returns or fails."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            _Changes.bump()

    return wrapper  # type: ignore[return-value]


def _merge_url_config(from_url: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` (storage_options) plus what the URL names; refuse a key both set differently."""
    url = from_url.get("url", "")
    merged = dict(given)
    for key, value in from_url.items():
        if key == "url":
            continue
        if key in given and not _same_config(key, given[key], value):
            hint = (
                "; an opendal+fs URL names an absolute path, so its root is '/': drop 'root' "
                "from storage_options, or give filesystem('opendal+fs', root=...) paths "
                "relative to that root"
                if key == "root"
                else f"; drop {key!r} from storage_options or change the URL"
            )
            raise ConfigInvalid(
                f"{key!r} is given twice and differs: the URL {url!r} says {value!r}, "
                f"storage_options say {given[key]!r}{hint}"
            ).with_context("key", key)
        merged[key] = value
    return merged


def _same_config(key: str, a: Any, b: Any) -> bool:
    if a == b:
        return True
    if key == "root" and isinstance(a, str) and isinstance(b, str):  # "/" and "//" alike
        return a.strip("/") == b.strip("/") == ""
    return False


class _Meta(type(AbstractFileSystem)):  # type: ignore[misc]
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        from_url = kwargs.pop(_FROM_URL, None)
        if from_url is not None:
            kwargs = _merge_url_config(from_url, kwargs)
        # fsspec keys its instance cache on str() of the arguments; two operators with the same
        # repr would share an instance, so an instance built from an operator is never cached.
        if kwargs.get("operator") is not None or args:
            kwargs.setdefault("skip_instance_cache", True)
        else:
            if (kwargs.get("scheme") or cls.default_scheme) == "fs" and not kwargs.get("root"):
                # fsspec paths are absolute, as LocalFileSystem's: "/x/y" is /x/y, not ./x/y.
                kwargs["root"] = "/"
            if cls.default_scheme is not None and kwargs.get("scheme") == cls.default_scheme:
                # A URL names the scheme again (_get_kwargs_from_urls): dropping it lets
                # "opendal+memory://x/k" and filesystem("opendal+memory", name="x") share an
                # instance.
                del kwargs["scheme"]
        # The cache token is str() of the kwargs dict, so their order would count too.
        kwargs = dict(sorted(kwargs.items(), key=lambda item: item[0]))
        return super().__call__(*args, **kwargs)


class OpendalFileSystem(AbstractFileSystem, metaclass=_Meta):  # type: ignore[misc]
    """An fsspec filesystem over an :class:`~opendal_lab.Operator`."""

    protocol: str | tuple[str, ...] = PROTOCOLS
    #: The scheme this class's protocol names; None for ``opendal``, which serves any.
    default_scheme: str | None = None
    root_marker = ""

    def __init__(
        self, operator: Operator | None = None, *, scheme: str | None = None, **config: Any
    ) -> None:
        fs_kwargs = {k: config.pop(k) for k in _FSSPEC_KWARGS if k in config}
        expiry = config.pop("info_expiry_time", INFO_EXPIRY_TIME)
        super().__init__(**fs_kwargs)
        if isinstance(expiry, bool) or not isinstance(expiry, (int, float)) or expiry < 0:
            raise ValueError(f"info_expiry_time must be a number >= 0, got {expiry!r}")
        self._info_expiry = float(expiry)
        # path -> (change count before the stat, monotonic expiry, info).
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
        self._url_bases = _url_bases(operator)
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
        if sep and protocol in PROTOCOLS:
            path = rest.partition("/")[2] if protocol in ("opendal+memory", "opendal+s3") else rest
        return path.strip("/")

    def _strip_url(self, path: Any) -> Any:
        """The key of ``path``; a URL of this filesystem's store becomes a key below its root."""
        if isinstance(path, list):
            return [self._strip_url(p) for p in path]
        path = stringify_path(path)
        protocol, sep, _ = path.partition("://")
        if not sep or protocol not in PROTOCOLS or protocol == "opendal" or not self._url_bases:
            return type(self)._strip_protocol(path)
        if protocol == "opendal+fs":  # "opendal+fs://a/b" is /a/b too, as the class reads it
            slashed = f"{protocol}:///{type(self)._strip_protocol(path)}/"
        else:
            slashed = path if path.endswith("/") else path + "/"
        for base in self._url_bases:
            if slashed.startswith(base):
                return slashed[len(base) :].strip("/")
        raise ValueError(
            f"{path!r} is not in this filesystem, which serves {self._url_bases[0]!r}: "
            "open it through fsspec.open(url) or a filesystem of its own"
        )

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        url = stringify_path(path)
        protocol, sep, rest = url.partition("://")
        if not sep or not protocol.startswith("opendal+"):
            return {}
        scheme = protocol.removeprefix("opendal+")
        netloc = rest.partition("/")[0]
        named: dict[str, Any] = {"url": url, "scheme": scheme}
        if scheme == "memory" and netloc:
            named["name"] = netloc
        elif scheme == "s3":
            named["bucket"] = netloc
        elif scheme == "fs":
            named["root"] = "/"
        return {_FROM_URL: named}

    def unstrip_protocol(self, name: str) -> str:
        """The URL of ``name``: ``fsspec.open`` of it opens the same object (module docstring)."""
        key: str = self._strip_protocol(name)
        if not self._url_bases:
            return f"opendal://{key}"
        return self._url_bases[0] + key

    # -- metadata ------------------------------------------------------------------------
    def _file_info(self, name: str, meta: Metadata) -> dict[str, Any]:
        if meta.is_dir:
            return {"name": name, "size": 0, "type": "directory"}
        info: dict[str, Any] = {"name": name, "size": meta.content_length, "type": "file"}
        if meta.content_length is None:
            info["size"] = self.operator.stat(name).content_length or 0
        if meta.last_modified is not None:
            info["mtime"] = meta.last_modified
        for key in ("etag", "content_type", "version"):
            value = getattr(meta, key)
            if value is not None:
                info[key] = value
        return info

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        if not path:
            return {"name": "", "size": 0, "type": "directory"}
        changes = _Changes.count
        hit = self._infos.get(path)
        if hit is not None and hit[0] == changes and time.monotonic() < hit[1]:
            return dict(hit[2])
        info = self._stat_info(path)
        if self._info_expiry:
            if len(self._infos) >= _MAX_INFOS:
                self._infos.clear()
            self._infos[path] = (changes, time.monotonic() + self._info_expiry, dict(info))
        return info

    def _located(self, err: BaseException, path: str) -> None:
        """Add the URL of ``path`` to a NotFound: the key alone names neither store nor root."""
        if isinstance(err, Error) and isinstance(err, FileNotFoundError):
            err.with_context("url", self.unstrip_protocol(path))

    def _stat_info(self, path: str) -> dict[str, Any]:
        try:
            return self._stat_info_of(path)
        except FileNotFoundError as err:
            self._located(err, path)
            raise

    def _stat_info_of(self, path: str) -> dict[str, Any]:
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
        try:
            self.operator.stat(path + "/")
        except NotFound as dir_missing:
            if missing is None:
                raise
            # Neither: report the path asked for, not "path/", keeping any hint on dirs.
            if "hint" in dir_missing.context:
                missing.with_context("hint", dir_missing.context["hint"])
            raise missing from missing.__cause__  # keep what the service said
        return {"name": path, "size": 0, "type": "directory"}

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
        path = self._strip_protocol(path)
        return not path or self.operator.exists(path) or self.operator.exists(path + "/")

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        path = self._strip_protocol(path)
        prefix = path + "/" if path else "/"
        out = [
            self._entry_info(e) for e in self.operator.list(prefix) if e.path.rstrip("/") != path
        ]
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
        path = self._strip_protocol(path)
        out: dict[str, dict[str, Any]] = {}
        for entry in self.operator.list(path + "/" if path else "/", recursive=True):
            name = entry.path.rstrip("/")
            if entry.is_dir:
                if withdirs and name != path:
                    out[name] = {"name": name, "size": 0, "type": "directory"}
                continue
            out[name] = self._entry_info(entry)
            if withdirs:  # services without directories list only objects: add their parents
                parent = name.rpartition("/")[0]
                while parent and parent != path and parent not in out:
                    out[parent] = {"name": parent, "size": 0, "type": "directory"}
                    parent = parent.rpartition("/")[0]
        if withdirs and path and out:
            out[path] = {"name": path, "size": 0, "type": "directory"}
        if not out and path:
            try:
                info = self.info(path)
            except FileNotFoundError:
                info = {}
            if info.get("type") == "file" or (withdirs and info):
                out[path] = info
        names = sorted(out)
        return {n: out[n] for n in names} if detail else names

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
        path = self._strip_protocol(path)
        if start is None and end is None:
            try:
                return self.operator.read(path)
            except FileNotFoundError as err:
                self._located(err, path)
                raise
        return self._read_range(path, self._fresh_size(path), start, end)

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
        **kwargs: Any,
    ) -> list[Any]:
        """Fetch the ranges concurrently, each once, on a thread pool."""
        if not isinstance(starts, list):
            starts = [starts] * len(paths)
        if not isinstance(ends, list):
            ends = [ends] * len(paths)
        if len(starts) != len(paths) or len(ends) != len(paths):
            raise ValueError("cat_ranges: paths, starts and ends must have the same length")
        stripped = [self._strip_protocol(p) for p in paths]
        sizes: dict[str, Any] = {}

        def size_of(p: str) -> int:
            if p not in sizes:
                sizes[p] = self._fresh_size(p)
            return int(sizes[p])

        def one(args: tuple[str, int | None, int | None]) -> Any:
            p, s, e = args
            try:
                return self._read_range(p, size_of(p), s, e)
            except Exception as err:
                if on_error == "return":
                    return err
                raise

        with ThreadPoolExecutor(min(_MAX_WORKERS, max(1, len(paths)))) as pool:
            return list(pool.map(one, zip(stripped, starts, ends, strict=False)))

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
            kwargs.setdefault("cache_type", _CACHE_TYPE)
            if kwargs.get("size") is None:
                # The size comes from info(): remembered from the caller's isfile()/info() when
                # there was one, so the file itself never stats again.
                info = self.info(path)
                if info["type"] != "file":
                    raise IsADirectoryError(errno.EISDIR, "is a directory", path)
                kwargs["details"] = info
        else:
            _Changes.bump()  # a writer may replace the file: forget its info now and at close
        return OpendalFile(
            self,
            path,
            mode,
            block_size="default" if block_size is None else block_size,
            cache_options=cache_options,
            **kwargs,
        )

    # -- writing -------------------------------------------------------------------------
    @_changing
    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        if mode == "create":
            if self.operator.capability().write_with_if_not_exists:
                try:
                    self.operator.write(path, value, if_not_exists=True, **kwargs)
                except ConditionNotMatch as err:
                    raise FileExistsError(errno.EEXIST, "file exists", path) from err
                return
            if self.exists(path):
                raise FileExistsError(errno.EEXIST, "file exists", path)
        elif mode != "overwrite":
            raise ValueError(f"pipe_file: mode must be 'overwrite' or 'create', got {mode!r}")
        self.operator.write(path, value, **kwargs)

    @_changing
    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        path1, path2 = self._strip_protocol(path1), self._strip_protocol(path2)
        try:
            self.operator.copy(path1, path2)
        except (FileNotFoundError, IsADirectoryError) as err:
            if not self.isdir(path1):
                self._located(err, path1)
                raise
            self.makedirs(path2, exist_ok=True)

    @_changing
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
                    self.operator.rename(p1, p2)
                    return
                except (FileNotFoundError, IsADirectoryError):
                    pass  # a directory or a glob: fsspec's copy and delete handle those
        super().mv(path1, path2, recursive=recursive, maxdepth=maxdepth, **kwargs)

    @_changing
    def rm_file(self, path: str) -> None:
        self.operator.delete(self._strip_protocol(path))

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    @_changing
    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        if (
            isinstance(path, str)
            and recursive
            and maxdepth is None
            and not _MAGIC.search(path)
            and self.operator.capability().delete_with_recursive
        ):
            p = self._strip_protocol(path)
            if p:
                info = self.info(p)  # FileNotFoundError for a missing path, as fsspec does
                self.operator.delete(p + "/" if info["type"] == "directory" else p, recursive=True)
                return
        found = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        dirs: list[str] = []
        files: list[str] = []
        for p in found:
            (dirs if self.isdir(p) else files).append(p)
        if files:
            self.operator.delete_many(files)
        for d in sorted(dirs, key=len, reverse=True):
            if d:
                self.operator.delete(d + "/")

    @_changing
    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        path = self._strip_protocol(path)
        if self.exists(path):
            raise FileExistsError(errno.EEXIST, "file exists", path)
        parent = self._parent(path)
        if not create_parents and parent and not self.isdir(parent):
            raise FileNotFoundError(errno.ENOENT, "parent directory does not exist", parent)
        if self.operator.scheme not in OBJECT_STORES:
            self.operator.create_dir(path + "/")

    @_changing
    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        if not path:
            return
        if self.isfile(path) or (not exist_ok and self.isdir(path)):
            raise FileExistsError(errno.EEXIST, "file exists", path)
        if self.operator.scheme not in OBJECT_STORES:
            self.operator.create_dir(path + "/")

    @_changing
    def rmdir(self, path: str) -> None:
        path = self._strip_protocol(path)
        if not self.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such directory", path)
        if self.ls(path, detail=False):
            raise OSError(errno.ENOTEMPTY, "directory not empty", path)
        self.operator.delete(path + "/")


class _Replaced(Exception):
    """The object changed before this file read anything from it."""


class OpendalFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file object: ranged reads through the operator, writes streamed to its writer."""

    fs: OpendalFileSystem
    cache: Any  # fsspec's read cache, built by AbstractBufferedFile

    def __init__(
        self,
        fs: OpendalFileSystem,
        path: str,
        mode: str = "rb",
        details: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        if details is not None:  # the info open() had: AbstractBufferedFile takes its size
            self._details = details
        self._write_options: dict[str, Any] = {}
        if mode == "xb":
            if fs.exists(path):
                raise FileExistsError(errno.EEXIST, "file exists", path)
            if fs.operator.capability().write_with_if_not_exists:
                self._write_options["if_not_exists"] = True
            mode = "wb"
        elif mode == "ab":
            if not fs.operator.capability().write_can_append:
                raise NotImplementedError(f"{fs.operator.scheme} cannot append")
            self._write_options["append"] = True
        self._writer: io.IOBase | None = None
        self._served = False  # whether any bytes were read (a replaced file then fails)
        # Reads are pinned to the object the size came from, where the service can check an
        # etag: a file replaced since (even within the remembered info's lifetime) fails with
        # ConditionNotMatch instead of being read torn.
        self._read_options: dict[str, Any] = {}
        etag = details.get("etag") if details is not None else None
        if etag and mode == "rb" and fs.operator.capability().read_with_if_match:
            self._read_options["if_match"] = etag
        super().__init__(fs, path, mode, **kwargs)
        if mode == "ab":
            self.loc = 0  # the writer appends; the position counts what this file wrote

    def _fetch_range(self, start: int, end: int) -> bytes:
        try:
            data = self.fs._read_range(self.path, self.size, start, end, **self._read_options)
        except ConditionNotMatch as err:
            self.fs._infos.pop(self.path, None)  # the next open stats afresh
            if not self._served:
                raise _Replaced from err  # nothing read yet: read() starts over on the new one
            err.with_context("changed", "since the file was opened and read from")
            raise
        self._served = True
        return data

    def read(self, length: int = -1) -> bytes:
        try:
            return super().read(length)  # type: ignore[no-any-return]
        except _Replaced:
            # The file was replaced between its (remembered) info and the first read: take
            # the new one whole, size, etag and all, as a fresh open would.
            info = self.fs._stat_info(self.path)
            self.details, self.size = info, info["size"]
            if "if_match" in self._read_options and info.get("etag"):
                self._read_options["if_match"] = info["etag"]
            cache_class: Any = type(self.cache)
            self.cache = cache_class(self.blocksize, self._fetch_range, self.size)
            return super().read(length)  # type: ignore[no-any-return]

    def _initiate_upload(self) -> None:
        self._writer = self.fs.operator.open(self.path, "wb", **self._write_options)

    def _upload_chunk(self, final: bool = False) -> bool:
        assert self._writer is not None
        self._writer.write(self.buffer.getbuffer())
        if final:
            try:
                self._writer.close()
            except ConditionNotMatch as err:
                raise FileExistsError(errno.EEXIST, "file exists", self.path) from err
            finally:
                _Changes.bump()
        return True

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.abort()  # type: ignore[attr-defined]
            self._writer = None
            _Changes.bump()
        self.closed = True

    def __exit__(self, exc_type: Any, *args: Any) -> None:
        # A write that failed leaves nothing behind instead of a partial object.
        if exc_type is not None and self.writable() and not self.closed:
            self.discard()
            return
        self.close()


class ReadaheadExactCache(BaseCache):  # type: ignore[misc]
    """fsspec's ``"readahead"`` for small reads; a read of half a block or more is fetched as asked.

    A read shorter than half the block size fetches a whole block from where it starts and keeps
    it, so small sequential reads (lines, CSV chunks, tiny column chunks close together) cost one
    call per block. A longer read (pyarrow's column chunks and coalesced ranges, ``read()`` of
    the rest) is fetched in one call of exactly its size and not kept: fsspec's ``"readahead"``
    fetches a block beyond every read, so a single-column parquet read pulled a block of the
    neighbouring columns with each of its chunks, for nothing.
    """

    name = _CACHE_TYPE

    def __init__(self, blocksize: int, fetcher: Callable[[int, int], bytes], size: int) -> None:
        super().__init__(blocksize, fetcher, size)
        self.cache: bytes = b""
        self.start = 0
        self.end = 0

    def _fetch(self, start: int | None, end: int | None) -> bytes:
        start = 0 if start is None else start
        end = self.size if end is None or end > self.size else end
        if start >= self.size or start >= end:
            return b""
        if self.start <= start and end <= self.end:
            self.hit_count += 1
            return self.cache[start - self.start : end - self.start]
        self.miss_count += 1
        head = b""
        if self.start <= start < self.end:  # the beginning is kept: fetch only the rest
            head = self.cache[start - self.start :]
            start = self.end
        if 2 * (end - start) >= self.blocksize:
            self.total_requested_bytes += end - start
            data: bytes = self.fetcher(start, end)
            return head + data if head else data
        stop = min(self.size, start + self.blocksize)
        self.total_requested_bytes += stop - start
        self.cache = self.fetcher(start, stop)
        self.start, self.end = start, start + len(self.cache)
        return head + self.cache[: end - start]


class OpendalMemoryFileSystem(OpendalFileSystem):
    """``opendal+memory``: an :class:`OpendalFileSystem` on the memory service (``name=``)."""

    protocol = "opendal+memory"
    default_scheme = "memory"


class OpendalFsFileSystem(OpendalFileSystem):
    """``opendal+fs``: an :class:`OpendalFileSystem` on the local file system (``root=``)."""

    protocol = "opendal+fs"
    default_scheme = "fs"


class OpendalS3FileSystem(OpendalFileSystem):
    """``opendal+s3``: an :class:`OpendalFileSystem` on S3 (``bucket=``, ``endpoint=``, ...)."""

    protocol = "opendal+s3"
    default_scheme = "s3"


def _url_bases(operator: Operator) -> tuple[str, ...]:
    """The URL prefixes naming ``operator``'s root, the canonical one first; () if none can."""
    info = operator.info()
    scheme = operator.scheme
    if scheme == "fs":
        return (f"opendal+fs://{info.root.rstrip('/')}/",)  # the root is a real absolute path
    prefix = info.root.strip("/")
    below = prefix + "/" if prefix else ""
    if scheme == "memory":
        name = info.name
        if not name or "/" in name:
            return ()
        bases = (f"opendal+memory://{name}/{below}",)
        # "opendal+memory:///k" opens the default store too.
        return (*bases, f"opendal+memory:///{below}") if name == "default" else bases
    if scheme == "s3" and info.name and "/" not in info.name:
        return (f"opendal+s3://{info.name}/{below}",)
    return ()


#: Each protocol and its class; the ``fsspec.specs`` entry points in pyproject.toml say the same.
_CLASSES: dict[str, type[OpendalFileSystem]] = {
    "opendal": OpendalFileSystem,
    "opendal+memory": OpendalMemoryFileSystem,
    "opendal+fs": OpendalFsFileSystem,
    "opendal+s3": OpendalS3FileSystem,
}


def _register() -> None:
    for protocol in PROTOCOLS:
        fsspec.register_implementation(protocol, _CLASSES[protocol], clobber=True)
    register_cache(ReadaheadExactCache, clobber=True)


_register()
