"""Where partitions run: the executor given, or a thread pool made for one run.

``open_executor(executor, partitions)`` is the one place that picks: any
``concurrent.futures.Executor`` passed in is used as it is (a process pool, or a Dask
``Client.get_executor()`` to run across machines); none means a thread pool of
``default_workers`` threads, shut down when the run ends. It also says whether results stay
in this process (a thread pool: frames are handed over as they are) or travel (anything
else: they come back as Arrow tables, see ``loader.partition``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
from collections.abc import Iterator

__all__ = ["default_workers", "open_executor"]


def default_workers(partitions: int) -> int:
    """Threads for the default executor: the stdlib's I/O-bound default, capped by work.

    Partitions spend their time waiting on storage or a database, and Arrow and Polars
    release the GIL while they compute, so threads beyond the cores pay off, as
    ``ThreadPoolExecutor``'s own default (cores + 4, at most 32) assumes.
    """
    return max(1, min(32, (os.cpu_count() or 1) + 4, partitions))


@contextlib.contextmanager
def open_executor(
    executor: cf.Executor | None, partitions: int
) -> Iterator[tuple[cf.Executor, bool]]:
    """``(executor, in_process)``: the given one, or a thread pool shut down on exit.

    The pool's shutdown waits for its threads only when the run completed; after an error
    or an early close its threads end on their own (at their next piece, see ``loader.run``),
    since the exit may be running in one of them.
    """
    if executor is not None:
        yield executor, isinstance(executor, cf.ThreadPoolExecutor)
        return
    pool = cf.ThreadPoolExecutor(
        default_workers(partitions), thread_name_prefix="opendal_lab-datasource"
    )
    try:
        yield pool, True
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
