"""Reading parquet files through an operator: whole with Polars, or by ranges with pyarrow.

Four ways to read the files of one partition, picked per partition (option ``ranged``):

- **Local** (the ``fs`` service under layers that leave reads alone, as the default ones
  do; ``local``): each file opened through the root jail and the open files handed to
  Polars as one multi-file query, as ``pl.scan_parquet`` gets the paths: Polars maps them
  and reads only the pages the query needs. No byte passes through Python and none is
  copied. On bench_arrow's 16 files of 12 MB read for 4 of their 6 columns, FileSource's
  scan went from 2.4x Polars reading the paths to 1.1-1.4x (the sparse copy below cost
  ~7 ms of a file's ~16); bench_loader's filtered query from 1.36x ``scan_parquet`` to
  0.8-1.05x, its peak above the start from 2.7x to 1.0x (a busy 2-core machine).
- **Whole**: one ``op.read(path)`` per file, then Polars' own reader on the bytes of all
  of them as one multi-file query (``pl.scan_parquet([bytes, ...])`` with the projection,
  the filters and the limit, so Polars prunes row groups by their statistics and decodes
  only what is needed, on its own thread pool). Polars parses each footer once, in Rust,
  and checks that the files agree; Python parses none (the footer parse in pyarrow and
  the Arrow-to-Polars round trip this path once had cost ~0.4 ms a file). One request a
  file, and Polars decodes strings about twice as fast as pyarrow followed by the
  conversion to Polars.
- **Ranged**: read the footer (one suffix read of 64 KiB, a second one only for bigger
  footers), drop the row groups whose statistics rule the filters out, fetch only the
  column chunks still needed (ranges closer than 256 KiB merged into one read, up to 8 reads
  at once on remote services), and decode them with pyarrow (``ParquetFile.read_row_groups``
  over those buffers). I/O proportional to what the query needs.
- **Columns** (``memory``, or ``fs`` under a layer that sees reads; one file of at least
  ``COLUMNS_MIN``, a projection): the footer, then the chunks of the needed columns in
  every row group, laid in a sparse file (``sparse``) that Polars reads as the file
  itself. It copies and holds only those columns' bytes: on the benchmark's query (4 of 6
  columns) the process's peak fell from 1.31x to 1.16x that of ``pl.scan_parquet`` reading
  the paths, in about the same time.

``ranged=auto`` (the default) takes the local way where it can. Otherwise it reads whole
on local services (``memory``, ``fs``: the bytes are at hand; no more such reads at once
than cores plus one, as they only need CPU) but for the columns case above, and when
nothing narrows the read; on remote services, when the columns, the filters or the limit
narrow it, it reads each file's footer and goes ranged if that fetches less than half the
file. ``always`` / ``never`` force ranged or whole reads through the operator, on ``fs``
too. Row-group partitions have their own reader (``row_groups``: the local way on ``fs``,
else ranged; decoded by Polars).

Statistics pruning is conservative: it uses min/max/null counts of integer, string and date
columns only (float statistics leave NaN out, and Polars keeps NaN for ``x > 1``), and
keeps a row group whenever in doubt. Whatever the path, the rows then pass Polars' filter,
so the result is exact either way.
"""

from __future__ import annotations

import datetime
import io
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, NoReturn, cast

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from opendal_lab.core.operator import Operator
from opendal_lab.datasource.api import Filter, polars_schema
from opendal_lab.datasource.sources.files.local import local_service, open_local
from opendal_lab.datasource.sources.files.options import FileFormatError
from opendal_lab.datasource.sources.files.query import Query, conform, finish, trim_memory
from opendal_lab.datasource.sources.files.sparse import sparse_file

__all__ = [
    "LOCAL_SCHEMES",
    "Check",
    "Footer",
    "fetch_ranges",
    "may_match",
    "merge_ranges",
    "parquet_schema",
    "read_footer",
    "read_parquet",
]

LOCAL_SCHEMES = frozenset({"memory", "fs"})
FOOTER_GUESS = 64 * 1024
MERGE_GAP = 256 * 1024
FETCHERS = 8
_MAGIC = b"PAR1"
# Whole reads on local services are CPU-bound (the bytes are at hand; Polars decodes), so
# more of them at once than cores only holds more files' bytes in memory: a core's worth,
# plus one being copied. On 2 cores, 16 files of 12 MB: peak ~1.55x -> ~1.45x the result,
# in the same time.
_LOCAL_READS = threading.BoundedSemaphore((os.cpu_count() or 1) + 1)
# A projected read of a local file at least this big fetches only the columns it needs
# (``_read_columns``); a smaller one is read whole, and its footer is not parsed in Python.
COLUMNS_MIN = 4 << 20
# A partition that read a file at least this big whole hands the freed memory back to the
# OS (query.trim_memory, ~0.1 ms a call). Smaller buffers come from glibc's arenas anyway
# and are reused by the next partition on that thread: not worth the call.
TRIM_AFTER = 1 << 20

# ``check(path, schema)``: raises when a file's schema (Polars types) is not the declared one.
Check = Callable[[str, Mapping[str, pl.DataType]], None]


@dataclass(frozen=True)
class Footer:
    """A file's parsed footer and the bytes read to get it (the file's tail)."""

    meta: Any  # pq.FileMetaData
    tail: bytes
    tail_start: int
    size: int
    meta_start: int  # where the footer's metadata starts (its length and PAR1 follow)


def read_footer(op: Operator, path: str, size: int | None) -> Footer:
    """The footer of ``path``; FileFormatError when it is not a parquet file."""
    if size is None:
        size = op.stat(path).content_length or 0
    if size < 12:
        raise FileFormatError(f"{path}: not a parquet file ({size} bytes)", path)
    start = max(0, size - FOOTER_GUESS)
    tail = op.read(path, offset=start, size=size - start)
    if tail[-4:] != _MAGIC:
        raise FileFormatError(f"{path}: not a parquet file (no PAR1 at its end)", path)
    length = int.from_bytes(tail[-8:-4], "little")
    if length + 12 > size:
        raise FileFormatError(f"{path}: not a parquet file (footer length {length})", path)
    if length + 8 > len(tail):
        start = size - length - 8
        tail = op.read(path, offset=start, size=length + 8)
    try:
        meta = pq.read_metadata(pa.BufferReader(tail[len(tail) - length - 8 :]))
    except (OSError, ValueError) as exc:
        raise FileFormatError(f"{path}: not a parquet file ({exc})", path) from None
    return Footer(meta, tail, start, size, size - length - 8)


def parquet_schema(footer: Footer) -> pa.Schema:
    """The Arrow schema the footer declares (without the writer's metadata)."""
    return footer.meta.schema.to_arrow_schema().remove_metadata()


def read_parquet(
    op: Operator, files: Sequence[tuple[str, int | None]], query: Query, check: Check
) -> pl.DataFrame | None:
    """The rows of ``files`` (``(path, size)``, one partition) that ``query`` wants.

    None when no row is left. ``check(path, polars_schema)`` raises when a file's schema is
    not the declared one.
    """
    narrowed = query.projected or bool(query.filters) or query.limit is not None
    local = op.scheme in LOCAL_SCHEMES
    if query.ranged == "auto" and local:
        service = local_service(op)
        if service is not None:
            with open_local(service, [p for p, _ in files]) as handles:
                return _decode(files, handles, query, check)
    if query.ranged == "auto" and local and query.projected and len(files) == 1:
        path, size = files[0]
        if size is not None and size >= COLUMNS_MIN:
            with _LOCAL_READS:
                return _read_columns(op, path, size, query, check)
    if query.ranged == "never" or (query.ranged == "auto" and (local or not narrowed)):
        if local:
            with _LOCAL_READS:
                return _read_whole(op, files, query, check)
        return _read_whole(op, files, query, check)
    frames = []
    rows = 0
    for path, size in files:
        frame = _read_ranged(op, path, size, query, check)
        if frame is not None:
            frames.append(frame)
            rows += frame.height
        if query.limit is not None and rows >= query.limit:
            break
    if not frames:
        return None
    frame = pl.concat(frames, how="vertical", rechunk=False)
    return frame if query.limit is None else frame.head(query.limit)


def _read_columns(
    op: Operator, path: str, size: int, query: Query, check: Check
) -> pl.DataFrame | None:
    """A projected read of a big local file: the column chunks the query needs (in every
    row group; Polars prunes by statistics itself) laid in a sparse file for Polars.

    Against a whole read it copies only those columns' bytes and holds only them while
    Polars decodes, for one footer parse in pyarrow to find them (~0.1 ms a file)."""
    footer = read_footer(op, path, size)
    meta = footer.meta
    wanted = sorted(set(query.columns) | {f.column for f in query.filters})
    ranges = _chunk_ranges(meta, range(meta.num_row_groups), wanted)
    pieces = fetch_ranges(op, path, merge_ranges(ranges), parallel=False, have=footer)
    try:
        with sparse_file(footer.size, pieces) as fh:
            lf = pl.scan_parquet(fh)
            check(path, lf.collect_schema())  # also makes Polars map the file (row_groups)
            frame = finish(lf, query)
    except pl.exceptions.PolarsError:
        # Polars wanted bytes that were not fetched: read the file whole instead.
        return _read_whole(op, [(path, size)], query, check)
    del pieces
    trim_memory()  # see _read_whole
    return frame


def _read_ranged(
    op: Operator, path: str, size: int | None, query: Query, check: Check
) -> pl.DataFrame | None:
    footer = read_footer(op, path, size)
    schema = parquet_schema(footer)
    check(path, polars_schema(schema))
    meta = footer.meta
    groups = [
        g for g in range(meta.num_row_groups) if may_match(meta.row_group(g), query.filters, schema)
    ]
    if query.limit is not None and not query.filters:
        groups = _enough(meta, groups, query.limit)
    if not groups:
        return None
    wanted = set(query.columns) | {f.column for f in query.filters}
    needed = [n for n in schema.names if n in wanted]
    ranges = _chunk_ranges(meta, groups, needed)
    fetched = sum(stop - start for start, stop in ranges)
    if query.ranged == "auto" and fetched * 2 > footer.size:
        return _read_whole(op, [(path, footer.size)], query, check)
    parallel = op.scheme not in LOCAL_SCHEMES
    buffers = fetch_ranges(op, path, merge_ranges(ranges), parallel=parallel, have=footer)
    source = _Ranges(path, footer.size, buffers, op)
    try:
        table = pq.ParquetFile(source, metadata=meta).read_row_groups(groups, columns=needed)
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        raise FileFormatError(f"{path}: cannot read row groups {groups}: {exc}", path) from exc
    return finish(cast(pl.DataFrame, pl.from_arrow(table)).lazy(), query)


def _read_whole(
    op: Operator, files: Sequence[tuple[str, int | None]], query: Query, check: Check
) -> pl.DataFrame | None:
    """Every file read whole and handed to Polars' reader as one multi-file query.

    On remote services the files of a packed partition are fetched several at once
    (their latencies overlap); local reads only copy, so they go one by one.
    """
    paths = [p for p, _ in files]
    if op.scheme not in LOCAL_SCHEMES and len(paths) > 1:  # the operator's pool and limits
        datas = op.read_many(paths, concurrency=FETCHERS)
    else:
        datas = [op.read(p) for p in paths]
    for path, data in zip(paths, datas, strict=True):
        if len(data) < 12 or data[-4:] != _MAGIC:
            raise FileFormatError(f"{path}: not a parquet file (no PAR1 at its end)", path)
    biggest = max(len(d) for d in datas)
    frame = _decode(files, datas, query, check)
    del datas
    if biggest >= TRIM_AFTER:
        trim_memory()  # the files' bytes are free now: see query.trim_memory
    return frame


def _decode(
    files: Sequence[tuple[str, int | None]],
    datas: Sequence[bytes | IO[bytes]],
    query: Query,
    check: Check,
) -> pl.DataFrame | None:
    """Polars parses each footer once (in Rust) and checks that the files agree with the
    first one; ``check`` compares the first file's schema with the declared one. When
    Polars fails, each file is examined in turn so the error names the one at fault.

    ``datas``: the files' bytes, or the files open (``local``), which Polars maps.

    A failure leaves without the traceback of the query: its frames hold the LazyFrame,
    and a LazyFrame over open files holds them open (Polars keeps its own duplicate of
    each descriptor) for as long as the caller keeps the error.
    """
    try:
        return _query(files, datas, query, check)
    except pl.exceptions.PolarsError as exc:
        failed = exc.with_traceback(None)
    except FileFormatError as exc:  # check's: a file unlike the declared schema
        raise exc.with_traceback(None)  # noqa: B904 -- the same error, only its frames dropped
    _blame(files, datas, check, failed)


def _query(
    files: Sequence[tuple[str, int | None]],
    datas: Sequence[bytes | IO[bytes]],
    query: Query,
    check: Check,
) -> pl.DataFrame | None:
    if query.union is not None and len(datas) > 1:
        # The files may differ (schema_mode=union): each one is scanned alone and cast
        # to the unified types, as Polars' multi-file reader wants them all alike.
        scans = []
        for (path, _), data in zip(files, datas, strict=True):
            one = pl.scan_parquet(data)
            check(path, one.collect_schema())
            scans.append(conform(one, query))
        return finish(pl.concat(scans, how="vertical"), query)
    # All bytes or all open files: a list of either is what scan_parquet takes.
    lf = pl.scan_parquet(cast(Any, list(datas)) if len(datas) > 1 else datas[0])
    check(files[0][0], lf.collect_schema())
    return finish(lf, query)


def _blame(
    files: Sequence[tuple[str, int | None]],
    datas: Sequence[bytes | IO[bytes]],
    check: Check,
    exc: pl.exceptions.PolarsError,
) -> NoReturn:
    """Raise FileFormatError for the first file of a failed read that is unreadable or
    unlike the declared schema; failing that, for the read as a whole."""
    for (path, _), data in zip(files, datas, strict=True):
        if isinstance(data, bytes):
            data = io.BytesIO(data)
        else:
            data.seek(0)
        try:
            schema = pl.read_parquet_schema(data)
        except pl.exceptions.PolarsError as bad:
            bad.with_traceback(None)  # its frames hold the file open: see _decode
            raise FileFormatError(f"{path}: not a parquet file ({bad})", path) from None
        check(path, schema)
    names = ", ".join(p for p, _ in files)
    raise FileFormatError(f"{names}: {exc}", files[0][0]) from exc


def _enough(meta: Any, groups: list[int], limit: int) -> list[int]:
    """The leading row groups that hold ``limit`` rows."""
    kept, rows = [], 0
    for g in groups:
        if rows >= limit:
            break
        kept.append(g)
        rows += meta.row_group(g).num_rows
    return kept


def _chunk_ranges(
    meta: Any, groups: Sequence[int], columns: Sequence[str]
) -> list[tuple[int, int]]:
    """Byte ranges ``[start, stop)`` of the column chunks of ``columns`` in ``groups``."""
    out = []
    for g in groups:
        rg = meta.row_group(g)
        for j in range(rg.num_columns):
            chunk = rg.column(j)
            leaf = chunk.path_in_schema
            if not any(leaf == c or leaf.startswith(c + ".") for c in columns):
                continue
            start = chunk.data_page_offset
            if chunk.has_dictionary_page and chunk.dictionary_page_offset:
                start = min(start, chunk.dictionary_page_offset)
            out.append((start, start + chunk.total_compressed_size))
    return sorted(out)


def merge_ranges(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ``ranges`` with those closer than ``MERGE_GAP`` joined into one."""
    merged: list[tuple[int, int]] = []
    for start, stop in ranges:
        if merged and start - merged[-1][1] <= MERGE_GAP:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def fetch_ranges(
    op: Operator,
    path: str,
    ranges: Sequence[tuple[int, int]],
    *,
    parallel: bool,
    have: Footer | None = None,
) -> list[tuple[int, bytes]]:
    """``(start, bytes)`` of each range, sorted by start; ``parallel``: several at once.

    Ranges inside ``have``'s tail are not fetched again; the tail joins the result instead.
    """
    todo = [
        (a, b) for a, b in ranges if have is None or not (a >= have.tail_start and b <= have.size)
    ]

    def one(r: tuple[int, int]) -> tuple[int, bytes]:
        return r[0], op.read(path, offset=r[0], size=r[1] - r[0])

    if parallel and len(todo) > 1:
        got = op.run_many(one, todo, concurrency=FETCHERS)
    else:
        got = [one(r) for r in todo]
    if have is not None:
        got.append((have.tail_start, have.tail))
    return sorted(got)


class _Ranges(io.RawIOBase):
    """A read-only file of ``size`` bytes served from fetched ranges (others read on demand)."""

    def __init__(self, path: str, size: int, buffers: list[tuple[int, bytes]], op: Operator):
        super().__init__()
        self.name = path
        self._size = size
        self._buffers = buffers
        self._op = op
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any, /) -> int:
        view = memoryview(buffer).cast("B")
        n = max(0, min(len(view), self._size - self._pos))
        if n == 0:
            return 0
        for start, data in self._buffers:
            if start <= self._pos and self._pos + n <= start + len(data):
                offset = self._pos - start
                view[:n] = data[offset : offset + n]
                break
        else:  # pyarrow asked for bytes outside the planned chunks (a page index, say)
            view[:n] = self._op.read(self.name, offset=self._pos, size=n)
        self._pos += n
        return n


# -- statistics --------------------------------------------------------------------------


def may_match(rg: Any, filters: Sequence[Filter], schema: pa.Schema) -> bool:
    """False only when the row group's statistics prove no row passes ``filters``."""
    if not filters:
        return True
    index = {rg.column(j).path_in_schema: j for j in range(rg.num_columns)}
    for f in filters:
        j = index.get(f.column)
        if j is None or f.column not in schema.names:
            continue
        kind = _kind(schema.field(f.column).type)
        stats = rg.column(j).statistics
        if kind is None or stats is None:
            continue
        if not _stats_allow(f, stats, rg.num_rows, kind):
            return False
    return True


def _kind(dtype: pa.DataType) -> type | None:
    if pa.types.is_integer(dtype):
        return int
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return str
    if pa.types.is_date32(dtype):
        return datetime.date
    return None


def _fits(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is datetime.date:
        return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    return isinstance(value, kind)


def _stats_allow(f: Filter, stats: Any, rows: int, kind: type) -> bool:
    nulls = stats.null_count if stats.has_null_count else None
    if f.op == "is_null":
        return nulls is None or nulls > 0
    if f.op == "is_not_null":
        return nulls is None or nulls < rows
    if not stats.has_min_max:
        return nulls is None or nulls < rows  # all null: no comparison holds
    low, high = stats.min, stats.max
    if not (_fits(low, kind) and _fits(high, kind)):
        return True
    values = list(f.value) if f.op == "in" else [f.value]
    if not all(_fits(v, kind) for v in values):
        return True
    v = values[0] if values else None
    if f.op == "in":
        return any(low <= x <= high for x in values)
    if f.op == "==":
        return bool(low <= v <= high)
    if f.op == "!=":
        return not (low == high == v)
    if f.op == "<":
        return bool(low < v)
    if f.op == "<=":
        return bool(low <= v)
    if f.op == ">":
        return bool(high > v)
    if f.op == ">=":
        return bool(high >= v)
    return True
