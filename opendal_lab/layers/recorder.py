"""RecorderLayer: the last N operations, with the time each layer of the stack spent on them.

::

    recorder = RecorderLayer(capacity=100)
    op = Operator("memory").layer(recorder)
    op.write("a.csv", b"x,y\\n")
    call = recorder.calls[-1]
    call.operation, call.path, call.outcome, call.duration   # 'write', 'a.csv', 'ok', 2.1e-06
    call.levels   # (('CorrectnessCheckLayer', 1.0e-07), ..., ('memory', 1.2e-06)), outermost first

Each level's figure is its own time: what the call spent in that layer minus what it spent
in the levels below. To measure them, ``Operator`` puts a probe above every level beneath
the recorder when it builds the stack (the recorder's ``probe`` hook), so add the recorder
last, outermost, to see every layer. A listing is one call from ``list()`` to the end of
its iteration (its levels sum the time spent inside ``next()``); a streaming writer is one
call from ``writer()`` to close or abort, with the bytes it took.

``calls`` is a snapshot, newest last; ``listen(callback)`` calls ``callback(call)`` after
each one (the trace widget draws from it). Error messages are redacted like every text
this library produces. Recording costs a few microseconds per call; the operator's fast
path is off while a recorder is on the stack.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opendal_lab.core.access import Access, BaseLayer, Failures, LayeredAccess, Writer
from opendal_lab.core.errors import ConfigInvalid, Error
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.secrets import redact
from opendal_lab.core.types import Entry, Metadata

__all__ = ["Call", "RecorderLayer"]

T = TypeVar("T")
Listener = Callable[["Call"], None]


@dataclass(frozen=True)
class Call:
    """One recorded operation."""

    operation: str
    path: str
    outcome: str  # "ok" or the error's kind, e.g. "NotFound"
    started: float  # time.time() at the start
    duration: float  # seconds, wall time
    levels: tuple[tuple[str, float], ...]  # (level name, own seconds), outermost first
    bytes: int | None = None
    error: str | None = None


@dataclass
class _Trace:
    """The probed levels of one stack, innermost first."""

    names: list[str]


def _trace_below(access: Access) -> _Trace | None:
    """The trace of the nearest probe under ``access``, if the stack has probes."""
    current: Any = access
    while current is not None:
        if isinstance(current, _ProbeAccess):
            return current.trace
        current = getattr(current, "inner", None)
    return None


@dataclass
class _Active:
    """The call being recorded on this thread: total seconds per probed level."""

    totals: dict[int, float] = field(default_factory=dict)


class RecorderLayer(BaseLayer):
    """Keeps the last ``capacity`` calls through it, with per-level timings."""

    def __init__(self, capacity: int = 200) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"RecorderLayer: capacity must be int, got {capacity!r}")
        if capacity <= 0:
            raise ConfigInvalid(f"RecorderLayer: capacity must be > 0, got {capacity}")
        self.capacity = capacity
        self._setup()

    def _setup(self) -> None:
        self._calls: deque[Call] = deque(maxlen=self.capacity)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._listeners: list[Listener] = []

    # -- what users read -----------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def listen(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(call)`` after each recorded call; returns a function that stops it."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    # -- stack building --------------------------------------------------------------------
    def probe(self, inner: Access, name: str) -> Access:
        """Wrap one level so its time counts toward the active call (``Operator`` calls it,
        innermost level first, before ``wrap``)."""
        trace = _trace_below(inner) or _Trace([])
        trace.names.append(name)
        return _ProbeAccess(inner, _Probe(self, len(trace.names) - 1), trace)

    def wrap(self, inner: Access) -> Access:
        return _RecorderAccess(inner, self, _trace_below(inner) or _Trace([]))

    # -- recording -------------------------------------------------------------------------
    def _active(self) -> _Active | None:
        return getattr(self._local, "active", None)

    def _swap(self, active: _Active | None) -> _Active | None:
        before = getattr(self._local, "active", None)
        self._local.active = active
        return before

    def _finish(
        self,
        trace: _Trace,
        operation: str,
        path: str,
        started: float,
        wall: float,
        active: _Active,
        error: BaseException | None,
        size: int | None,
    ) -> None:
        totals = active.totals
        levels: list[tuple[str, float]] = []
        below = 0.0
        for index, name in enumerate(trace.names):  # innermost first
            total = totals.get(index, below)
            levels.append((name, max(0.0, total - below)))
            below = max(below, total)
        levels.append(("RecorderLayer", max(0.0, wall - below)))
        if error is None:
            outcome, message = "ok", None
        else:
            outcome = type(error).__name__
            message = redact(error.message if isinstance(error, Error) else str(error))
        call = Call(
            operation,
            redact(path),
            outcome,
            started,
            wall,
            tuple(reversed(levels)),
            size,
            message,
        )
        with self._lock:
            self._calls.append(call)
        for listener in list(self._listeners):
            listener(call)

    def __getstate__(self) -> dict[str, Any]:
        return {"capacity": self.capacity}  # a rebuilt recorder starts empty

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.capacity = state["capacity"]
        self._setup()

    def __repr__(self) -> str:
        return f"RecorderLayer(capacity={self.capacity})"


@dataclass(frozen=True)
class _Probe:
    recorder: RecorderLayer
    index: int

    def timed(self, fn: Callable[..., T], *args: Any) -> T:
        active = self.recorder._active()
        if active is None:
            return fn(*args)
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            totals = active.totals
            totals[self.index] = totals.get(self.index, 0.0) + time.perf_counter() - t0


class _ProbeAccess(LayeredAccess):
    """Times every call into the level below it."""

    def __init__(self, inner: Access, probe: _Probe, trace: _Trace) -> None:
        super().__init__(inner, _PROBE_LAYER)
        self._probe = probe
        self.trace = trace

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._probe.timed(self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._probe.timed(self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._probe.timed(self.inner.write, path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _ProbeWriter(self._probe.timed(self.inner.writer, path, opts), self._probe)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        entries = self._probe.timed(self.inner.list, path, opts)
        sentinel: Any = object()
        while (entry := self._probe.timed(next, entries, sentinel)) is not sentinel:
            yield entry

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._probe.timed(self.inner.delete, path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        return self._probe.timed(self.inner.delete_many, items)

    def create_dir(self, path: str) -> None:
        self._probe.timed(self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._probe.timed(self.inner.copy, source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._probe.timed(self.inner.rename, source, target, opts)

    def presign(self, operation: Any, path: str, expire: float, opts: Any) -> Any:
        return self._probe.timed(self.inner.presign, operation, path, expire, opts)


class _ProbeWriter:
    __slots__ = ("_inner", "_probe")

    def __init__(self, inner: Writer, probe: _Probe) -> None:
        self._inner = inner
        self._probe = probe

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._probe.timed(self._inner.write, data)

    def close(self) -> Metadata:
        return self._probe.timed(self._inner.close)

    def abort(self) -> None:
        self._probe.timed(self._inner.abort)


class _ProbeLayer(BaseLayer):
    """Stands for probes in ``LayeredAccess`` (they change no capability)."""


_PROBE_LAYER = _ProbeLayer()


class _RecorderAccess(LayeredAccess):
    layer: RecorderLayer

    def __init__(self, inner: Access, layer: RecorderLayer, trace: _Trace) -> None:
        super().__init__(inner, layer)
        self._trace = trace

    def _record(self, operation: str, path: str, fn: Callable[..., T], *args: Any) -> T:
        recorder = self.layer
        active = _Active()
        before = recorder._swap(active)
        started, t0 = time.time(), time.perf_counter()
        try:
            result = fn(*args)
        except BaseException as err:
            wall = time.perf_counter() - t0
            recorder._swap(before)
            recorder._finish(self._trace, operation, path, started, wall, active, err, None)
            raise
        wall = time.perf_counter() - t0
        recorder._swap(before)
        size = len(result) if isinstance(result, bytes) else None
        if operation == "write" and isinstance(result, Metadata):
            size = result.content_length
        recorder._finish(self._trace, operation, path, started, wall, active, None, size)
        return result

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._record("stat", path, self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._record("read", path, self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._record("write", path, self.inner.write, path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _RecordedWriter(self.layer, self._trace, path, self.inner, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        recorder = self.layer
        active = _Active()
        started, t0, count = time.time(), time.perf_counter(), 0
        error: BaseException | None = None
        sentinel: Any = object()
        try:
            before = recorder._swap(active)
            try:
                entries = iter(self.inner.list(path, opts))
            finally:
                recorder._swap(before)
            while True:
                before = recorder._swap(active)
                try:
                    entry = next(entries, sentinel)
                finally:
                    recorder._swap(before)
                if entry is sentinel:
                    break
                count += 1
                yield entry
        except BaseException as err:
            error = err
            raise
        finally:
            wall = time.perf_counter() - t0
            recorder._finish(self._trace, "list", path, started, wall, active, error, count)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._record("delete", path, self.inner.delete, path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        return self._record("delete_many", f"{len(items)} paths", self.inner.delete_many, items)

    def create_dir(self, path: str) -> None:
        self._record("create_dir", path, self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._record("copy", f"{source} => {target}", self.inner.copy, source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._record("rename", f"{source} => {target}", self.inner.rename, source, target, opts)

    def presign(self, operation: Any, path: str, expire: float, opts: Any) -> Any:
        return self._record(
            f"presign_{operation}", path, self.inner.presign, operation, path, expire, opts
        )


class _RecordedWriter:
    """One call from ``writer()`` to close or abort."""

    __slots__ = ("_active", "_given", "_inner", "_path", "_recorder", "_started", "_t0", "_trace")

    def __init__(
        self, recorder: RecorderLayer, trace: _Trace, path: str, inner: Access, opts: WriteOptions
    ) -> None:
        self._recorder = recorder
        self._trace = trace
        self._path = path
        self._active = _Active()
        self._given = 0
        self._started, self._t0 = time.time(), time.perf_counter()
        self._inner: Writer = self._run(inner.writer, path, opts)

    def _run(self, fn: Callable[..., T], *args: Any) -> T:
        before = self._recorder._swap(self._active)
        try:
            return fn(*args)
        except BaseException as err:
            self._end(err)
            raise
        finally:
            self._recorder._swap(before)

    def _end(self, error: BaseException | None) -> None:
        wall = time.perf_counter() - self._t0
        self._recorder._finish(
            self._trace, "writer", self._path, self._started, wall, self._active, error, self._given
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._run(self._inner.write, data)
        self._given += len(data)

    def close(self) -> Metadata:
        meta = self._run(self._inner.close)
        self._end(None)
        return meta

    def abort(self) -> None:
        self._run(self._inner.abort)
        self._end(None)
