"""The start of every load and scan: the source resolved, options and schema checked.

Schema inference runs at once (a scan needs the schema to build its LazyFrame); partition
planning runs when rows are wanted, so a LazyFrame collected twice plans twice and sees
partitions added in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import polars as pl
import pyarrow as pa

from opendal_lab.datasource.filters import Filter
from opendal_lab.datasource.protocol import (
    DataSource,
    plan_takes_filters,
    pushdown_keywords,
    source_name,
)
from opendal_lab.datasource.resolve import resolve_source
from opendal_lab.datasource.task import ReadPlan
from opendal_lab.datasource.validate import check_options, check_partitions, check_schema

__all__ = ["Prepared", "prepare", "polars_schema"]


@dataclass(frozen=True, eq=False)
class Prepared:
    source: DataSource
    name: str
    options: dict[str, str]
    schema: pa.Schema
    polars_schema: dict[str, pl.DataType]
    keywords: frozenset[str]  # pushdown keywords read_partition accepts
    plan_filters: bool  # plan_partitions accepts ``filters`` (to drop partitions)

    def partitions(self, filters: list[Filter] | None = None) -> list[dict[str, Any]]:
        """The source's partition specs, checked; ``filters`` offered when it takes them."""
        options = dict(self.options)
        if filters and self.plan_filters:
            specs = self.source.plan_partitions(options, filters=list(filters))  # type: ignore[call-arg]
        else:
            specs = self.source.plan_partitions(options)
        return check_partitions(self.name, specs)

    def claimed_exact(self, filters: list[Filter]) -> list[Filter]:
        """Those of ``filters`` the source's ``exact_filters`` says ``read_partition`` applies
        exactly; none when it has no such method."""
        claim = getattr(self.source, "exact_filters", None)
        if not filters or not callable(claim):
            return []
        claimed = claim(list(filters), dict(self.options))
        # Only what was offered counts: a source cannot waive a condition it was not given.
        return [f for f in filters if f in list(claimed or [])]

    def read_plan(
        self,
        count: int,
        *,
        arrow: bool,
        kwargs: dict[str, Any] | None = None,
        need: tuple[str, ...] | None = None,
        output: tuple[str, ...] | None = None,
        reapply: pl.Expr | None = None,
        limit: int | None = None,
    ) -> ReadPlan:
        """A plan for one run; without pushdown arguments, every row and column."""
        names = tuple(self.schema.names)
        return ReadPlan(
            run_id=uuid.uuid4().hex,
            source=self.source,
            source_name=self.name,
            options=self.options,
            schema=self.schema,
            polars_schema=self.polars_schema,
            count=count,
            kwargs=kwargs or {},
            need=names if need is None else need,
            output=names if output is None else output,
            reapply=reapply,
            limit=limit,
            arrow=arrow,
        )

    def empty(self, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        """A frame of zero rows with the declared (or the given) columns and types."""
        schema = self.polars_schema
        if columns is not None:
            schema = {c: schema[c] for c in columns}
        return pl.DataFrame(schema=schema)


def prepare(source: Any, options: Mapping[str, Any] | None) -> Prepared:
    """Resolve ``source``, check ``options``, infer and check the schema."""
    checked = check_options(options)
    resolved = resolve_source(source, checked)
    name = source_name(resolved)
    schema = check_schema(name, resolved.infer_schema(dict(checked)))
    return Prepared(
        source=resolved,
        name=name,
        options=checked,
        schema=schema,
        polars_schema=polars_schema(schema),
        keywords=pushdown_keywords(resolved),
        plan_filters=plan_takes_filters(resolved),
    )


def polars_schema(schema: pa.Schema) -> dict[str, pl.DataType]:
    """The Polars types the Arrow ``schema`` becomes (``string`` -> ``String``, ...)."""
    frame = cast(pl.DataFrame, pl.from_arrow(schema.empty_table()))
    return dict(frame.schema)
