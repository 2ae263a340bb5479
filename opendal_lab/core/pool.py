"""Bulk calls overlapped on threads: many independent calls, bounded, results in order.

Where storage is slow (S3 and every other network service: tens of milliseconds a request),
reading a thousand small objects one after the other spends nearly all of its time waiting.
``run_ordered(fn, items, concurrency=n)`` calls ``fn`` on every item with up to ``n`` calls
in flight and returns the results in the order of ``items``. ``Operator.read_many`` /
``stat_many`` / ``write_many`` and the fsspec face's bulk calls (``cat`` of many paths,
``get``/``put`` of many files, ``cat_ranges``) all run on it: one pool, one set of rules.

How many at once: ``concurrency`` if given, else :data:`DEFAULT_CONCURRENCY` (32, the
connection pool the s3 service keeps by default), and never more than a layer of the stack
allows: a layer that bounds calls in flight (``ConcurrentLimitLayer``) says how many through
``concurrency_limit()`` (see :func:`stack_limit`), so a bulk call starts no more workers than
there are permits and ``RateLimited`` never comes from the pool's own queueing.

Notes
-----
The calling thread works too: it takes items like every worker, and when none are left it
waits only for the items other workers have already started. Workers are loops submitted to
one shared thread pool (:data:`MAX_THREADS` threads at most, reused from call to call, and
AsyncOperator's calls run there too); a worker that starts after
the items ran out finds nothing and returns. So a bulk call never waits for a thread that
has not started: it cannot deadlock when the shared pool is busy, nor when a bulk call runs
inside another (a worker calling ``read_many``). The one wait that could deadlock is on a
permit the calling thread itself holds (a service calling back into an operator with the
same ``ConcurrentLimitLayer``): that layer then reports a limit of 1, and the call runs in
the calling thread alone, on the permit it holds.

Errors: by default the first failure **in the order of** ``items`` is raised once the calls
already started have finished, and no new item starts after any failure (as a plain loop
would stop there). Our errors name their path already and get the position as context
(``context: { path: a/b, read_many: item 3 of 1000 }``); any other exception gets a note
naming the item. With ``return_exceptions=True`` (as ``asyncio.gather``) every item runs and a
failed one's exception stands in its place in the result list.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from opendal_lab.core.errors import ConfigInvalid, Error

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "DEFAULT_CONCURRENCY",
    "LimitsConcurrency",
    "check_concurrency",
    "run_ordered",
    "shared_executor",
    "stack_limit",
]

T = TypeVar("T")
R = TypeVar("R")

#: Calls in flight for a bulk call that names no ``concurrency``: the s3 service's default
#: connection pool (``pool_size=32``), so no request waits for a connection.
DEFAULT_CONCURRENCY = 32
#: Threads the shared pool keeps at most, across every bulk call of the process.
MAX_THREADS = 128


@runtime_checkable
class LimitsConcurrency(Protocol):
    """A layer that bounds the calls in flight below it (``ConcurrentLimitLayer``)."""

    def concurrency_limit(self) -> int | None:
        """Calls a bulk call started in this thread may run at once through the layer
        (``None``: no bound). 1 makes the bulk call run in the calling thread alone."""
        ...


def stack_limit(layers: Iterable[object]) -> int | None:
    """The smallest ``concurrency_limit()`` among ``layers``; ``None`` when none bounds."""
    limits = [
        limit
        for layer in layers
        if isinstance(layer, LimitsConcurrency) and (limit := layer.concurrency_limit())
    ]
    return min(limits) if limits else None


def check_concurrency(concurrency: Any, limit: int | None = None, where: str = "") -> int:
    """``concurrency`` (``None``: the default) as an int >= 1, lowered to ``limit``."""
    if concurrency is None:
        concurrency = DEFAULT_CONCURRENCY
    elif not isinstance(concurrency, int) or isinstance(concurrency, bool):
        raise TypeError(
            f"{where}concurrency must be an int >= 1 or None, got {type(concurrency).__name__}"
        )
    elif concurrency < 1:
        raise ConfigInvalid(f"{where}concurrency must be >= 1, got {concurrency}")
    return int(concurrency) if limit is None else max(1, min(concurrency, limit))


def run_ordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    concurrency: int,
    return_exceptions: bool = False,
    name: str = "bulk call",
    label: Callable[[T], str] = repr,
) -> list[Any]:
    """``[fn(item) for item in items]`` with up to ``concurrency`` calls in flight.

    See the module docstring for errors: the first in item order is raised, marked with
    ``name`` (which call) and its position (``label(item)`` too where the error names no
    path), or, with ``return_exceptions``, every failed item's exception is its result.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    batch = _Batch(fn, items, return_exceptions)
    helpers = min(concurrency, len(items)) - 1
    if helpers > 0:
        executor = shared_executor()
        try:
            for _ in range(helpers):
                # Each worker runs in a copy of the caller's context, as asyncio.to_thread
                # does: a trace span or log context set by the caller follows its calls.
                executor.submit(contextvars.copy_context().run, batch.work)
        except RuntimeError:
            pass  # interpreter shutting down: no new threads, the caller does the rest
    try:
        batch.work()
    finally:
        batch.stop_and_wait()
    return batch.outcome(name, label)


class _Batch:
    """The items of one bulk call, taken in order by whichever thread is free."""

    def __init__(self, fn: Callable[[Any], Any], items: Sequence[Any], keep_going: bool):
        self.fn = fn
        self.items = items
        self.results: list[Any] = [None] * len(items)
        self.failed: dict[int, BaseException] = {}
        self.keep_going = keep_going
        self._next = 0  # the next item to take
        self._finished = 0  # items taken and done
        self._stopped = False
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def _take(self) -> int | None:
        with self._lock:
            if self._stopped or self._next >= len(self.items):
                return None
            index = self._next
            self._next += 1
            return index

    def work(self) -> None:
        """Take items until none are left (or one failed and ``keep_going`` is off)."""
        fn, items = self.fn, self.items
        while (index := self._take()) is not None:
            try:
                self.results[index] = fn(items[index])
            except BaseException as err:
                with self._lock:
                    self.failed[index] = err
                    if not self.keep_going or not isinstance(err, Exception):
                        self._stopped = True  # Ctrl-C and exits stop every bulk call
            finally:
                with self._lock:
                    self._finished += 1
                    if self._finished == self._next:
                        self._idle.notify_all()

    def stop_and_wait(self) -> None:
        """Start no more items; wait for those other threads have started."""
        with self._lock:
            self._stopped = True
            self._idle.wait_for(lambda: self._finished == self._next)

    def outcome(self, name: str, label: Callable[[Any], str]) -> list[Any]:
        if not self.failed:
            return self.results
        for err in self.failed.values():
            if not isinstance(err, Exception):
                raise err  # Ctrl-C or an exit, whichever item it met
        total = len(self.items)
        for index, err in sorted(self.failed.items()):
            _name_item(err, name, label(self.items[index]), f"item {index + 1} of {total}")
            if not self.keep_going:
                raise err  # the first in item order, as a plain loop would have stopped at
            self.results[index] = err
        return self.results


def _name_item(err: BaseException, name: str, item: str, position: str) -> None:
    """Say which item failed: our errors carry their path already and get the position as
    context (shown in ``str``); any other exception gets a note (Python 3.11+)."""
    if isinstance(err, Error):
        err.with_context(name, position)
        if err.path is None:
            err.with_context("item", item)
    elif hasattr(err, "add_note"):
        err.add_note(f"{name}: {item} failed, {position}")


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def shared_executor() -> ThreadPoolExecutor:
    """The pool's threads (at most :data:`MAX_THREADS`), made on first use; AsyncOperator
    runs its calls on them too."""
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor  # on first use: a lighter import

        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="opendal_lab-bulk")
    return _pool


def _forget_pool() -> None:
    # A forked child has none of the parent's threads: it starts a pool of its own.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
