"""TimeoutLayer: a call that outlives its budget raises ``Timeout`` instead of hanging.

Two budgets, as OpenDAL's layer has them:

- ``timeout`` (60 s) for control operations: ``stat``, ``delete``, ``delete_many``,
  ``create_dir``, ``copy``, ``rename``, ``presign``, creating a listing and each step
  (``next()``) of one;
- ``io_timeout`` (10 s) for I/O: ``read``, ``write``, creating a streaming writer and each
  of its ``write``, ``close`` and ``abort`` calls.

::

    op = Operator("s3", bucket="data").layer(TimeoutLayer(timeout=5, io_timeout=30))
    try:
        op.stat("big.parquet")
    except TimeoutError:  # Timeout is an opendal_lab Unexpected error and a TimeoutError
        ...

The error is ``Timeout`` (kind Unexpected, status temporary), with operation, service and
path, and a message that names the budget: ``stat timed out after 0.5 s (TimeoutLayer's
control budget)``. Put a ``RetryLayer`` outside it (``op.layer(TimeoutLayer()).layer(
RetryLayer())``) and each attempt gets its own budget.

Notes
-----
Python cannot interrupt a blocking call: ``signal.alarm`` works only in the main thread,
and an exception injected into a thread (``PyThreadState_SetAsyncExc``) is seen only when
that thread runs Python code again, never while it sits in a socket read. So the layer
hands each call to a worker thread of its own and waits for the budget; that is the one
way a caller gets control back from the call that hangs. What that means:

- A call that times out **keeps running** in the background; its result, or error, is
  discarded. A write that finishes late still lands: the object may appear after the
  caller was told it timed out (and after a RetryLayer's retry of it, which wrote the
  same bytes). A call still waiting for a free worker when its budget
  runs out is dropped instead, and never runs (the error says which: ``call: never
  started``).
- After a ``write``/``close`` of a streaming writer timed out while running, the writer
  refuses further calls (a retried chunk could land twice); ``abort()`` still works and
  runs once the stalled call returns. A listing whose step timed out ends with the error;
  list again (RetryLayer does, resuming after the last entry).
- The operator stays usable: the next call gets a fresh worker.
- Workers are daemon threads (not ``concurrent.futures``, whose exit hook joins every
  worker, so one stalled call would keep the interpreter from exiting). At most
  ``max_workers`` (64) run at once, shared by every operator built with this layer; calls
  beyond that wait for a free worker within their budget. A worker idle for a minute ends.
  The caller's ``contextvars`` (tracing spans) are carried to the worker.
- Cost: a handoff to a thread and back, about 15 µs per call and per listing step when
  nothing stalls (a ``stat`` on memory goes from 0.5 to 16 µs), so it suits services
  whose calls take milliseconds, not an in-process store.
- After ``os.fork`` the child starts with no workers; pickling drops them too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from opendal_lab.core.access import Access, BaseLayer, Writer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import Timeout, Unexpected
from opendal_lab.core.options import WriteOptions
from opendal_lab.core.types import Entry, Metadata
from opendal_lab.core.workers import LazyWorkers, Task, WorkerPool, claim
from opendal_lab.core.wrapping import CallWrapper

__all__ = ["TimeoutLayer"]

T = TypeVar("T")
_END: Any = object()
#: Calls on the I/O budget: read, write, and a writer's creation and calls (named write).
_IO = frozenset({"read", "write"})


class _TimeoutAccess(CallWrapper):
    """Runs each call below on a worker, within its budget. Writers and listing steps are
    its own: after a stall, the call still running owns the stream."""

    layer: TimeoutLayer

    def __init__(self, inner: Access, layer: TimeoutLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._access_info.scheme

    def _around(self, operation: str, path: str | None, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` on a worker; ``Timeout`` if it has not returned within the budget."""
        result: T = self._wait(self._submit(call, args), operation, path, args)
        return result

    def _submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Task:
        task = Task(fn, args)
        self.layer._workers().submit(task)
        return task

    def _wait(
        self,
        task: Task,
        operation: str,
        path: str | None,
        args: tuple[Any, ...] = (),
        label: str = "",
    ) -> Any:
        layer = self.layer
        io = operation in _IO
        budget = layer.io_timeout if io else layer.timeout
        if not task.done.acquire(timeout=budget):
            if claim(task):  # still waiting for a worker: dropped, it will never run
                call = "never started"
            elif task.done.acquire(blocking=False):  # it finished as the budget ran out
                call = ""
            else:
                task.stalled = True
                call = "still running in the background, its result discarded"
            if call:
                context: dict[str, Any] = {}
                if operation in ("copy", "rename"):  # both ends, rather than the source alone
                    path, context = None, {"from": args[0], "to": args[1]}
                elif operation == "delete_many":
                    context = {"batch_size": len(args[0])}
                kind = "I/O" if io else "control"
                raise Timeout(
                    f"{label or operation} timed out after {budget:g} s "
                    f"(TimeoutLayer's {kind} budget)",
                    operation=operation,
                    service=self._scheme,
                    path=path,
                    context={**context, "call": call},
                )
        if task.error is not None:
            error, task.error = task.error, None
            raise error
        return task.result

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        task = self._submit(self.inner.writer, (path, opts))
        inner: Writer = self._wait(task, "write", path, label="opening a writer")
        return _TimeoutWriter(inner, self, path)

    def _steps(self, path: str, it: Iterator[Entry]) -> Iterator[Entry]:
        stalled = False
        try:
            while True:
                task = self._submit(next, (it, _END))
                try:
                    entry = self._wait(task, "list", path)
                finally:
                    stalled = task.stalled
                if entry is _END:
                    return
                yield entry
        finally:
            # A step still running elsewhere owns the iterator; it is dropped when done.
            close = getattr(it, "close", None)
            if close is not None and not stalled:
                close()


class _TimeoutWriter:
    """Each ``write``, ``close`` and ``abort`` on a worker, within the I/O budget."""

    __slots__ = ("_access", "_inner", "_lock", "_path", "_stalled")

    def __init__(self, inner: Writer, access: _TimeoutAccess, path: str) -> None:
        self._inner = inner
        self._access = access
        self._path = path
        self._lock = threading.Lock()  # one call into the inner writer at a time
        self._stalled = ""

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            return fn(*args)

    def _call(self, step: str, fn: Callable[..., T], *args: Any) -> T:
        if self._stalled:
            raise Unexpected(
                f"writer cannot {step}: its {self._stalled} timed out while running and may "
                "still land; abort it and write again",
                operation="write",
                service=self._access._scheme,
                path=self._path,
            )
        task = self._access._submit(self._locked, (fn, *args))
        try:
            result: T = self._access._wait(task, "write", self._path, label=f"writer {step}")
        finally:
            if task.stalled:
                self._stalled = step
        return result

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._call("write", self._inner.write, data)

    def close(self) -> Metadata:
        return self._call("close", self._inner.close)

    def abort(self) -> None:
        if self._stalled:
            # The stalled call holds the lock: abort once it returns, without waiting here.
            self._access._submit(self._locked, (self._inner.abort,))
            return
        self._call("abort", self._inner.abort)


_Seconds = Annotated[float, Check(gt=0, le=threading.TIMEOUT_MAX, finite=True, unit="seconds")]


class TimeoutLayer(BaseLayer):
    """Raises ``Timeout`` when a call outlives its budget; see the module docstring.

    Parameters
    ----------
    timeout:
        Seconds allowed to a control operation (stat, delete, list step...).
    io_timeout:
        Seconds allowed to an I/O call (read, write, each writer call).
    max_workers:
        Worker threads at most, shared by every operator built with this layer.
    """

    access_class = _TimeoutAccess

    @checked("TimeoutLayer")
    def __init__(
        self,
        timeout: _Seconds = 60.0,
        io_timeout: _Seconds = 10.0,
        *,
        max_workers: Annotated[int, Check(ge=1)] = 64,
    ) -> None:
        self.timeout = float(timeout)
        self.io_timeout = float(io_timeout)
        self.max_workers = max_workers
        self._pool = LazyWorkers(max_workers, "opendal-timeout")

    def _workers(self) -> WorkerPool:
        return self._pool.get()

    @property
    def workers(self) -> int:
        """Worker threads alive now (busy, stalled or idle)."""
        return self._pool.threads

    def __repr__(self) -> str:
        return f"TimeoutLayer(timeout={self.timeout:g}, io_timeout={self.io_timeout:g})"
