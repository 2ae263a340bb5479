"""CSV and newline-delimited JSON through an operator, read by Polars from the file's bytes.

Schema: Polars infers it from a sample of the first non-empty file -- its first
``sample_bytes`` (1 MiB by default), cut after the last complete line -- reading every row
of the sample. Every file is then parsed with those types, so all partitions agree; a value
that does not parse fails its partition, naming the file.

CSV: ``header`` (true) says whether the first line names the columns, ``separator`` (``,``)
splits them. With a header, each file's names must be the first file's, in the same order;
without one, the columns are named as Polars names them (``column_1``, ...) and each file
must have as many. NDJSON: each line is an object; keys not in the schema are ignored and
missing ones are null (JSON has no header to compare).

An empty file has no rows (not an error).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import polars as pl

from opendal_lab.core.operator import Operator
from opendal_lab.datasource.sources.files.listing import FileEntry
from opendal_lab.datasource.sources.files.options import FileFormatError, FileOptions
from opendal_lab.datasource.sources.files.query import Query, finish

__all__ = ["read_text", "text_schema"]


def text_schema(
    fmt: str, op: Operator, files: Sequence[FileEntry], opts: FileOptions
) -> dict[str, pl.DataType]:
    """The Polars schema of the first non-empty file's sample."""
    for entry in files:
        sample = _sample(op, entry, opts.sample_bytes)
        if not sample.strip():
            continue
        source = io.BytesIO(sample)
        if fmt == "csv":
            frame = pl.read_csv(
                source, has_header=opts.header, separator=opts.separator, infer_schema_length=None
            )
        else:
            frame = pl.read_ndjson(source, infer_schema_length=None)
        return dict(frame.schema)
    first = files[0].path if files else "(no file)"
    raise FileFormatError(f"{first}: every file is empty; no {fmt} schema to infer", first)


def _sample(op: Operator, entry: FileEntry, limit: int) -> bytes:
    size = entry.size if entry.size is not None else op.stat(entry.path).content_length or 0
    if size <= limit:
        return op.read(entry.path) if size else b""
    data = op.read(entry.path, offset=0, size=limit)
    end = data.rfind(b"\n")
    return data[: end + 1] if end >= 0 else op.read(entry.path)


def read_text(
    fmt: str,
    op: Operator,
    path: str,
    schema: dict[str, pl.DataType],
    query: Query,
    opts: FileOptions,
    first: str,
) -> pl.DataFrame | None:
    """The rows of one csv / ndjson file ``query`` wants, with the types of ``schema``."""
    data = op.read(path)
    if not data.strip():
        return None
    source = io.BytesIO(data)
    if fmt == "ndjson":
        return finish(pl.scan_ndjson(source, schema=schema), query)
    names = list(schema)
    lf = pl.scan_csv(
        source,
        has_header=opts.header,
        separator=opts.separator,
        new_columns=None if opts.header else names,
        schema_overrides=schema,
        infer_schema=False,
    )
    found = lf.collect_schema().names()
    if found != names:
        what = "header" if opts.header else "columns"
        raise FileFormatError(
            f"{path}: its {what} {found} differ from those of {first} {names}, which the "
            "schema comes from",
            path,
        )
    return finish(lf, query)
