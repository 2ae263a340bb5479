"""A test-only layer that gives calls a latency on a fake clock, and hangs chosen calls.

``LatencyLayer(clock, latency=0.01, hang={"read": {12}})``: each call below it advances
``clock`` by ``latency`` seconds (a number, or ``latency(step, n)`` for the ``n``-th call of
``step``, 1-based), so a layer above that reads the same clock measures exactly that; the
12th ``read`` instead blocks until ``release()`` (at most ``HANG`` s, so a failing test
cannot hang), then advances the clock by ``hang_latency``. Nothing sleeps.

Steps: ``stat``, ``read``, ``write``, ``list``, ``list.next``, ``delete``, ``create_dir``,
``copy``, ``rename``. ``calls`` counts the calls per step that reached the layer,
``threads`` names the thread of each, ``hanging`` is set once a hung call started and
``hung`` counts them; ``finished`` counts the hung calls that went on below after release.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from opendal_lab import BaseLayer, Entry, LayeredAccess, Metadata
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)

__all__ = ["HANG", "FakeClock", "LatencyLayer"]

T = TypeVar("T")
HANG = 20.0


class FakeClock:
    """Seconds that move only when told to; callable, as ``time.monotonic`` is."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class LatencyLayer(BaseLayer):
    def __init__(
        self,
        clock: FakeClock,
        latency: float | Callable[[str, int], float] = 0.01,
        hang: Mapping[str, set[int]] | None = None,
        hang_latency: float = 10.0,
    ) -> None:
        self.clock = clock
        self.latency = latency
        self.hang = {step: set(ns) for step, ns in (hang or {}).items()}
        self.hang_latency = hang_latency
        self.gate = threading.Event()
        self.hanging = threading.Event()
        self.lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.hung: collections.Counter[str] = collections.Counter()
        self.finished: collections.Counter[str] = collections.Counter()
        self.threads: list[str] = []

    def release(self) -> None:
        self.gate.set()

    def run(self, step: str, fn: Callable[..., T], *args: Any) -> T:
        with self.lock:
            self.calls[step] += 1
            n = self.calls[step]
            self.threads.append(threading.current_thread().name)
            hangs = n in self.hang.get(step, ())
            if hangs:
                self.hung[step] += 1
        if hangs:
            self.hanging.set()
            self.gate.wait(HANG)
            self.clock.advance(self.hang_latency)
            with self.lock:
                self.finished[step] += 1
        else:
            latency = self.latency(step, n) if callable(self.latency) else self.latency
            self.clock.advance(latency)
        return fn(*args)

    def wrap(self, inner: Any) -> Any:
        return _LatencyAccess(inner, self)


class _LatencyAccess(LayeredAccess):
    layer: LatencyLayer

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self.layer.run("stat", self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self.layer.run("read", self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self.layer.run("write", self.inner.write, path, data, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        it = iter(self.layer.run("list", self.inner.list, path, opts))
        return self._steps(it)

    def _steps(self, it: Iterator[Entry]) -> Iterator[Entry]:
        end = object()
        while True:
            entry = self.layer.run("list.next", next, it, end)
            if entry is end:
                return
            yield entry

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self.layer.run("delete", self.inner.delete, path, opts)

    def create_dir(self, path: str) -> None:
        self.layer.run("create_dir", self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self.layer.run("copy", self.inner.copy, source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self.layer.run("rename", self.inner.rename, source, target, opts)
