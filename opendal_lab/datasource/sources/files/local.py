"""Local parquet files handed to Polars as open files: no copy in Python, Polars maps them.

On the ``fs`` service, a parquet read need not pass the file's bytes through Python at all:
the service opens the file after its root jail's checks (``FsService.open_fd``), and Polars
is given that open file. It memory-maps it, parses the footer in Rust, and touches only the
pages of the row groups and columns the query needs, on its own thread pool -- what
``pl.scan_parquet`` does on the path. Copying the needed column chunks into a sparse
``memfd`` first (``sparse``) cost ~7 ms on a 12 MB file read for 4 of its 6 columns, on
top of Polars' ~9 ms; this costs a few syscalls a file (open, fstat, the ``PAR1`` check),
and it holds no copy: the mapped pages are the page cache's, as they are for Polars
reading the path. Partitions of many small files gain too: their bytes are not read into
Python first.

Why a descriptor and not the file's real path: Polars would resolve a path again, so a
symlink swapped in after the check could lead it out of the root. Given the descriptor, it
reads the very inode the check reached; what remains is ``read``'s own window between the
check of the directories and the open (``services/fs/backend.py``, "Check and use").

When: ``local_service`` answers only for an operator whose service is ``FsService`` and
whose every layer forwards plain reads untouched (``Layer.forwards_plain``, as the default
stack's do). A layer that counts, times, retries, throttles or rewrites reads (or probes
the levels below it) keeps the operator on its ``read`` calls, so it sees every byte as
before; so do the memory and remote services.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import IO

from opendal_lab.core.operator import Operator
from opendal_lab.core.path import normalize
from opendal_lab.datasource.sources.files.options import FileFormatError
from opendal_lab.services.fs import FsService

__all__ = ["local_service", "open_local"]

_MAGIC = b"PAR1"


def local_service(op: Operator) -> FsService | None:
    """The fs service under ``op`` when nothing between them acts on a plain read."""
    levels = op.stack
    service = levels[0].access
    if not isinstance(service, FsService):
        return None
    for level in levels[1:]:
        layer = level.layer
        if layer is None or layer.probes_below or "read" not in layer.forwards_plain:
            return None
    return service


@contextlib.contextmanager
def open_local(service: FsService, paths: Sequence[str]) -> Iterator[list[IO[bytes]]]:
    """``paths`` opened through the jail (``FsService.open_fd``), each checked to end in
    ``PAR1`` (``FileFormatError`` naming it otherwise, as a whole read says); closed on exit."""
    with contextlib.ExitStack() as stack:
        files: list[IO[bytes]] = []
        for path in paths:
            fd = service.open_fd(normalize(path, "read"))
            fh = stack.enter_context(open(fd, "rb", buffering=0))
            size = os.fstat(fd).st_size
            if size < 12 or os.pread(fd, 4, size - 4) != _MAGIC:
                raise FileFormatError(f"{path}: not a parquet file (no PAR1 at its end)", path)
            files.append(fh)
        yield files
