"""CompleteLayer: a read returns exactly what was asked, a write stores exactly what was given.

Always on. A read with ``size=N`` returns N bytes or fails with ``RangeNotSatisfied``
(the object ended first). A writer counts the bytes handed to it and compares them with
the length the service reports at close; a write after ``close`` or ``abort`` fails, and
closing or aborting twice is harmless.
"""

from __future__ import annotations

from opendal_lab.core.access import BaseLayer, LayeredAccess, Writer
from opendal_lab.core.errors import RangeNotSatisfied, Unexpected
from opendal_lab.core.options import ReadOptions, WriteOptions
from opendal_lab.core.types import Metadata

__all__ = ["CompleteLayer"]


class _CompleteAccess(LayeredAccess):
    def read(self, path: str, opts: ReadOptions) -> bytes:
        data = self.inner.read(path, opts)
        if opts.size is not None and len(data) != opts.size:
            raise RangeNotSatisfied(
                f"asked for {opts.size} bytes at offset {opts.offset}, the object has only "
                f"{len(data)} there",
                operation="read",
                service=self._access_info.scheme,
                path=path,
            )
        return data

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        meta = self.inner.write(path, data, opts)
        if meta.content_length != len(data):  # inline: this runs on every write
            _check_stored(meta, len(data), opts, self._access_info.scheme, path)
        return meta

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _CompleteWriter(self.inner.writer(path, opts), self._access_info.scheme, path, opts)


class _CompleteWriter:
    __slots__ = ("_given", "_inner", "_meta", "_opts", "_path", "_scheme", "_state")

    def __init__(self, inner: Writer, scheme: str, path: str, opts: WriteOptions) -> None:
        self._inner = inner
        self._scheme = scheme
        self._path = path
        self._opts = opts
        self._given = 0
        self._state = "open"
        self._meta: Metadata | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._state != "open":
            raise Unexpected(
                f"write after the writer was {self._state}",
                operation="write",
                service=self._scheme,
                path=self._path,
            )
        self._inner.write(data)
        self._given += len(data)

    def close(self) -> Metadata:
        if self._state == "closed" and self._meta is not None:
            return self._meta  # closing twice is harmless, as for Python files
        if self._state != "open":
            raise Unexpected(
                f"close after the writer was {self._state}",
                operation="write",
                service=self._scheme,
                path=self._path,
            )
        meta = self._inner.close()  # a failure leaves it open: an abort still reaches below
        self._state = "closed"
        _check_stored(meta, self._given, self._opts, self._scheme, self._path)
        self._meta = meta
        return meta

    def abort(self) -> None:
        if self._state == "open":
            self._state = "aborted"
            self._inner.abort()


def _check_stored(meta: Metadata, given: int, opts: WriteOptions, scheme: str, path: str) -> None:
    stored = meta.content_length
    if stored is not None and not opts.append and stored != given:
        raise Unexpected(
            f"service stored {stored} bytes but was given {given}",
            operation="write",
            service=scheme,
            path=path,
        )


class CompleteLayer(BaseLayer):
    """Exact-size reads and verified writes (always on)."""

    forwards_plain = frozenset({"stat", "read"})

    access_class = _CompleteAccess
