"""File-like objects over an operator: ``op.open(path, "rb" | "wb" | "r" | "w")``.

Reading is a raw stream of ranged reads under ``io.BufferedReader``, so ``seek``,
``readinto``, ``readline`` and ``peek`` all work and only the bytes asked for are fetched.
Writing buffers under ``io.BufferedWriter`` and streams chunks to the operator's writer;
the object appears at ``close``. Leaving a ``with`` block by an exception aborts the write,
so nothing half-written appears.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from typing_extensions import Buffer

from opendal_lab.core.access import Writer
from opendal_lab.core.types import Metadata

__all__ = ["RangeReader", "StreamWriter", "TextWriteFile", "WriteFile"]

ReadRange = Callable[[int, int], bytes]


class RangeReader(io.RawIOBase):
    """A seekable raw reader of ``length`` bytes fetched by ``read_range(offset, size)``."""

    def __init__(self, name: str, length: int, read_range: ReadRange) -> None:
        super().__init__()
        self.name = name
        self._length = length
        self._read_range = read_range
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer, /) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        view = memoryview(buffer).cast("B")
        size = min(len(view), self._length - self._pos)
        if size <= 0:
            return 0
        data = self._read_range(self._pos, size)
        n = len(data)
        view[:n] = data
        self._pos += n
        return n

    def readall(self) -> bytes:
        size = self._length - self._pos
        if size <= 0:
            return b""
        data = self._read_range(self._pos, size)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._length + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    @property
    def size(self) -> int:
        return self._length


class StreamWriter(io.RawIOBase):
    """A raw writer that hands every chunk to an operator ``Writer``."""

    def __init__(self, name: str, writer: Writer) -> None:
        super().__init__()
        self.name = name
        self._writer = writer
        self._written = 0
        self.metadata: Metadata | None = None
        self._aborted = False
        self._broken = False

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer, /) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        # BufferedWriter reuses its buffer: copy before the writer may keep a reference.
        chunk = bytes(data)
        try:
            self._writer.write(chunk)
        except BaseException:
            # The stream has a hole now: close() must abort, never commit what came before.
            # (BufferedWriter.close() still calls our close() after its flush failed.)
            self._broken = True
            raise
        self._written += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._written

    def abort(self) -> None:
        if not self.closed:
            self._aborted = True
            self._writer.abort()
            super().close()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._broken and not self._aborted:
                self._aborted = True
                self._writer.abort()
            elif not self._aborted:
                try:
                    self.metadata = self._writer.close()
                except BaseException:
                    # Not committed: release what the service holds (a temporary file, an
                    # open multipart upload). The close error is the one to report.
                    with contextlib.suppress(Exception):
                        self._writer.abort()
                    raise
        finally:
            super().close()


class _AbortOnError:
    """A ``with`` block that ends in an exception aborts the write instead of committing it."""

    if TYPE_CHECKING:

        def abort(self) -> None: ...
        def close(self) -> None: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()


class WriteFile(_AbortOnError, io.BufferedWriter):
    """``io.BufferedWriter`` whose ``with`` block aborts the write on an exception."""

    def __init__(self, raw: StreamWriter, buffer_size: int) -> None:
        super().__init__(raw, buffer_size)
        self._stream = raw

    def abort(self) -> None:
        """Drop buffered bytes and abort the write: nothing appears at the path."""
        self._stream.abort()
        with contextlib.suppress(ValueError):  # the buffer cannot flush into an aborted stream
            super().close()

    @property
    def metadata(self) -> Metadata | None:
        """The stored object's metadata, once closed."""
        return self._stream.metadata


class TextWriteFile(_AbortOnError, io.TextIOWrapper):
    """Text mode over ``WriteFile`` (a plain ``TextIOWrapper`` would commit on any exit)."""

    def __init__(self, file: WriteFile, encoding: str) -> None:
        super().__init__(file, encoding=encoding)
        self._file = file

    def abort(self) -> None:
        """Drop pending text and abort the write: nothing appears at the path."""
        self._file.abort()  # closes the buffer, so close() and __del__ flush nothing

    @property
    def metadata(self) -> Metadata | None:
        return self._file.metadata
