"""Filters: a neutral form of simple row conditions, and their conversion from Polars.

A ``Filter(column, op, value)`` is one condition on one column; a list of them means all
of them (AND). It is the form every engine can hand a source: ``scan`` converts the Polars
predicate into it, the Spark adapter converts Spark's pushed filters into it, and a SQL
source turns it into a WHERE clause. The operators::

    ==  !=  <  <=  >  >=    value is a Python scalar (int, float, str, bytes, bool,
                            date, datetime, time, timedelta, Decimal)
    in                      value is a tuple of scalars (never containing None)
    is_null  is_not_null    value is None

Null semantics are SQL's and Polars': a null in the column matches no comparison and no
``in`` (only ``is_null``), so a source may translate each filter literally.

``split_predicate(expr)`` splits a Polars predicate into the conjuncts it can express as
filters and a residual expression for the rest: ``a > 1 & b.is_in([..]) & f(c)`` becomes
two filters and ``f(c)``. What is converted: a column compared with a literal (either
side), ``is_in`` with a literal list, ``is_null`` / ``is_not_null``, ``is_between``
(two filters), a boolean column alone (``== True``) or negated (``== False``). Everything
else (OR, arithmetic, casts, functions, comparisons with null) stays in the residual, which
the loader applies itself, so a conversion never changes a result, only how much work the
source can skip.

How: Polars exposes an expression's tree as JSON (``expr.meta.serialize(format="json")``).
Polars says that format is not stable across versions, so this module reads it
defensively: a node it does not recognise is left in the residual, never guessed at, and
literal values are not decoded here but handed back to Polars to evaluate (they come as
typed scalars, or as Arrow IPC bytes for lists). tests/datasource/test_filters.py pins the
conversions on the installed Polars, so an upgrade that moves the format fails there.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any, NamedTuple

import polars as pl

__all__ = [
    "COMPARISONS",
    "OPS",
    "Filter",
    "all_of",
    "describe",
    "filters_to_expr",
    "split_predicate",
    "to_expr",
]

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
OPS = (*COMPARISONS, "in", "is_null", "is_not_null")

_BINARY = {"Eq": "==", "NotEq": "!=", "Lt": "<", "LtEq": "<=", "Gt": ">", "GtEq": ">="}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_AND = ("And", "LogicalAnd")
_BETWEEN = {"Both": (">=", "<="), "Left": (">=", "<"), "Right": (">", "<="), "None": (">", "<")}


class Filter(NamedTuple):
    """One condition: ``column op value`` (see the module docstring for the operators)."""

    column: str
    op: str
    value: Any = None

    def __str__(self) -> str:
        if self.op in ("is_null", "is_not_null"):
            return f"{self.column} {self.op}"
        return f"{self.column} {self.op} {self.value!r}"


def to_expr(f: Filter) -> pl.Expr:
    """The Polars expression that keeps the rows ``f`` keeps."""
    col = pl.col(f.column)
    if f.op == "is_null":
        return col.is_null()
    if f.op == "is_not_null":
        return col.is_not_null()
    if f.op == "in":
        return col.is_in(list(f.value))
    ops = {
        "==": col.__eq__,
        "!=": col.__ne__,
        "<": col.__lt__,
        "<=": col.__le__,
        ">": col.__gt__,
        ">=": col.__ge__,
    }
    if f.op not in ops:
        raise ValueError(f"unknown filter operator {f.op!r} in {f}; one of {', '.join(OPS)}")
    return ops[f.op](pl.lit(f.value))


def filters_to_expr(filters: Iterable[Filter]) -> pl.Expr | None:
    """The AND of ``filters`` as one Polars expression; None for no filters."""
    return all_of(to_expr(f) for f in filters)


def all_of(exprs: Iterable[pl.Expr | None]) -> pl.Expr | None:
    """The AND of the expressions that are not None; None when there are none."""
    present = [e for e in exprs if e is not None]
    return reduce(lambda a, b: a & b, present) if present else None


def split_predicate(predicate: pl.Expr) -> tuple[list[Filter], pl.Expr | None]:
    """Split ``predicate`` into filters and the residual they cannot express.

    The rows kept by ``filters AND residual`` are exactly those ``predicate`` keeps. The
    residual is None when everything converted.
    """
    try:
        tree = json.loads(predicate.meta.serialize(format="json"))
    except Exception:  # an expression Polars cannot serialise: nothing to push down
        return [], predicate
    filters: list[Filter] = []
    rest: list[pl.Expr] = []
    for node in _conjuncts(tree):
        converted = _convert(node)
        if converted is None:
            rest.append(_expr(node))
        else:
            filters.extend(converted)
    return filters, all_of(rest)


def _conjuncts(node: Any) -> list[Any]:
    binary = node.get("BinaryExpr") if isinstance(node, dict) else None
    if isinstance(binary, dict) and binary.get("op") in _AND:
        return _conjuncts(binary["left"]) + _conjuncts(binary["right"])
    return [node]


def _convert(node: Any) -> list[Filter] | None:
    """The filters equivalent to one conjunct, or None when it has no filter form."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    column = _column(node)
    if column is not None:  # a boolean column used as the condition
        return [Filter(column, "==", True)]
    if "BinaryExpr" in node:
        return _comparison(node["BinaryExpr"])
    if "Function" in node:
        return _function(node["Function"])
    return None


def _comparison(binary: Any) -> list[Filter] | None:
    op = _BINARY.get(binary.get("op"))
    if op is None:
        return None
    left, right = binary.get("left"), binary.get("right")
    column, literal = _column(left), right
    if column is None:
        column, literal, op = _column(right), left, _FLIPPED[op]
    if column is None:
        return None
    value = _scalar(literal)
    if value is _NO_VALUE or value is None:
        return None  # `col == null` keeps no row; leave that to Polars
    return [Filter(column, op, value)]


def _function(func: Any) -> list[Filter] | None:
    inputs, kind = func.get("input"), func.get("function")
    if not isinstance(inputs, list) or not isinstance(kind, dict) or "Boolean" not in kind:
        return None
    boolean = kind["Boolean"]
    column = _column(inputs[0]) if inputs else None
    if boolean in ("IsNull", "IsNotNull") and column is not None and len(inputs) == 1:
        return [Filter(column, "is_null" if boolean == "IsNull" else "is_not_null")]
    if boolean == "Not" and len(inputs) == 1:
        return _negated(inputs[0])
    if not isinstance(boolean, dict) or column is None:
        return None
    if "IsIn" in boolean and len(inputs) == 2:
        return _is_in(column, inputs[1], boolean["IsIn"])
    if "IsBetween" in boolean and len(inputs) == 3:
        closed = (boolean["IsBetween"] or {}).get("closed")
        ops = _BETWEEN.get(closed) if isinstance(closed, str) else None
        low, high = _scalar(inputs[1]), _scalar(inputs[2])
        if ops is None or any(v is _NO_VALUE or v is None for v in (low, high)):
            return None
        return [Filter(column, ops[0], low), Filter(column, ops[1], high)]
    return None


def _negated(node: Any) -> list[Filter] | None:
    column = _column(node)
    if column is not None:
        return [Filter(column, "==", False)]
    inner = node.get("Function") if isinstance(node, dict) else None
    if isinstance(inner, dict) and isinstance(inner.get("input"), list):
        kind = inner.get("function")
        column = _column(inner["input"][0]) if len(inner["input"]) == 1 else None
        if column is not None and kind == {"Boolean": "IsNull"}:
            return [Filter(column, "is_not_null")]
        if column is not None and kind == {"Boolean": "IsNotNull"}:
            return [Filter(column, "is_null")]
    return None  # `not (a in [..])` and the like: no operator for them, Polars applies them


def _is_in(column: str, literal: Any, options: Any) -> list[Filter] | None:
    values = _literal_values(literal)
    if values is None:
        return None
    if None in values:
        if isinstance(options, dict) and options.get("nulls_equal"):
            return None  # null matches null here: not expressible as SQL's IN
        values = [v for v in values if v is not None]  # a null in the list matches nothing
    return [Filter(column, "in", tuple(values))]


def _column(node: Any) -> str | None:
    if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("Column"), str):
        return str(node["Column"])
    return None


class _NoValue:
    pass


_NO_VALUE: Any = _NoValue()


def _scalar(node: Any) -> Any:
    """The Python value of a literal scalar node, or _NO_VALUE when it is not one."""
    if not (isinstance(node, dict) and "Literal" in node):
        return _NO_VALUE
    try:
        series = pl.select(_expr(node)).to_series()
    except Exception:
        return _NO_VALUE
    if len(series) != 1 or isinstance(series.dtype, (pl.List, pl.Array, pl.Struct)):
        return _NO_VALUE
    return series.item()


def _literal_values(node: Any) -> list[Any] | None:
    """The values of a literal list node (``is_in``'s argument), or None."""
    if not (isinstance(node, dict) and "Literal" in node):
        return None
    try:
        series = pl.select(_expr(node)).to_series()
    except Exception:
        return None
    if len(series) == 1 and isinstance(series.dtype, (pl.List, pl.Array)):
        inner = series.item()
        if isinstance(inner.dtype, (pl.List, pl.Array, pl.Struct)):
            return None
        return list(inner.to_list())
    return None


def _expr(node: Any) -> pl.Expr:
    """Rebuild a Polars expression from a node of its JSON tree."""
    return pl.Expr.deserialize(io.StringIO(json.dumps(node)), format="json")


def describe(filters: Sequence[Filter]) -> str:
    """``a > 1 AND b in (1, 2)``: for explain output and messages."""
    return " AND ".join(str(f) for f in filters) or "(none)"
