"""ThrottleLayer: caps the bytes read and written per second, with a burst allowance.

::

    limit = ThrottleLayer(bandwidth=10 * 2**20, burst=2**20)  # 10 MiB/s, bursts of 1 MiB
    op = Operator("fs", root="/data").layer(limit)

A token bucket holds up to ``burst`` bytes and refills at ``bandwidth`` bytes per second.
It lives on the layer and is thread-safe, so every thread and every operator built with
the same layer instance share one budget. Over any span of ``T`` seconds the bytes that
pass the layer stay within ``burst + bandwidth * T``:

- ``write`` and each ``write`` of a streaming writer take tokens for the bytes given
  *before* passing them down;
- ``read`` takes tokens for the bytes returned *after* the read (only then is the size
  known), and the caller waits before getting them.

Tokens are taken at once, even when fewer are left: the bucket goes into debt and the
caller sleeps until the debt is repaid. A later caller sees the debt and waits behind it,
so callers are served in the order they asked.

Notes
-----
A write larger than ``burst`` is paced, not refused (OpenDAL refuses it, since its rate
limiter cannot grant more than the burst at once): a streaming writer's chunk is passed
down in ``burst``-sized pieces, each when paid for; a one-shot ``write`` cannot be split,
so it waits until all its bytes are paid and then goes down whole.

Metadata calls (stat, list, delete...) are not counted. ``clock`` and ``sleep`` can be
replaced (tests drive a fake clock); a pickled copy starts with a full bucket of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from opendal_lab.core.access import BaseLayer, LayeredAccess, Writer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.options import ReadOptions, WriteOptions
from opendal_lab.core.types import Metadata

__all__ = ["ThrottleLayer"]


class _ThrottleAccess(LayeredAccess):
    layer: ThrottleLayer

    def read(self, path: str, opts: ReadOptions) -> bytes:
        data = self.inner.read(path, opts)
        self.layer.consume(len(data))
        return data

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        self.layer.consume(len(data))
        return self.inner.write(path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _ThrottleWriter(self.inner.writer(path, opts), self.layer)


class _ThrottleWriter:
    __slots__ = ("_inner", "_layer")

    def __init__(self, inner: Writer, layer: ThrottleLayer) -> None:
        self._inner = inner
        self._layer = layer

    def write(self, data: bytes | bytearray | memoryview) -> None:
        burst = self._layer.burst
        if len(data) <= burst:
            self._layer.consume(len(data))
            self._inner.write(data)
            return
        view = memoryview(data).cast("B")
        for start in range(0, len(view), burst):
            piece = view[start : start + burst]
            self._layer.consume(len(piece))
            self._inner.write(piece)

    def close(self) -> Metadata:
        return self._inner.close()

    def abort(self) -> None:
        self._inner.abort()


_Bytes = Annotated[int, Check(ge=1, unit="byte")]


class ThrottleLayer(BaseLayer):
    """Caps read and write throughput with a shared token bucket; see the module docstring.

    Parameters
    ----------
    bandwidth:
        Bytes per second, on average.
    burst:
        Bytes that may pass at once after a quiet spell (the bucket's size).
    clock, sleep:
        The monotonic clock and the function that waits (a fake pair in tests).
    """

    access_class = _ThrottleAccess

    @checked("ThrottleLayer")
    def __init__(
        self,
        bandwidth: _Bytes,
        burst: _Bytes,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.bandwidth = bandwidth
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self._start_bucket()

    def _start_bucket(self) -> None:
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._stamp = self.clock()

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.bandwidth)
            self._stamp = now

    def reserve(self, nbytes: int) -> float:
        """Take ``nbytes`` tokens now; the seconds to wait before they are paid for."""
        with self._lock:
            self._refill(self.clock())
            self._tokens -= nbytes
            debt = -self._tokens
        return debt / self.bandwidth if debt > 0 else 0.0

    def consume(self, nbytes: int) -> None:
        """Take ``nbytes`` tokens and sleep until they are paid for."""
        if nbytes:
            wait = self.reserve(nbytes)
            if wait > 0:
                self.sleep(wait)

    @property
    def tokens(self) -> float:
        """Bytes that may pass now without waiting (negative: the debt still to repay)."""
        with self._lock:
            self._refill(self.clock())
            return self._tokens

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_tokens", "_stamp")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._start_bucket()

    def __repr__(self) -> str:
        return f"ThrottleLayer(bandwidth={self.bandwidth}, burst={self.burst})"
