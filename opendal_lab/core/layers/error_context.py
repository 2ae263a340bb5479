"""ErrorContextLayer: every error leaving the service says what, where and on which service.

Always on, directly above the service. It fills ``operation``, ``service`` and ``path`` on
opendal_lab errors that lack them (``from``/``to`` for copy and rename), adds the range
of a read and the bytes given to a writer, and turns any foreign exception a service let
escape into ``Unexpected`` chained ``from`` the original. Listing iterators and writers
are wrapped too, so an error on the hundredth entry or the last chunk is just as clear.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from opendal_lab.core.access import (
    Access,
    BaseLayer,
    Failures,
    LayeredAccess,
    PresignOperation,
    Writer,
)
from opendal_lab.core.errors import Error, Unexpected
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.types import Entry, Metadata, PresignedRequest

__all__ = ["ErrorContextLayer", "add_context", "chained_cause"]


def add_context(err: BaseException, operation: str, service: str, path: str | None) -> Error:
    """``err`` with operation, service and path filled in; a foreign error becomes Unexpected."""
    if isinstance(err, Error):
        return err.fill(operation, service, path)
    return Unexpected(
        f"{type(err).__name__}: {err}", operation=operation, service=service, path=path
    )


def chained_cause(err: BaseException) -> BaseException | None:
    """What the raised error should chain to: the original foreign error, or the existing cause."""
    return err.__cause__ if isinstance(err, Error) else err


class _ErrorContextAccess(LayeredAccess):
    def __init__(self, inner: Access, layer: BaseLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._access_info.scheme

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        try:
            return self.inner.stat(path, opts)
        except Exception as err:
            raise add_context(err, "stat", self._scheme, path) from chained_cause(err)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        try:
            return self.inner.read(path, opts)
        except Exception as err:
            e = add_context(err, "read", self._scheme, path)
            if not opts.is_whole:
                e.with_context("range", _describe_range(opts))
            raise e from chained_cause(err)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        try:
            return self.inner.write(path, data, opts)
        except Exception as err:
            e = add_context(err, "write", self._scheme, path).with_context("size", len(data))
            raise e from chained_cause(err)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        try:
            return _ContextWriter(self.inner.writer(path, opts), self._scheme, path)
        except Exception as err:
            raise add_context(err, "write", self._scheme, path) from chained_cause(err)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        try:
            inner = self.inner.list(path, opts)
        except Exception as err:
            raise add_context(err, "list", self._scheme, path) from chained_cause(err)
        return self._listing(inner, path)

    def _listing(self, inner: Iterator[Entry], path: str) -> Iterator[Entry]:
        try:
            yield from inner
        except Exception as err:
            raise add_context(err, "list", self._scheme, path) from chained_cause(err)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        try:
            self.inner.delete(path, opts)
        except Exception as err:
            raise add_context(err, "delete", self._scheme, path) from chained_cause(err)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        try:
            failures = self.inner.delete_many(items)
        except Exception as err:
            raise add_context(err, "delete", self._scheme, None).with_context(
                "batch_size", len(items)
            ) from chained_cause(err)
        return [(p, e.fill("delete", self._scheme, p)) for p, e in failures]

    def create_dir(self, path: str) -> None:
        try:
            self.inner.create_dir(path)
        except Exception as err:
            raise add_context(err, "create_dir", self._scheme, path) from chained_cause(err)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        try:
            self.inner.copy(source, target, opts)
        except Exception as err:
            e = add_context(err, "copy", self._scheme, None)
            raise e.with_context("from", source).with_context("to", target) from chained_cause(err)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        try:
            self.inner.rename(source, target, opts)
        except Exception as err:
            e = add_context(err, "rename", self._scheme, None)
            raise e.with_context("from", source).with_context("to", target) from chained_cause(err)

    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        try:
            return self.inner.presign(operation, path, expire, opts)
        except Exception as err:
            raise add_context(err, f"presign_{operation}", self._scheme, path) from chained_cause(
                err
            )


class _ContextWriter:
    __slots__ = ("_inner", "_path", "_scheme", "_written")

    def __init__(self, inner: Writer, scheme: str, path: str) -> None:
        self._inner = inner
        self._scheme = scheme
        self._path = path
        self._written = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._inner.write(data)
        except Exception as err:
            e = add_context(err, "write", self._scheme, self._path).with_context(
                "written", self._written
            )
            raise e from chained_cause(err)
        self._written += len(data)

    def close(self) -> Metadata:
        try:
            return self._inner.close()
        except Exception as err:
            e = add_context(err, "write", self._scheme, self._path).with_context(
                "written", self._written
            )
            raise e from chained_cause(err)

    def abort(self) -> None:
        try:
            self._inner.abort()
        except Exception as err:
            raise add_context(err, "write", self._scheme, self._path) from chained_cause(err)


def _describe_range(opts: ReadOptions) -> str:
    if opts.suffix is not None:
        return f"last {opts.suffix} bytes"
    end = "" if opts.size is None else str(opts.offset + opts.size - 1)
    return f"{opts.offset}-{end}"


class ErrorContextLayer(BaseLayer):
    """Adds operation, service, path and byte counts to every error (always on)."""

    # A plain stat or read that nothing above acts on reaches the service directly, and
    # the operator adds this same context (add_context) to what it raises.
    forwards_plain = frozenset({"stat", "read"})

    access_class = _ErrorContextAccess
