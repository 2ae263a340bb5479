"""Row-group partitions: planned from each file's footer, read without parsing it again in Python.

Planning (``row_group_specs``, option ``partitioning=row_group``) reads every file's footer
(several at once) and writes into each row group's spec what its read needs: ``first_row``
and ``rows`` (where the group's rows sit in the file), ``footer`` (``[start, stop)`` of the
footer's bytes) and ``chunks`` (each column's ``[start, stop)`` in this group). Row groups
whose statistics rule the scan's filters out are dropped there, so they cost no task.

Reading (``read_row_group``) fetches the footer and the chunks of the columns the query
needs (ranges closer than ``MERGE_GAP`` merged, several at once on remote services), lays
them at their offsets in a sparse file of the file's size, and lets Polars read that file
sliced to the group's rows (``sparse``). Polars parses the footer once (Rust), maps the
file, and decodes only this group's pages of the projected columns -- about twice as fast
as pyarrow followed by the conversion to Polars, which this replaced (bench/bench_loader.py).
Should Polars still ask for bytes that were not fetched (it does not today:
``slice`` prunes the other row groups, projection the other columns), the read is retried
once with the group's whole span. On the ``fs`` service with the default layers there is
nothing to fetch: Polars is handed the file itself, opened through the root jail
(``local``), and reads the group's pages of the projected columns from its mapping.

A spec planned without ``chunks`` (by hand, or by an older planner) still reads: its footer
is then read and parsed here.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Mapping, Sequence
from typing import IO, Any

import polars as pl

from opendal_lab.core.operator import Operator
from opendal_lab.datasource.api import Filter
from opendal_lab.datasource.sources.files.listing import FileEntry
from opendal_lab.datasource.sources.files.local import local_service, open_local
from opendal_lab.datasource.sources.files.options import FileFormatError
from opendal_lab.datasource.sources.files.parquet import (
    LOCAL_SCHEMES,
    Check,
    Footer,
    fetch_ranges,
    may_match,
    merge_ranges,
    parquet_schema,
    read_footer,
)
from opendal_lab.datasource.sources.files.partitions import file_spec
from opendal_lab.datasource.sources.files.query import Query, finish
from opendal_lab.datasource.sources.files.sparse import sparse_file

__all__ = ["FOOTER_READERS", "read_row_group", "row_group_specs"]

FOOTER_READERS = 16


def row_group_specs(
    op: Operator, files: Sequence[FileEntry], columns: Sequence[str], filters: Sequence[Filter]
) -> list[dict[str, Any]]:
    """One spec per row group of ``files`` that ``filters`` may match (module docstring).

    ``columns``: the files' top-level columns (the declared ones), which ``chunks`` keys.
    """

    def footer(entry: FileEntry) -> Footer:
        return read_footer(op, entry.path, entry.size)

    if len(files) > 1:
        with cf.ThreadPoolExecutor(min(FOOTER_READERS, len(files))) as pool:
            footers = list(pool.map(footer, files))
    else:
        footers = [footer(f) for f in files]
    specs = []
    for entry, found in zip(files, footers, strict=True):
        schema = parquet_schema(found) if filters else None
        base = {**file_spec(entry), "size": found.size, "footer": [found.meta_start, found.size]}
        first = 0
        for g in range(found.meta.num_row_groups):
            rg = found.meta.row_group(g)
            if schema is None or may_match(rg, filters, schema):
                specs.append(
                    {
                        **base,
                        "row_group": g,
                        "rows": rg.num_rows,
                        "first_row": first,
                        "chunks": _chunks(rg, columns),
                    }
                )
            first += rg.num_rows
    return specs


def _chunks(rg: Any, columns: Sequence[str]) -> dict[str, list[int]]:
    """Each top-level column's ``[start, stop)`` in row group ``rg`` (all its leaves)."""
    names = set(columns)
    out: dict[str, list[int]] = {}
    for j in range(rg.num_columns):
        chunk = rg.column(j)
        top = _top_level(chunk.path_in_schema, names)
        start = chunk.data_page_offset
        if chunk.has_dictionary_page and chunk.dictionary_page_offset:
            start = min(start, chunk.dictionary_page_offset)
        stop = start + chunk.total_compressed_size
        if top in out:
            out[top] = [min(out[top][0], start), max(out[top][1], stop)]
        else:
            out[top] = [start, stop]
    return out


def _top_level(leaf: str, names: set[str]) -> str:
    """The top-level column a leaf (``a.list.element``) belongs to."""
    parts = leaf.split(".")
    for k in range(1, len(parts) + 1):
        name = ".".join(parts[:k])
        if name in names:
            return name
    return parts[0]  # not a declared column: the caller's schema check reports it


def read_row_group(
    op: Operator, path: str, spec: Mapping[str, Any], query: Query, check: Check
) -> pl.DataFrame | None:
    """The rows of the row group ``spec`` names that ``query`` wants; None when none."""
    if "chunks" not in spec:
        spec = _spec_from_footer(op, path, spec)
    service = local_service(op)
    if service is not None:
        with open_local(service, [path]) as (fh,):
            size = os.fstat(fh.fileno()).st_size
            if size != int(spec["size"]):  # the group's rows would be another file's
                raise FileFormatError(
                    f"{path}: is {size} bytes, not the {spec['size']} its row groups were "
                    "planned with (the file changed since); plan the read again",
                    path,
                )
            try:
                return _read_open(fh, path, spec, query, check)
            except pl.exceptions.PolarsError as exc:
                failed = exc.with_traceback(None)  # its frames hold the file open
            except FileFormatError as exc:
                raise exc.with_traceback(None)  # noqa: B904 -- the same error, frames dropped
        group = spec["row_group"]
        raise FileFormatError(f"{path}: cannot read row group {group}: {failed}", path) from failed
    size = int(spec["size"])
    chunks: dict[str, list[int]] = spec["chunks"]
    wanted = set(query.columns) | {f.column for f in query.filters}
    ranges = sorted((a, b) for c, (a, b) in chunks.items() if c in wanted)
    footer = (int(spec["footer"][0]), int(spec["footer"][1]))
    try:
        return _read_sparse(op, path, spec, size, [*merge_ranges(ranges), footer], query, check)
    except pl.exceptions.PolarsError:
        # Polars wanted bytes outside the planned ranges: fetch the group's whole span.
        whole = (min(a for a, _ in chunks.values()), max(b for _, b in chunks.values()))
        try:
            return _read_sparse(op, path, spec, size, [whole, footer], query, check)
        except pl.exceptions.PolarsError as exc:
            group = spec["row_group"]
            raise FileFormatError(f"{path}: cannot read row group {group}: {exc}", path) from exc


def _read_open(
    fh: IO[bytes], path: str, spec: Mapping[str, Any], query: Query, check: Check
) -> pl.DataFrame | None:
    """The group's rows from the file open (``local``): Polars maps it and reads only the
    group's pages of the columns needed. A failure's traceback holds the LazyFrame, which
    holds the file open (Polars keeps its own duplicate of the descriptor): the caller
    drops it."""
    lf = pl.scan_parquet(fh)
    check(path, lf.collect_schema())
    return finish(lf.slice(int(spec["first_row"]), int(spec["rows"])), query)


def _read_sparse(
    op: Operator,
    path: str,
    spec: Mapping[str, Any],
    size: int,
    ranges: list[tuple[int, int]],
    query: Query,
    check: Check,
) -> pl.DataFrame | None:
    pieces = fetch_ranges(op, path, ranges, parallel=op.scheme not in LOCAL_SCHEMES)
    with sparse_file(size, pieces) as fh:
        lf = pl.scan_parquet(fh)
        # Resolving the schema first also makes Polars map the file rather than read it
        # whole (a direct collect reads every byte, gaps included, on polars 2.1).
        check(path, lf.collect_schema())
        return finish(lf.slice(int(spec["first_row"]), int(spec["rows"])), query)


def _spec_from_footer(op: Operator, path: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    size = spec.get("size")
    found = read_footer(op, path, None if size is None else int(size))
    group = int(spec["row_group"])
    meta = found.meta
    if not 0 <= group < meta.num_row_groups:
        raise FileFormatError(f"{path}: has no row group {group}", path)
    first = sum(meta.row_group(g).num_rows for g in range(group))
    rg = meta.row_group(group)
    return {
        **spec,
        "size": found.size,
        "footer": [found.meta_start, found.size],
        "rows": rg.num_rows,
        "first_row": first,
        "chunks": _chunks(rg, parquet_schema(found).names),
    }
