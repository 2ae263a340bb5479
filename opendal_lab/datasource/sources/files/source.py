"""FileSource: parquet, csv and ndjson files on any operator, read into Polars.

::

    from opendal_lab.datasource import load, save, scan
    from opendal_lab.datasource.sources.files import FileSource

    df = load(FileSource, {"uri": "s3://lake/events?region=eu-west-1", "path": "**/*.parquet"})
    lf = scan(FileSource, {"uri": "fs:///data", "path": "sales/", "format": "csv"})
    lf.filter(pl.col("year") == 2024).select("amount").collect()   # hive column, pruned

    save(FileSource(operator=op, path="dir/"), frame, {"partition_by": "year"})

By name, as Spark and Sail load it: ``python_module="opendal_lab.datasource.sources.files"``,
``python_class="FileSource"``. Every option is a string:

- ``uri``: the operator (``memory://name/dir``, ``fs:///abs/dir``,
  ``s3://bucket/prefix?endpoint=...``), or pass one to ``FileSource(operator=op)``.
  Options the source does not know are the operator's config (``region``,
  ``access_key_id``, ``secret_access_key``, ``layers``, ...). The operator is rebuilt on
  each worker from these options (once per process); specs hold only paths, sizes, hive
  values, row group numbers and byte ranges, never a credential.
- ``path``: a glob under the operator's root (``data/*.parquet``, ``**/*.csv``), a file, or
  a directory read whole (``listing``: skipped names, hive directories).
- ``format``: ``parquet``, ``csv`` or ``ndjson``; by default from the glob's or the first
  file's extension.
- ``partitioning``: ``auto`` (the default: small parquet files packed into one partition up
  to ``partition_bytes``, a bigger file alone; ``partitions``), ``file`` (one partition per
  file) or ``row_group`` (one per parquet row group; the footers are read while planning,
  several at once, and row groups the filters rule out are dropped; ``row_groups``).
- ``partition_bytes``: the size small files are packed up to (bytes); by default (``auto``)
  the data spread over twice the default pool's threads, kept between 4 and 64 MiB.
- ``hive``: ``true`` / ``false`` / ``auto`` (the default: when the first file sits in
  ``key=value`` directories); ``hive_schema``: ``"year:int64,country:string"`` to set their
  types instead of inferring them.
- csv: ``header`` (``true``), ``separator`` (``,``); csv and ndjson: ``sample_bytes``, how
  much of the first file the schema is inferred from (``text``).
- parquet: ``ranged`` (``auto`` / ``always`` / ``never``): whole-file reads or ranged reads
  of the column chunks needed (``parquet``); on ``fs``, ``auto`` hands Polars the files
  themselves, opened through the root jail, to map and read as it reads a path (``local``).
- writing (``save``, or Spark's ``df.write``; ``write``): ``path`` is a directory;
  ``partition_by`` (hive directories), ``compression``; ``write_id``: the id in the
  written file names, ``part-<partition>-<write_id>.<ext>``; by default a random one per
  write, so two writes to one directory never collide (give one to make the names
  predictable). Files are staged and published on commit: a failed write leaves nothing.

Schema: parquet's comes from the first file's footer (read with ranged reads, not the whole
file); csv's and ndjson's from a sample of the first file, typed by Polars; hive columns
follow the file's columns. Every file must have the first one's columns and types (Polars
types compared, so ``string`` and ``large_string`` agree); one that does not fails its
partition with a ``FileFormatError`` naming both files. Parquet files are checked as Polars
reads them (their footers are parsed once, by Polars): the first file of a partition in
full, the others by Polars' multi-file reader against it, which with a projection looks
only at the columns read (as ``pl.scan_parquet`` does) -- a column nobody reads cannot
fail a query.

``schema_mode``: ``strict`` (the default: as above) or ``union`` (parquet only): every
file's footer is read while inferring and the schemas unified by Arrow's rules -- columns
by name, a missing one null, types widened (int32 -> int64, int -> float, null -> any);
a column whose types do not widen fails with a ``FileFormatError`` naming the file, the
column and both types (``evolution``).

Pushdown: ``read_partition`` takes ``columns``, ``filters`` and ``limit``. Filters on hive
columns are checked against the partition's directory values before any byte is read
(a partition whose values fail them yields nothing); the others go to Polars' reader with
the projection and the limit. Every filter is applied exactly, so ``exact_filters`` claims
them all and a limit reaches the source with them. ``plan_partitions`` also takes
``filters`` and drops the partitions the hive values rule out (and, by row groups, those
whose statistics do), so a scan (or a Spark query) filtered on a hive column starts no
task for the files it skips.

What a partition yields is a Polars frame cast to the declared types, hive columns added as
constants.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from opendal_lab.core.errors import ConfigInvalid, NotFound
from opendal_lab.core.operator import Operator
from opendal_lab.datasource.api import (
    MODES,
    Filter,
    Options,
    PushdownSource,
    ReadRequest,
    filters_to_expr,
    polars_schema,
)
from opendal_lab.datasource.sources.files.evolution import check_union, unify_footers
from opendal_lab.datasource.sources.files.listing import (
    FileEntry,
    Listing,
    hive_types,
    list_files,
    typed_hive_values,
)
from opendal_lab.datasource.sources.files.options import (
    FileFormatError,
    FileOptions,
    format_of,
    operator_for,
    parse_options,
)
from opendal_lab.datasource.sources.files.parquet import parquet_schema, read_footer, read_parquet
from opendal_lab.datasource.sources.files.partitions import (
    auto_target,
    file_spec,
    pack_files,
    path_of,
    spec_files,
)
from opendal_lab.datasource.sources.files.query import Query
from opendal_lab.datasource.sources.files.row_groups import read_row_group, row_group_specs
from opendal_lab.datasource.sources.files.text import read_text, text_schema
from opendal_lab.datasource.sources.files.write import FileWriter

__all__ = ["FileFormatError", "FileSource"]

LAYOUTS_KEPT = 8


@dataclass(frozen=True)
class Layout:
    """What ``infer_schema`` found, kept for ``read_partition`` (which is not given it)."""

    format: str
    first: str  # the file the schema came from, for messages
    file_types: dict[str, pl.DataType]  # the files' columns, in Polars' types
    hive_types: dict[str, pl.DataType]
    schema: pa.Schema  # file columns then hive columns: what infer_schema returns


class FileSource(PushdownSource):
    """Files on an operator (module docstring).

    ``FileSource(operator=op, path="dir/", format="csv")``: keyword arguments are default
    options (``True`` and numbers may be given as such); the options of a load override them.
    """

    def __init__(self, operator: Operator | None = None, **options: str | bool | int) -> None:
        if operator is not None and not isinstance(operator, Operator):
            raise TypeError(f"operator must be an Operator, not {type(operator).__name__}")
        self.operator = operator
        self.defaults = Options({k: _option_text(v) for k, v in options.items()})
        # Filled by infer_schema in the caller's process and pickled to workers with the
        # source, so read_partition knows the declared types without listing again.
        self._layouts: dict[tuple[Any, ...], Layout] = {}

    # -- the protocol ---------------------------------------------------------------------
    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        opts = self.parse(options)
        return self._layout(opts, fresh=True).schema

    def plan_partitions(
        self, options: dict[str, str], *, filters: Sequence[Filter] | None = None
    ) -> list[dict[str, Any]]:
        opts = self.parse(options)
        op = self.open_operator(opts)
        listing = self._list(op, opts)
        if not listing.files:
            return []
        layout = self._layout(opts)
        files = listing.files
        hive_filters = [f for f in filters or () if f.column in layout.hive_types]
        if hive_filters:
            files = [f for f in files if _hive_match(f, layout, hive_filters)]
        if opts.partitioning == "row_group":
            file_filters = [f for f in filters or () if f.column in layout.file_types]
            return row_group_specs(op, files, list(layout.file_types), file_filters)
        if opts.partitioning == "file" or layout.format != "parquet":
            return [file_spec(f) for f in files]
        return pack_files(files, opts.partition_bytes or auto_target(files))

    def read(
        self, spec: dict[str, Any], options: dict[str, str], request: ReadRequest
    ) -> Iterator[pl.DataFrame]:
        opts = self.parse(options)
        layout = self._layout(opts)
        files = spec_files(spec)
        path = files[0][0]
        hive_filters = [f for f in request.filters if f.column in layout.hive_types]
        file_filters = [f for f in request.filters if f.column not in layout.hive_types]
        hive_row = None
        if layout.hive_types:
            hive_row = typed_hive_values(path, spec.get("hive") or {}, layout.hive_types)
            condition = filters_to_expr(hive_filters)
            if condition is not None and hive_row.filter(condition).height == 0:
                return  # pruned: the directory's values rule every row out
        wanted = set(layout.schema.names if request.columns is None else request.columns)
        file_columns = [n for n in layout.file_types if n in wanted]
        # Hive columns alone still need the file's row count: read its first column.
        read_columns = file_columns or list(layout.file_types)[:1]
        query = Query(
            columns=read_columns,
            projected=len(read_columns) < len(layout.file_types),
            filters=file_filters,
            condition=filters_to_expr(file_filters),
            limit=request.limit,
            ranged=opts.ranged,
            union=layout.file_types if opts.schema_mode == "union" else None,
        )
        frame = self._read(opts, layout, spec, files, query)
        if frame is None:
            return
        frame = _conform(frame, layout.file_types)
        if hive_row is not None:
            frame = frame.with_columns(
                pl.lit(hive_row[k][0], dtype=t).alias(k)
                for k, t in layout.hive_types.items()
                if k in wanted
            )
        if not file_columns:
            frame = frame.drop(read_columns)
        yield frame

    def exact_filters(self, filters: Sequence[Filter], options: dict[str, str]) -> list[Filter]:
        # Hive filters are checked on typed constants, the others by Polars on the rows,
        # with the expressions the loader itself would use: all of them exactly.
        return list(filters)

    # -- writing (the write protocol: opendal_lab.datasource.writer) ---------------------------
    write_modes = MODES

    def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> FileWriter:
        """A writer staging files under ``path`` (``write``); ``save`` and Spark run it."""
        return FileWriter(self, self.parse(options), mode, schema)

    # -- helpers ------------------------------------------------------------------------------
    def parse(self, options: Mapping[str, str]) -> FileOptions:
        """The constructor's defaults overridden by ``options``, parsed."""
        merged = self.defaults | Options(options)
        return parse_options(merged, has_operator=self.operator is not None)

    def storage(self, options: Mapping[str, str]) -> Operator:
        """The operator the files are on with ``options`` (the loader asks it whether
        another process sees the same files: ``engines.locality``)."""
        return self.open_operator(self.parse(options))

    def open_operator(self, opts: FileOptions) -> Operator:
        """The given operator, or the one ``uri`` and the config options build (cached)."""
        if self.operator is not None:
            return self.operator
        assert opts.uri is not None  # parse_options requires one without an operator
        return operator_for(opts.uri, opts.operator_config)

    def _list(self, op: Operator, opts: FileOptions) -> Listing:
        uri = (opts.uri or repr(op)).split("?", 1)[0]  # a query may carry credentials
        return list_files(op, opts.path, hive=opts.hive, where=f"{opts.path!r} on {uri}")

    def _layout(self, opts: FileOptions, *, fresh: bool = False) -> Layout:
        key = opts.schema_key()
        layout = None if fresh else self._layouts.get(key)
        if layout is None:
            layout = self._infer(opts)
            if len(self._layouts) >= LAYOUTS_KEPT:
                self._layouts.clear()  # one source used with many option sets: start over
            self._layouts[key] = layout
        return layout

    def _infer(self, opts: FileOptions) -> Layout:
        op = self.open_operator(opts)
        listing = self._list(op, opts)
        if not listing.files:
            raise NotFound(
                f"FileSource: no file matches {listing.where}",
                operation="datasource",
                service=op.scheme,
                path=opts.path,
            )
        first = listing.files[0]
        fmt = opts.format or format_of(opts.path) or format_of(first.path)
        if fmt is None:
            raise ConfigInvalid(
                f"FileSource: cannot tell the format of {first.path} from its name; set "
                "option 'format' to parquet, csv or ndjson",
                operation="datasource",
            )
        if opts.partitioning == "row_group" and fmt != "parquet":
            raise ConfigInvalid(
                f"FileSource: partitioning 'row_group' needs parquet files, not {fmt}",
                operation="datasource",
            )
        if opts.schema_mode == "union" and fmt != "parquet":
            raise ConfigInvalid(
                f"FileSource: schema_mode 'union' needs parquet files, not {fmt} (csv and "
                "ndjson carry no schema to unify); use schema_mode=strict",
                operation="datasource",
            )
        if opts.schema_mode == "union":
            file_schema = unify_footers(op, listing.files)
            file_types = polars_schema(file_schema)
        elif fmt == "parquet":
            file_schema = parquet_schema(read_footer(op, first.path, first.size))
            file_types = polars_schema(file_schema)
        else:
            file_types = text_schema(fmt, op, listing.files, opts)
            file_schema = _arrow_schema(file_types)
        hive = hive_types(listing, opts.hive_schema)
        clash = sorted(set(hive) & set(file_types))
        if clash:
            raise ConfigInvalid(
                f"FileSource: {', '.join(map(repr, clash))} is both a column of {first.path} "
                "and a hive directory key; set hive=false, or rename one",
                operation="datasource",
            )
        hive_fields = _arrow_schema(hive)
        schema = pa.schema([*file_schema, *hive_fields])
        return Layout(fmt, first.path, file_types, hive, schema)

    def _read(
        self,
        opts: FileOptions,
        layout: Layout,
        spec: dict[str, Any],
        files: list[tuple[str, int | None]],
        query: Query,
    ) -> pl.DataFrame | None:
        op = self.open_operator(opts)

        def check(file: str, schema: Mapping[str, pl.DataType]) -> None:
            if opts.schema_mode == "union":
                check_union(file, schema, layout.file_types)
            else:
                _check_schema(file, schema, layout)

        if layout.format == "parquet":
            if spec.get("row_group") is not None:
                return read_row_group(op, files[0][0], spec, query, check)
            return read_parquet(op, files, query, check)
        return read_text(
            layout.format, op, path_of(spec), layout.file_types, query, opts, layout.first
        )

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.defaults.items() if k in ("uri", "path", "format")}
        if "uri" in shown:
            shown["uri"] = shown["uri"].split("?", 1)[0]  # a query may carry credentials
        target = f"operator={self.operator!r}, " if self.operator is not None else ""
        return f"FileSource({target}{', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def _option_text(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _hive_match(entry: FileEntry, layout: Layout, filters: Sequence[Filter]) -> bool:
    row = typed_hive_values(entry.path, dict(entry.hive), layout.hive_types)
    condition = filters_to_expr(filters)
    return condition is None or row.filter(condition).height > 0


def _check_schema(path: str, found: Mapping[str, pl.DataType], layout: Layout) -> None:
    expected = layout.file_types
    if dict(found) == dict(expected):
        return
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    differ = [c for c in expected if c in found and found[c] != expected[c]]
    if missing:
        detail = f"has no column {', '.join(map(repr, missing))}"
    elif extra:
        detail = f"has column(s) {', '.join(map(repr, extra))} that {layout.first} has not"
    else:
        c = differ[0]
        detail = f"has column {c!r} as {found[c]}, but {layout.first} has it as {expected[c]}"
    raise FileFormatError(
        f"{path}: {detail}; every file needs the columns and types of the first one "
        f"({layout.first}), which the schema comes from",
        path,
    )


def _conform(frame: pl.DataFrame, types: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with the declared Polars types (a reader may map an Arrow type differently)."""
    differ = {c: types[c] for c, t in frame.schema.items() if c in types and t != types[c]}
    return frame.cast(differ) if differ else frame  # type: ignore[arg-type]


def _arrow_schema(types: Mapping[str, pl.DataType]) -> pa.Schema:
    """The Arrow schema of Polars ``types``: ``string`` and ``binary`` rather than large_."""
    table = pl.DataFrame(schema=dict(types)).to_arrow(compat_level=pl.CompatLevel.oldest())
    fields = []
    for f in table.schema:
        if pa.types.is_large_string(f.type):
            f = f.with_type(pa.string())
        elif pa.types.is_large_binary(f.type):
            f = f.with_type(pa.binary())
        fields.append(f)
    return pa.schema(fields)
