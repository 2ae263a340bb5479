"""A sparse file: a parquet file's size, holding only the byte ranges a read fetched.

Polars reads parquet from a path, from bytes, or from an open file, never from a set of
ranges. Laying the fetched ranges (footer, column chunks) at their offsets in a file of
the whole file's size lets Polars read it as the file itself: it maps the file, parses the
footer in Rust, and touches only the pages of the row groups and columns the query needs.
The rest reads as zeros and costs nothing: the file is a ``memfd`` on Linux (memory that
holds only the pages written), a temporary file elsewhere.

The caller must fetch every byte Polars will read: the footer, and the chunks of each
column the query names (projection and filter columns) in each row group Polars may
decode. Bytes it did not fetch make Polars fail (a page header of zeros does not parse),
never return wrong rows silently.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO

__all__ = ["sparse_file"]

_MAGIC = b"PAR1"


@contextlib.contextmanager
def sparse_file(size: int, pieces: Sequence[tuple[int, bytes]]) -> Iterator[IO[bytes]]:
    """An open file of ``size`` bytes, zero but for ``pieces`` (``(offset, bytes)``) and
    the leading magic; closed (and its memory freed) on exit."""
    fh = _open_anonymous()
    try:
        fh.truncate(size)
        for offset, data in [(0, _MAGIC), *pieces]:
            fh.seek(offset)
            fh.write(data)
        fh.seek(0)
        yield fh
    finally:
        fh.close()


def _open_anonymous() -> IO[bytes]:
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None:
        try:
            return open(memfd("opendal_lab-sparse", os.MFD_CLOEXEC), "w+b", buffering=0)
        except OSError:  # refused (a sandbox's seccomp filter, say): a file on disk will do
            pass
    return tempfile.TemporaryFile(buffering=0)
