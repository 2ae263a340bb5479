"""A progress bar of partitions for Spark and Sail reads of our sources, as ``load`` shows.

::

    from opendal_lab.datasource.spark import spark_progress

    with spark_progress(progress=True) as progress:
        df = spark.read.format("lab_files").options(uri=..., **progress.options).load()
        table = df.toArrow()  # a tqdm bar of the partitions read, while the query runs

Why the adapter reports, not Spark: a Spark Connect client (PySpark 4) takes progress
handlers (``SparkSession.registerProgressHandler``) fed by the ``ExecutionProgress``
messages a server sends while a query runs, but Sail 0.7.2 sends none (a query's responses
are its Arrow batches and a completion; a handler is called once, at the end, with no
stages). A JVM Spark draws a console bar, on the stderr of the driver, not in a notebook.

How: the read gets a progress location as the option ``progress_uri``, the URI of a
directory of an operator (``fs://``, ``s3://``). The reader's ``partitions()`` writes
``<plan>/total`` (its partition count; one plan per query the engine plans) and its
``read()`` writes ``<plan>/done/<i>`` once partition ``i`` has been read to its end, so a
partition Spark reads again (a retried task) counts once. ``spark_progress`` lists the
location every ``interval`` seconds while its block runs and once more at its end, and
moves the bar: the total is the sum of the plans' counts (two queries in one block add up,
as Spark's bar adds up stages), the position the partitions done. A query that stops
early (``limit``) leaves partitions unread, and the bar says so.

The location must be seen by every process that plans or reads partitions and by this one:
its operator must declare the capability ``shared`` (``fs://`` on one machine, as the
default temporary directory is; ``s3://`` for a cluster), or ``ConfigInvalid`` says so.
``progress`` is ``load``'s: None shows the bar only when someone is watching and there are
at least ``MIN_PARTITIONS`` partitions, after ``AUTO_DELAY`` seconds; True at once; False
never (``total`` and ``done`` still count). A report a task cannot write is logged, not
raised: the data matters more than its bar.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opendal_lab.core.errors import ConfigInvalid, Error
from opendal_lab.core.operator import Operator
from opendal_lab.core.types import EntryMode
from opendal_lab.datasource.loader.run import progress_bar

__all__ = [
    "PROGRESS_OPTION",
    "ProgressReporter",
    "SparkProgress",
    "spark_progress",
    "split_progress",
]

#: The read option naming the progress location (Spark's option keys are case-insensitive).
PROGRESS_OPTION = "progress_uri"

logger = logging.getLogger(__name__)


def _operator(uri: str) -> Operator:
    """The operator of a progress location; ConfigInvalid when it is not one all can see."""
    try:
        op = Operator.from_uri(uri)
    except Error as exc:
        raise ConfigInvalid(
            f"{PROGRESS_OPTION}={uri!r} is not a usable operator URI: {exc.message}",
            operation="datasource",
        ) from None
    if not op.stack[0].capability.shared:
        raise ConfigInvalid(
            f"{PROGRESS_OPTION}={uri!r}: {op.scheme}:// is not shared (each process has its "
            "own), so the processes reading partitions could not report to this one; use "
            "fs:// on one machine (the default) or s3:// for a cluster",
            operation="datasource",
        )
    return op


class ProgressReporter:
    """What the Spark reader writes to a progress location; pickled to Spark's workers."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._op: Operator | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"uri": self.uri}  # the operator is rebuilt where the reporter lands

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.uri = state["uri"]
        self._op = None

    @property
    def operator(self) -> Operator:
        if self._op is None:
            self._op = _operator(self.uri)
        return self._op

    def planned(self, count: int) -> str:
        """Record a plan of ``count`` partitions; its id, which each partition carries.

        On the driver, where a failure should stop the query: it is raised."""
        plan = uuid.uuid4().hex
        self.operator.write(f"{plan}/total", str(count).encode())
        return plan

    def finished(self, plan: str, index: int) -> None:
        """Record that partition ``index`` of ``plan`` was read to its end (logged on error)."""
        try:
            self.operator.write(f"{plan}/done/{index}", b"")
        except Exception:  # a lost report must not fail a read that succeeded
            logger.warning(
                "progress: could not report partition %d to %s", index, self.uri, exc_info=True
            )


def split_progress(options: Mapping[str, str]) -> tuple[dict[str, str], ProgressReporter | None]:
    """``options`` without ``progress_uri`` (the source never sees it), and its reporter."""
    rest: dict[str, str] = {}
    uri: str | None = None
    for key, value in options.items():
        if key.lower() == PROGRESS_OPTION:
            uri = value
        else:
            rest[key] = value
    if uri is None:
        return rest, None
    reporter = ProgressReporter(uri)
    _ = reporter.operator  # a bad location fails here, on the driver, before any task
    return rest, reporter


def _child(uri: str, name: str) -> str:
    """``uri`` with ``/name`` appended to its path (its query, if any, kept)."""
    base, mark, query = uri.partition("?")
    scheme, _, path = base.partition("://")
    return f"{scheme}://{path.rstrip('/')}/{name}{mark}{query}"


class SparkProgress:
    """The reads' progress at one location: ``options`` to pass to each read, the counts
    seen so far (``total``, ``done``), and the bar (``bar``: a tqdm, or None)."""

    def __init__(self, uri: str, progress: bool | None, desc: str) -> None:
        self.uri = uri
        self.options = {PROGRESS_OPTION: uri}
        self.progress = progress
        self.desc = desc
        self.total = 0
        self.done = 0
        self.bar: Any | None = None
        self._op = _operator(uri)
        self._totals: dict[str, int] = {}  # plan id -> its partition count
        self._lock = threading.Lock()

    def poll(self) -> None:
        """List the location once and bring the counts and the bar up to date."""
        with self._lock:
            done = 0
            for entry in self._op.list("/", recursive=True):
                if entry.metadata.mode is not EntryMode.FILE:
                    continue
                parts = entry.path.split("/")
                if len(parts) == 3 and parts[1] == "done":
                    done += 1
                elif len(parts) == 2 and parts[1] == "total" and parts[0] not in self._totals:
                    self._totals[parts[0]] = int(self._op.read(entry.path))
            total = sum(self._totals.values())
            self._show(total, done)

    def _show(self, total: int, done: int) -> None:
        if self.bar is None and total > self.total and self.progress is not False:
            self.bar = progress_bar(self.progress, total, self.desc)
        self.total, self.done = total, done
        if self.bar is not None:
            if self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            if done > self.bar.n:
                self.bar.update(done - self.bar.n)

    def remove(self) -> None:
        """Delete the reports (a task still running may add one after)."""
        self._op.remove_all("/")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextmanager
def spark_progress(
    uri: str | None = None,
    *,
    progress: bool | None = None,
    desc: str = "spark",
    interval: float = 0.25,
) -> Iterator[SparkProgress]:
    """A bar of the partitions that Spark or Sail reads of our sources finish in the block.

    Pass ``progress.options`` to each read (module docstring). ``uri``: a directory every
    reading process can write and this one list (an operator URI whose service is shared);
    None makes a temporary local one (fine for Sail, a local Spark or one machine). This run
    writes below ``<uri>/<id>/`` and deletes it at the end. ``progress`` as ``load``'s.
    """
    if interval <= 0:
        raise ValueError(f"spark_progress: interval must be > 0 seconds, got {interval!r}")
    if uri is not None:
        _operator(uri)  # a bad location fails here, before a directory is named below it
    temporary = tempfile.mkdtemp(prefix="opendal-lab-spark-progress-") if uri is None else None
    run_uri = f"fs://{temporary}" if temporary else _child(str(uri), uuid.uuid4().hex)
    state = SparkProgress(run_uri, progress, desc)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(interval):
            try:
                state.poll()
            except Exception:  # the bar is a convenience: a failed listing is tried again
                logger.debug("progress: listing %s failed", run_uri, exc_info=True)

    watcher = threading.Thread(target=watch, name="spark-progress", daemon=True)
    watcher.start()
    try:
        yield state
    finally:
        stop.set()
        watcher.join()
        # The reads have returned: every report they made is there. Neither this look nor
        # the cleanup may hide what the block raised, so their failures are logged.
        try:
            state.poll()
            if temporary:
                shutil.rmtree(temporary)
            else:
                state.remove()
        except Exception:
            logger.warning("progress: the last look at %s failed", run_uri, exc_info=True)
        finally:
            state.close()
