"""What an fsspec filesystem can do natively, read from what its class implements.

A method the class implements itself is native; one it inherits from fsspec is built
from primitives (``find`` walks ``ls``, ``mv`` copies then deletes) and left to
SimulateLayer, or refused. Facts no code shows (real empty directories, ``"ab"``
appends) come from two small tables keyed by class name; an unknown class gets neither.
"""

from __future__ import annotations

import inspect
from typing import Any

from opendal_lab.core.capability import Capability

__all__ = ["derive_capability"]

#: Classes (by name, matched along the MRO) whose ``mkdir`` makes a directory that exists
#: while empty; object stores only have prefixes, so theirs is a no-op.
_REAL_DIRS = frozenset(
    {"LocalFileSystem", "MemoryFileSystem", "SFTPFileSystem", "FTPFileSystem", "SMBFileSystem"}
)
#: Classes whose files opened with mode ``"ab"`` append to what is stored (checked for
#: these three; others may too, but claiming it unchecked would be a lie).
_APPENDS = frozenset({"LocalFileSystem", "MemoryFileSystem", "S3FileSystem"})
#: Classes whose files live in this process's memory, so not ``shared``: fsspec's memory
#: store (global_store=True means one store per process, not per machine) and pyarrow's mock
#: filesystem (one per instance), as wrapped by ``ArrowFSWrapper``.
_PER_PROCESS = frozenset({"MemoryFileSystem", "_MockFileSystem"})
#: Attributes through which a filesystem delegates to another (DirFileSystem and the
#: caching filesystems hold ``fs``, as does ArrowFSWrapper; AsyncFileSystemWrapper
#: ``sync_fs``): it shares its data exactly when the one it wraps does.
_WRAPPED = ("fs", "sync_fs")


def _own(cls: type, name: str) -> bool:
    """Whether ``cls`` implements ``name`` itself rather than inheriting fsspec's default."""
    from fsspec.asyn import AsyncFileSystem  # type: ignore[import-untyped]
    from fsspec.spec import AbstractFileSystem  # type: ignore[import-untyped]

    method = getattr(cls, name, None)
    defaults = (getattr(AbstractFileSystem, name, None), getattr(AsyncFileSystem, name, None))
    return method is not None and method not in defaults


def _own_any(cls: type, *names: str) -> bool:
    return any(_own(cls, name) for name in names)


def _takes(cls: type, name: str, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(getattr(cls, name)).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def _known(cls: type, names: frozenset[str]) -> bool:
    return any(klass.__name__ in names for klass in cls.__mro__)


def _shared(fs: Any) -> bool:
    """Whether other processes and machines building ``fs`` from the same config see its files:
    not for an in-memory store, nor for a wrapper of one."""
    for _ in range(8):  # wrappers nest a few deep at most; a cycle must not spin
        if _known(type(fs), _PER_PROCESS):
            return False
        inner = next((getattr(fs, a) for a in _WRAPPED if getattr(fs, a, None) is not None), None)
        if inner is None or inner is fs:
            return True
        fs = inner
    return True


def derive_capability(fs: Any) -> Capability:
    """The native capability of an fsspec filesystem instance, from what its class implements.

    Async filesystems (s3fs, gcsfs) implement the ``_name`` coroutines and get sync
    mirrors per instance, so both spellings are checked against fsspec's defaults.
    """
    cls = type(fs)
    # fsspec's cat_file contract: start/end slice like Python, so start=-N is a suffix read.
    read = _own_any(cls, "_open", "cat_file", "_cat_file")
    # Writes go through pipe_file or open("wb"); a class with neither cannot write.
    write = _own_any(cls, "_open", "pipe_file", "_pipe_file")
    # if_not_exists is native only where the class handles pipe_file(mode="create") itself
    # (memory opens "xb", s3fs sends If-None-Match); fsspec's default checks, then writes.
    create_mode = (_own(cls, "pipe_file") and _takes(cls, "pipe_file", "mode")) or (
        _own(cls, "_pipe_file") and _takes(cls, "_pipe_file", "mode")
    )
    # Recursive rm is native where the class overrides rm (sync) or _rm (async) itself;
    # fsspec's default expands the tree with find and deletes one path at a time.
    recursive_rm = _own(cls, "rm") or (_own(cls, "_rm") and _takes(cls, "_rm", "recursive"))
    real_dirs = _known(cls, _REAL_DIRS) or bool(fs._isfilestore())
    return Capability(
        stat=True,  # info(): fsspec builds it from ls() where a class has no own
        read=read,
        read_with_suffix=read,
        write=write,
        write_can_empty=write,
        write_can_multi=write,  # the writer spools chunks, so any filesystem takes many
        write_can_append=write and _known(cls, _APPENDS),
        write_with_if_not_exists=write and create_mode,
        # Only where mkdir makes a directory that exists while empty; object stores get
        # SimulateLayer's empty `d/` markers instead.
        create_dir=real_dirs,
        delete=_own_any(cls, "rm_file", "_rm_file", "_rm", "rm"),
        delete_with_recursive=recursive_rm,
        copy=_own_any(cls, "cp_file", "_cp_file"),  # fsspec's default cp_file raises
        # A native move only where the class has one; fsspec's default mv copies then deletes.
        rename=_own_any(cls, "mv", "_mv_file"),
        list=_own_any(cls, "ls", "_ls"),
        # find() is one flat listing where the class overrides it, a walk of ls() otherwise.
        list_with_recursive=_own_any(cls, "find", "_find"),
        presign=_own(cls, "sign"),
        presign_read=_own(cls, "sign"),  # sign() makes a GET URL
        # fsspec's memory store is per process even as the global store (global_store=True,
        # the default), and a private one (global_store=False) per instance.
        shared=_shared(fs),
    )
