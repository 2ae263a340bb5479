"""Spark's pushed filters in our terms: ``pyspark.sql.datasource`` filters to ``Filter``.

Spark (4.1+) and Sail hand a Python data source's reader the conjuncts of a query's WHERE
clause as small dataclasses: ``EqualTo(("a",), 1)``, ``In(("a",), (1, 2))``,
``Not(EqualTo(("a",), 1))``... ``from_spark`` turns one into the ``Filter`` every source
here understands, or returns None for those with no such form: nested columns
(``("a", "b")``), string patterns (``StringStartsWith``, ``StringEndsWith``,
``StringContains``), negations other than of ``=`` and the null checks, comparisons with
null or with arrays. Spark keeps evaluating those itself, so a filter without a
translation costs pruning, never correctness.

A value is pushed only when it is what Arrow gives for the column's type (a ``date`` for a
date column, an ``int`` or a ``float`` for a float one...). A JVM Spark hands a date's
literal as a ``datetime.date``, which is pushed; Sail hands it as its day number (an
``int``), which a source would compare as a number: such a filter stays with the engine.

Null semantics carry over as they are: a SQL comparison with a null column value is not
true, and neither is ``Filter``'s. ``a <=> v`` (``EqualNullSafe``) is ``a = v`` for a
non-null ``v`` and ``a IS NULL`` for a null one; ``a IN (1, NULL)`` keeps what
``a IN (1)`` keeps.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from opendal_lab.datasource.filters import Filter

__all__ = ["from_spark"]

_COMPARISONS = {
    "EqualTo": "==",
    "GreaterThan": ">",
    "GreaterThanOrEqual": ">=",
    "LessThan": "<",
    "LessThanOrEqual": "<=",
}


def from_spark(spark_filter: Any, schema: pa.Schema) -> Filter | None:
    """The ``Filter`` equal to ``spark_filter`` on a column of ``schema``, or None."""
    kind = type(spark_filter).__name__
    if kind == "Not":
        return _negated(spark_filter.child, schema)
    column = _column(spark_filter, schema)
    if column is None:
        return None
    arrow_type = schema.field(column).type
    if kind in ("IsNull", "IsNotNull"):
        return Filter(column, "is_null" if kind == "IsNull" else "is_not_null")
    value = getattr(spark_filter, "value", None)
    if kind == "EqualNullSafe":
        if value is None:
            return Filter(column, "is_null")
        return Filter(column, "==", value) if _fits(value, arrow_type) else None
    if kind in _COMPARISONS:
        fits = value is not None and _fits(value, arrow_type)
        return Filter(column, _COMPARISONS[kind], value) if fits else None
    if kind == "In" and isinstance(value, (tuple, list)):
        kept = tuple(v for v in value if v is not None)
        return Filter(column, "in", kept) if all(_fits(v, arrow_type) for v in kept) else None
    return None


def _negated(child: Any, schema: pa.Schema) -> Filter | None:
    inner = from_spark(child, schema)
    if inner is None or type(child).__name__ == "EqualNullSafe":
        return None  # NOT (a <=> v) keeps nulls, which `!=` does not
    negations = {"==": "!=", "is_null": "is_not_null", "is_not_null": "is_null"}
    if inner.op not in negations:
        return None  # NOT (a < 1) keeps no null either, but `>=` is Spark's to rewrite
    return Filter(inner.column, negations[inner.op], inner.value)


def _fits(value: Any, arrow_type: Any) -> bool:
    """Whether ``value`` is what a column of ``arrow_type`` holds, as Python sees it."""
    if isinstance(value, (list, tuple, dict)):
        return False
    try:
        held = pa.scalar(value, type=arrow_type).as_py()
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return False
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(held, float):
        return True  # an integer literal against a float column
    return type(held) is type(value) and bool(held == value)


def _column(spark_filter: Any, schema: pa.Schema) -> str | None:
    attribute = getattr(spark_filter, "attribute", None)
    if isinstance(attribute, tuple) and len(attribute) == 1 and attribute[0] in schema.names:
        return str(attribute[0])
    return None
