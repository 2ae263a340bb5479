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

Bulk calls (``Operator.read_many`` and its kin, the fsspec face's ``cat`` of many paths,
``get``, ``put``, ``cat_ranges``) start at most ``permits`` workers: ``concurrency_limit()``
tells them how many (``opendal_lab.core.pool``).

A call made while the same thread already holds one of this layer's permits (the layer
stacked twice, a service that calls back into an operator with this layer) does not take
a second one: it is part of the call that holds it, and waiting would deadlock. Closing
an abandoned listing takes no permit either, because Python may close it from the
garbage collector inside another call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from opendal_lab.core.access import Access, BaseLayer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import RateLimited
from opendal_lab.core.wrapping import CallWrapper

__all__ = ["ConcurrentLimitLayer"]

T = TypeVar("T")


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

    def held_here(self) -> bool:
        """Whether the calling thread holds a permit now."""
        return self._held.depth > 0

    def release(self) -> None:
        held = self._held
        held.depth -= 1
        if held.depth:
            return
        with self._lock:
            self.in_flight -= 1
            if self.waiting:  # notify() costs more than the rest: only when someone waits
                self._ready.notify()


class _LimitAccess(CallWrapper):
    """Holds a permit during each call below: each operation, list step and writer call."""

    layer: ConcurrentLimitLayer

    def __init__(self, inner: Access, layer: ConcurrentLimitLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._access_info.scheme

    def _around(self, operation: str, path: str | None, call: Callable[..., T], *args: Any) -> T:
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
            return call(*args)
        finally:
            permits.release()


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

    @checked("ConcurrentLimitLayer")
    def __init__(
        self,
        permits: Annotated[int, Check(ge=1)],
        *,
        timeout: Annotated[
            float | None, Check(ge=0, le=threading.TIMEOUT_MAX, finite=True, unit="seconds")
        ] = None,
    ) -> None:
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

    def concurrency_limit(self) -> int:
        """Calls a bulk call (``Operator.read_many``, the fsspec face's ``cat`` of many paths)
        runs at once through this layer: ``permits``, so no worker waits for one; 1 in a
        thread that already holds a permit, whose workers could wait for the very permit it
        holds (``opendal_lab.core.pool``)."""
        return 1 if self._permits.held_here() else self.permits

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_permits"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _permits=_Permits(state["permits"]))

    def __repr__(self) -> str:
        return f"ConcurrentLimitLayer({self.permits})"
