"""fs: a local directory, with every path confined to it.

- Root jail: ``..`` segments are refused, and a *walk* checks each existing path component
  with ``lstat`` from the root; a symlink is followed only when its target stays inside the
  root. Anything else is ``PermissionDenied``, and nothing outside the root is read, written
  or listed. Writes, deletes, create_dir, copy and rename walk every time.
- Verified inodes: stat, read and list cost one ``lstat`` of the path instead of one per
  component when a walk has vouched for what it reaches (two when only its directory was
  vouched for: that one is ``lstat``'ed too). A walk remembers the inode number, device and
  change time (``st_ctime_ns``) of every directory and object it reached through real
  directories, by relative path; a later ``lstat`` through the same path that reaches an
  inode with the same three is taken without a walk, anything else walks again.
  Why this is as strict as the walk: the kernel resolves the path afresh on every call, and
  the same three mean the very inode the walk found inside the root, unchanged since. The
  change time moves on every rename, link, unlink, chmod and write of an inode (for a
  directory, on every entry added, removed or renamed in it), and no process sets it, so a
  symlink put on the way since, or an object swapped for a link, leads to another inode
  and back to the walk; a symlink at the end is never taken on trust. The one case a walk
  refuses and this takes: a directory above it moved out of the root on the same filesystem
  and a symlink to its new place put in its stead (moving leaves the inodes below it
  unchanged). Then reads reach the inodes that were verified inside, not new ones, and
  writes still walk. The memory is bounded (``_KNOWN_MAX``) and never needs clearing for
  correctness: a stale entry simply fails to match. For a file, it also keeps the metadata
  stat built, handed out again while the ``lstat`` shows the same inode, ctime, mtime and
  size (all the metadata is made of), so a repeated stat costs the syscall and a compare.
- Check and use (TOCTOU): as before, another local process that can already write inside
  the root can swap a symlink in between the check and the use, since the use resolves the
  path again (read and list reopen it). Neither the walk nor the verified inode guards that
  race; only ``openat2(RESOLVE_BENEATH)``-style resolution would, and Python has no binding
  for it. (A stat found by one ``lstat`` has no gap: the answer checked is the one returned.)
  ``open_fd`` hands out the descriptor ``read`` would read from, opened after the same
  checks, to a reader that maps the file itself (FileSource's parquet reads): the window is
  the same one, as the reader never resolves the path again.
- Atomic writes: data goes to a hidden temporary file beside the target and is renamed into
  place at the end, so a killed write leaves the old content or nothing (``write`` with
  ``if_not_exists`` links instead of renaming, which fails atomically if the target exists).
  Appends write in place: what was appended before a crash stays.
- Native: create_dir, recursive delete, suffix reads, append, copy, rename; lists one
  directory at a time (SimulateLayer adds recursive, start_after, limit).
- List order: the entries of one directory come in path order (a directory's path ends in
  ``/``, so ``a.txt`` < ``a/`` < ``a0``), which recursive listing, start_after and the
  behavior suite rely on, so the names must all be read before the first child can be
  yielded. ``list("d/")`` yields ``d/`` before reading the directory; then it reads the
  names in one pass (``os.listdir``: no stat, no object per entry, about a fifth of the cost
  of a listing), sorts them and stats each entry only as it is yielded, so a consumer that
  stops early pays for the names only, the cost is linear past the sort, and nothing is kept
  of entries already handed out (no garbage collection runs during a long listing).
  A symlink to a directory inside the root is listed with mode UNKNOWN and not followed by
  recursive listing (links to an ancestor would loop); it can still be read through.
- Metadata: stat and list hand out ``metadata.StatMetadata``, whose ``last_modified`` and
  ``etag`` are derived from the ``stat_result`` when first read.
- Unlike object stores, ``stat("d")`` of a directory named without its ``/`` is a DIR, and a
  non-recursive ``delete("d/")`` of a non-empty directory raises ``Conflict``.

Config: ``root``, required: ``Operator("fs", root="/data")``. There is no default (the current
directory would be a surprise, as upstream OpenDAL agrees). Building the operator creates
nothing: a root that is missing is created by the first write (write, writer, append,
create_dir, the target of copy or rename). Until then read-only calls see an empty root: stat
and read raise ``NotFound``, list yields nothing, exists is False. A root that is a file, or lies
below one, is refused at once with ``ConfigInvalid``.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import os
import shutil
import stat as st_mod
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from opendal_lab.core.access import Service
from opendal_lab.core.capability import Capability
from opendal_lab.core.config import Check, build_config, configured
from opendal_lab.core.errors import (
    ConditionNotMatch,
    ConfigInvalid,
    Error,
    IsADirectory,
    NotADirectory,
    NotFound,
    PermissionDenied,
    RangeNotSatisfied,
    from_os_error,
)
from opendal_lab.core.options import (
    DEFAULT_READ,
    DEFAULT_STAT,
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.path import ROOT, parent
from opendal_lab.core.registry import refuse_subscheme
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata
from opendal_lab.services.fs.metadata import StatMetadata, dir_metadata, etag, file_metadata

__all__ = ["SCHEME", "FsConfig", "FsService", "FsWriter"]

SCHEME = "fs"
_TMP_SUFFIX = ".opendal_lab.tmp"
_O_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_O_LIST = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
#: How many verified inodes a service remembers; past it, it forgets them all and walks again.
_KNOWN_MAX = 4096
#: What ``_verified`` answers when only a walk can tell (compared by identity).
_UNVERIFIED = os.stat_result((0,) * 10)
_new_tuple = tuple.__new__
_FILE = EntryMode.FILE
#: The fields of a file's StatMetadata after its etag: all unset.
_UNSET = (None,) * 8 + (False,)
_S_IFMT, _S_IFREG, _S_IFDIR, _S_IFLNK = 0o170000, st_mod.S_IFREG, st_mod.S_IFDIR, st_mod.S_IFLNK


@dataclass
class FsConfig:
    """The fs service's config: its one declaration (``FsService``'s signature, the keys
    ``Operator("fs", ...)`` and ``fs://`` URIs take, and their checks)."""

    root: Annotated[str, Check(path=True, doc="the local directory served (required)")] = ""


@configured()
class FsService(Service):
    scheme = SCHEME
    config_class = FsConfig
    native = Capability(
        stat=True,
        read=True,
        read_with_suffix=True,
        read_with_if_match=True,
        read_with_if_none_match=True,
        stat_with_if_match=True,
        stat_with_if_none_match=True,
        write=True,
        write_can_empty=True,
        write_can_multi=True,
        write_can_append=True,
        write_with_if_not_exists=True,
        create_dir=True,
        delete=True,
        delete_with_recursive=True,
        copy=True,
        rename=True,
        list=True,
        shared=True,
    )

    def __init__(self, *args: Any, **values: Any) -> None:
        """``FsService(root="/data")`` or ``FsService(FsConfig(...))``: the fields of
        ``FsConfig``, checked (the signature shown is theirs)."""
        root = build_config(FsConfig, args, values, SCHEME).root
        if not root or not root.strip():
            raise ConfigInvalid(
                "fs needs a root, the local directory it serves: "
                'Operator("fs", root="/data") (there is no default: the current directory '
                "would be a surprise)",
                service=SCHEME,
            ).with_context("root", repr(root))
        real = os.path.realpath(os.path.expanduser(root))
        _check_root(root, real)  # reads only: nothing is created before the first write
        super().__init__(root=real)
        self._root = real
        self._root_ready = False  # whether the root is known to exist (then it is not checked)
        # rel path -> what a walk reached through real directories: its ctime, inode and
        # device, then for a file the metadata stat last built of it and its mtime
        self._known: dict[str, tuple[int, int, int, Metadata | None, int]] = {}

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        """``fs:///abs/dir`` or ``file:///abs/dir``; ``fs://rel/dir`` is relative to the cwd
        (said explicitly); ``fs://`` names no root and is refused like ``Operator("fs")``."""
        refuse_subscheme(SCHEME, subscheme)
        return {"root": host + path if host else path}

    # -- confinement ---------------------------------------------------------------
    def _resolve(
        self, path: str, operation: str, shown: str | None = None, *, reads: bool = False
    ) -> tuple[str, os.stat_result | None]:
        """The OS path for ``path`` and its ``stat`` (``None`` if missing), inside the root.

        ``shown`` is the path errors name (the caller's, when ``path`` is its parent).
        ``reads`` (stat, read, list) lets an inode verified before stand for a walk.
        """
        rel = "" if path == ROOT else path.rstrip("/")
        if reads and "/" in rel:  # a top-level name costs one lstat in the walk anyway
            st = self._verified(rel)
            if st is not _UNVERIFIED:
                return self._root + "/" + rel, st
        shown = path if shown is None else shown
        if not rel:
            try:
                return self._root, os.stat(self._root)
            except (FileNotFoundError, NotADirectoryError):
                return self._root, None  # not created yet: no write has happened
        if ".." in rel and ".." in rel.split("/"):
            raise PermissionDenied(
                "path has a '..' segment, which could leave the root",
                operation=operation,
                service=SCHEME,
                path=shown,
            )
        return self._root + "/" + rel, self._walk(rel, operation, shown)

    def _verified(self, rel: str) -> os.stat_result | None:
        """``rel``'s lstat if a walk vouched for what it reaches, else ``_UNVERIFIED``.

        One lstat when ``rel`` itself was verified, two when its directory was.
        """
        if ".." in rel:
            return _UNVERIFIED  # the walk refuses '..' segments
        known = self._known
        st: os.stat_result | None
        try:
            st = os.lstat(self._root + "/" + rel)
        except (FileNotFoundError, NotADirectoryError):
            st = None
        except OSError:
            return _UNVERIFIED  # a name too long, a loop...: the walk says which error
        else:
            ident = known.get(rel)
            if ident is not None and (
                st.st_ctime_ns == ident[0] and st.st_ino == ident[1] and st.st_dev == ident[2]
            ):
                return st
            if st_mod.S_ISLNK(st.st_mode):
                return _UNVERIFIED  # where a link leads is the walk's business
        head = rel.rpartition("/")[0]
        vouched = known.get(head)
        if vouched is None:
            return _UNVERIFIED
        try:
            dst = os.lstat(self._root + "/" + head)
        except OSError:
            return _UNVERIFIED
        if (dst.st_ctime_ns, dst.st_ino, dst.st_dev) != vouched[:3]:
            return _UNVERIFIED
        if st is not None:
            self._remember(rel, st)
        return st

    def _remember(self, rel: str, st: os.stat_result, meta: Metadata | None = None) -> None:
        known = self._known
        if len(known) >= _KNOWN_MAX:  # bounded: forgetting only costs a walk
            known.clear()
        known[rel] = (st.st_ctime_ns, st.st_ino, st.st_dev, meta, st.st_mtime_ns)

    def _walk(self, rel: str, operation: str, shown: str) -> os.stat_result | None:
        """lstat each component of ``rel`` from the root; a symlink must lead inside.

        Inodes reached through real directories only are remembered for ``_verified``.
        """
        cur = self._root
        st: os.stat_result | None = None
        linked = False
        for part in rel.split("/"):
            cur = cur + "/" + part
            try:
                st = os.lstat(cur)
            except (FileNotFoundError, NotADirectoryError):
                return None
            if st_mod.S_ISLNK(st.st_mode):
                self._check_link(cur, operation, shown)
                linked = True
                try:
                    st = os.stat(cur)
                except FileNotFoundError:  # dangling link
                    return None
                except OSError as err:  # a loop (ELOOP) never resolves: PermissionDenied
                    raise self._error(err, operation, shown) from err
            elif not linked:
                self._remember(cur[len(self._root) + 1 :], st)
        return st

    def _check_link(self, os_path: str, operation: str, path: str) -> None:
        real = os.path.realpath(os_path)
        if real != self._root and not real.startswith(self._root + "/"):
            raise PermissionDenied(
                "path goes through a symlink that leads outside the root",
                operation=operation,
                service=SCHEME,
                path=path,
            )

    def _ensure_root(self, operation: str) -> None:
        """Create the root if it is missing: called by every write, and only by them."""
        if self._root_ready:
            return
        try:
            os.makedirs(self._root, exist_ok=True)
        except FileExistsError as err:  # a file took the root's place since the build
            raise NotADirectory(
                f"the root {self._root} is not a directory", operation=operation, service=SCHEME
            ) from err
        except OSError as err:
            raise self._error(err, operation, ROOT).with_context("root", self._root) from err
        # Confinement trusts the root's real path, resolved at the build: a symlink put on
        # the way since then would move the whole jail.
        if os.path.realpath(self._root) != self._root:
            raise PermissionDenied(
                f"the root {self._root} now resolves elsewhere (a symlink on its path)",
                operation=operation,
                service=SCHEME,
            )
        self._root_ready = True

    def _error(self, err: OSError, operation: str, path: str) -> Error:
        return from_os_error(err, operation=operation, service=SCHEME, path=path)

    # -- stat & read ---------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        rel = path.rstrip("/")
        known = self._known.get(rel)
        if known is not None and known[3] is not None and path[-1] != "/":
            # A file stat'ed before: one lstat. The same ctime, inode and device make it the
            # inode verified inside the root (see the module doc); the same mtime and size
            # too make the metadata built then equal to a new one (it is made of nothing else).
            try:
                now = os.lstat(self._root + "/" + rel)
            except OSError:
                pass  # gone or changed: the general path below says how
            else:
                meta = known[3]
                if (
                    now.st_ctime_ns == known[0]
                    and now.st_ino == known[1]
                    and now.st_dev == known[2]
                    and now.st_mtime_ns == known[4]
                    and now.st_size == meta.content_length
                ):
                    if opts is not DEFAULT_STAT:
                        _check_conditions(now, opts, path)
                    return meta
        _, st = self._resolve(path, "stat", reads=True)
        if st is None:
            if path == ROOT:
                raise NotFound(
                    "the root does not exist yet (the first write creates it)",
                    service=SCHEME,
                    path=path,
                ).with_context("root", self._root)
            raise NotFound("no such file or directory", service=SCHEME, path=path)
        if st.st_mode & _S_IFMT == _S_IFDIR:
            return dir_metadata(st)
        if path.endswith("/"):
            raise NotFound(
                "stat of a directory path, but a file is there", service=SCHEME, path=path
            )
        if opts is not DEFAULT_STAT:
            _check_conditions(st, opts, path)
        meta = file_metadata(st)
        if rel in self._known:  # verified by identity: keep the metadata for next time
            self._remember(rel, st, meta)
        return meta

    def open_fd(self, path: str) -> int:
        """A descriptor of the file ``path`` open for reading, after the checks ``read``
        makes (the root jail); the caller closes it.

        For a local reader that maps the file itself (FileSource hands parquet files to
        Polars this way): it reads the very inode checked here, so the check-and-use
        window is ``read``'s (module docstring), no wider -- unlike handing out a path,
        which the reader would resolve again. Raises ``IsADirectory`` for a directory.
        """
        fd = self._open_read(path)
        try:
            is_dir = os.fstat(fd).st_mode & _S_IFMT == _S_IFDIR
        except OSError as err:
            os.close(fd)
            raise self._error(err, "read", path) from err
        if is_dir:
            os.close(fd)
            raise IsADirectory("read of a directory", service=SCHEME, path=path)
        return fd

    def _open_read(self, path: str) -> int:
        """``path`` opened for reading inside the root: the directories on the way walked
        (or verified), the last component opened without following a symlink unless it
        leads inside the root."""
        if path.endswith("/"):
            raise IsADirectory("read of a directory path", service=SCHEME, path=path)
        if "/" in path:  # check the directories on the way; the last component is opened below
            self._resolve(parent(path), "read", shown=path, reads=True)
        os_path = self._root + "/" + path
        try:
            return os.open(os_path, _O_READ)
        except OSError as err:
            if err.errno == errno.ELOOP:  # the last component is a symlink: check where it leads
                self._check_link(os_path, "read", path)
                try:
                    return os.open(os_path, _O_READ & ~getattr(os, "O_NOFOLLOW", 0))
                except OSError as err2:
                    raise self._error(err2, "read", path) from err2
            elif err.errno == errno.ENOTDIR:  # a parent is a file: no such object, as stat says
                raise NotFound("no such file", service=SCHEME, path=path) from err
            else:
                raise self._error(err, "read", path) from err

    def read(self, path: str, opts: ReadOptions) -> bytes:
        fd = self._open_read(path)
        try:
            st = os.fstat(fd)  # of the file opened: conditions hold for the bytes read below
            length = st.st_size
            if opts is not DEFAULT_READ:
                _check_conditions(st, opts, path)
            if opts.suffix is not None:
                offset, size = max(0, length - opts.suffix), None
            else:
                offset, size = opts.offset, opts.size
            if offset >= length and (offset or size):
                raise RangeNotSatisfied(
                    f"offset {offset} is past the end ({length} bytes)", service=SCHEME, path=path
                )
            want = length - offset if size is None else min(size, length - offset)
            data = os.pread(fd, want, offset)
            while len(data) < want:  # pread may return less; keep going until EOF
                more = os.pread(fd, want - len(data), offset + len(data))
                if not more:
                    break
                data += more
            return data
        except Error:
            raise  # ours already (a condition or a range): not an OS error to map
        except IsADirectoryError as err:
            raise IsADirectory("read of a directory", service=SCHEME, path=path) from err
        except OSError as err:
            raise self._error(err, "read", path) from err
        finally:
            os.close(fd)

    # -- write -------------------------------------------------------------------
    def _prepare_target(self, path: str, operation: str) -> str:
        """Check the target and create its parent directories (and the root); return its OS path."""
        self._ensure_root(operation)
        os_path, st = self._resolve(path, operation)
        if st is not None and st_mod.S_ISDIR(st.st_mode):
            raise IsADirectory("a directory is at the target path", service=SCHEME, path=path)
        if st is None:
            parent_dir = parent(path)
            if parent_dir != ROOT:
                self._mkdirs(parent_dir, operation)
        return os_path

    def _mkdirs(self, dir_path: str, operation: str) -> None:
        os_path, st = self._resolve(dir_path, operation)
        if st is not None:
            if not st_mod.S_ISDIR(st.st_mode):
                raise NotADirectory(
                    "a file is in the way of the parent directory", service=SCHEME, path=dir_path
                )
            return
        try:
            os.makedirs(os_path, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as err:
            raise NotADirectory(
                "a file is in the way of the directory", service=SCHEME, path=dir_path
            ) from err
        except OSError as err:
            raise self._error(err, operation, dir_path) from err

    # `write` is Service's: one FsWriter, written once and closed.
    def writer(self, path: str, opts: WriteOptions) -> FsWriter:
        return FsWriter(self, path, opts)

    # -- list ----------------------------------------------------------------------
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        if path.endswith("/"):
            return self._list_dir(path, "" if path == ROOT else path, include_self=True)
        return self._list_dir(parent(path), path, include_self=False)

    def _list_dir(self, dir_path: str, prefix: str, include_self: bool) -> Iterator[Entry]:
        """Entries in path order: names read in one pass and sorted, each stat'ed as yielded.

        A directory's path ends in ``/``, which sorts after ``-`` and ``.`` ("a.txt" < "a/"
        < "a0"), so directories wait in a small heap until the next name sorts past them.
        One generator, not two, and one test for a regular file: this loop is the cost of
        a listing beyond the syscalls.
        """
        os_path, st = self._resolve(dir_path, "list", reads=True)
        if st is None or not st_mod.S_ISDIR(st.st_mode):
            return
        if include_self:
            yield Entry(dir_path, DIR_METADATA)
        try:
            fd = os.open(os_path, _O_LIST)
        except OSError as err:
            raise self._error(err, "list", dir_path) from err
        try:
            try:
                names = os.listdir(fd)
            except OSError as err:
                raise self._error(err, "list", dir_path) from err
            base = "" if dir_path == ROOT else dir_path
            keep = prefix[len(base) :]
            if keep:
                names = [n for n in names if n.startswith(keep)]
            names.sort()
            waiting: list[tuple[str, Entry]] = []  # (name + "/", entry) of directories met
            # Locals, not globals, in the loop: each lookup saved is paid once per entry.
            lstat, new, meta_class, file, unset = os.lstat, _new_tuple, StatMetadata, _FILE, _UNSET
            ifmt, ifreg, ifdir, iflnk, tmp = _S_IFMT, _S_IFREG, _S_IFDIR, _S_IFLNK, _TMP_SUFFIX
            for name in names:
                if name[0] == "." and name.endswith(tmp):
                    continue
                while waiting and waiting[0][0] < name:
                    yield heapq.heappop(waiting)[1]
                try:
                    info = lstat(name, dir_fd=fd)
                except FileNotFoundError:
                    continue  # removed since the names were read
                except OSError as err:
                    raise self._error(err, "list", base + name) from err
                kind = info.st_mode & ifmt
                if kind == ifreg:  # file_metadata(info), inlined
                    yield Entry(
                        base + name, new(meta_class, (file, info.st_size, info, info, *unset))
                    )
                elif kind == ifdir:
                    heapq.heappush(waiting, (name + "/", Entry(base + name + "/", DIR_METADATA)))
                elif kind != iflnk:
                    yield Entry(base + name, file_metadata(info))  # a fifo, socket or device
                else:
                    linked = self._linked_entry(fd, os_path, base + name, name)
                    if linked is not None:
                        yield linked
            while waiting:
                yield heapq.heappop(waiting)[1]
        finally:
            os.close(fd)

    def _linked_entry(self, fd: int, os_path: str, child: str, name: str) -> Entry | None:
        """The entry for a symlink that stays inside the root, ``None`` for any other."""
        try:
            self._check_link(os_path + "/" + name, "list", child)
            info = os.stat(name, dir_fd=fd)
        except (PermissionDenied, FileNotFoundError):
            return None  # escaping or dangling links are not listed
        except OSError as err:
            if err.errno == errno.ELOOP:
                return None  # nor links that loop: they never resolve
            raise self._error(err, "list", child) from err
        if st_mod.S_ISDIR(info.st_mode):
            # Listed as UNKNOWN so recursive walks do not follow it (a link to an ancestor
            # would loop forever); stat("link/") still works.
            return Entry(child, _LINKED_DIR)
        return Entry(child, file_metadata(info))

    # -- delete, create_dir, copy, rename ------------------------------------------
    def delete(self, path: str, opts: DeleteOptions) -> None:
        os_path, st = self._resolve(path, "delete")
        if st is None:
            return
        try:
            if not st_mod.S_ISDIR(st.st_mode):
                if not path.endswith("/"):
                    os.unlink(os_path)
            elif opts.recursive:
                if os.path.islink(os_path):
                    os.unlink(os_path)
                elif path == ROOT:  # empty the root but keep it: the service lives in it
                    with os.scandir(os_path) as children:
                        for child in children:
                            if child.is_dir(follow_symlinks=False):
                                shutil.rmtree(child.path)
                            else:
                                os.unlink(child.path)
                else:
                    shutil.rmtree(os_path)
            elif path.endswith("/") and path != ROOT:
                os.rmdir(os_path)
        except OSError as err:  # ENOTEMPTY: Conflict, with the hint to delete recursively
            raise self._error(err, "delete", path) from err

    def create_dir(self, path: str) -> None:
        self._ensure_root("create_dir")
        self._mkdirs(path, "create_dir")

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        src = self._source(source, "copy")
        dst = self._prepare_target(target, "copy")
        tmp = _tmp_path(dst)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        except OSError as err:
            _silent_unlink(tmp)
            raise self._error(err, "copy", target) from err

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        src = self._source(source, "rename")
        dst = self._prepare_target(target, "rename")
        try:
            os.replace(src, dst)
        except OSError as err:
            raise self._error(err, "rename", target) from err

    def _source(self, path: str, operation: str) -> str:
        os_path, st = self._resolve(path, operation)
        if st is None:
            raise NotFound("source not found", service=SCHEME, path=path)
        if st_mod.S_ISDIR(st.st_mode):
            raise IsADirectory("source is a directory", service=SCHEME, path=path)
        return os_path

    def __getstate__(self) -> dict[str, Any]:
        # What was verified here says nothing on another machine (a Dask worker): start afresh.
        return {**self.__dict__, "_known": {}}

    def __repr__(self) -> str:
        return f"FsService(root={self._root!r})"


class FsWriter:
    """Streams into a hidden temporary file and renames it into place at ``close``."""

    def __init__(self, service: FsService, path: str, opts: WriteOptions) -> None:
        if path.endswith("/"):
            raise IsADirectory("cannot write to a directory path", service=SCHEME, path=path)
        self._service = service
        self._path = path
        self._opts = opts
        self._target = service._prepare_target(path, "write")
        self._tmp: str | None = None
        try:
            if opts.append:
                self._fd = os.open(self._target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            else:
                self._tmp = _tmp_path(self._target)
                self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as err:
            raise service._error(err, "write", path) from err
        self._closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as err:
            raise self._service._error(err, "write", self._path) from err

    def close(self) -> Metadata:
        self._closed = True
        try:
            st = os.fstat(self._fd)
        finally:
            os.close(self._fd)
        tmp = self._tmp
        if tmp is None:
            return file_metadata(st)
        try:
            if self._opts.if_not_exists:
                try:
                    os.link(tmp, self._target)
                except FileExistsError as err:
                    raise ConditionNotMatch(
                        "target already exists", service=SCHEME, path=self._path
                    ) from err
                finally:
                    _silent_unlink(tmp)
            else:
                os.replace(tmp, self._target)
        except Error:
            raise  # ConditionNotMatch is an OSError too: keep it, do not map it again
        except OSError as err:
            _silent_unlink(tmp)
            raise self._service._error(err, "write", self._path) from err
        return file_metadata(st)

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self._fd)
        if self._tmp is not None:
            _silent_unlink(self._tmp)


_LINKED_DIR = Metadata(EntryMode.UNKNOWN)


def _check_root(given: str, real: str) -> None:
    """Refuse a root that is a file or lies below one; a missing one is fine (made on write)."""
    at = real
    while True:
        try:
            st = os.stat(at)
        except (FileNotFoundError, NotADirectoryError):  # missing, or below a file: look up
            parent_dir = os.path.dirname(at)
            if parent_dir == at:
                return
            at = parent_dir
            continue
        except OSError as err:
            raise ConfigInvalid(
                f"fs root {given!r} cannot be used: {err.strerror}", service=SCHEME
            ) from err
        if st_mod.S_ISDIR(st.st_mode):
            return
        where = "is a file" if at == real else f"lies below a file ({at})"
        raise ConfigInvalid(f"fs root {given!r} {where}, not a directory", service=SCHEME)


def _tmp_path(target: str) -> str:
    head, tail = os.path.split(target)
    return f"{head}/.{tail}.{uuid.uuid4().hex[:12]}{_TMP_SUFFIX}"


def _silent_unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _check_conditions(st: os.stat_result, opts: StatOptions | ReadOptions, path: str) -> None:
    if opts.if_match is None and opts.if_none_match is None:
        return
    tag = etag(st)
    if opts.if_match is not None and opts.if_match not in (tag, "*"):
        raise ConditionNotMatch(
            f"etag is {tag}, not {opts.if_match}", service=SCHEME, path=path
        ).with_context("if_match", opts.if_match)
    if opts.if_none_match is not None and opts.if_none_match in (tag, "*"):
        raise ConditionNotMatch(
            f"etag matches {opts.if_none_match}", service=SCHEME, path=path
        ).with_context("if_none_match", opts.if_none_match)
