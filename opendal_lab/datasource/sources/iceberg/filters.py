"""Our ``Filter``s as PyIceberg row filters, where PyIceberg gives exactly Polars' answer.

PyIceberg uses a row filter twice: to prune (partitions and files whose metadata rules it
out are not planned) and to filter rows (turned into a pyarrow expression on each file).
Both must agree with Polars, since a pruned file's rows never reach the loader. So a filter
is translated only where the column's Iceberg type and the value's Python type agree:

- ``int`` / ``long`` columns with int values (not bool);
- ``string`` with str; ``binary`` with bytes (both compared bytewise, as Polars does);
- ``boolean`` with bool (``==``, ``!=``, ``in``);
- ``date`` with a date (not a datetime); ``timestamp`` with a naive datetime,
  ``timestamptz`` with an aware one (PyIceberg turns both into microseconds);
- ``is_null`` / ``is_not_null`` on any top-level column.

Not translated, so left to the loader: comparisons on float and double columns (Polars
orders NaN above every number, so ``x > 1`` keeps a NaN; pyarrow does not), decimals (a
literal of another scale would be rounded to the column's), time, uuid, fixed and nested
columns, and any column that is not a top-level field of the table's current schema (the
one PyIceberg binds filters to). Null semantics agree: a null matches no comparison and no
``in``. Every translated filter is applied row by row (after positional deletes), so
``exact_filters`` claims all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import reduce
from typing import Any

from pyiceberg.expressions import (
    AlwaysTrue,
    And,
    BooleanExpression,
    EqualTo,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    NotEqualTo,
    NotNull,
)
from pyiceberg.schema import Schema
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    IcebergType,
    IntegerType,
    LongType,
    StringType,
    TimestampType,
    TimestamptzType,
)

from opendal_lab.datasource.api import Filter

__all__ = ["row_filter", "translatable"]

_COMPARISONS = {
    "==": EqualTo,
    "!=": NotEqualTo,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}
_UNARY = {"is_null": IsNull, "is_not_null": NotNull}


def _fits(kind: IcebergType, value: object) -> bool:
    """Whether ``value`` compares with a column of ``kind`` exactly as in Polars."""
    if isinstance(kind, (IntegerType, LongType)):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(kind, StringType):
        return isinstance(value, str)
    if isinstance(kind, BinaryType):
        return isinstance(value, bytes)
    if isinstance(kind, BooleanType):
        return isinstance(value, bool)
    if isinstance(kind, DateType):
        return isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(kind, TimestampType):
        return isinstance(value, datetime) and value.tzinfo is None
    if isinstance(kind, TimestamptzType):
        return isinstance(value, datetime) and value.tzinfo is not None
    return False


def translatable(f: Filter, schema: Schema) -> bool:
    """Whether ``f`` has an exact PyIceberg form on ``schema`` (module docstring)."""
    field = next((c for c in schema.fields if c.name == f.column), None)
    if field is None:
        return False
    if f.op in ("is_null", "is_not_null"):
        return True
    kind = field.field_type
    if f.op == "in":
        values = tuple(f.value or ())
        return all(_fits(kind, v) for v in values)
    if f.op not in _COMPARISONS:
        return False
    if isinstance(kind, BooleanType) and f.op not in ("==", "!="):
        return False
    return _fits(kind, f.value)


def _expression(f: Filter) -> BooleanExpression:
    # PyIceberg's predicates take a column name at run time; its pydantic-typed
    # signatures say otherwise to mypy, hence the Any.
    make: Any = _UNARY.get(f.op) or (In if f.op == "in" else _COMPARISONS[f.op])
    if f.op in _UNARY:
        return make(f.column)  # type: ignore[no-any-return]
    return make(f.column, set(f.value) if f.op == "in" else f.value)  # type: ignore[no-any-return]


def row_filter(filters: Sequence[Filter], schema: Schema) -> tuple[BooleanExpression, list[Filter]]:
    """The AND of the translatable ``filters`` as one row filter, and those filters."""
    used = [f for f in filters if translatable(f, schema)]
    if not used:
        return AlwaysTrue(), []
    return reduce(And, (_expression(f) for f in used)), used
