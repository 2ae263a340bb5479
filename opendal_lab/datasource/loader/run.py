"""Running a plan's partitions on an executor and handing their results back in order.

``run_ordered`` submits at most ``window`` partitions ahead of the one the caller waits
for, and yields each partition's frames in partition order. A load sets the window to all
partitions (everything is submitted at once; the executor queues); a scan keeps it small,
so memory holds a few partitions and a satisfied row limit leaves the rest unread.
``run_partitions`` is the same run yielding ``(index, result)``, in partition order or,
with ``ordered=False``, in the order partitions finish -- still at most ``window``
submitted and not yet handed back -- and with the task of its choice (a stream converts
to Arrow on the worker).

For a load it watches every submitted partition, not only the next in order: the first
failure, wherever it is, ends the run at once (a scan meets failures in order instead).
Ending a run -- by a failure, by the caller closing the iterator (a scan that has its
rows), or by KeyboardInterrupt -- does this:

- partitions not started yet are cancelled: they never start;
- partitions running in this process (a ``ThreadPoolExecutor``, the default) are told to
  stop; each ends at its next piece. After a failure the run waits for them, so no
  thread of the run is still reading when the error reaches the caller; after an early
  close it does not wait (the close may come from the garbage collector, in any thread);
- partitions running elsewhere (process pools, Dask workers) cannot be interrupted: they
  run to their end and their results are dropped; the run does not wait for them. (A Dask
  future's ``cancel()`` succeeds even then: the scheduler forgets the task, the worker
  finishes it.)

A failure is raised as it came when it is a DataSourceError (it already names the
partition), else as PartitionFailed naming the source, the partition and its spec, with
the source's exception as ``__cause__``.

Progress: ``run_ordered`` updates a ``tqdm.auto`` bar (a widget in Jupyter, text on a
terminal) as partitions finish, in the order they finish; ``progress_bar`` makes it.
``progress=None`` (the default) shows one only when someone is watching -- an IPython or
Jupyter session, or stderr on a terminal -- and the load has at least ``MIN_PARTITIONS``
partitions; and even then only after ``AUTO_DELAY`` seconds, so quick loads print nothing.
``True`` shows it at once, wherever stderr goes; ``False`` never.

Where the partitions run -- the thread pool or the executor given -- is
``engines.executors``'. Before submitting to an executor whose tasks run in other processes,
``engines.locality`` checks that the source's storage is seen there (a ``memory://`` store
is not): ConfigInvalid, before any task, when it is not.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import threading
from collections.abc import Callable, Generator
from typing import Any

from opendal_lab.datasource.engines.locality import check_reachable
from opendal_lab.datasource.errors import PartitionFailed
from opendal_lab.datasource.loader.partition import (
    ReadPlan,
    clear_stop,
    raise_partition_failure,
    request_stop,
    run_partition,
)

__all__ = [
    "AUTO_DELAY",
    "MIN_PARTITIONS",
    "interactive",
    "progress_bar",
    "run_ordered",
    "run_partitions",
]

MIN_PARTITIONS = 8
AUTO_DELAY = 1.0


class _Progress:
    """Finished partitions and the first failure, updated from the executor's callbacks."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.finished = 0
        self.failed: int | None = None

    def watch(self, index: int, future: cf.Future[Any]) -> None:
        def done(f: cf.Future[Any]) -> None:
            with self.cond:
                self.finished += 1
                if not f.cancelled() and f.exception() is not None:
                    # The lowest failed index seen so far: the report stays stable when
                    # several partitions fail together.
                    self.failed = index if self.failed is None else min(self.failed, index)
                self.cond.notify_all()

        future.add_done_callback(done)


def run_ordered(
    executor: cf.Executor,
    plan: ReadPlan,
    specs: list[dict[str, Any]],
    *,
    window: int,
    in_process: bool,
    fail_fast: bool = True,
    bar: Any | None = None,
) -> Generator[list[Any], None, None]:
    """Yield each partition's result (``run_partition``'s list) in partition order.

    ``fail_fast``: a failure of any submitted partition ends the run as soon as it happens
    (a load); without it, failures surface in partition order, so a caller that stops
    early never sees the failure of a partition it did not need (a scan with a limit).
    """
    run = run_partitions(
        executor, plan, specs, window=window, in_process=in_process, fail_fast=fail_fast, bar=bar
    )
    try:
        for _, result in run:
            yield result
    finally:
        run.close()  # closed early: the run stops its partitions (module docstring)


def run_partitions(
    executor: cf.Executor,
    plan: ReadPlan,
    specs: list[dict[str, Any]],
    *,
    window: int,
    in_process: bool,
    ordered: bool = True,
    fail_fast: bool = True,
    bar: Any | None = None,
    task: Callable[[ReadPlan, int, dict[str, Any]], Any] = run_partition,
) -> Generator[tuple[int, Any], None, None]:
    """Yield ``(index, task(plan, index, spec))`` for every partition.

    In partition order, or with ``ordered=False`` in the order they finish (the lowest
    index first among those done together); either way at most ``window`` partitions are
    submitted and not yet handed back. ``fail_fast`` as for ``run_ordered`` (in finishing
    order a failure is handed back as soon as it happens anyway).
    """
    if not in_process:
        # Before any task: a per-process store (memory://) is empty on another process.
        check_reachable(executor, plan.source, plan.options, plan.source_name)
    futures: dict[int, cf.Future[Any]] = {}
    progress = _Progress()
    shown = 0
    submitted = 0
    complete = False
    try:
        for step in range(len(specs)):
            while submitted < len(specs) and submitted < step + max(1, window):
                future = executor.submit(task, plan, submitted, specs[submitted])
                futures[submitted] = future
                progress.watch(submitted, future)
                submitted += 1
            with progress.cond:
                while (index := _next(futures, step, ordered)) is None and not (
                    fail_fast and progress.failed is not None
                ):
                    progress.cond.wait()
                    shown = _show(bar, progress.finished, shown)
                failed = progress.failed if fail_fast else None
            if failed is None:
                assert index is not None  # the wait ends on a done partition or a failure
                future = futures[index]
                if future.cancelled() or future.exception() is not None:
                    failed = index  # done before its callback ran, or failures in order
            if failed is not None:
                # Stop first: the caller gets the error once this run's threads are idle.
                _stop(plan.run_id, futures, wait=in_process)
                complete = True
                _raise_failure(plan, specs, failed, futures[failed])
            assert index is not None
            shown = _show(bar, progress.finished, shown)
            yield index, futures.pop(index).result()
        complete = True
        # A future is done before its callbacks run: count the last ones here.
        _show(bar, len(specs), shown)
    finally:
        if not complete:
            # Closed early, interrupted, or garbage-collected -- possibly in one of the
            # executor's own threads (an abandoned generator is finalised wherever the
            # collector runs), so never wait here: that thread may be one we would wait for.
            _stop(plan.run_id, futures, wait=False)


def _next(futures: dict[int, cf.Future[Any]], step: int, ordered: bool) -> int | None:
    """The partition to hand back next if it is done: ``step``, or the lowest done one."""
    if ordered:
        return step if futures[step].done() else None
    return min((i for i, f in futures.items() if f.done()), default=None)


def _show(bar: Any | None, finished: int, shown: int) -> int:
    if bar is not None and finished > shown:
        bar.update(finished - shown)
    return finished


def _raise_failure(
    plan: ReadPlan, specs: list[dict[str, Any]], index: int, future: cf.Future[Any]
) -> None:
    if future.cancelled():
        raise PartitionFailed(
            f"{plan.source_name}: partition {index} of {plan.count} was cancelled by its "
            f"executor (spec {specs[index]!r})",
            source=plan.source_name,
            partition=index,
            spec=specs[index],
        )
    exc = future.exception()
    assert exc is not None  # only failed futures come here
    raise_partition_failure(plan, index, specs[index], exc)


def _stop(run_id: str, futures: dict[int, cf.Future[Any]], *, wait: bool) -> None:
    """Cancel what has not started, ask what runs here to stop; ``wait`` for it to end."""
    request_stop(run_id)
    pending = [f for f in futures.values() if not f.done()]
    for f in pending:
        f.cancel()
    running = [f for f in pending if not f.cancelled()]
    if wait and running:
        cf.wait(running)
        running = []
    if not running:
        clear_stop(run_id)
        return
    # Keep the mark until the last of them ends.
    left = [len(running)]
    lock = threading.Lock()

    def ended(_: cf.Future[Any]) -> None:
        with lock:
            left[0] -= 1
            if left[0] == 0:
                clear_stop(run_id)

    for f in running:
        f.add_done_callback(ended)


def interactive() -> bool:
    """Whether a person is likely watching: an IPython/Jupyter session or a terminal."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if callable(get_ipython) and get_ipython() is not None:
        return True
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def progress_bar(progress: bool | None, total: int, desc: str) -> Any | None:
    """A started ``tqdm`` bar of ``total`` partitions, or None when none is wanted."""
    if progress is False or total == 0:
        return None
    if progress is None and (total < MIN_PARTITIONS or not interactive()):
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError:
        if progress:
            raise ImportError(
                "progress=True needs tqdm: pip install 'opendal-lab[datasource]'"
            ) from None
        return None
    delay = AUTO_DELAY if progress is None else 0.0
    return tqdm(total=total, desc=desc, unit="partition", delay=delay, leave=True)
