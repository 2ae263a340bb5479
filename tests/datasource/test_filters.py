"""Polars predicates to Filters: what converts, what stays residual, and that nothing changes rows.

These pin the reading of ``expr.meta.serialize(format="json")`` on the installed Polars: an
upgrade that moves the format fails here (as less pushdown, never as wrong rows).
"""

from __future__ import annotations

import datetime
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.datasource.filters import (
    Filter,
    all_of,
    describe,
    filters_to_expr,
    split_predicate,
    to_expr,
)
from tests.datasource.sources import numbers

col = pl.col
D = datetime.date(2024, 2, 1)
DT = datetime.datetime(2024, 1, 2, 3, 4, 5)

CONVERTS: list[tuple[pl.Expr, list[Filter]]] = [
    (col("n") > 3, [Filter("n", ">", 3)]),
    (col("n") == 3, [Filter("n", "==", 3)]),
    (col("n") != 3, [Filter("n", "!=", 3)]),
    (col("n") <= 3, [Filter("n", "<=", 3)]),
    (col("n") > 3, [Filter("n", ">", 3)]),
    (col("f") >= 1.5, [Filter("f", ">=", 1.5)]),
    (col("s") == "s1", [Filter("s", "==", "s1")]),
    (col("d") < D, [Filter("d", "<", D)]),
    (col("n").is_in([1, 2, 3]), [Filter("n", "in", (1, 2, 3))]),
    (col("s").is_in(["s1", "s2"]), [Filter("s", "in", ("s1", "s2"))]),
    (col("n").is_in([1, None]), [Filter("n", "in", (1,))]),
    (col("s").is_null(), [Filter("s", "is_null")]),
    (col("s").is_not_null(), [Filter("s", "is_not_null")]),
    (~col("s").is_null(), [Filter("s", "is_not_null")]),
    (col("flag"), [Filter("flag", "==", True)]),
    (~col("flag"), [Filter("flag", "==", False)]),
    (col("n").is_between(2, 5), [Filter("n", ">=", 2), Filter("n", "<=", 5)]),
    (col("n").is_between(2, 5, closed="none"), [Filter("n", ">", 2), Filter("n", "<", 5)]),
    (
        (col("n") > 1) & (col("s") == "s4") & col("f").is_null(),
        [Filter("n", ">", 1), Filter("s", "==", "s4"), Filter("f", "is_null")],
    ),
    (col("t") >= DT, [Filter("t", ">=", DT)]),
]

RESIDUAL: list[pl.Expr] = [
    (col("n") > 1) | (col("n") < 0),
    col("n") + 1 > 3,
    col("n") == col("f"),
    col("s").str.starts_with("s"),
    col("n").eq_missing(3),
    col("n").is_in([1, None], nulls_equal=True),
    ~col("n").is_in([1, 2]),
    (col("n") % 2) == 0,
]


@pytest.mark.parametrize(("expr", "expected"), CONVERTS, ids=lambda x: str(x)[:40])
def test_converts(expr: pl.Expr, expected: list[Filter]) -> None:
    filters, residual = split_predicate(expr)
    assert filters == expected
    assert residual is None


@pytest.mark.parametrize("expr", RESIDUAL, ids=lambda x: str(x)[:40])
def test_stays_residual(expr: pl.Expr) -> None:
    filters, residual = split_predicate(expr)
    assert filters == []
    assert residual is not None
    assert residual.meta.eq(expr)


def test_mixed_conjunction_splits() -> None:
    expr = (col("n") > 1) & ((col("n") % 3) == 0) & col("s").is_in(["s0"])
    filters, residual = split_predicate(expr)
    assert filters == [Filter("n", ">", 1), Filter("s", "in", ("s0",))]
    assert residual is not None
    assert residual.meta.eq((col("n") % 3) == 0)


def test_literal_types_come_back_as_python_values() -> None:
    (f,) = split_predicate(col("n") == pl.lit(3, dtype=pl.Int8))[0]
    assert f.value == 3
    assert type(f.value) is int
    (f,) = split_predicate(col("d") == D)[0]
    assert type(f.value) is datetime.date


PREDICATES: list[pl.Expr] = [
    *(e for e, _ in CONVERTS if "flag" not in str(e) and '"t"' not in str(e)),
    *RESIDUAL,
    (col("n") > 10) & ((col("n") % 3) == 0) & col("s").is_not_null(),
    col("f").is_between(1.0, 30.5) & (col("d") >= D),
]


@pytest.mark.parametrize("expr", PREDICATES, ids=lambda x: str(x)[:40])
def test_filters_and_residual_keep_the_same_rows(expr: pl.Expr) -> None:
    df = numbers(200)
    filters, residual = split_predicate(expr)
    rebuilt = all_of([filters_to_expr(filters), residual])
    assert rebuilt is not None
    expected = df.filter(expr)
    assert expected.height not in (0, df.height)  # a predicate that tells rows apart
    assert_frame_equal(df.filter(rebuilt), expected)


def test_null_semantics_match_polars() -> None:
    df = pl.DataFrame({"a": [1, None, 3], "b": [True, None, False]})
    cases: list[tuple[Filter, list[Any]]] = [
        (Filter("a", "!=", 1), [3]),
        (Filter("a", "in", (1, 3)), [1, 3]),
        (Filter("a", "is_null"), [None]),
        (Filter("b", "==", False), [3]),
    ]
    for f, rows in cases:
        assert df.filter(to_expr(f))["a"].to_list() == rows, f


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown filter operator 'like'"):
        to_expr(Filter("s", "like", "s%"))


def test_describe() -> None:
    assert describe([Filter("n", ">", 1), Filter("s", "is_null")]) == "n > 1 AND s is_null"
    assert describe([]) == "(none)"
    assert filters_to_expr([]) is None
