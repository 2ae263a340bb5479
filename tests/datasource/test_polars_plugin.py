"""What Polars' IO plugin API does and does not do for a source, pinned on the installed Polars.

The loader's design rests on these: if an upgrade changes them, these fail first, and
``scan``'s docstring needs the news.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
from polars.io.plugins import register_io_source

col = pl.col


def ignoring_source(calls: list[tuple[Any, ...]]) -> pl.LazyFrame:
    """A plugin that records its arguments and returns all ten rows and three columns."""

    def source(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        calls.append((with_columns, predicate, n_rows, batch_size))
        df = pl.DataFrame({"a": range(10), "b": [str(i) for i in range(10)], "c": [0.5] * 10})
        yield df[:5]
        yield df[5:]

    return register_io_source(source, schema={"a": pl.Int64, "b": pl.String, "c": pl.Float64})


def test_polars_does_not_reapply_a_predicate() -> None:
    calls: list[tuple[Any, ...]] = []
    got = ignoring_source(calls).filter(col("a") > 6).collect()
    assert got.height == 10  # the source ignored it, and so did Polars
    assert isinstance(calls[0][1], pl.Expr)


def test_polars_does_not_reapply_a_limit() -> None:
    calls: list[tuple[Any, ...]] = []
    got = ignoring_source(calls).head(3).collect()
    assert got.height == 10
    assert calls[0][2] == 3


def test_polars_passes_no_limit_below_a_filter() -> None:
    calls: list[tuple[Any, ...]] = []
    ignoring_source(calls).filter(col("a") > 6).head(2).collect()
    assert calls[0][2] is None  # so a filtered head reads every partition


def test_projection_includes_the_predicate_columns() -> None:
    calls: list[tuple[Any, ...]] = []
    got = ignoring_source(calls).filter(col("a") > 6).select("b").collect()
    assert calls[0][0] == ["a", "b"]
    assert got.columns == ["b"]  # this select stays in the plan, so c did not leak here
