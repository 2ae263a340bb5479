"""TailCutLayer: cuts a call that runs far past what recent calls of its kind took.

The layer keeps, per operation, the latencies of recent successful calls (the last
``window`` seconds, at most 10,000 of them). Once a distribution holds ``min_samples``
latencies, each new call gets a deadline: the ``percentile`` of that distribution times
``safety_factor``, clamped to ``[min_deadline, max_deadline]``. A call still running at its
deadline is *cut*: the caller gets a ``Timeout`` at once, with ``cut_by: TailCutLayer``, the
deadline and the percentile in its context. Put a ``RetryLayer`` above it and a cut read is
issued again, which on a long-tailed store usually comes back at the median::

    op = (
        Operator("s3", bucket="data")
        .layer(TailCutLayer())  # p95 x 1.3 of the last 60 s, once 200 calls were seen
        .layer(RetryLayer())  # above it: re-issues a cut call
    )
    op.read("part-0001.parquet")

Defaults are OpenDAL's: p95, a safety factor of 1.3, a 60 s window, 200 samples before it
acts, deadlines between 0.5 s and 30 s. Before ``min_samples`` the layer only measures.

Which calls are cut, and how
----------------------------
- ``stat``, ``read`` and ``list`` (creating the listing, then each step of it) by default.
  They change nothing, so a cut one is safe to issue again: the error is ``temporary``.
  Reads are measured apart by the size they ask for (up to 4 KiB, 64 KiB, 1 MiB, 16 MiB,
  256 MiB, more; a read of the whole object on its own), so a large read is never held to
  a small one's deadline.
- Calls that change something (``write``, ``delete``, ``create_dir``, ``copy``,
  ``rename``) are *not* cut unless named in ``operations=``. A cut one may still take
  effect, so its ``Timeout`` is ``permanent`` (RetryLayer lets it through: it is never
  issued again) and says so, with ``may_have_happened: True`` in its context (one cut
  while still waiting for a worker never ran: temporary). Writes are measured apart by
  size, as reads are. This is where we part from OpenDAL, whose cut write
  is temporary and so is written again by a RetryLayer while the first may still land.
- A streaming writer, ``delete_many`` and ``presign`` (signed locally) are never cut.

Notes
-----
Python cannot interrupt a blocking call (see ``TimeoutLayer``), so a call under a deadline
runs on a worker thread while the caller waits for it, at most until the deadline. What
that means:

- A cut call **keeps running** in the background and its result is discarded. A cut read
  or stat that finishes later is harmless. A cut write (opted in) may land *after* the
  caller was told it was cut, even after a later write of the same path: opt in only for
  paths nothing else writes right after. A listing whose step was cut ends with the error;
  RetryLayer lists again from after the last entry.
- A cut call that finishes later still adds its latency to the distribution, so a store
  that slows down as a whole gets deadlines that follow it, rather than every call being
  cut until ``max_deadline``.
- Cost: calls before ``min_samples`` run inline (two clock reads); after, a handoff to a
  worker and back (~15 µs, as TimeoutLayer's): it suits stores whose calls take
  milliseconds. Workers are daemon threads, at most ``max_workers`` per layer, shared by
  every operator built with it (the distributions are shared too, as OpenDAL shares them
  between clones of one layer).
- ``clock`` measures latencies and ages samples (``time.monotonic``; tests pass a fake).
  The wait for a deadline always uses real time.

Counters: ``layer.cuts`` (cut calls per operation) and ``layer.guarded`` (calls that ran
under a deadline), ``layer.deadline(operation, size)`` (the deadline a call would get now),
``layer.samples(operation, size)``, and ``repr(layer)`` shows the cuts so far. The
operator's stack holds the layer: ``op.stack[-2].layer.cuts``.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, TypeVar

from opendal_lab.core.access import Access, BaseLayer, Writer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import ConfigInvalid, ErrorStatus, Timeout
from opendal_lab.core.options import ListOptions, ReadOptions, WriteOptions
from opendal_lab.core.sync import FreshLock
from opendal_lab.core.types import Entry, Metadata
from opendal_lab.core.workers import LazyWorkers, Task, WorkerPool, claim
from opendal_lab.core.wrapping import CallWrapper

# TimeoutLayer's daemon pool: the one way in this package to get control back from a call
# that blocks, with its rules (a task not yet started when the wait ends never runs).

__all__ = ["MUTATING_OPERATIONS", "READ_OPERATIONS", "TailCutLayer"]

T = TypeVar("T")
#: Cut by default, with a temporary error: they change nothing.
READ_OPERATIONS = ("stat", "read", "list")
#: Cut only when named in ``operations=``, with a permanent error: they may have happened.
MUTATING_OPERATIONS = ("write", "delete", "create_dir", "copy", "rename")
_MAX_SAMPLES = 10_000  # per distribution: past it, the oldest latency goes first
_END: Any = object()
_KIB = 1024
#: Upper bounds of the size classes of reads and writes (bytes, exclusive).
_SIZE_BOUNDS = (4 * _KIB, 64 * _KIB, _KIB**2, 16 * _KIB**2, 256 * _KIB**2)
_SIZE_NAMES = ("<4KiB", "<64KiB", "<1MiB", "<16MiB", "<256MiB", ">=256MiB")


def _key(operation: str, size: int | None) -> str:
    """The distribution a call belongs to: ``stat``, ``read`` (whole), ``read<64KiB``..."""
    if size is None or operation not in ("read", "write"):
        return operation
    return operation + _SIZE_NAMES[bisect.bisect_right(_SIZE_BOUNDS, size)]


class _Latencies:
    """The successful latencies of one distribution in the window: by age and sorted."""

    __slots__ = ("by_age", "by_value")

    def __init__(self) -> None:
        self.by_age: deque[tuple[float, float]] = deque()  # (finished at, seconds)
        self.by_value: list[float] = []

    def add(self, now: float, seconds: float) -> None:
        self.by_age.append((now, seconds))
        bisect.insort(self.by_value, seconds)
        if len(self.by_age) > _MAX_SAMPLES:
            self._drop()

    def prune(self, oldest: float) -> None:
        by_age = self.by_age
        while by_age and by_age[0][0] < oldest:
            self._drop()

    def _drop(self) -> None:
        _, seconds = self.by_age.popleft()
        del self.by_value[bisect.bisect_left(self.by_value, seconds)]

    def quantile(self, percentile: float) -> float:
        """Nearest rank: the smallest latency that ``percentile`` % of them do not exceed."""
        values = self.by_value
        rank = math.ceil(percentile / 100 * len(values))
        return values[min(max(rank, 1), len(values)) - 1]


class _TailCutAccess(CallWrapper):
    """Runs the guarded calls under the deadline of their distribution; the rest go below."""

    layer: TailCutLayer

    def __init__(self, inner: Access, layer: TailCutLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._access_info.scheme
        self._guard = layer.operations

    def _around(self, operation: str, path: str | None, call: Callable[..., T], *args: Any) -> T:
        if operation not in self._guard:
            return call(*args)
        return self._guarded(operation, operation, path, call, args)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if "read" not in self._guard:
            return self.inner.read(path, opts)
        return self._guarded("read", _key("read", opts.size), path, self.inner.read, (path, opts))

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if "write" not in self._guard:
            return self.inner.write(path, data, opts)
        key = _key("write", len(data))
        return self._guarded("write", key, path, self.inner.write, (path, data, opts))

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        # A stream's chunks are not cut: a cut chunk could land after the next one.
        return self.inner.writer(path, opts)

    def _guarded(
        self,
        operation: str,
        key: str,
        path: str | None,
        call: Callable[..., T],
        args: tuple[Any, ...],
        stalled: list[bool] | None = None,
    ) -> T:
        """``call(*args)``, cut at the deadline of ``key`` if it has one yet; its latency
        joins ``key``'s distribution when it succeeds (even after a cut)."""
        layer = self.layer
        deadline, samples = layer._deadline(key)
        if deadline is None:
            result: T = layer._timed(key, call, *args)
            return result
        layer._count(layer._guarded_calls, operation)
        task = Task(layer._timed, (key, call, *args))
        layer._workers().submit(task)
        if not task.done.acquire(timeout=deadline):
            if claim(task):  # still waiting for a worker: dropped, it never runs
                where = "never started"
            elif task.done.acquire(blocking=False):  # it finished as the deadline passed
                where = ""
            else:
                where = "still running in the background, its result discarded"
                if stalled is not None:
                    stalled.append(True)
            if where:
                layer._count(layer._cuts, operation)
                raise self._cut(operation, key, path, args, deadline, samples, where)
        if task.error is not None:
            error, task.error = task.error, None
            raise error
        return task.result  # type: ignore[no-any-return]

    def _cut(
        self,
        operation: str,
        key: str,
        path: str | None,
        args: tuple[Any, ...],
        deadline: float,
        samples: int,
        where: str,
    ) -> Timeout:
        layer = self.layer
        context: dict[str, Any] = {}
        if operation in ("copy", "rename"):  # both ends, rather than the source alone
            path, context = None, {"from": args[0], "to": args[1]}
        mutating = operation in MUTATING_OPERATIONS
        message = (
            f"{operation} cut by TailCutLayer after {deadline:.3g} s: p{layer.percentile:g} "
            f"of the last {samples} {key} calls x {layer.safety_factor:g}, clamped to "
            f"[{layer.min_deadline:g}, {layer.max_deadline:g}] s"
        )
        if mutating and where != "never started":
            message += "; it may still take effect, so it is not issued again"
            context["may_have_happened"] = True
        return Timeout(
            message,
            operation=operation,
            service=self._scheme,
            path=path,
            # A call that never started had no effect: safe to issue again, whatever it was.
            status=(
                ErrorStatus.PERMANENT
                if mutating and where != "never started"
                else ErrorStatus.TEMPORARY
            ),
            context={
                **context,
                "cut_by": "TailCutLayer",
                "deadline": round(deadline, 6),
                "percentile": f"p{layer.percentile:g}",
                "call": where,
            },
        )

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        if "list" not in self._guard:
            return self.inner.list(path, opts)
        it = iter(self._guarded("list", "list", path, self.inner.list, (path, opts)))
        return self._steps(path, it)

    def _steps(self, path: str, it: Iterator[Entry]) -> Iterator[Entry]:
        stalled: list[bool] = []
        try:
            while True:
                entry = self._guarded("list", "list", path, next, (it, _END), stalled)
                if entry is _END:
                    return
                yield entry
        finally:
            # A step still running elsewhere owns the iterator; it is dropped when done.
            close = getattr(it, "close", None)
            if close is not None and not stalled:
                close()


_Seconds = Annotated[float, Check(gt=0, le=threading.TIMEOUT_MAX, finite=True, unit="seconds")]


class TailCutLayer(BaseLayer):
    """Cuts a call that runs past the recent ``percentile`` x ``safety_factor`` of its
    operation; see the module docstring.

    Parameters
    ----------
    percentile:
        The percentile of recent latencies a deadline starts from, 50 to 99.9 (``95``: p95).
    safety_factor:
        What the percentile is multiplied by, 1 to 5.
    window:
        Seconds of history a distribution keeps (at most 3600; at most 10,000 calls).
    min_samples:
        Latencies a distribution needs before its calls get a deadline.
    min_deadline, max_deadline:
        Seconds a deadline is clamped to.
    operations:
        The operations to cut: ``stat``, ``read``, ``list`` (the default) and, opted in,
        ``write``, ``delete``, ``create_dir``, ``copy``, ``rename``.
    clock:
        Seconds of a monotonic clock, for latencies and the window (tests pass a fake).
    max_workers:
        Worker threads at most, for the calls under a deadline.
    """

    access_class = _TailCutAccess

    @checked("TailCutLayer")
    def __init__(
        self,
        percentile: Annotated[float, Check(ge=50, le=99.9, finite=True)] = 95,
        safety_factor: Annotated[float, Check(ge=1, le=5, finite=True)] = 1.3,
        window: Annotated[float, Check(gt=0, le=3600, finite=True, unit="seconds")] = 60.0,
        min_samples: Annotated[int, Check(ge=1)] = 200,
        min_deadline: _Seconds = 0.5,
        max_deadline: _Seconds = 30.0,
        *,
        operations: Iterable[str] = READ_OPERATIONS,
        clock: Callable[[], float] = time.monotonic,
        max_workers: Annotated[int, Check(ge=1)] = 64,
    ) -> None:
        if min_deadline > max_deadline:
            raise ConfigInvalid(
                f"TailCutLayer: 'min_deadline' ({min_deadline:g}) must be <= "
                f"'max_deadline' ({max_deadline:g})"
            )
        self.percentile = float(percentile)
        self.safety_factor = float(safety_factor)
        self.window = float(window)
        self.min_samples = min_samples
        self.min_deadline = float(min_deadline)
        self.max_deadline = float(max_deadline)
        self.operations = _operations(operations)
        self.clock = clock
        self.max_workers = max_workers
        self._lock = FreshLock()
        self._latencies: dict[str, _Latencies] = {}
        self._cuts: Counter[str] = Counter()
        self._guarded_calls: Counter[str] = Counter()
        self._pool = LazyWorkers(max_workers, "opendal-tail-cut")

    # -- the distributions ---------------------------------------------------------------
    def _timed(self, key: str, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)``; its latency joins ``key``'s distribution if it succeeds."""
        clock = self.clock
        started = clock()
        result = call(*args)
        ended = clock()
        with self._lock:
            latencies = self._latencies.get(key)
            if latencies is None:
                latencies = self._latencies[key] = _Latencies()
            latencies.add(ended, max(ended - started, 0.0))
        return result

    def _deadline(self, key: str) -> tuple[float | None, int]:
        """The deadline of a call of ``key`` now (None: too few samples) and the samples."""
        with self._lock:
            latencies = self._latencies.get(key)
            if latencies is None:
                return None, 0
            latencies.prune(self.clock() - self.window)
            samples = len(latencies.by_value)
            if samples < self.min_samples:
                return None, samples
            deadline = latencies.quantile(self.percentile) * self.safety_factor
        return min(max(deadline, self.min_deadline), self.max_deadline), samples

    def deadline(self, operation: str, size: int | None = None) -> float | None:
        """Seconds a call of ``operation`` (asking for ``size`` bytes: reads and writes)
        would be given now; None while its distribution has fewer than ``min_samples``."""
        return self._deadline(_key(operation, size))[0]

    def samples(self, operation: str, size: int | None = None) -> int:
        """Latencies in the window of the distribution a call of ``operation`` joins."""
        return self._deadline(_key(operation, size))[1]

    # -- counters --------------------------------------------------------------------------
    def _count(self, counter: Counter[str], operation: str) -> None:
        with self._lock:
            counter[operation] += 1

    @property
    def cuts(self) -> Counter[str]:
        """Cut calls so far, per operation (a copy)."""
        with self._lock:
            return Counter(self._cuts)

    @property
    def guarded(self) -> Counter[str]:
        """Calls that ran under a deadline so far, per operation (a copy)."""
        with self._lock:
            return Counter(self._guarded_calls)

    def reset(self) -> None:
        """Zero the counters (the latencies stay)."""
        with self._lock:
            self._cuts.clear()
            self._guarded_calls.clear()

    # -- workers ---------------------------------------------------------------------------
    def _workers(self) -> WorkerPool:
        return self._pool.get()

    def __repr__(self) -> str:
        knobs = (
            f"percentile={self.percentile:g}, safety_factor={self.safety_factor:g}, "
            f"window={self.window:g}, min_samples={self.min_samples}, "
            f"min_deadline={self.min_deadline:g}, max_deadline={self.max_deadline:g}"
        )
        if self.operations != frozenset(READ_OPERATIONS):
            knobs += f", operations={sorted(self.operations)!r}"
        cuts = self.cuts
        shown = ", ".join(f"{op} {n}" for op, n in sorted(cuts.items())) or "none"
        return f"TailCutLayer({knobs}) [cut: {shown}]"


def _operations(operations: Iterable[str]) -> frozenset[str]:
    valid = (*READ_OPERATIONS, *MUTATING_OPERATIONS)
    if isinstance(operations, (str, bytes)):
        # Names from a config file or URI: "stat,read,list,write".
        operations = [n.strip() for n in str(operations).split(",") if n.strip()]
    try:
        names = list(operations)
    except TypeError:
        raise ConfigInvalid(
            "TailCutLayer: 'operations' must be operation names, got "
            f"{type(operations).__name__}; valid operations: {', '.join(valid)}"
        ) from None
    for name in names:
        if name not in valid:
            raise ConfigInvalid(
                f"TailCutLayer: 'operations' holds unknown operation {name!r}; "
                f"valid operations: {', '.join(valid)}"
            )
    return frozenset(names)
