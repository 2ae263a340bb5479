"""``scan``: a source as a Polars LazyFrame, through Polars' IO plugin API.

::

    lf = scan(RangeSource, {"rows": "1000000", "partitions": "16"})
    lf.filter(pl.col("id") >= 500_000).select("label").head(10).collect()

``scan`` resolves the source and infers its schema at once (the LazyFrame needs it); the
partitions are planned and read each time the frame is collected. Polars hands the IO
plugin (``polars.io.plugins.register_io_source``) four things, and ``pushdown`` turns them
into what the source is offered and what the loader does itself:

- ``with_columns``: the columns the query uses (projection pushdown);
- ``predicate``: a Polars expression the rows must satisfy (predicate pushdown);
- ``n_rows``: how many rows the query needs at most (a ``head`` / ``limit``);
- ``batch_size``: a hint for the size of the frames; not used here (a frame per piece the
  source yields is what arrives).

What Polars re-applies for an IO plugin: nothing, for a predicate or a limit it handed
over. Polars 2.1's wrapper (``polars/io/plugins.py``) tells the engine the predicate was
applied whenever it could deserialise it, and probing shows a source that ignores all
three returns its unfiltered rows from ``lf.filter(..).collect()`` and all its rows from
``lf.head(3).collect()`` (tests/datasource/test_polars_plugin.py pins this down). Extra
columns did not leak into the results probed, but the docs say the reader "must project",
so nothing promises it. The loader therefore applies all three itself, in the worker,
whatever the source does with them.

Partitions run on ``executor`` (as for ``load``), at most ``prefetch`` of them ahead of the
one Polars is consuming, and reach Polars in partition order, frame by frame. Once the
row limit is met, partitions not started are cancelled and none more are submitted. A
failure is raised from ``collect()`` as for ``load``: the same error classes, naming the
partition (in partition order: a partition after the limit never fails the query).
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterator, Mapping
from typing import Any, cast

import polars as pl
from polars.io.plugins import register_io_source

from opendal_lab.datasource.engines.executors import default_workers, open_executor
from opendal_lab.datasource.loader.prepare import Prepared, prepare
from opendal_lab.datasource.loader.pushdown import plan_pushdown
from opendal_lab.datasource.loader.run import progress_bar, run_ordered

__all__ = ["scan"]


def scan(
    source: Any,
    options: Mapping[str, str] | None = None,
    *,
    executor: cf.Executor | None = None,
    prefetch: int | None = None,
    progress: bool | None = None,
) -> pl.LazyFrame:
    """A LazyFrame over ``source``; projection, predicate and limit are pushed down.

    ``source`` and ``options`` are as for ``load``. ``executor`` runs the partitions (a
    thread pool made for each collect when None). ``prefetch`` is how many partitions may
    be read ahead of the one being consumed: by default as many as the default pool has
    threads, bounding memory to that many partitions. ``progress`` is as for ``load``: a bar
    of the partitions each collect reads (one that stops early, at a limit, stops short).
    """
    prepared = prepare(source, options)
    if prefetch is not None and prefetch < 1:
        raise ValueError(f"prefetch must be at least 1, not {prefetch}")

    def io_source(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        return _read(prepared, executor, prefetch, progress, with_columns, predicate, n_rows)

    return register_io_source(
        io_source,
        schema=cast(Any, prepared.polars_schema),
        explain_name=f"opendal_lab:{prepared.name}",
        explain_detail=_detail(prepared),
    )


def _read(
    prepared: Prepared,
    executor: cf.Executor | None,
    prefetch: int | None,
    progress: bool | None,
    with_columns: list[str] | None,
    predicate: pl.Expr | None,
    n_rows: int | None,
) -> Iterator[pl.DataFrame]:
    pushdown = plan_pushdown(prepared, with_columns, predicate, n_rows)
    specs = prepared.partitions(pushdown.filters)
    if not specs or n_rows == 0:
        return  # Polars makes the empty frame from the schema
    window = prefetch or default_workers(len(specs))
    rows = 0
    bar = progress_bar(progress, len(specs), f"scan {prepared.name}")
    with open_executor(executor, len(specs)) as (pool, in_process):
        plan = prepared.read_plan(
            len(specs),
            arrow=not in_process,
            kwargs=pushdown.kwargs,
            need=pushdown.need,
            output=pushdown.output,
            reapply=pushdown.reapply,
            limit=pushdown.limit,
        )
        results = run_ordered(
            pool, plan, specs, window=window, in_process=in_process, fail_fast=False, bar=bar
        )
        try:
            for result in results:
                for piece in result:
                    if not isinstance(piece, pl.DataFrame):
                        piece = cast(pl.DataFrame, pl.from_arrow(piece, rechunk=False))
                    frame: pl.DataFrame = piece
                    if n_rows is not None:
                        frame = frame.head(n_rows - rows)
                    rows += frame.height
                    yield frame
                    if n_rows is not None and rows >= n_rows:
                        return
        finally:
            results.close()
            if bar is not None:
                bar.close()


def _detail(prepared: Prepared) -> str:
    offered = ", ".join(sorted(prepared.keywords)) or "none"
    return f"pushdown offered to the source: {offered}"
