"""ConcurrentLimitLayer: at most ``permits`` calls into the stack below at once.

::

    limit = ConcurrentLimitLayer(8)
    a = Operator("s3", bucket="a").layer(limit)
    b = Operator("s3", bucket="b").layer(limit)  # a and b share the same 8 permits

The permits live on the layer, so every operator built with the same layer instance shares
them (within one process: a pickled copy gets permits of its own). A caller beyond the
limit waits for a permit; with ``timeout`` it waits that long at most and then gets
``RateLimited`` (status temporary, so a RetryLayer outside tries again later).
``in_flight`` and ``waiting`` say how many calls hold a permit and how many wait for one.

Notes
-----
A permit is held during each call into the service, not for the life of a stream: for a
listing, during its creation and each ``next()``; for a streaming writer, during its
creation and each ``write``, ``close`` and ``abort``. OpenDAL holds a permit for as long
as a lister or writer exists; here a listing or writer idle in user code holds none, so a
program that keeps more listings open than there are permits (nested walks, zipped
listings) can never deadlock. The price: ``permits`` bounds requests in flight, not open
streams.

A call made while the same thread already holds one of this layer's permits (the layer
stacked twice, a service that calls back into an operator with this layer) does not take
a second one: it is part of the call that holds it, and waiting would deadlock. Closing
an abandoned listing takes no permit either, because Python may close it from the
garbage collector inside another call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from opendal_lab.core.access import (
    Access,
    BaseLayer,
    Failures,
    LayeredAccess,
    PresignOperation,
    Writer,
)
from opendal_lab.core.errors import ConfigInvalid, RateLimited
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

__all__ = ["ConcurrentLimitLayer"]

T = TypeVar("T")
_END: Any = object()


class _Depth(threading.local):
    depth = 0  # a class default: reading it never raises, which getattr(..., 0) would


class _Permits:
    """A counting semaphore that also says how many hold a permit and how many wait."""

    def __init__(self, permits: int) -> None:
        self.permits = permits
        self.in_flight = 0
        self.waiting = 0
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._held = _Depth()

    def acquire(self, timeout: float | None) -> bool:
        """Take a permit (``False`` once ``timeout`` passed); ``True`` also when re-entered."""
        held = self._held
        depth = held.depth
        if depth:
            held.depth = depth + 1
            return True
        with self._lock:
            if self.in_flight >= self.permits:
                self.waiting += 1
                try:
                    if not self._ready.wait_for(
                        lambda: self.in_flight < self.permits, timeout=timeout
                    ):
                        return False
                finally:
                    self.waiting -= 1
            self.in_flight += 1
        held.depth = 1
        return True

    def release(self) -> None:
        held = self._held
        held.depth -= 1
        if held.depth:
            return
        with self._lock:
            self.in_flight -= 1
            if self.waiting:  # notify() costs more than the rest: only when someone waits
                self._ready.notify()


class _LimitAccess(LayeredAccess):
    layer: ConcurrentLimitLayer

    def __init__(self, inner: Access, layer: ConcurrentLimitLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._info.scheme

    def _run(self, operation: str, path: str | None, fn: Callable[..., T], *args: Any) -> T:
        permits = self.layer._permits
        if not permits.acquire(self.layer.timeout):
            raise RateLimited(
                f"no permit within {self.layer.timeout:g} s: {permits.in_flight} calls in "
                f"flight (ConcurrentLimitLayer, permits={permits.permits})",
                operation=operation,
                service=self._scheme,
                path=path,
            )
        try:
            return fn(*args)
        finally:
            permits.release()

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._run("stat", path, self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._run("read", path, self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._run("write", path, self.inner.write, path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _LimitWriter(self._run("write", path, self.inner.writer, path, opts), self, path)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        # Created here, not in the generator, so an error raises at list().
        return self._steps(path, iter(self._run("list", path, self.inner.list, path, opts)))

    def _steps(self, path: str, it: Iterator[Entry]) -> Iterator[Entry]:
        try:
            while True:
                entry = self._run("list", path, next, it, _END)
                if entry is _END:
                    return
                yield entry
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._run("delete", path, self.inner.delete, path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        return self._run("delete_many", None, self.inner.delete_many, items)

    def create_dir(self, path: str) -> None:
        self._run("create_dir", path, self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._run("copy", source, self.inner.copy, source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._run("rename", source, self.inner.rename, source, target, opts)

    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        return self._run(
            f"presign_{operation}", path, self.inner.presign, operation, path, expire, opts
        )


class _LimitWriter:
    __slots__ = ("_access", "_inner", "_path")

    def __init__(self, inner: Writer, access: _LimitAccess, path: str) -> None:
        self._inner = inner
        self._access = access
        self._path = path

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._access._run("write", self._path, self._inner.write, data)

    def close(self) -> Metadata:
        return self._access._run("write", self._path, self._inner.close)

    def abort(self) -> None:
        self._access._run("write", self._path, self._inner.abort)


class ConcurrentLimitLayer(BaseLayer):
    """Lets at most ``permits`` calls into the stack below at once; see the module docstring.

    Parameters
    ----------
    permits:
        Calls in flight at most, across every operator built with this layer.
    timeout:
        Seconds to wait for a permit before ``RateLimited``; ``None`` (default) waits as
        long as it takes.
    """

    access_class = _LimitAccess

    def __init__(self, permits: int, *, timeout: float | None = None) -> None:
        if not isinstance(permits, int) or isinstance(permits, bool):
            raise TypeError(
                f"ConcurrentLimitLayer: 'permits' must be an int, got {type(permits).__name__}"
            )
        if permits < 1:
            raise ConfigInvalid(f"ConcurrentLimitLayer: 'permits' must be >= 1, got {permits}")
        if timeout is not None:
            if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
                raise TypeError(
                    "ConcurrentLimitLayer: 'timeout' must be a number of seconds or None, "
                    f"got {type(timeout).__name__}"
                )
            if not 0 <= timeout <= threading.TIMEOUT_MAX:  # also refuses NaN and infinity
                raise ConfigInvalid(
                    "ConcurrentLimitLayer: 'timeout' must be a finite number of seconds "
                    f">= 0, got {timeout!r}"
                )
            timeout = float(timeout)
        self.permits = permits
        self.timeout = timeout
        self._permits = _Permits(permits)

    @property
    def in_flight(self) -> int:
        """Calls holding a permit now."""
        return self._permits.in_flight

    @property
    def waiting(self) -> int:
        """Calls waiting for a permit now."""
        return self._permits.waiting

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_permits"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _permits=_Permits(state["permits"]))

    def __repr__(self) -> str:
        return f"ConcurrentLimitLayer({self.permits})"
