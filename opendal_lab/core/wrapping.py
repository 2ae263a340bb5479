"""Bases for layers that treat every operation alike: one or two hooks instead of eleven methods.

- ``CallWrapper``: the layer acts around **each call into the layer below** (a permit, a
  deadline, a retry, a timer): every operation, every step of a listing, every call of a
  streaming writer.
- ``OperationObserver``: the layer observes **each operation once, over its whole life**
  (a log record, metrics, a span, a recorded call): a listing from ``list()`` to the end
  of its iteration, a streaming writer from ``writer()`` to ``close``/``abort``.

Both pass the same names to their hooks: ``operation`` is the operation (``presign_read``
for a presign, as errors name it); ``path`` is its path, the source of ``copy``/``rename``,
and None for ``delete_many``. Streams differ: ``CallWrapper`` names each call by what it
does below (``write`` for a writer's creation and calls, ``list`` for a listing's creation
and steps), ``OperationObserver`` names the whole stream (``writer``, ``list``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from opendal_lab.core.access import (
    Failures,
    LayeredAccess,
    PresignOperation,
    Writer,
    WriterWrapper,
)
from opendal_lab.core.errors import Unexpected
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

__all__ = ["CallWrapper", "OperationObserver"]

T = TypeVar("T")
TokenT = TypeVar("TokenT")
_END: Any = object()
_STARTED: Any = object()  # what an observed listing yields first, to itself


class CallWrapper(LayeredAccess):
    """Base for layers that act around each call into the layer below: override ``_around``.

    It runs for every operation, each ``next`` of a listing and each ``write``, ``close``
    and ``abort`` of a streaming writer (ConcurrentLimitLayer, TimeoutLayer, RetryLayer,
    RecorderLayer's probes)::

        class _CountAccess(CallWrapper):
            def _around(self, operation, path, call, *args):
                self.layer.counts[operation] += 1  # "stat", "read", "write", "list", ...
                return call(*args)

    A layer whose streams need more than one wrapped call at a time (TimeoutLayer: a step
    still running elsewhere owns the iterator) overrides ``_steps`` or ``writer``; one that
    treats some operation apart (RetryLayer's resumed reads) overrides that operation.
    """

    def _around(self, operation: str, path: str | None, call: Callable[..., T], *args: Any) -> T:
        """Make ``call(*args)``, the call into the layer below; the default only makes it.

        ``args`` are the operation's own (``copy``: ``source, target, opts``).
        """
        return call(*args)

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._around("stat", path, self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._around("read", path, self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._around("write", path, self.inner.write, path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        inner = self._around("write", path, self.inner.writer, path, opts)
        return _WrappedWriter(inner, self, path)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        # Created here, not in the generator, so an error raises at list().
        return self._steps(path, iter(self._around("list", path, self.inner.list, path, opts)))

    def _steps(self, path: str, it: Iterator[Entry]) -> Iterator[Entry]:
        """The entries of ``it``, each ``next`` through ``_around``; ``it`` is closed at the end."""
        around = self._around
        try:
            while (entry := around("list", path, next, it, _END)) is not _END:
                yield entry
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._around("delete", path, self.inner.delete, path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        return self._around("delete_many", None, self.inner.delete_many, items)

    def create_dir(self, path: str) -> None:
        self._around("create_dir", path, self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._around("copy", source, self.inner.copy, source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._around("rename", source, self.inner.rename, source, target, opts)

    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        return self._around(
            f"presign_{operation}", path, self.inner.presign, operation, path, expire, opts
        )


class _WrappedWriter(WriterWrapper[CallWrapper]):
    """Each ``write``, ``close`` and ``abort`` through ``_around``, named ``write``."""

    __slots__ = ()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._access._around("write", self._path, self._inner.write, data)

    def close(self) -> Metadata:
        return self._access._around("write", self._path, self._inner.close)

    def abort(self) -> None:
        self._access._around("write", self._path, self._inner.abort)


class OperationObserver(LayeredAccess, Generic[TokenT]):
    """Base for layers that observe each operation once, over its whole life.

    Override ``_start``, which returns a token for the operation (None: let this one
    through unobserved), and ``_finish``, which gets it back with the error (None on
    success) and the size (LoggingLayer, MetricsLayer, TracingLayer, RecorderLayer)::

        class _TimingAccess(OperationObserver[tuple[str, float]]):
            def _start(self, operation, path, target, opts):
                return operation, time.perf_counter()

            def _finish(self, token, error, size):
                operation, started = token
                self.layer.seconds[operation] += time.perf_counter() - started

    The other hooks are optional:

    ==================================== ===================================================
    hook                                 called
    ==================================== ===================================================
    ``_start(operation, path, target,    before the operation goes below; returns a token,
    opts)``                              or None to let it through unobserved. ``target``
                                         is the target of ``copy``/``rename``, else None;
                                         ``opts`` the call's options object, or None
                                         (``create_dir``, ``delete_many``).
    ``_finish(token, error, size)``      once, when it ends: the call returned or raised,
                                         a listing ran out or failed, a writer closed.
                                         ``error`` is what was raised (None: success).
    ``_abort(token, error, size)``       instead of ``_finish`` when the caller ended it
                                         early: a writer aborted, or dropped (error
                                         ``Unexpected``); a listing closed or dropped
                                         before its end. Default: ``_finish``.
    ``_failed(token, error, size)``      a writer's ``write`` failed; the writer goes on.
    ``_failures(token, failures, size)`` what ``delete_many`` could not delete, before
                                         ``_finish``.
    ``_enter(token)``/``_exit(token)``   around each later step of a stream (a listing's
                                         ``next``, a writer's calls).
    ==================================== ===================================================

    ``size`` is the bytes of a ``read`` or ``write``, the bytes given to a writer so far,
    the entries a listing yielded so far, the items of a ``delete_many``; else None.

    A layer that keeps something current while calls go below (a span, a thread-local)
    sets it in ``_start`` and ``_enter`` and restores it in ``_exit``, ``_finish`` and
    ``_abort``: the operation is entered from the first two until one of the last three.
    The steps of one stream do not overlap, so a token may keep what ``_enter`` replaced.
    """

    # -- hooks -------------------------------------------------------------------------
    def _start(
        self, operation: str, path: str | None, target: str | None, opts: object
    ) -> TokenT | None:
        return None

    def _finish(self, token: TokenT, error: BaseException | None, size: int | None) -> None:
        pass

    def _abort(self, token: TokenT, error: BaseException | None, size: int | None) -> None:
        self._finish(token, error, size)

    def _failed(self, token: TokenT, error: BaseException, size: int | None) -> None:
        pass

    def _failures(self, token: TokenT, failures: Failures, size: int) -> None:
        pass

    def _enter(self, token: TokenT) -> None:
        pass

    def _exit(self, token: TokenT) -> None:
        pass

    # -- operations: stat, read and write are written out, they are the hot path -------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        token = self._start("stat", path, None, opts)
        if token is None:
            return self.inner.stat(path, opts)
        try:
            meta = self.inner.stat(path, opts)
        except BaseException as err:
            self._finish(token, err, None)
            raise
        self._finish(token, None, None)
        return meta

    def read(self, path: str, opts: ReadOptions) -> bytes:
        token = self._start("read", path, None, opts)
        if token is None:
            return self.inner.read(path, opts)
        try:
            data = self.inner.read(path, opts)
        except BaseException as err:
            self._finish(token, err, None)
            raise
        self._finish(token, None, len(data))
        return data

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        token = self._start("write", path, None, opts)
        if token is None:
            return self.inner.write(path, data, opts)
        try:
            meta = self.inner.write(path, data, opts)
        except BaseException as err:
            self._finish(token, err, len(data))
            raise
        self._finish(token, None, len(data))
        return meta

    def _observe(
        self,
        operation: str,
        path: str | None,
        target: str | None,
        size: int | None,
        opts: object,
        call: Callable[..., T],
        *args: Any,
    ) -> T:
        token = self._start(operation, path, target, opts)
        if token is None:
            return call(*args)
        try:
            result = call(*args)
        except BaseException as err:
            self._finish(token, err, size)
            raise
        self._finish(token, None, size)
        return result

    def _first(self, token: TokenT, size: int | None, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)``, the first call of an operation that goes on; ends it if it fails."""
        try:
            return call(*args)
        except BaseException as err:
            self._finish(token, err, size)
            raise

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        token = self._start("writer", path, None, opts)
        if token is None:
            return self.inner.writer(path, opts)
        inner = self._first(token, None, self.inner.writer, path, opts)
        self._exit(token)
        return _ObservedWriter(self, token, inner)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        return self._listing(self._start("list", path, None, opts), path, opts)

    def _listing(self, token: TokenT | None, path: str, opts: ListOptions) -> Iterator[Entry]:
        """The listing of an observation ``_start`` began (a layer's ``list`` may add to it)."""
        if token is None:
            return self.inner.list(path, opts)
        # Created here, not at the first next(), so an error raises at list().
        inner = iter(self._first(token, None, self.inner.list, path, opts))
        if type(self)._exit is OperationObserver._exit:  # nothing to leave or enter
            steps = self._plain_steps(token, inner)
        else:
            self._exit(token)
            steps = self._entered_steps(token, inner)
        next(steps)  # past its first yield: from there, closing or dropping it ends the observation
        return steps

    # Two loops, one observation: the plain one, for layers with nothing to enter per step,
    # costs half as much (a for loop; no StopIteration to catch, no hook calls per entry).
    def _plain_steps(self, token: TokenT, inner: Iterator[Entry]) -> Iterator[Entry]:
        count = 0
        try:
            yield _STARTED
            for entry in inner:
                count += 1
                yield entry
        except GeneratorExit:
            self._close_early(token, inner, count)
            raise
        except BaseException as err:
            self._finish(token, err, count)
            raise
        self._finish(token, None, count)

    def _entered_steps(self, token: TokenT, inner: Iterator[Entry]) -> Iterator[Entry]:
        enter, leave = self._enter, self._exit
        count = 0
        try:
            yield _STARTED
            while True:
                enter(token)
                try:
                    entry = next(inner, _END)
                except BaseException as err:
                    self._finish(token, err, count)
                    raise
                if entry is _END:
                    break
                leave(token)
                count += 1
                yield entry
        except GeneratorExit:
            enter(token)
            self._close_early(token, inner, count)
            raise
        self._finish(token, None, count)

    def _close_early(self, token: TokenT, inner: Iterator[Entry], count: int) -> None:
        """A listing closed or dropped before its end: close the one below, then ``_abort``."""
        close = getattr(inner, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._abort(token, None, count)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._observe("delete", path, None, None, opts, self.inner.delete, path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        token = self._start("delete_many", None, None, None)
        if token is None:
            return self.inner.delete_many(items)
        failures = self._first(token, len(items), self.inner.delete_many, items)
        self._failures(token, failures, len(items))
        self._finish(token, None, len(items))
        return failures

    def create_dir(self, path: str) -> None:
        self._observe("create_dir", path, None, None, None, self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._observe("copy", source, target, None, opts, self.inner.copy, source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._observe("rename", source, target, None, opts, self.inner.rename, source, target, opts)

    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        return self._observe(
            f"presign_{operation}",
            path,
            None,
            None,
            opts,
            self.inner.presign,
            operation,
            path,
            expire,
            opts,
        )


class _ObservedWriter(Generic[TokenT]):
    """A writer observed from creation to close or abort; once ended, it only forwards."""

    __slots__ = ("_access", "_given", "_inner", "_open", "_token")

    def __init__(self, access: OperationObserver[TokenT], token: TokenT, inner: Writer) -> None:
        self._access = access
        self._token = token
        self._inner = inner
        self._given = 0
        self._open = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._open:  # a close failed; what a caller does next is not observed
            self._inner.write(data)
            return
        access, token = self._access, self._token
        access._enter(token)
        try:
            self._inner.write(data)
        except BaseException as err:
            access._exit(token)
            access._failed(token, err, self._given)
            raise
        access._exit(token)
        self._given += len(data)

    def close(self) -> Metadata:
        if not self._open:
            return self._inner.close()
        return self._last(self._inner.close, self._access._finish)

    def abort(self) -> None:
        if not self._open:
            self._inner.abort()
            return
        self._last(self._inner.abort, self._access._abort)

    def _last(
        self, call: Callable[[], T], end: Callable[[TokenT, BaseException | None, int | None], None]
    ) -> T:
        self._open = False
        token = self._token
        self._access._enter(token)
        try:
            result = call()
        except BaseException as err:
            end(token, err, self._given)
            raise
        end(token, None, self._given)
        return result

    def __del__(self) -> None:
        if getattr(self, "_open", False):
            self._open = False
            dropped = Unexpected("writer dropped before close or abort")
            self._access._enter(self._token)
            self._access._abort(self._token, dropped, self._given)
