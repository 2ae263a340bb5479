"""``load``: every partition of a source, read on an executor, as one Polars DataFrame.

::

    from opendal_lab.datasource import load, RangeSource

    df = load(RangeSource, {"rows": "1000000", "partitions": "16"})
    df = load(None, {"python_module": "my_pkg.sources", "python_class": "Orders",
                     "since": "2024-01-01"})
    with distributed.Client(...) as client:
        df = load(Orders, options, executor=client.get_executor())

Partitions run on ``executor``, any ``concurrent.futures.Executor``; by default a thread
pool of ``engines.executors.default_workers`` threads, made for this load and shut down
after it. A process pool or a Dask ``Client.get_executor()`` works unchanged: the source
travels pickled with each partition (see ``loader.partition``), so it must be picklable,
and its class importable on the workers.

The result keeps the declared schema and the partitions' order, also when there are no
rows at all. Arrow reaches Polars without copies where the types allow: numbers,
booleans, temporal types and their validity buffers are shared as they are; Arrow
``string`` / ``binary`` (and ``large_``) are converted to Polars' string views, which
copies them once; frames are concatenated without a rechunk.

A partition that fails ends the load: no partial frame is returned, partitions not yet
started are cancelled, and the error names the partition (``loader.run`` says what happens
to partitions already running). ``progress`` shows a ``tqdm`` bar (``loader.run``).
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Mapping
from typing import Any, cast

import polars as pl

from opendal_lab.datasource.engines.executors import open_executor
from opendal_lab.datasource.loader.prepare import prepare
from opendal_lab.datasource.loader.run import progress_bar, run_ordered

__all__ = ["load"]


def load(
    source: Any,
    options: Mapping[str, str] | None = None,
    *,
    executor: cf.Executor | None = None,
    progress: bool | None = None,
) -> pl.DataFrame:
    """Read every partition of ``source`` and return the rows as one DataFrame.

    Parameters
    ----------
    source
        A data source class (instantiated without arguments), an instance, or None to
        name it with the ``python_module`` and ``python_class`` options.
    options
        Strings for the source (``dict[str, str]``, as Spark's ``.option()``).
    executor
        Where partitions run; a thread pool made for this call when None.
    progress
        None: a progress bar for long loads in interactive sessions; True: always;
        False: never.

    Raises
    ------
    ConfigInvalid
        Bad options, or no source named (SourceNotFound when the named one is missing).
    SourceInvalid
        The source breaks the protocol (SchemaMismatch: a batch unlike its schema).
    PartitionFailed
        ``read_partition`` raised; the original exception is its ``__cause__``.
    """
    prepared = prepare(source, options)
    specs = prepared.partitions()
    if not specs:
        return prepared.empty()
    frames: list[pl.DataFrame] = []
    bar = progress_bar(progress, len(specs), f"load {prepared.name}")
    try:
        with open_executor(executor, len(specs)) as (pool, in_process):
            plan = prepared.read_plan(len(specs), arrow=not in_process)
            for result in run_ordered(
                pool, plan, specs, window=len(specs), in_process=in_process, bar=bar
            ):
                frames.extend(_as_polars(piece) for piece in result)
    finally:
        if bar is not None:
            bar.close()
    if not frames:
        return prepared.empty()
    return pl.concat(frames, how="vertical", rechunk=False)


def _as_polars(piece: Any) -> pl.DataFrame:
    if isinstance(piece, pl.DataFrame):
        return piece
    return cast(pl.DataFrame, pl.from_arrow(piece, rechunk=False))
