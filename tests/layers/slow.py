"""A test-only layer that makes calls slow or stall, and counts the calls in flight below it.

``SlowLayer(delay={"stat": 0.05}, stall={"read": 1})``: every ``stat`` sleeps 50 ms; the
first ``read`` blocks until ``release()`` (at most 10 s, so a failing test cannot hang).
Step names: ``stat``, ``read``, ``write``, ``writer``, ``writer.write``, ``writer.close``,
``list``, ``list.next``, ``delete``. ``peak`` is the most calls ever in flight at once,
``calls`` counts calls per step, ``threads`` names the threads that made them.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from opendal_lab import BaseLayer, Entry, LayeredAccess, Metadata, Writer
from opendal_lab.core.options import (
    DeleteOptions,
    ListOptions,
    ReadOptions,
    StatOptions,
    WriteOptions,
)

__all__ = ["SlowLayer"]

T = TypeVar("T")


class SlowLayer(BaseLayer):
    def __init__(
        self, delay: Mapping[str, float] | None = None, stall: Mapping[str, int] | None = None
    ) -> None:
        self.delay = dict(delay or {})
        self.stall = collections.Counter(stall or {})
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.calls: collections.Counter[str] = collections.Counter()
        self.sizes: list[int] = []  # bytes given to each writer.write
        self.threads: list[str] = []
        self.seen: list[Any] = []  # what `peek()` returned in each call, when set
        self.peek: Callable[[], Any] | None = None

    def release(self) -> None:
        self.gate.set()

    def run(self, step: str, fn: Callable[..., T], *args: Any) -> T:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.calls[step] += 1
            self.threads.append(threading.current_thread().name)
            if self.peek is not None:
                self.seen.append(self.peek())
            stalls = self.stall[step] > 0
            if stalls:
                self.stall[step] -= 1
        try:
            if stalls:
                self.gate.wait(10)
            elif step in self.delay:
                time.sleep(self.delay[step])
            return fn(*args)
        finally:
            with self.lock:
                self.in_flight -= 1

    def wrap(self, inner: Any) -> Any:
        return _SlowAccess(inner, self)


class _SlowAccess(LayeredAccess):
    layer: SlowLayer

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self.layer.run("stat", self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self.layer.run("read", self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self.layer.run("write", self.inner.write, path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _SlowWriter(self.layer.run("writer", self.inner.writer, path, opts), self.layer)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        it = iter(self.layer.run("list", self.inner.list, path, opts))
        end = object()
        while True:
            entry = self.layer.run("list.next", next, it, end)
            if entry is end:
                return
            yield entry

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self.layer.run("delete", self.inner.delete, path, opts)


class _SlowWriter:
    def __init__(self, inner: Writer, layer: SlowLayer) -> None:
        self.inner = inner
        self.layer = layer

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.layer.sizes.append(len(data))
        self.layer.run("writer.write", self.inner.write, data)

    def close(self) -> Metadata:
        return self.layer.run("writer.close", self.inner.close)

    def abort(self) -> None:
        self.inner.abort()
