"""SpoolWriter: a ``Writer`` for services with no abortable streaming write of their own.

Chunks gather in memory, then in a temporary file past ``max_memory``, and reach the
service only at ``close``: small data through its one-shot ``write``, large data through
``write_spooled`` (which copies from the spool). ``abort`` drops the spool, so an aborted
or failed write leaves nothing and the old content intact. Used by the bridge services.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any, Protocol

from opendal_lab.core.options import WriteOptions
from opendal_lab.core.types import Metadata

__all__ = ["SpoolTarget", "SpoolWriter"]

MAX_MEMORY = 8 * 1024 * 1024


class SpoolTarget(Protocol):
    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata: ...

    def write_spooled(
        self, path: str, source: IO[bytes], size: int, opts: WriteOptions
    ) -> Metadata: ...


class SpoolWriter:
    """Gathers chunks in memory (then a temporary file) and writes them at ``close``."""

    def __init__(
        self, target: SpoolTarget, path: str, opts: WriteOptions, max_memory: int = MAX_MEMORY
    ) -> None:
        self._target = target
        self._path = path
        self._opts = opts
        self._max_memory = max_memory
        # Closed by close() or abort(), whichever the caller ends with.
        self._spool: Any = tempfile.SpooledTemporaryFile(max_size=max_memory)  # noqa: SIM115
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._size += self._spool.write(data)

    def close(self) -> Metadata:
        spool = self._spool
        try:
            spool.seek(0)
            if self._size <= self._max_memory:
                return self._target.write(self._path, spool.read(), self._opts)
            return self._target.write_spooled(self._path, spool, self._size, self._opts)
        finally:
            spool.close()

    def abort(self) -> None:
        self._spool.close()
