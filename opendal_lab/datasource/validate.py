"""Checks on what a source is and returns, each failing with an error that names the source.

The loader calls them at the boundaries: options and the source when a load or scan
starts, the schema and the partition list when the source returns them, and every piece
``read_partition`` yields (in the worker, before it travels back).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn, cast

import polars as pl
import pyarrow as pa

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource.errors import SchemaMismatch, SourceInvalid
from opendal_lab.datasource.protocol import METHODS, source_name

__all__ = [
    "check_options",
    "check_partitions",
    "check_piece",
    "check_schema",
    "check_source",
]


def check_options(options: Mapping[str, Any] | None) -> dict[str, str]:
    """A copy of ``options`` as ``dict[str, str]``; ConfigInvalid names a key that is not."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise ConfigInvalid(
            f"options must be a dict of strings, not {type(options).__name__}",
            operation="datasource",
        )
    checked: dict[str, str] = {}
    for key, value in options.items():
        if not isinstance(key, str):
            raise ConfigInvalid(
                f"option names must be strings; got {key!r} ({type(key).__name__})",
                operation="datasource",
            )
        if not isinstance(value, str):
            # Spark and Sail hand sources strings; a source tested with ints here would
            # break there. Say how to write it.
            raise ConfigInvalid(
                f"option {key!r} must be a string, as Spark's .option() gives it; "
                f"got {value!r} ({type(value).__name__}), pass {str(value)!r}",
                operation="datasource",
            )
        checked[key] = value
    return checked


def check_source(source: Any) -> None:
    """SourceInvalid unless ``source`` has the three protocol methods."""
    missing = [m for m in METHODS if not callable(getattr(source, m, None))]
    if missing:
        name = source_name(source)
        raise SourceInvalid(
            f"{name} is not a data source: it has no {', '.join(missing)} method"
            f" (a source needs {', '.join(METHODS)})",
            source=name,
        )


def check_schema(name: str, schema: Any) -> pa.Schema:
    """SourceInvalid unless ``schema`` is a ``pa.Schema`` with distinct column names."""
    if not isinstance(schema, pa.Schema):
        raise SourceInvalid(
            f"{name}.infer_schema returned {type(schema).__name__}, not a pyarrow.Schema",
            source=name,
        )
    names = schema.names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourceInvalid(
            f"{name}.infer_schema declares column(s) {', '.join(map(repr, dupes))} twice",
            source=name,
        )
    return schema


def check_partitions(name: str, partitions: Any) -> list[dict[str, Any]]:
    """SourceInvalid unless ``partitions`` is a list of dicts that JSON can carry."""
    if not isinstance(partitions, list):
        raise SourceInvalid(
            f"{name}.plan_partitions returned {type(partitions).__name__}, not a list of dicts",
            source=name,
        )
    for index, spec in enumerate(partitions):
        if not isinstance(spec, dict):
            raise SourceInvalid(
                f"{name}.plan_partitions: partition {index} is a {type(spec).__name__}, not a dict",
                source=name,
                partition=index,
            )
        for key, value in spec.items():
            if not isinstance(key, str):
                raise SourceInvalid(
                    f"{name}.plan_partitions: partition {index} has key {key!r} "
                    f"({type(key).__name__}); spec keys must be strings",
                    source=name,
                    partition=index,
                )
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise SourceInvalid(
                    f"{name}.plan_partitions: partition {index}, key {key!r}: "
                    f"{type(value).__name__} value {value!r} is not JSON-serialisable ({exc})",
                    source=name,
                    partition=index,
                ) from None
    return partitions


def check_piece(
    name: str,
    partition: int,
    piece: Any,
    schema: pa.Schema,
    polars_schema: Mapping[str, pl.DataType],
    need: tuple[str, ...],
) -> pl.DataFrame:
    """One piece from ``read_partition`` as a Polars frame of the ``need`` columns.

    SourceInvalid for a piece of the wrong type, SchemaMismatch for a missing, undeclared or
    differently typed column; Arrow pieces are compared in Arrow types, Polars frames in
    Polars types.
    """
    where = f"{name}.read_partition, partition {partition}"
    if isinstance(piece, (pa.RecordBatch, pa.Table)):
        actual = {f.name: f.type for f in piece.schema}
        expected = {f.name: f.type for f in schema}
    elif isinstance(piece, pl.DataFrame):
        actual = dict(piece.schema)
        expected = dict(polars_schema)
    else:
        raise SourceInvalid(
            f"{where} yielded a {type(piece).__module__}.{type(piece).__name__}; "
            "yield pyarrow.RecordBatch, pyarrow.Table or polars.DataFrame",
            source=name,
            partition=partition,
        )
    for column, dtype in actual.items():
        if column not in expected:
            detail = f"column {column!r} ({dtype}) is not in the declared schema"
            _mismatch(f"{where}: {detail}", name, partition, column, "<not declared>", dtype)
        if dtype != expected[column]:
            detail = (
                f"column {column!r} is {dtype}, but the declared schema says {expected[column]}"
            )
            _mismatch(f"{where}: {detail}", name, partition, column, expected[column], dtype)
    for column in need:
        if column not in actual:
            detail = f"column {column!r} (declared {expected[column]}) is missing"
            _mismatch(f"{where}: {detail}", name, partition, column, expected[column], "<missing>")
    if isinstance(piece, pl.DataFrame):
        frame = piece
    else:
        frame = cast(pl.DataFrame, pl.from_arrow(piece, rechunk=False))
    if tuple(frame.columns) != need:
        frame = frame.select(need)
    return frame


def _mismatch(
    message: str, name: str, partition: int, column: str, expected: Any, actual: Any
) -> NoReturn:
    raise SchemaMismatch(
        message,
        source=name,
        partition=partition,
        column=column,
        expected=str(expected),
        actual=str(actual),
    )
