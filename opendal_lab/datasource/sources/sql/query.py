"""What SqlSource writes: its options checked, partition ranges, WHERE clauses, cast batches.

- ``parse_options`` turns the string options into a ``SqlConfig``, or raises ConfigInvalid
  naming the option (and the right name for Spark's JDBC ones).
- ``edges`` splits ``[lower, upper]`` into equal ranges; ``range_sql`` and ``filter_sql``
  write a spec's range and the pushed-down filters as WHERE conditions whose values are
  bound parameters (``Params``); ``expressible`` says which filters those are.
- ``conform`` casts a batch to the declared types.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from opendal_lab.core.secrets import register_secret
from opendal_lab.datasource.api import Filter, Options, int_option
from opendal_lab.datasource.sources.sql.dialects import (
    Database,
    Dialect,
    SqlError,
    dialect_for,
    invalid,
    quote_name,
)

__all__ = [
    "OPTIONS",
    "TYPE_NAMES",
    "Params",
    "Shape",
    "SqlConfig",
    "check_partition_column",
    "conform",
    "describe",
    "edges",
    "expressible",
    "filter_sql",
    "parse_bound",
    "parse_options",
    "range_sql",
]

OPTIONS = (
    "uri",
    "user",
    "password",
    "table",
    "query",
    "partition_column",
    "num_partitions",
    "lower_bound",
    "upper_bound",
    "fetch_size",
    "custom_schema",
)
# Options the loader, Spark or Sail may pass along: never ours to reject.
_FOREIGN = ("python_module", "python_class", "path")
# Spark's JDBC option names (PySpark lower-cases them), for the error that meets them.
_SPARK_NAMES = {
    "url": "uri",
    "dbtable": "table",
    "partitioncolumn": "partition_column",
    "numpartitions": "num_partitions",
    "lowerbound": "lower_bound",
    "upperbound": "upper_bound",
    "fetchsize": "fetch_size",
    "customschema": "custom_schema",
}
TYPE_NAMES: dict[str, pa.DataType] = {
    **dict.fromkeys(("int64", "bigint", "long", "integer", "int"), pa.int64()),
    "int32": pa.int32(),
    **dict.fromkeys(("float64", "double", "real", "float"), pa.float64()),
    "float32": pa.float32(),
    **dict.fromkeys(("string", "text", "varchar"), pa.string()),
    **dict.fromkeys(("binary", "blob", "bytes"), pa.binary()),
    **dict.fromkeys(("bool", "boolean"), pa.bool_()),
    **dict.fromkeys(("date", "date32"), pa.date32()),
    "timestamp": pa.timestamp("us"),
}
_NAME_PART = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")'
_TABLE_NAME = re.compile(rf"{_NAME_PART}(?:\.{_NAME_PART})*")
_SQL_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_MAX_IN = 500  # values of one pushed-down `in`; past that the loader filters


@dataclass(frozen=True)
class SqlConfig:
    """SqlSource's options, checked."""

    dialect: Dialect
    uri: str
    target: str  # the driver's URI; may hold the password (registered as a secret)
    relation: str  # a table name, or "(query)"
    custom: tuple[tuple[str, pa.DataType], ...]
    partition_column: str | None
    num_partitions: int
    bounds: tuple[str, str] | None
    fetch_size: int | None

    def __repr__(self) -> str:
        return f"SqlConfig(uri={self.uri!r}, relation={self.relation!r})"

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """What the inferred schema depends on."""
        return (self.target, self.relation, tuple((n, str(t)) for n, t in self.custom))

    def database(self, on_query: Callable[[str, list[Any]], None] | None) -> Database:
        return Database(self.dialect, self.uri, self.target, self.fetch_size, on_query)


def parse_options(options: dict[str, str]) -> SqlConfig:
    """The options checked (module docstring of ``sql``); ConfigInvalid names the bad one.

    Names are case-insensitive (``URI=`` is ``uri=``), whatever mapping is given."""
    options = Options(options)
    register_secret(options.get("password"))
    for key in options:
        if key not in OPTIONS and key not in _FOREIGN:
            hint = _SPARK_NAMES.get(key.lower()) or next(
                iter(difflib.get_close_matches(key, OPTIONS, n=1)), None
            )
            raise invalid(
                f"unknown option {key!r}"
                + (f" (did you mean {hint!r}?)" if hint else "")
                + f"; the options are {', '.join(OPTIONS)}"
            )
    uri = options.get("uri", "").strip()
    if not uri:
        raise invalid("option 'uri' is required (sqlite:///path/to.db, postgresql://...)")
    register_secret(urlsplit(uri).password if "://" in uri else None)
    dialect = dialect_for(uri)
    target = dialect.target(uri, options.get("user"), options.get("password"))
    table, query = options.get("table", "").strip(), options.get("query", "").strip()
    if bool(table) == bool(query):
        raise invalid(
            "give exactly one of the options 'table' (a table name) and 'query' (a SELECT)"
            + ("; both were given" if table else "; neither was given")
        )
    if table and not _TABLE_NAME.fullmatch(table):
        raise invalid(
            f"option 'table' must be a table name (schema.table, quoted parts allowed), "
            f"not {table!r}; give SQL with the option 'query'"
        )
    column = options.get("partition_column", "").strip() or None
    parts = options.get("num_partitions")
    lower, upper = options.get("lower_bound"), options.get("upper_bound")
    if column is None and (parts is not None or lower is not None or upper is not None):
        raise invalid(
            "the options 'num_partitions', 'lower_bound' and 'upper_bound' need "
            "'partition_column' (the numeric column whose ranges make the partitions)"
        )
    if column is not None and parts is None:
        raise invalid("option 'partition_column' needs 'num_partitions' (how many ranges)")
    if (lower is None) != (upper is None):
        raise invalid("give both 'lower_bound' and 'upper_bound', or neither (MIN/MAX then)")
    return SqlConfig(
        dialect=dialect,
        uri=uri,
        target=target,
        relation=table or f"({query.rstrip(';').rstrip()})",
        custom=_custom_schema(options.get("custom_schema", "")),
        partition_column=column,
        num_partitions=int_option(options, "num_partitions", 1, minimum=1, source="SqlSource"),
        bounds=(lower, upper) if lower is not None and upper is not None else None,
        fetch_size=int_option(options, "fetch_size", None, minimum=1, source="SqlSource"),
    )


def _custom_schema(text: str) -> tuple[tuple[str, pa.DataType], ...]:
    pairs: list[tuple[str, pa.DataType]] = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, _, kind = item.rpartition(" ")
        name = name.strip().strip('"')
        if not name or kind.lower() not in TYPE_NAMES:
            raise invalid(
                f"option 'custom_schema': {item!r} is not '<column> <type>' with a type "
                f"of {', '.join(sorted(TYPE_NAMES))}"
            )
        pairs.append((name, TYPE_NAMES[kind.lower()]))
    return tuple(pairs)


@dataclass(frozen=True)
class Shape:
    """The declared schema, and the columns whose values the database compares as Polars."""

    schema: pa.Schema
    exact: frozenset[str]


def check_partition_column(config: SqlConfig, schema: pa.Schema) -> None:
    """ConfigInvalid unless the partition column is a numeric column of ``schema``."""
    column = config.partition_column
    if column is None:
        return
    if column not in schema.names:
        raise invalid(
            f"partition column {column!r} is not a column of the result "
            f"(its columns: {', '.join(schema.names)})"
        )
    dtype = schema.field(column).type
    if not (
        pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)
    ):
        raise invalid(
            f"partition column {column!r} is {dtype}, not numeric; partition on an integer, "
            "float or decimal column"
        )


# -- partitions ------------------------------------------------------------------------
def parse_bound(raw: str, integral: bool) -> int | float:
    try:
        return int(raw) if integral else float(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            raise invalid(f"bounds must be numbers, not {raw!r}") from None


def edges(lower: float, upper: float, parts: int, integral: bool) -> list[Any]:
    """The inner boundaries of ``parts`` equal ranges over ``[lower, upper]``, increasing."""
    points: list[Any]
    if integral:
        span = int(upper) - int(lower) + 1
        points = [int(lower) + span * i // parts for i in range(1, parts)]
    else:
        points = [lower + (upper - lower) * i / parts for i in range(1, parts)]
    inner: list[Any] = []
    for p in points:
        if p > lower and (not inner or p > inner[-1]):
            inner.append(p)
    return inner


def describe(spec: dict[str, Any], column: str | None) -> str:
    """``250 <= id < 500``, ``id IS NULL``, ``all rows``: a spec as people read it."""
    if column is None or set(spec) <= {"partition"}:
        return "all rows"
    if spec.get("is_null"):
        return f"{column} IS NULL"
    low, high = spec.get("lower"), spec.get("upper")
    return (
        (f"{low} <= " if low is not None else "")
        + column
        + (f" < {high}" if high is not None else "")
    )


# -- WHERE -------------------------------------------------------------------------------
class Params:
    """Bound values, collected in order, with the dialect's marker for each."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return self.dialect.placeholder(len(self.values))


def range_sql(spec: dict[str, Any], column: str | None, params: Params) -> list[str]:
    """The conditions of a spec's range on ``column``."""
    if column is None:
        return []
    name = quote_name(column)
    if spec.get("is_null"):
        return [f"{name} IS NULL"]
    where = []
    if spec.get("lower") is not None:
        where.append(f"{name} >= {params.add(spec['lower'])}")
    if spec.get("upper") is not None:
        where.append(f"{name} < {params.add(spec['upper'])}")
    return where


def expressible(f: Filter, shape: Shape, dialect: Dialect) -> bool:
    """Whether ``filter_sql(f)`` keeps exactly the rows Polars keeps for ``f``."""
    if f.column not in shape.schema.names:
        return False
    if f.op in ("is_null", "is_not_null"):
        return True  # NULL is NULL however a value is stored
    if f.column not in shape.exact:
        return False
    dtype = shape.schema.field(f.column).type
    if not dialect.pushable(dtype):
        return False
    if f.op == "in":
        values = f.value if isinstance(f.value, tuple) else ()
        return len(values) <= _MAX_IN and all(_fits(v, dtype) for v in values)
    return f.op in _SQL_OPS and _fits(f.value, dtype)


def _fits(value: Any, dtype: pa.DataType) -> bool:
    """Whether the database compares ``value`` with a ``dtype`` column as Polars does."""
    numeric = pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
    if isinstance(value, bool):
        return bool(pa.types.is_boolean(dtype))
    if isinstance(value, int):
        return bool(numeric)
    if isinstance(value, float):
        # SQLite binds NaN as NULL; Polars orders NaN above every number.
        return bool(numeric and math.isfinite(value))
    if isinstance(value, str):
        return bool(pa.types.is_string(dtype) or pa.types.is_large_string(dtype))
    if isinstance(value, bytes):
        return bool(pa.types.is_binary(dtype))
    return False


def filter_sql(f: Filter, dialect: Dialect, params: Params) -> str:
    """``f`` as a condition (an ``expressible`` one)."""
    name = quote_name(f.column)
    if f.op == "is_null":
        return f"{name} IS NULL"
    if f.op == "is_not_null":
        return f"{name} IS NOT NULL"
    values = f.value if f.op == "in" else (f.value,)
    if any(isinstance(v, str) for v in values):
        name += dialect.text_collation
    if f.op == "in":
        if not values:
            return "1 = 0"
        return f"{name} IN ({', '.join(params.add(v) for v in values)})"
    return f"{name} {_SQL_OPS[f.op]} {params.add(f.value)}"


# -- types -------------------------------------------------------------------------------
def conform(batch: pa.RecordBatch, target: pa.Schema, partition: int | None) -> pa.RecordBatch:
    """``batch`` cast to ``target``: ADBC's SQLite driver types a batch by its values."""
    if batch.schema.types == target.types and batch.schema.names == target.names:
        return batch
    arrays = [_cast(a, f, partition) for f, a in zip(target, batch.columns, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def _cast(array: pa.Array, target: pa.Field, partition: int | None) -> pa.Array:
    if array.type == target.type:
        return array
    if array.null_count == len(array):
        return pa.nulls(len(array), target.type)  # all NULL: typed int64 by the driver
    if pa.types.is_temporal(target.type) and not pa.types.is_string(array.type):
        problem = "dates and times are read from ISO text"
    else:
        try:
            return pc.cast(array, target.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            problem = str(exc)
    raise SqlError(
        f"SqlSource, partition {partition}: column {target.name!r} holds {array.type} values "
        f"that do not convert to its declared type {target.type} ({problem}); give its type "
        f"with the option custom_schema='{target.name} <type>'",
        partition=partition,
    )
