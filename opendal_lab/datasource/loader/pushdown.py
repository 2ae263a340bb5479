"""What a scan offers the source, and what the loader still does itself.

Given what Polars asks of the scan (the projected columns, a predicate, a row limit) and
the keywords the source's ``read_partition`` accepts, ``plan_pushdown`` decides:

- ``filters``: the predicate's convertible conjuncts, offered to ``read_partition`` and to
  ``plan_partitions`` (whichever takes them);
- ``kwargs``: what ``read_partition`` receives -- ``columns`` (the columns needed: the
  projection plus those the loader's own filter reads), ``filters`` (the predicate's
  convertible conjuncts, ``filters.split_predicate``), ``predicate`` (the whole Polars
  expression), ``limit`` (only when no condition is left for the loader, since a source
  that stops after ``limit`` rows of a superset would cut rows the caller keeps);
- ``reapply``: the condition the loader applies after the source -- the whole predicate,
  unless the source claimed some filters exact (``exact_filters``), in which case the
  residual and the unclaimed filters;
- ``need`` / ``output``: the columns the source must deliver, and the result's columns;
- ``limit``: rows a partition keeps (after ``reapply``), and the scan in all.

The loader always re-applies what it cannot prove done: Polars trusts an IO plugin to have
filtered, projected and limited (see ``scan``), so nothing else would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from opendal_lab.datasource.filters import Filter, all_of, split_predicate, to_expr
from opendal_lab.datasource.loader.prepare import Prepared

__all__ = ["Pushdown", "plan_pushdown"]


@dataclass(frozen=True)
class Pushdown:
    kwargs: dict[str, Any]
    need: tuple[str, ...]
    output: tuple[str, ...]
    reapply: pl.Expr | None
    limit: int | None
    filters: list[Filter] = field(default_factory=list)  # offered to the source
    exact: list[Filter] = field(default_factory=list)  # of those, the ones it applies exactly


def plan_pushdown(
    prepared: Prepared,
    with_columns: Sequence[str] | None,
    predicate: pl.Expr | None,
    n_rows: int | None,
) -> Pushdown:
    """Split the work of one scan between the source and the loader (module docstring)."""
    names = tuple(prepared.schema.names)
    output = tuple(with_columns) if with_columns is not None else names
    keywords = prepared.keywords
    filters: list[Filter] = []
    exact: list[Filter] = []
    reapply = predicate
    if predicate is not None and ("filters" in keywords or prepared.plan_filters):
        filters, residual = split_predicate(predicate)
        exact = prepared.claimed_exact(filters) if "filters" in keywords else []
        if exact:
            reapply = all_of([residual, *(to_expr(f) for f in filters if f not in exact)])
    roots = set(reapply.meta.root_names()) if reapply is not None else set()
    need = tuple(n for n in names if n in output or n in roots)
    kwargs: dict[str, Any] = {}
    if "columns" in keywords:
        kwargs["columns"] = list(need) if with_columns is not None else None
    if "filters" in keywords:
        kwargs["filters"] = list(filters) if predicate is not None else None
    if "predicate" in keywords:
        kwargs["predicate"] = predicate
    if "limit" in keywords:
        kwargs["limit"] = n_rows if reapply is None else None
    return Pushdown(kwargs, need, output, reapply, n_rows, filters, exact)
