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
its iteration, or until it is closed or dropped (its levels sum the time spent inside
``next()``); a streaming writer is one call from ``writer()`` to close or abort, with the
bytes it took (a ``write`` that failed is recorded as a call of its own). ``copy`` and
``rename`` are recorded with the path ``source => target``, ``delete_many`` as ``N paths``.
``call.options`` keeps the options that were set, e.g. ``(('recursive', True),)`` for
``list(path, recursive=True)`` (the portability check reads them).

``calls`` is a snapshot, newest last; ``listen(callback)`` calls ``callback(call)`` after
each one (the trace widget draws from it). Error messages are redacted like every text
this library produces. Recording costs a few microseconds per call; the operator's fast
path is off while a recorder is on the stack.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from opendal_lab.core.access import Access, BaseLayer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import Error
from opendal_lab.core.options import _Options
from opendal_lab.core.secrets import redact
from opendal_lab.core.wrapping import CallWrapper, OperationObserver

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
    options: tuple[tuple[str, Any], ...] = ()  # the options set, sorted by name


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


class _Active:
    """One operation being recorded: what it is, and total seconds per probed level.

    It is the token of ``_RecorderAccess`` and, while the operation runs below, the
    thread's active call that the probes add their time to.
    """

    __slots__ = ("before", "operation", "options", "path", "started", "t0", "target", "totals")

    def __init__(
        self, operation: str, path: str | None, target: str | None, options: object = None
    ) -> None:
        self.operation = operation
        self.options = options
        self.path = path
        self.target = target
        self.totals: dict[int, float] = {}
        self.before: _Active | None = None  # the thread's active call it replaced
        self.started = time.time()
        self.t0 = time.perf_counter()


class RecorderLayer(BaseLayer):
    """Keeps the last ``capacity`` calls through it, with per-level timings."""

    probes_below = True  # the operator wraps every level beneath it with ``probe``

    @checked("RecorderLayer", quoted=False, articles=False)
    def __init__(self, capacity: Annotated[int, Check(gt=0)] = 200) -> None:
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
        return _ProbeAccess(inner, self, len(trace.names) - 1, trace)

    def wrap(self, inner: Access) -> Access:
        return _RecorderAccess(inner, self, _trace_below(inner) or _Trace([]))

    # -- recording -------------------------------------------------------------------------
    def _record(
        self, trace: _Trace, active: _Active, error: BaseException | None, size: int | None
    ) -> None:
        wall = time.perf_counter() - active.t0
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
        if active.target is not None:
            path = f"{active.path} => {active.target}"
        elif active.operation == "delete_many":
            path, size = f"{size} paths", None
        else:
            path = active.path or ""
        call = Call(
            active.operation,
            redact(path),
            outcome,
            active.started,
            wall,
            tuple(reversed(levels)),
            size,
            message,
            active.options.given() if isinstance(active.options, _Options) else (),
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


class _ProbeAccess(CallWrapper):
    """Times every call into the level below it, for the call active on this thread."""

    def __init__(self, inner: Access, recorder: RecorderLayer, index: int, trace: _Trace) -> None:
        super().__init__(inner, _PROBE_LAYER)
        self._local = recorder._local
        self._index = index
        self.trace = trace

    def _around(self, operation: str, path: str | None, call: Callable[..., T], *args: Any) -> T:
        active: _Active | None = getattr(self._local, "active", None)
        if active is None:
            return call(*args)
        t0 = time.perf_counter()
        try:
            return call(*args)
        finally:
            totals = active.totals
            totals[self._index] = totals.get(self._index, 0.0) + time.perf_counter() - t0


class _ProbeLayer(BaseLayer):
    """Stands for probes in ``LayeredAccess`` (they change no capability)."""


_PROBE_LAYER = _ProbeLayer()


class _RecorderAccess(OperationObserver[_Active]):
    """Makes each operation the thread's active call while it runs below, and records it."""

    layer: RecorderLayer

    def __init__(self, inner: Access, layer: RecorderLayer, trace: _Trace) -> None:
        super().__init__(inner, layer)
        self._trace = trace
        self._local = layer._local

    def _start(self, operation: str, path: str | None, target: str | None, opts: object) -> _Active:
        active = _Active(operation, path, target, opts)
        self._enter(active)
        return active

    def _enter(self, token: _Active) -> None:
        local = self._local
        token.before = getattr(local, "active", None)
        local.active = token

    def _exit(self, token: _Active) -> None:
        self._local.active = token.before

    def _finish(self, token: _Active, error: BaseException | None, size: int | None) -> None:
        self._local.active = token.before
        self.layer._record(self._trace, token, error, size)

    def _failed(self, token: _Active, error: BaseException, size: int | None) -> None:
        self.layer._record(self._trace, token, error, size)  # the writer goes on
