"""Spark's pushed filters in our terms: what converts, what stays with Spark, and why."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from opendal_lab.datasource import Filter
from opendal_lab.datasource.engines.spark_filters import from_spark

sds = pytest.importorskip("pyspark.sql.datasource")

SCHEMA = pa.schema(
    [
        ("n", pa.int64()),
        ("x", pa.float64()),
        ("s", pa.string()),
        ("d", pa.date32()),
        ("t", pa.timestamp("us")),
        ("b", pa.bool_()),
        ("m", pa.decimal128(10, 2)),
    ]
)
DAY = datetime.date(2024, 1, 5)
WHEN = datetime.datetime(2024, 1, 5, 12, 30)


@pytest.mark.parametrize(
    ("spark", "ours"),
    [
        (sds.EqualTo(("n",), 1), Filter("n", "==", 1)),
        (sds.GreaterThan(("n",), 1), Filter("n", ">", 1)),
        (sds.GreaterThanOrEqual(("x",), 2), Filter("x", ">=", 2)),  # int literal, float column
        (sds.LessThan(("s",), "m"), Filter("s", "<", "m")),
        (sds.LessThanOrEqual(("d",), DAY), Filter("d", "<=", DAY)),
        (sds.EqualTo(("t",), WHEN), Filter("t", "==", WHEN)),
        (sds.EqualTo(("b",), True), Filter("b", "==", True)),
        (sds.EqualTo(("m",), Decimal("1.25")), Filter("m", "==", Decimal("1.25"))),
        (sds.In(("n",), (1, 2, None)), Filter("n", "in", (1, 2))),  # NULL in IN matches nothing
        (sds.IsNull(("s",)), Filter("s", "is_null")),
        (sds.IsNotNull(("s",)), Filter("s", "is_not_null")),
        (sds.EqualNullSafe(("n",), 3), Filter("n", "==", 3)),
        (sds.EqualNullSafe(("n",), None), Filter("n", "is_null")),
        (sds.Not(sds.EqualTo(("n",), 1)), Filter("n", "!=", 1)),
        (sds.Not(sds.EqualTo(("b",), True)), Filter("b", "!=", True)),
        (sds.Not(sds.IsNull(("s",))), Filter("s", "is_not_null")),
        (sds.Not(sds.IsNotNull(("s",))), Filter("s", "is_null")),
    ],
)
def test_converted(spark: Any, ours: Filter) -> None:
    assert from_spark(spark, SCHEMA) == ours


@pytest.mark.parametrize(
    "spark",
    [
        sds.EqualTo(("nested", "n"), 1),  # a nested column
        sds.EqualTo(("absent",), 1),  # not in the schema
        sds.StringStartsWith(("s",), "ab"),
        sds.StringEndsWith(("s",), "ab"),
        sds.StringContains(("s",), "ab"),
        sds.Not(sds.In(("n",), (1, 2))),  # NOT IN with nulls around: Spark's to evaluate
        sds.Not(sds.GreaterThan(("n",), 1)),
        sds.Not(sds.EqualNullSafe(("n",), 1)),  # keeps nulls, which != does not
        sds.EqualTo(("n",), None),
        sds.EqualTo(("n",), [1, 2]),  # an array literal
        sds.GreaterThan(("d",), 19727),  # Sail's day number for a date: not compared as one
        sds.EqualTo(("s",), 1),  # a number against a string column
        sds.EqualTo(("n",), 1.5),  # a fraction against an integer column
        sds.EqualTo(("n",), True),  # a bool is not an integer here
        sds.In(("d",), (DAY, 19727)),
    ],
)
def test_left_to_spark(spark: Any) -> None:
    assert from_spark(spark, SCHEMA) is None
