"""Daemon worker threads that run one call each, for layers that give up on slow calls.

TimeoutLayer and TailCutLayer run a call on a worker and stop waiting when its time is up,
abandoning it (it ends on its own, its result dropped). ``concurrent.futures`` does not fit:
its exit hook joins every worker, so one stalled call would keep the interpreter from
exiting. Here:

- ``Task``: one call with the caller's ``contextvars`` (tracing spans carry over); whoever
  ``claim``s it first owns it -- the worker, to run it, or the caller, to drop it when its
  time ran out before a worker was free (it then never runs);
- ``WorkerPool``: threads started on demand up to ``max_workers``, reused last-in first-out,
  each ending after ``IDLE_EXIT`` seconds without work;
- ``LazyWorkers``: what a layer holds -- its pool made on first use, not pickled (a copy
  starts with none) and forgotten in a child after ``os.fork``, which has none of its
  parent's threads.
"""

from __future__ import annotations

import contextvars
import itertools
import os
import queue
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["IDLE_EXIT", "LazyWorkers", "Task", "WorkerPool", "claim"]

IDLE_EXIT = 60.0  # seconds a worker waits for work before it ends
_names = itertools.count(1)


class Task:
    """One call handed to a worker; ``done`` is held until the worker has finished it."""

    __slots__ = ("args", "claim", "context", "done", "error", "fn", "result", "stalled")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.context = contextvars.copy_context()
        self.done = threading.Lock()
        self.done.acquire()
        self.result: Any = None
        self.error: BaseException | None = None
        self.stalled = False  # set by the caller when it gave up while the call was running
        # Whoever pops this first owns the task: the worker (to start it) or the caller
        # (to drop it when its budget ran out first). list.pop is atomic.
        self.claim = [True]


def claim(task: Task) -> bool:
    """Take ``task``: True for the first taker only."""
    try:
        task.claim.pop()
    except IndexError:
        return False
    return True


class WorkerPool:
    """Daemon worker threads, started on demand up to ``max_workers``, reused LIFO."""

    def __init__(self, max_workers: int, name: str = "opendal-worker") -> None:
        self._max = max_workers
        self._name = name
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Task]] = []
        self._backlog: deque[Task] = deque()
        self._threads = 0

    def submit(self, task: Task) -> None:
        with self._lock:
            if self._idle:
                inbox = self._idle.pop()
            elif self._threads < self._max:
                self._threads += 1
                inbox = None
            else:
                self._backlog.append(task)
                return
        if inbox is not None:
            inbox.put(task)
            return
        name = f"{self._name}-{next(_names)}"
        threading.Thread(target=self._work, args=(task,), name=name, daemon=True).start()

    def _work(self, task: Task) -> None:
        inbox: queue.SimpleQueue[Task] = queue.SimpleQueue()
        while True:
            if claim(task):
                try:
                    task.result = task.context.run(task.fn, *task.args)
                except BaseException as err:
                    task.error = err
                task.done.release()
            del task  # drop the result before idling
            with self._lock:
                if self._backlog:
                    task = self._backlog.popleft()
                    continue
                self._idle.append(inbox)
            try:
                task = inbox.get(timeout=IDLE_EXIT)
            except queue.Empty:
                with self._lock:
                    if any(q is inbox for q in self._idle):
                        self._idle.remove(inbox)
                        self._threads -= 1
                        return
                task = inbox.get()  # a caller took this worker just now; its task is coming

    @property
    def threads(self) -> int:
        return self._threads


class LazyWorkers:
    """A layer's ``WorkerPool``, made on first ``get()``; pickles without it, and a forked
    child starts without it."""

    def __init__(self, max_workers: int, name: str) -> None:
        self.max_workers = max_workers
        self.name = name
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()
        _ALL.add(self)

    def get(self) -> WorkerPool:
        pool = self._pool
        if pool is None:
            with self._lock:
                pool = self._pool
                if pool is None:
                    pool = self._pool = WorkerPool(self.max_workers, self.name)
        return pool

    @property
    def threads(self) -> int:
        """Worker threads alive now (busy, stalled or idle)."""
        return 0 if self._pool is None else self._pool.threads

    def forget(self) -> None:
        self._pool = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"max_workers": self.max_workers, "name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["max_workers"], state["name"])  # type: ignore[misc]


_ALL: weakref.WeakSet[LazyWorkers] = weakref.WeakSet()


def _forget_all() -> None:
    for workers in list(_ALL):
        workers.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_all)
