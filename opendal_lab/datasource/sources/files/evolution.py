"""Schema evolution (option ``schema_mode=union``): one schema for files that differ.

Arrow's own rules unify the files' footer schemas -- ``pa.unify_schemas(...,
promote_options="permissive")``: columns matched by name (the first file's order, new ones
after), a column a file lacks is null there, and types widen as Arrow widens them
(int32 -> int64, int -> float, null -> any type, string -> large_string). Two types with no
common one (string and int64, say) fail with a ``FileFormatError`` naming the file, the
column and both types. Each partition's rows are then cast to the unified types, a missing
column added as nulls (``query.conform``), before the filters run, so a filter on a column a file
lacks sees nulls there, as ``pl.read_parquet(..., missing_columns="insert")`` would.

Parquet only: its schema is in each file's footer, so unifying costs one small ranged
read a file. CSV and NDJSON carry no schema; inferring one per file would mean reading and
parsing a sample of every file while planning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
import pyarrow as pa

from opendal_lab.core.operator import Operator
from opendal_lab.datasource.sources.files.listing import FileEntry
from opendal_lab.datasource.sources.files.options import FileFormatError
from opendal_lab.datasource.sources.files.parquet import FETCHERS, parquet_schema, read_footer

__all__ = ["check_union", "unify", "unify_footers"]

_PROMOTE = "permissive"


def unify_footers(op: Operator, files: Sequence[FileEntry]) -> pa.Schema:
    """The unified schema of every file's footer (read several at once on remote services)."""

    def one(entry: FileEntry) -> tuple[str, pa.Schema]:
        return entry.path, parquet_schema(read_footer(op, entry.path, entry.size))

    if len(files) > 1:
        found = op.run_many(one, list(files), concurrency=FETCHERS)
    else:
        found = [one(f) for f in files]
    return unify(found)


def unify(schemas: Sequence[tuple[str, pa.Schema]]) -> pa.Schema:
    """``(path, schema)`` unified in order; FileFormatError names the file that cannot join."""
    unified = schemas[0][1]
    # The file each column's current type came from (the last that widened it), for messages.
    origin = {name: schemas[0][0] for name in unified.names}
    for path, schema in schemas[1:]:
        try:
            wider = pa.unify_schemas([unified, schema], promote_options=_PROMOTE)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            _raise_clash(path, schema, unified, origin)
        for field in wider:
            if field.name not in unified.names or unified.field(field.name).type != field.type:
                origin[field.name] = path
        unified = wider
    return unified


def _raise_clash(
    path: str, schema: pa.Schema, unified: pa.Schema, origin: Mapping[str, str]
) -> None:
    for field in schema:
        if field.name not in unified.names:
            continue
        had = unified.field(field.name)
        try:
            pa.unify_schemas([pa.schema([had]), pa.schema([field])], promote_options=_PROMOTE)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            raise FileFormatError(
                f"{path}: column {field.name!r} is {field.type}, but {origin[field.name]} has "
                f"it as {had.type}, and neither type widens to the other (schema_mode=union)",
                path,
            ) from None
    raise FileFormatError(f"{path}: its schema cannot join the others' (schema_mode=union)", path)


def check_union(
    path: str, found: Mapping[str, pl.DataType], declared: Mapping[str, pl.DataType]
) -> None:
    """Raise when a file has a column the unified schema lacks (it changed since planning)."""
    extra = [c for c in found if c not in declared]
    if extra:
        raise FileFormatError(
            f"{path}: has column(s) {', '.join(map(repr, extra))} that the unified schema has "
            "not (the files changed since the schema was inferred; infer it again)",
            path,
        )
